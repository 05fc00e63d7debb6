// Package ledger is yibao's tamper-evident history (防篡改留痕): an append-only log of every
// state change, hashed into an RFC 6962 Merkle tree (github.com/transparency-dev/merkle),
// with Ed25519-signed checkpoints, inclusion proofs a hospital can check against a published
// checkpoint alone, and consistency proofs that history was only appended.
//
// The package holds the log's mathematics and formats; the store appends entries in the
// same transaction as the change they record, and `yibao verify` hands the stored entries,
// checkpoints and current rows to Verify.
package ledger

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// Entry is one state change: a row of some kind inserted, updated or deleted, with its
// content as the store saw it (canonical JSON).
type Entry struct {
	Seq     uint64 `json:"seq"` // 1-based position in the log; leaf index is Seq − 1
	Kind    string `json:"kind"`
	Ref     string `json:"ref"`
	Action  string `json:"action"` // insert | update | delete | digest
	At      int64  `json:"at"`     // unix seconds
	Content string `json:"content"`
}

// Leaf is the entry's canonical bytes, the input of its RFC 6962 leaf hash. Every field is
// length-prefixed so that no two entries share a leaf.
func (e Entry) Leaf() []byte {
	var b bytes.Buffer
	b.WriteString("yibao-ledger-entry/v1\n")
	for _, f := range []string{strconv.FormatUint(e.Seq, 10), e.Kind, e.Ref, e.Action, strconv.FormatInt(e.At, 10), e.Content} {
		b.WriteString(strconv.Itoa(len(f)))
		b.WriteByte(':')
		b.WriteString(f)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// LeafHash is the RFC 6962 leaf hash of the entry.
func (e Entry) LeafHash() []byte { return rfc6962.DefaultHasher.HashLeaf(e.Leaf()) }

var factory = &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}

// Root returns the RFC 6962 root of the given leaf hashes.
func Root(leafHashes [][]byte) ([]byte, error) {
	r := factory.NewEmptyRange(0)
	for _, h := range leafHashes {
		if err := r.Append(h, nil); err != nil {
			return nil, err
		}
	}
	return rootOf(r)
}

func rootOf(r *compact.Range) ([]byte, error) {
	if r.End() == 0 {
		return rfc6962.DefaultHasher.EmptyRoot(), nil
	}
	return r.GetRootHash(nil)
}

// Builder extends a tree leaf by leaf and gives the root at any size, keeping only the
// compact range (log₂ n hashes).
type Builder struct{ r *compact.Range }

// NewBuilder starts an empty tree.
func NewBuilder() *Builder { return &Builder{r: factory.NewEmptyRange(0)} }

// ResumeBuilder continues a tree of size n from its compact range hashes (Frontier).
func ResumeBuilder(n uint64, frontier [][]byte) (*Builder, error) {
	r, err := factory.NewRange(0, n, frontier)
	if err != nil {
		return nil, fmt.Errorf("ledger: frontier of size %d: %w", n, err)
	}
	return &Builder{r: r}, nil
}

// Append adds a leaf hash.
func (b *Builder) Append(leafHash []byte) error { return b.r.Append(leafHash, nil) }

// Size is the number of leaves.
func (b *Builder) Size() uint64 { return b.r.End() }

// Root is the current root hash.
func (b *Builder) Root() ([]byte, error) { return rootOf(b.r) }

// Frontier is the compact range to resume from.
func (b *Builder) Frontier() [][]byte { return b.r.Hashes() }

// Tree is the whole log in memory (leaf hashes), for proofs.
type Tree struct {
	leaves [][]byte
	memo   map[compact.NodeID][]byte
}

// NewTree builds a tree over leaf hashes in log order.
func NewTree(leafHashes [][]byte) *Tree {
	return &Tree{leaves: leafHashes, memo: map[compact.NodeID][]byte{}}
}

// node returns the hash of a perfect subtree.
func (t *Tree) node(id compact.NodeID) []byte {
	if id.Level == 0 {
		return t.leaves[id.Index]
	}
	if h, ok := t.memo[id]; ok {
		return h
	}
	h := rfc6962.DefaultHasher.HashChildren(
		t.node(compact.NewNodeID(id.Level-1, id.Index*2)),
		t.node(compact.NewNodeID(id.Level-1, id.Index*2+1)))
	t.memo[id] = h
	return h
}

func (t *Tree) fetch(n proof.Nodes) ([][]byte, error) {
	hashes := make([][]byte, len(n.IDs))
	for i, id := range n.IDs {
		if end := (id.Index + 1) << id.Level; end > uint64(len(t.leaves)) {
			return nil, fmt.Errorf("ledger: node %v beyond %d leaves", id, len(t.leaves))
		}
		hashes[i] = t.node(id)
	}
	return n.Rehash(hashes, rfc6962.DefaultHasher.HashChildren)
}

// Inclusion returns the proof that leaf index is in the tree of the given size.
func (t *Tree) Inclusion(index, size uint64) ([][]byte, error) {
	if size > uint64(len(t.leaves)) {
		return nil, fmt.Errorf("ledger: size %d beyond %d leaves", size, len(t.leaves))
	}
	n, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, err
	}
	return t.fetch(n)
}

