package ledger

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
)

// Problem is one thing `yibao verify` found: which kind and id, and what is wrong.
type Problem struct {
	Kind   string `json:"kind"`
	Ref    string `json:"ref"`
	What   string `json:"what"` // edited | deleted | inserted | reordered | ledger_edited | checkpoint
	Detail string `json:"detail"`
}

func (p Problem) String() string {
	return fmt.Sprintf("%s %s: %s (%s)", p.Kind, p.Ref, p.What, p.Detail)
}

// CheckLog recomputes the tree from the entries (in stored order) and checks every
// checkpoint: its signature, and its root against the tree of its size. Entries out of
// sequence are reported as reordered or missing; a root that does not match means entries
// up to that size were edited, deleted or reordered.
func CheckLog(entries []Entry, checkpoints []Signed, pub ed25519.PublicKey) []Problem {
	var out []Problem
	sort.SliceStable(checkpoints, func(i, j int) bool { return checkpoints[i].Size < checkpoints[j].Size })
	b := NewBuilder()
	next := 0
	check := func() {
		for next < len(checkpoints) && checkpoints[next].Size == b.Size() {
			c := checkpoints[next]
			if err := c.Verify(pub); err != nil {
				out = append(out, Problem{Kind: "checkpoint", Ref: fmt.Sprint(c.Size), What: "checkpoint", Detail: err.Error()})
			}
			if root, _ := b.Root(); !bytes.Equal(root, c.Root) {
				out = append(out, Problem{Kind: "checkpoint", Ref: fmt.Sprint(c.Size), What: "ledger_edited",
					Detail: fmt.Sprintf("the first %d entries no longer hash to the root signed at %s: an entry was edited, deleted or reordered", c.Size, c.Time.Format("2006-01-02 15:04:05"))})
			}
			next++
		}
	}
	check()
	want := uint64(1) // the sequence number expected next
	for i, e := range entries {
		switch {
		case e.Seq > want:
			out = append(out, Problem{Kind: e.Kind, Ref: e.Ref, What: "reordered",
				Detail: fmt.Sprintf("entries %d–%d are missing before entry %d at position %d: deleted or moved", want, e.Seq-1, e.Seq, i+1)})
		case e.Seq < want:
			out = append(out, Problem{Kind: e.Kind, Ref: e.Ref, What: "reordered",
				Detail: fmt.Sprintf("entry %d stands at position %d, after entry %d: reordered", e.Seq, i+1, want-1)})
		}
		want = e.Seq + 1
		b.Append(e.LeafHash())
		check()
	}
	for ; next < len(checkpoints); next++ {
		out = append(out, Problem{Kind: "checkpoint", Ref: fmt.Sprint(checkpoints[next].Size), What: "ledger_edited",
			Detail: fmt.Sprintf("checkpoint of size %d but the ledger has only %d entries: entries were deleted", checkpoints[next].Size, len(entries))})
	}
	return out
}

// Diff compares a row's current content with the content the ledger last recorded for it:
// the keys whose values differ. Keys the ledger did not record (columns added later) are
// ignored.
func Diff(recorded, current string) ([]string, error) {
	var a, b map[string]json.RawMessage
	if err := json.Unmarshal([]byte(recorded), &a); err != nil {
		return nil, fmt.Errorf("recorded content: %w", err)
	}
	if err := json.Unmarshal([]byte(current), &b); err != nil {
		return nil, fmt.Errorf("current content: %w", err)
	}
	var diff []string
	for k, v := range a {
		if w, ok := b[k]; !ok || !bytes.Equal(v, w) {
			diff = append(diff, k)
		}
	}
	sort.Strings(diff)
	return diff, nil
}

// InclusionProof shows that an entry is in the log as of a signed checkpoint. A hospital
// checks it with the published checkpoint and the bureau's public key alone.
type InclusionProof struct {
	// Subject is the object asked for; when the entry records several (a batch of settlement
	// versions), Verify checks that the subject is among them.
	Subject    string   `json:"subject,omitempty"`
	Entry      Entry    `json:"entry"`
	Checkpoint string   `json:"checkpoint"` // signed text
	Hashes     []string `json:"hashes"`     // base64, RFC 6962 audit path
}

// Verify checks the signature, the entry's leaf hash and the audit path.
func (p InclusionProof) Verify(pub ed25519.PublicKey) (Signed, error) {
	c, err := ParseSigned(p.Checkpoint)
	if err != nil {
		return Signed{}, err
	}
	if err := c.Verify(pub); err != nil {
		return c, err
	}
	hashes, err := decodeHashes(p.Hashes)
	if err != nil {
		return c, err
	}
	if p.Entry.Seq == 0 || p.Entry.Seq > c.Size {
		return c, fmt.Errorf("entry %d is not within the checkpoint's %d entries", p.Entry.Seq, c.Size)
	}
	if err := VerifyInclusion(p.Entry.Seq-1, c.Size, p.Entry.LeafHash(), hashes, c.Root); err != nil {
		return c, fmt.Errorf("inclusion: %w", err)
	}
	if p.Subject != "" && p.Subject != p.Entry.Ref {
		var batch struct {
			Settlements map[string]json.RawMessage `json:"settlements"`
		}
		if json.Unmarshal([]byte(p.Entry.Content), &batch) != nil || batch.Settlements[p.Subject] == nil {
			return c, fmt.Errorf("the entry does not record %s", p.Subject)
		}
	}
	return c, nil
}

// SubjectContent is what the entry records of the subject: the entry's content, or the
// subject's object within a batch.
func (p InclusionProof) SubjectContent() string {
	if p.Subject == "" || p.Subject == p.Entry.Ref {
		return p.Entry.Content
	}
	var batch struct {
		Settlements map[string]json.RawMessage `json:"settlements"`
	}
	if json.Unmarshal([]byte(p.Entry.Content), &batch) == nil {
		return string(batch.Settlements[p.Subject])
	}
	return ""
}

// ConsistencyProof shows that the log at the older checkpoint is a prefix of the log at the
// newer one: history was only appended.
type ConsistencyProof struct {
	Old    string   `json:"old"`
	New    string   `json:"new"`
	Hashes []string `json:"hashes"`
}

// Verify checks both signatures and the proof.
func (p ConsistencyProof) Verify(pub ed25519.PublicKey) error {
	a, err := ParseSigned(p.Old)
	if err != nil {
		return err
	}
	b, err := ParseSigned(p.New)
	if err != nil {
		return err
	}
	for _, c := range []Signed{a, b} {
		if err := c.Verify(pub); err != nil {
			return err
		}
	}
	hashes, err := decodeHashes(p.Hashes)
	if err != nil {
		return err
	}
	return VerifyConsistency(a.Size, b.Size, hashes, a.Root, b.Root)
}

// EncodeHashes writes hashes as base64 strings.
func EncodeHashes(hs [][]byte) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h)
	}
	return out
}

func decodeHashes(ss []string) ([][]byte, error) {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		h, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("proof hash %d: %w", i, err)
		}
		out[i] = h
	}
	return out, nil
}
