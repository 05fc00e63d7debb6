package grouper

import (
	"slices"
	"strings"
)

// SchemeDiff is what changed between two versions of a scheme, group by group: a bureau
// reads it before regrouping stored cases with the new version.
type SchemeDiff struct {
	Old SchemeRef `json:"old"`
	New SchemeRef `json:"new"`
	// MDCs, ADRGs and DRGs added, removed or changed, each in the new scheme's order
	// (removed ones in the old scheme's order).
	MDCs  []GroupChange `json:"mdcs"`
	ADRGs []GroupChange `json:"adrgs"`
	DRGs  []GroupChange `json:"drgs"`
	// Tables: MCC, CC, exclusion and valid-surgery tables, codes added / removed.
	Tables []TableChange `json:"tables"`
	// Features: format 2.0 features and the regroup rule, when they differ.
	Features []string `json:"features,omitempty"`
}

// SchemeRef names one side of a diff.
type SchemeRef struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Format  string `json:"format_version"`
	Digest  string `json:"sha256"`
}

// GroupChange is one MDC, ADRG or DRG added, removed or changed.
type GroupChange struct {
	Kind    string   `json:"kind"` // added, removed, changed
	Code    string   `json:"code"`
	Name    string   `json:"name"`               // Chinese name (new one when changed)
	OldName string   `json:"old_name,omitempty"` // when the name changed
	Parent  string   `json:"parent,omitempty"`   // MDC of an ADRG, ADRG of a DRG
	Changes []Change `json:"changes,omitempty"`  // what changed, for kind changed
}

// Change is one changed aspect of a group, in Chinese and English.
type Change struct {
	ZH    string `json:"zh"`
	EN    string `json:"en"`
	Old   string `json:"old,omitempty"`
	New   string `json:"new,omitempty"`
	OldZH string `json:"old_zh,omitempty"`
	NewZH string `json:"new_zh,omitempty"`
}

// TableChange counts the codes added to and removed from one table.
type TableChange struct {
	Table   string   `json:"table"`
	Added   int      `json:"added"`
	Removed int      `json:"removed"`
	Sample  []string `json:"sample,omitempty"` // up to 10 codes, + added / - removed
}