// Consistency returns the proof that the tree of size1 is a prefix of the tree of size2.
func (t *Tree) Consistency(size1, size2 uint64) ([][]byte, error) {
	if size2 > uint64(len(t.leaves)) {
		return nil, fmt.Errorf("ledger: size %d beyond %d leaves", size2, len(t.leaves))
	}
	n, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, err
	}
	return t.fetch(n)
}

// VerifyInclusion checks an inclusion proof against a root.
func VerifyInclusion(index, size uint64, leafHash []byte, p [][]byte, root []byte) error {
	return proof.VerifyInclusion(rfc6962.DefaultHasher, index, size, leafHash, p, root)
}

// VerifyConsistency checks a consistency proof between two roots.
func VerifyConsistency(size1, size2 uint64, p [][]byte, root1, root2 []byte) error {
	return proof.VerifyConsistency(rfc6962.DefaultHasher, size1, size2, p, root1, root2)
}

// Checkpoint commits to the log at a size: its root and the time it was signed.
type Checkpoint struct {
	Origin string    `json:"origin"`
	Size   uint64    `json:"size"`
	Root   []byte    `json:"root"`
	Time   time.Time `json:"time"`
}

const checkpointHeader = "yibao-ledger-checkpoint/v1"

// Body is the signed text: header, origin, size, base64 root and RFC 3339 time, one a line.
func (c Checkpoint) Body() []byte {
	return fmt.Appendf(nil, "%s\n%s\n%d\n%s\n%s\n", checkpointHeader, c.Origin, c.Size,
		base64.StdEncoding.EncodeToString(c.Root), c.Time.UTC().Format(time.RFC3339))
}

// Signed is a checkpoint with its Ed25519 signature, in its published text form: the body,
// an empty line, and "— <key id> <base64 signature>".
type Signed struct {
	Checkpoint
	KeyID     string
	Signature []byte
}

// KeyID names a public key: the first 8 bytes of its SHA-256, hex.
func KeyID(pub ed25519.PublicKey) string {
	s := sha256.Sum256(pub)
	return fmt.Sprintf("%x", s[:8])
}

// Sign signs the checkpoint.
func Sign(c Checkpoint, key ed25519.PrivateKey) Signed {
	return Signed{Checkpoint: c, KeyID: KeyID(key.Public().(ed25519.PublicKey)), Signature: ed25519.Sign(key, c.Body())}
}

// Text is the published form.
func (s Signed) Text() string {
	return string(s.Body()) + "\n— " + s.KeyID + " " + base64.StdEncoding.EncodeToString(s.Signature) + "\n"
}

// Verify checks the signature with the public key.
func (s Signed) Verify(pub ed25519.PublicKey) error {
	if s.KeyID != KeyID(pub) {
		return fmt.Errorf("checkpoint signed by key %s, not %s", s.KeyID, KeyID(pub))
	}
	if !ed25519.Verify(pub, s.Body(), s.Signature) {
		return errors.New("checkpoint signature does not verify")
	}
	return nil
}

// ParseSigned reads a checkpoint in its published text form.
func ParseSigned(text string) (Signed, error) {
	body, sig, ok := strings.Cut(text, "\n\n— ")
	if !ok {
		return Signed{}, errors.New("checkpoint: no signature line")
	}
	lines := strings.Split(body, "\n")
	if len(lines) != 5 || lines[0] != checkpointHeader {
		return Signed{}, errors.New("checkpoint: want header, origin, size, root and time")
	}
	var s Signed
	var err error
	s.Origin = lines[1]
	if s.Size, err = strconv.ParseUint(lines[2], 10, 64); err != nil {
		return Signed{}, fmt.Errorf("checkpoint size: %w", err)
	}
	if s.Root, err = base64.StdEncoding.DecodeString(lines[3]); err != nil || len(s.Root) != sha256.Size {
		return Signed{}, errors.New("checkpoint root: not a base64 SHA-256")
	}
	if s.Time, err = time.Parse(time.RFC3339, lines[4]); err != nil {
		return Signed{}, fmt.Errorf("checkpoint time: %w", err)
	}
	id, b64, ok := strings.Cut(strings.TrimSpace(sig), " ")
	if !ok {
		return Signed{}, errors.New("checkpoint: signature line wants a key id and a signature")
	}
	s.KeyID = id
	if s.Signature, err = base64.StdEncoding.DecodeString(b64); err != nil || len(s.Signature) != ed25519.SignatureSize {
		return Signed{}, errors.New("checkpoint: bad signature encoding")
	}
	if !bytes.Equal(s.Body(), []byte(body+"\n")) {
		return Signed{}, errors.New("checkpoint: body is not in canonical form")
	}
	return s, nil
}
