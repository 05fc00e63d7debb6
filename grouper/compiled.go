package grouper

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
)

// The compiled form is a compact binary image of a compiled Scheme. Parsing the JSON of a
// city scheme (2.5 MB, 90,000 list entries) takes about 0.1 s; reading this image takes a
// few milliseconds, so a caller may keep it beside the scheme's SHA-256 and skip the JSON
// on the next load (package grouper/schemecache does). The image carries the digest of
// the JSON it came from; compiledMagic changes whenever the compiled representation or the
// meaning of any predicate changes, so an old image is never read by a newer grouper.
const compiledMagic = "yibao-drg-compiled-3\n"

// MarshalCompiled returns the compiled image of s.
func (s *Scheme) MarshalCompiled() []byte {
	var w cwriter
	w.b = append(w.b, compiledMagic...)
	w.str(s.Digest)
	w.strs([]string{s.ID, s.Name, s.Version, s.Title, s.formatVer, s.noMDC, s.adrgNoDRG})
	w.strs(s.features)
	w.bool(s.regroup)
	w.strs([]string{s.intSyntax.re.String(), s.numSyntax.re.String()})
	w.strs(s.separators)
	w.bool(s.keepEmpty)
	// Codes: one length-prefixed blob, so the reader makes one string and slices it.
	w.uvar(uint64(len(s.codeNames)))
	total := 0
	for _, c := range s.codeNames {
		total += len(c)
	}
	w.uvar(uint64(total))
	for _, c := range s.codeNames {
		w.uvar(uint64(len(c)))
	}
	for _, c := range s.codeNames {
		w.b = append(w.b, c...)
	}
	for _, a := range s.attrs {
		w.svar(int64(a.mcc))
		w.svar(int64(a.cc))
		w.svar(int64(a.cce))
		w.bool(a.ssValid)
	}
	w.strs(s.exclNames)
	names := sortedKeys(s.lists)
	w.uvar(uint64(len(names)))
	for _, name := range names {
		w.str(name)
		b := *s.lists[name]
		var members []int32
		for i, word := range b {
			for word != 0 {
				j := trailingZeros(word)
				members = append(members, int32(i*64+j))
				word &= word - 1
			}
		}
		w.uvar(uint64(len(members)))
		prev := int32(0)
		for _, m := range members { // ascending: deltas are small
			w.uvar(uint64(m - prev))
			prev = m
		}
	}
	names = sortedKeys(s.tagMaps)
	w.uvar(uint64(len(names)))
	for _, name := range names {
		w.str(name)
		tm := s.tagMaps[name]
		w.uvar(uint64(len(tm)))
		for _, id := range sortedKeys(tm) {
			w.svar(int64(id))
			w.str(tm[id])
		}
	}
	names = sortedKeys(s.regionMap)
	w.uvar(uint64(len(names)))
	for _, name := range names {
		rm := s.regionMap[name]
		w.str(name)
		w.strs(rm.names)
		w.uvar(uint64(len(rm.region)))
		for _, id := range sortedKeys(rm.region) {
			w.svar(int64(id))
			w.uvar(uint64(rm.region[id]))
		}
	}
	names = sortedKeys(s.statuses)
	w.uvar(uint64(len(names)))
	for _, name := range names {
		w.strs([]string{name, s.statuses[name].zh, s.statuses[name].en})
	}
	names = sortedKeys(s.results)
	w.uvar(uint64(len(names)))
	for _, name := range names {
		t := s.results[name]
		w.strs([]string{name, t.Status, t.MDC, t.ADRG, t.DRG})
	}
	w.uvar(uint64(len(s.validation)))
	for _, v := range s.validation {
		w.strs([]string{v.id, v.msgZh, v.msgEn, v.status})
		w.cond(v.cond)
	}
	w.uvar(uint64(len(s.mdcs)))
	for _, m := range s.mdcs {
		w.strs([]string{m.code, m.nameZh, m.nameEn, m.qyDRG})
		w.cond(m.entry)
		w.bool(m.qyEnabled)
		w.svar(int64(m.qyPos))
		w.cond(m.qyWhen)
		w.uvar(uint64(len(m.adrgs)))
		for _, a := range m.adrgs {
			w.strs([]string{a.code, a.nameZh})
			w.cond(a.entry)
			w.uvar(uint64(len(a.drgs)))
			for _, d := range a.drgs {
				w.strs([]string{d.code, d.nameZh})
				w.cond(d.when)
			}
		}
	}
	return w.b
}

