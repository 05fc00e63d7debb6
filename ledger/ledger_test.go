package ledger

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"
)

// mth is RFC 6962 §2.1's Merkle Tree Hash, written from the RFC and independent of the
// library: leaves SHA-256(0x00 ‖ d), nodes SHA-256(0x01 ‖ left ‖ right), split at the largest
// power of two below n.
func mth(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		h := sha256.Sum256(nil)
		return h[:]
	case 1:
		h := sha256.Sum256(append([]byte{0}, leaves[0]...))
		return h[:]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	h := sha256.Sum256(append(append([]byte{1}, mth(leaves[:k])...), mth(leaves[k:])...))
	return h[:]
}

// verifyPath is RFC 9162 §2.1.3.2's inclusion verification, again written from the RFC.
func verifyPath(index, size uint64, leaf []byte, path [][]byte, root []byte) bool {
	if index >= size {
		return false
	}
	fn, sn := index, size-1
	lh := sha256.Sum256(append([]byte{0}, leaf...))
	r := lh[:]
	node := func(l, rr []byte) []byte { h := sha256.Sum256(append(append([]byte{1}, l...), rr...)); return h[:] }
	for _, p := range path {
		if sn == 0 {
			return false
		}
		if fn&1 == 1 || fn == sn {
			r = node(p, r)
			if fn&1 == 0 {
				for fn&1 == 0 && fn != 0 {
					fn >>= 1
					sn >>= 1
				}
			}
		} else {
			r = node(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	return sn == 0 && bytes.Equal(r, root)
}

func entries(n int) []Entry {
	out := make([]Entry, n)
	for i := range out {
		out[i] = Entry{Seq: uint64(i + 1), Kind: "finding", Ref: fmt.Sprint(100 + i), Action: "insert", At: 1700000000 + int64(i),
			Content: fmt.Sprintf(`{"id":%d,"status":"open"}`, 100+i)}
	}
	return out
}

func TestRootAndProofsAgainstTheRFC(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5, 8, 13, 64, 100} {
		es := entries(n)
		leaves := make([][]byte, n)
		hashes := make([][]byte, n)
		for i, e := range es {
			leaves[i], hashes[i] = e.Leaf(), e.LeafHash()
		}
		root, err := Root(hashes)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(root, mth(leaves)) {
			t.Fatalf("n=%d: root differs from RFC 6962 MTH", n)
		}
		tree := NewTree(hashes)
		for size := 1; size <= n; size++ {
			sroot := mth(leaves[:size])
			for idx := 0; idx < size; idx++ {
				p, err := tree.Inclusion(uint64(idx), uint64(size))
				if err != nil {
					t.Fatal(err)
				}
				if !verifyPath(uint64(idx), uint64(size), leaves[idx], p, sroot) {
					t.Fatalf("n=%d size=%d idx=%d: proof fails the RFC 9162 check", n, size, idx)
				}
				if err := VerifyInclusion(uint64(idx), uint64(size), hashes[idx], p, sroot); err != nil {
					t.Fatal(err)
				}
			}
			for old := 1; old <= size; old++ {
				p, err := tree.Consistency(uint64(old), uint64(size))
				if err != nil {
					t.Fatal(err)
				}
				if err := VerifyConsistency(uint64(old), uint64(size), p, mth(leaves[:old]), sroot); err != nil {
					t.Fatalf("consistency %d→%d: %v", old, size, err)
				}
			}
		}
	}
}

func TestBuilderResumes(t *testing.T) {
	es := entries(37)
	b := NewBuilder()
	for _, e := range es[:20] {
		b.Append(e.LeafHash())
	}
	r, err := ResumeBuilder(b.Size(), b.Frontier())
	if err != nil {
		t.Fatal(err)
	}
	all := NewBuilder()
	for i, e := range es {
		all.Append(e.LeafHash())
		if i >= 20 {
			r.Append(e.LeafHash())
		}
	}
	a, _ := all.Root()
	c, _ := r.Root()
	if !bytes.Equal(a, c) {
		t.Fatal("resumed builder disagrees")
	}
}

func TestCheckpointSignAndParse(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	c := Checkpoint{Origin: "yibao test", Size: 5, Root: bytes.Repeat([]byte{7}, 32), Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s := Sign(c, priv)
	p, err := ParseSigned(s.Text())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Verify(pub); err != nil {
		t.Fatal(err)
	}
	forged := strings.Replace(s.Text(), "\n5\n", "\n6\n", 1)
	if p, err := ParseSigned(forged); err != nil || p.Verify(pub) == nil {
		t.Fatal("a changed size still verifies")
	}
	other, _, _ := ed25519.GenerateKey(nil)
	if p.Verify(other) == nil {
		t.Fatal("verifies with another key")
	}
}

func TestCheckLogFindsEditsDeletesAndReorders(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(nil)
	pub := priv.Public().(ed25519.PublicKey)
	es := entries(10)
	var cps []Signed
	b := NewBuilder()
	for i, e := range es {
		b.Append(e.LeafHash())
		if i == 4 || i == 9 {
			root, _ := b.Root()
			cps = append(cps, Sign(Checkpoint{Origin: "t", Size: b.Size(), Root: root, Time: time.Unix(0, 0)}, priv))
		}
	}
	if ps := CheckLog(es, cps, pub); len(ps) != 0 {
		t.Fatalf("clean log: %v", ps)
	}
	edited := append([]Entry(nil), es...)
	edited[2].Content = `{"id":102,"status":"dismissed"}`
	if ps := CheckLog(edited, cps, pub); len(ps) != 2 || ps[0].What != "ledger_edited" {
		t.Fatalf("edited entry: %v", ps)
	}
	deleted := append(append([]Entry(nil), es[:6]...), es[7:]...)
	ps := CheckLog(deleted, cps, pub)
	if len(ps) == 0 || !strings.Contains(fmt.Sprint(ps), "reordered") {
		t.Fatalf("deleted entry: %v", ps)
	}
	swapped := append([]Entry(nil), es...)
	swapped[7], swapped[8] = swapped[8], swapped[7]
	if ps := CheckLog(swapped, cps, pub); len(ps) == 0 {
		t.Fatal("reordered entries pass")
	}
}

func TestInclusionProofBundle(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(nil)
	pub := priv.Public().(ed25519.PublicKey)
	es := entries(9)
	hashes := make([][]byte, len(es))
	for i, e := range es {
		hashes[i] = e.LeafHash()
	}
	root, _ := Root(hashes)
	cp := Sign(Checkpoint{Origin: "t", Size: 9, Root: root, Time: time.Unix(0, 0)}, priv)
	path, _ := NewTree(hashes).Inclusion(3, 9)
	p := InclusionProof{Entry: es[3], Checkpoint: cp.Text(), Hashes: EncodeHashes(path)}
	if _, err := p.Verify(pub); err != nil {
		t.Fatal(err)
	}
	p.Entry.Content = `{"id":103,"status":"confirmed"}`
	if _, err := p.Verify(pub); err == nil {
		t.Fatal("a changed entry still proves")
	}
}

func TestDiff(t *testing.T) {
	d, err := Diff(`{"id":1,"status":"open","amount":5}`, `{"id":1,"status":"dismissed","amount":5,"new_col":"x"}`)
	if err != nil || len(d) != 1 || d[0] != "status" {
		t.Fatalf("%v %v", d, err)
	}
}
