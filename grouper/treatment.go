package grouper

// What remains here of the first DIP engine (now package dip, docs/dip.md): the
// chapter-based treatment class that the evaluation's surgical flag uses. DIP itself classes
// procedures with dip.ClassTable.

// Treatment classes of comprehensive groups.
const (
	TreatConservative = "conservative" // 保守治疗: no procedure
	TreatDiagnostic   = "diagnostic"   // 诊断性操作
	TreatTherapeutic  = "therapeutic"  // 治疗性操作
	TreatSurgical     = "surgical"     // 手术
)

// TreatmentClass classifies a procedure set by ICD-9-CM-3 chapter: 00–86 operations
// (surgical), 87–91 diagnostic imaging and tests (diagnostic), 92–99 other non-operative
// procedures (therapeutic). The highest class present wins.
func TreatmentClass(procs []string) string {
	class := TreatConservative
	rank := map[string]int{TreatConservative: 0, TreatDiagnostic: 1, TreatTherapeutic: 2, TreatSurgical: 3}
	for _, p := range procs {
		if len(p) < 2 || p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' {
			continue
		}
		ch := int(p[0]-'0')*10 + int(p[1]-'0')
		c := TreatTherapeutic
		switch {
		case ch <= 86:
			c = TreatSurgical
		case ch <= 91:
			c = TreatDiagnostic
		}
		if rank[c] > rank[class] {
			class = c
		}
	}
	return class
}