// ParseCompiled reads an image written by MarshalCompiled. A damaged or foreign image is
// an error, never a panic, and never a half-built scheme.
func ParseCompiled(b []byte) (s *Scheme, err error) {
	if !strings.HasPrefix(string(b), compiledMagic) {
		return nil, errors.New("not a compiled scheme of this grouper version")
	}
	r := &creader{b: b[len(compiledMagic):]}
	s = &Scheme{statuses: map[string]statusLabel{}, results: map[string]resultTemplate{},
		lists: map[string]*bitset{}, tagMaps: map[string]map[int32]string{}, regionMap: map[string]*regionMap{}}
	s.Digest = r.str()
	hdr := r.strs()
	if len(hdr) != 7 {
		return nil, errors.New("compiled scheme: bad header")
	}
	s.ID, s.Name, s.Version, s.Title, s.formatVer, s.noMDC, s.adrgNoDRG = hdr[0], hdr[1], hdr[2], hdr[3], hdr[4], hdr[5], hdr[6]
	s.features = r.strs()
	s.regroup = r.bool()
	sx := r.strs()
	if len(sx) != 2 {
		return nil, errors.New("compiled scheme: bad syntaxes")
	}
	if s.intSyntax, err = newSyntax(sx[0], ""); err != nil {
		return nil, fmt.Errorf("compiled scheme: %w", err)
	}
	if s.numSyntax, err = newSyntax(sx[1], ""); err != nil {
		return nil, fmt.Errorf("compiled scheme: %w", err)
	}
	s.separators = r.strs()
	s.initSplit()
	s.keepEmpty = r.bool()
	n := r.count(2)
	total := r.count(1)
	lens := make([]int, n)
	sum := 0
	for i := range lens {
		lens[i] = r.count(0)
		sum += lens[i]
	}
	if sum != total {
		r.fail()
	}
	blob := string(r.bytes(total))
	if r.err != nil {
		return nil, r.err
	}
	s.codeNames = make([]string, n)
	s.codes = make(map[string]int32, n)
	off := 0
	for i, l := range lens {
		s.codeNames[i] = blob[off : off+l]
		s.codes[s.codeNames[i]] = int32(i)
		off += l
	}
	s.attrs = make([]codeAttrs, r.countN(n, 4))
	for i := range s.attrs {
		s.attrs[i] = codeAttrs{mcc: r.i32(), cc: r.i32(), cce: r.i32(), ssValid: r.bool()}
	}
	s.exclNames = r.strs()
	for _, a := range s.attrs {
		for _, t := range []int32{a.mcc, a.cc, a.cce} {
			if t < -1 || int(t) >= len(s.exclNames) {
				r.fail()
			}
		}
	}
	for k := r.count(2); k > 0 && r.err == nil; k-- {
		name := r.str()
		b := newBitset(n)
		prev := uint64(0)
		for m := r.count(1); m > 0 && r.err == nil; m-- {
			prev += r.uvar()
			if prev >= uint64(n) {
				r.fail()
				break
			}
			b.set(int32(prev))
		}
		s.lists[name] = b
	}
	for k := r.count(2); k > 0 && r.err == nil; k-- {
		name := r.str()
		tm := map[int32]string{}
		for m := r.count(2); m > 0 && r.err == nil; m-- {
			id := r.code(n)
			tm[id] = r.str()
		}
		s.tagMaps[name] = tm
	}
	for k := r.count(2); k > 0 && r.err == nil; k-- {
		name := r.str()
		rm := &regionMap{names: r.strs(), region: map[int32]int{}}
		for m := r.count(2); m > 0 && r.err == nil; m-- {
			id := r.code(n)
			reg := r.count(0)
			if reg >= len(rm.names) || reg >= 64 {
				r.fail()
			}
			rm.region[id] = reg
		}
		s.regionMap[name] = rm
	}
	for k := r.count(3); k > 0 && r.err == nil; k-- {
		v := r.strs()
		if len(v) != 3 {
			r.fail()
			break
		}
		s.statuses[v[0]] = statusLabel{v[1], v[2]}
	}
	for k := r.count(5); k > 0 && r.err == nil; k-- {
		v := r.strs()
		if len(v) != 5 {
			r.fail()
			break
		}
		s.results[v[0]] = resultTemplate{Status: v[1], MDC: v[2], ADRG: v[3], DRG: v[4]}
	}
	for k := r.count(5); k > 0 && r.err == nil; k-- {
		v := r.strs()
		if len(v) != 4 {
			r.fail()
			break
		}
		s.validation = append(s.validation, validationRule{id: v[0], msgZh: v[1], msgEn: v[2], status: v[3], cond: r.cond(s, true)})
	}
	for k := r.count(8); k > 0 && r.err == nil; k-- {
		v := r.strs()
		if len(v) != 4 {
			r.fail()
			break
		}
		m := &mdc{code: v[0], nameZh: v[1], nameEn: v[2], qyDRG: v[3]}
		m.entry = r.cond(s, true)
		m.qyEnabled = r.bool()
		m.qyPos = int(r.svar())
		m.qyWhen = r.cond(s, m.qyEnabled)
		for ka := r.count(3); ka > 0 && r.err == nil; ka-- {
			v := r.strs()
			if len(v) != 2 {
				r.fail()
				break
			}
			a := &adrg{code: v[0], nameZh: v[1], entry: r.cond(s, true)}
			for kd := r.count(3); kd > 0 && r.err == nil; kd-- {
				v := r.strs()
				if len(v) != 2 {
					r.fail()
					break
				}
				a.drgs = append(a.drgs, drg{code: v[0], nameZh: v[1], when: r.cond(s, true)})
			}
			m.adrgs = append(m.adrgs, a)
		}
		s.mdcs = append(s.mdcs, m)
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail()
	}
	if r.err != nil {
		return nil, r.err
	}
	// The grouper trusts these at run time, as compile guarantees them.
	for _, key := range []string{"check_failed", s.noMDC, "drg", s.adrgNoDRG, "qy"} {
		if _, ok := s.results[key]; !ok {
			return nil, fmt.Errorf("compiled scheme: results.%s is missing", key)
		}
	}
	s.precompute()
	return s, nil
}