// Diff compares two schemes. Conditions are compared by their rendering (describe) and by
// the contents of every code list they name, so a list that kept its name but gained a
// code shows up as a change of each group that uses it.
func Diff(old, nu *Scheme) SchemeDiff {
	d := SchemeDiff{
		Old: SchemeRef{old.ID, old.Version, old.formatVer, old.Digest},
		New: SchemeRef{nu.ID, nu.Version, nu.formatVer, nu.Digest},
	}
	type mdcAt struct {
		m   *mdc
		pos int
	}
	type adrgAt struct {
		a   *adrg
		mdc string
		pos int
	}
	type drgAt struct {
		d    drg
		adrg string
		pos  int
	}
	index := func(s *Scheme) (map[string]mdcAt, map[string]adrgAt, map[string]drgAt) {
		ms, as, ds := map[string]mdcAt{}, map[string]adrgAt{}, map[string]drgAt{}
		for i, m := range s.mdcs {
			ms[m.code] = mdcAt{m, i}
			for j, a := range m.adrgs {
				if _, dup := as[a.code]; !dup {
					as[a.code] = adrgAt{a, m.code, j}
				}
				for k, x := range a.drgs {
					if _, dup := ds[x.code]; !dup {
						ds[x.code] = drgAt{x, a.code, k}
					}
				}
			}
		}
		return ms, as, ds
	}
	om, oa, od := index(old)
	nm, na, nd := index(nu)
	cond := func(label, labelEN string, a, b *cond, out *[]Change) {
		az, ae := old.describe(a)
		bz, be := nu.describe(b)
		if ae != be {
			*out = append(*out, Change{ZH: label + "条件改变", EN: labelEN + " condition changed", Old: ae, New: be, OldZH: az, NewZH: bz})
			return
		}
		if lists := changedLists(old, nu, a, b); len(lists) > 0 {
			*out = append(*out, Change{ZH: label + "条件引用的列表内容改变：" + strings.Join(lists, "、"),
				EN: labelEN + " condition: contents of list " + strings.Join(lists, ", ") + " changed"})
		}
	}
	name := func(oldName, newName string, g *GroupChange) {
		if oldName != newName {
			g.OldName = oldName
			g.Changes = append(g.Changes, Change{ZH: "名称改变", EN: "name changed", Old: oldName, New: newName})
		}
	}
	for _, m := range nu.mdcs {
		o, ok := om[m.code]
		if !ok {
			d.MDCs = append(d.MDCs, GroupChange{Kind: "added", Code: m.code, Name: m.nameZh})
			continue
		}
		g := GroupChange{Kind: "changed", Code: m.code, Name: m.nameZh}
		name(o.m.nameZh, m.nameZh, &g)
		cond("入组", "entry", o.m.entry, m.entry, &g.Changes)
		if o.pos != nm[m.code].pos {
			g.Changes = append(g.Changes, Change{ZH: "MDC 顺序改变", EN: "position in mdc_order changed", Old: itoa(o.pos + 1), New: itoa(nm[m.code].pos + 1)})
		}
		if o.m.qyEnabled != m.qyEnabled || o.m.qyPos != m.qyPos || o.m.qyDRG != m.qyDRG {
			g.Changes = append(g.Changes, Change{ZH: "歧义（QY）检查改变", EN: "QY check changed", Old: qyText(o.m), New: qyText(m)})
		} else if m.qyEnabled {
			cond("歧义（QY）", "QY", o.m.qyWhen, m.qyWhen, &g.Changes)
		}
		if len(g.Changes) > 0 {
			d.MDCs = append(d.MDCs, g)
		}
	}
	for _, m := range old.mdcs {
		if _, ok := nm[m.code]; !ok {
			d.MDCs = append(d.MDCs, GroupChange{Kind: "removed", Code: m.code, Name: m.nameZh})
		}
	}
	for _, m := range nu.mdcs {
		for _, a := range m.adrgs {
			if na[a.code].a != a {
				continue // a repeated code: the first place is compared
			}
			o, ok := oa[a.code]
			if !ok {
				d.ADRGs = append(d.ADRGs, GroupChange{Kind: "added", Code: a.code, Name: a.nameZh, Parent: m.code})
				continue
			}
			g := GroupChange{Kind: "changed", Code: a.code, Name: a.nameZh, Parent: m.code}
			name(o.a.nameZh, a.nameZh, &g)
			if o.mdc != m.code {
				g.Changes = append(g.Changes, Change{ZH: "所属 MDC 改变", EN: "moved to another MDC", Old: o.mdc, New: m.code})
			} else if o.pos != na[a.code].pos {
				g.Changes = append(g.Changes, Change{ZH: "在 MDC 内的顺序改变", EN: "position within the MDC changed", Old: itoa(o.pos + 1), New: itoa(na[a.code].pos + 1)})
			}
			cond("入组", "entry", o.a.entry, a.entry, &g.Changes)
			if len(g.Changes) > 0 {
				d.ADRGs = append(d.ADRGs, g)
			}
		}
	}
	for _, m := range old.mdcs {
		for _, a := range m.adrgs {
			if _, ok := na[a.code]; !ok && oa[a.code].a == a {
				d.ADRGs = append(d.ADRGs, GroupChange{Kind: "removed", Code: a.code, Name: a.nameZh, Parent: m.code})
			}
		}
	}
	for _, m := range nu.mdcs {
		for _, a := range m.adrgs {
			for k, x := range a.drgs {
				if nd[x.code].adrg != a.code || nd[x.code].pos != k {
					continue
				}
				o, ok := od[x.code]
				if !ok {
					d.DRGs = append(d.DRGs, GroupChange{Kind: "added", Code: x.code, Name: x.nameZh, Parent: a.code})
					continue
				}
				g := GroupChange{Kind: "changed", Code: x.code, Name: x.nameZh, Parent: a.code}
				name(o.d.nameZh, x.nameZh, &g)
				if o.adrg != a.code {
					g.Changes = append(g.Changes, Change{ZH: "所属 ADRG 改变", EN: "moved to another ADRG", Old: o.adrg, New: a.code})
				} else if o.pos != k {
					g.Changes = append(g.Changes, Change{ZH: "细分顺序改变", EN: "position among the ADRG's splits changed", Old: itoa(o.pos + 1), New: itoa(k + 1)})
				}
				cond("细分", "split", o.d.when, x.when, &g.Changes)
				if len(g.Changes) > 0 {
					d.DRGs = append(d.DRGs, g)
				}
			}
		}
	}
	for _, m := range old.mdcs {
		for _, a := range m.adrgs {
			for k, x := range a.drgs {
				if _, ok := nd[x.code]; !ok && od[x.code].adrg == a.code && od[x.code].pos == k {
					d.DRGs = append(d.DRGs, GroupChange{Kind: "removed", Code: x.code, Name: x.nameZh, Parent: a.code})
				}
			}
		}
	}
	d.Tables = tableChanges(old, nu)
	if !slices.Equal(old.features, nu.features) {
		d.Features = append(d.Features, "format_features: ["+strings.Join(old.features, ", ")+"] → ["+strings.Join(nu.features, ", ")+"]")
	}
	if old.regroup != nu.regroup {
		d.Features = append(d.Features, "grouping.regroup: "+onOff(old.regroup)+" → "+onOff(nu.regroup))
	}
	return d
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func itoa(i int) string { return fmtNum(float64(i)) }

func qyText(m *mdc) string {
	if !m.qyEnabled {
		return "off"
	}
	return "on (before ADRG #" + itoa(m.qyPos+1) + ", result " + m.qyDRG + ")"
}

// listCodes are the codes of a compiled list, sorted.
func (s *Scheme) listCodes(b *bitset) []string {
	var out []string
	for i, w := range *b {
		for w != 0 {
			j := trailingZeros(w)
			out = append(out, s.codeNames[i*64+j])
			w &= w - 1
		}
	}
	slices.Sort(out)
	return out
}

// changedLists names the lists two equally written conditions use whose contents differ.
func changedLists(old, nu *Scheme, a, b *cond) []string {
	var out []string
	var walk func(a, b *cond)
	walk = func(a, b *cond) {
		if a == nil || b == nil {
			return
		}
		if a.list != nil && b.list != nil && !slices.Equal(old.listCodes(a.list), nu.listCodes(b.list)) && !slices.Contains(out, b.name) {
			out = append(out, b.name)
		}
		for i := range min(len(a.args), len(b.args)) {
			walk(a.args[i], b.args[i])
		}
	}
	walk(a, b)
	return out
}

func tableChanges(old, nu *Scheme) []TableChange {
	set := func(s *Scheme, pick func(codeAttrs) bool) map[string]bool {
		m := map[string]bool{}
		for i, a := range s.attrs {
			if pick(a) {
				m[s.codeNames[i]] = true
			}
		}
		return m
	}
	var out []TableChange
	for _, t := range []struct {
		name string
		pick func(codeAttrs) bool
	}{
		{"mcc", func(a codeAttrs) bool { return a.mcc >= 0 }},
		{"cc", func(a codeAttrs) bool { return a.cc >= 0 }},
		{"cce", func(a codeAttrs) bool { return a.cce >= 0 }},
		{"ss_valid", func(a codeAttrs) bool { return a.ssValid }},
	} {
		o, n := set(old, t.pick), set(nu, t.pick)
		tc := TableChange{Table: t.name}
		var added, removed []string
		for c := range n {
			if !o[c] {
				added = append(added, c)
			}
		}
		for c := range o {
			if !n[c] {
				removed = append(removed, c)
			}
		}
		slices.Sort(added)
		slices.Sort(removed)
		tc.Added, tc.Removed = len(added), len(removed)
		for _, c := range added {
			if len(tc.Sample) < 10 {
				tc.Sample = append(tc.Sample, "+"+c)
			}
		}
		for _, c := range removed {
			if len(tc.Sample) < 10 {
				tc.Sample = append(tc.Sample, "-"+c)
			}
		}
		if tc.Added+tc.Removed > 0 {
			out = append(out, tc)
		}
	}
	return out
}

// SchemeSummary counts what a scheme holds, for `yibao scheme show`.
type SchemeSummary struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Version  string   `json:"version"`
	Title    string   `json:"title_zh"`
	Format   string   `json:"format_version"`
	Features []string `json:"format_features,omitempty"`
	Regroup  bool     `json:"regroup"`
	Digest   string   `json:"sha256"`
	MDCs     int      `json:"mdcs"`
	ADRGs    int      `json:"adrgs"`
	DRGs     int      `json:"drgs"`
	QYMDCs   int      `json:"qy_enabled_mdcs"`
	Lists    int      `json:"lists"`
	Codes    int      `json:"codes"`
}

// Summary counts the scheme's groups and data.
func (s *Scheme) Summary() SchemeSummary {
	sum := SchemeSummary{ID: s.ID, Name: s.Name, Version: s.Version, Title: s.Title, Format: s.formatVer,
		Features: s.FormatFeatures(), Regroup: s.regroup, Digest: s.Digest, MDCs: len(s.mdcs), Lists: len(s.lists), Codes: len(s.codeNames)}
	for _, m := range s.mdcs {
		sum.ADRGs += len(m.adrgs)
		if m.qyEnabled {
			sum.QYMDCs++
		}
		for _, a := range m.adrgs {
			sum.DRGs += len(a.drgs)
		}
	}
	return sum
}