type cwriter struct{ b []byte }

func (w *cwriter) uvar(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *cwriter) svar(v int64)  { w.b = binary.AppendVarint(w.b, v) }
func (w *cwriter) bool(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}
func (w *cwriter) str(s string) { w.uvar(uint64(len(s))); w.b = append(w.b, s...) }
func (w *cwriter) strs(ss []string) {
	w.uvar(uint64(len(ss)))
	for _, s := range ss {
		w.str(s)
	}
}

// cond writes a condition tree; nil (an absent QY condition) is op 255.
func (w *cwriter) cond(n *cond) {
	if n == nil {
		w.b = append(w.b, 255)
		return
	}
	w.b = append(w.b, byte(n.op), byte(n.cmp))
	w.str(n.name)
	w.str(n.str)
	w.b = binary.LittleEndian.AppendUint64(w.b, math.Float64bits(n.num))
	w.strs(n.values)
	w.svar(int64(n.min))
	w.uvar(uint64(len(n.args)))
	for _, a := range n.args {
		w.cond(a)
	}
}

type creader struct {
	b     []byte
	err   error
	depth int
}

func (r *creader) fail() {
	if r.err == nil {
		r.err = errors.New("compiled scheme is damaged")
	}
	r.b = nil
}

func (r *creader) uvar() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *creader) svar() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *creader) i32() int32 {
	v := r.svar()
	if v < math.MinInt32 || v > math.MaxInt32 {
		r.fail()
		return 0
	}
	return int32(v)
}

// count reads a length and bounds it by what is left (each item needs at least min
// bytes), so a damaged image cannot ask for a huge allocation.
func (r *creader) count(min int) int {
	v := r.uvar()
	if v > uint64(len(r.b)) || (min > 0 && v*uint64(min) > uint64(len(r.b))) {
		r.fail()
		return 0
	}
	return int(v)
}

func (r *creader) countN(n, min int) int {
	if n*min > len(r.b) {
		r.fail()
		return 0
	}
	return n
}

func (r *creader) code(n int) int32 {
	v := r.i32()
	if v < 0 || int(v) >= n {
		r.fail()
		return 0
	}
	return v
}

func (r *creader) bool() bool {
	if len(r.b) == 0 {
		r.fail()
		return false
	}
	v := r.b[0]
	r.b = r.b[1:]
	if v > 1 {
		r.fail()
	}
	return v == 1
}

func (r *creader) bytes(n int) []byte {
	if n > len(r.b) {
		r.fail()
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *creader) str() string { return string(r.bytes(r.count(0))) }

func (r *creader) strs() []string {
	n := r.count(1)
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = r.str()
	}
	return out
}

// cond reads a condition tree and links it to the scheme's lists, tag maps and region
// maps by name; it checks what eval relies on (a known op, the arity of not, a linked list).
func (r *creader) cond(s *Scheme, required bool) *cond {
	if r.err != nil {
		return nil
	}
	if len(r.b) > 0 && r.b[0] == 255 {
		r.b = r.b[1:]
		if required {
			r.fail()
		}
		return nil
	}
	r.depth++
	defer func() { r.depth-- }()
	if r.depth > 200 || len(r.b) < 2 {
		r.fail()
		return nil
	}
	n := &cond{op: opcode(r.b[0]), cmp: cmpop(r.b[1])}
	r.b = r.b[2:]
	if n.op > opPrincipalDxEmpty || n.cmp > cmpGE {
		r.fail()
		return nil
	}
	n.name = r.str()
	n.str = r.str()
	if b := r.bytes(8); b != nil {
		n.num = math.Float64frombits(binary.LittleEndian.Uint64(b))
	}
	n.values = r.strs()
	n.min = int(r.svar())
	for k := r.count(2); k > 0 && r.err == nil; k-- {
		n.args = append(n.args, r.cond(s, true))
	}
	if r.err != nil {
		return nil
	}
	switch n.op {
	case opNot:
		if len(n.args) != 1 {
			r.fail()
		}
	case opPrincipalDxIn, opAnyDxIn, opPrincipalProcIn, opAnyProcIn, opSecondaryDxIn, opSecondaryProcIn:
		if n.list = s.lists[n.name]; n.list == nil {
			r.fail()
		}
	case opProcTag:
		if n.tags = s.tagMaps[n.name]; n.tags == nil {
			r.fail()
		}
	case opMultiTrauma:
		if n.region = s.regionMap[n.name]; n.region == nil {
			r.fail()
		}
	}
	return n
}

func trailingZeros(x uint64) int { return bits.TrailingZeros64(x) }

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
