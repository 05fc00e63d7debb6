package web

import (
	"fmt"
	"testing"

	"github.com/yibao-dev/yibao/audit"
)

// benchGrid is a findings-sized table: 100,000 rows of the findings list's columns.
func benchGrid() *grid {
	g := &grid{Columns: findingColumns}
	cats := []string{"age_restriction", "duplicate_charge", "split_admission", "over_quantity"}
	for i := 0; i < 100000; i++ {
		r := row{"id": int64(i), "setl_id": fmt.Sprintf("S%012d", i), "hospital": "H32010200001", "hospital_name": "玄武区第一人民医院",
			"month": "2025-03", "category": cats[i%4], "rule_id": "AGE-001", "severity": "definite", "amount_fen": int64(i % 5000),
			"evidence": "小儿氨酚黄那敏颗粒 限 12 及以下 岁使用，患者 68 岁", "status": "open", "review": "", "appeal": "", "appeal_by": "2026-12-03"}
		setLabel(r, "category", audit.CategoryNames)
		setLabel(r, "severity", audit.SeverityLabels)
		setLabel(r, "status", audit.StatusLabels)
		r["evidence_zh"], r["evidence_en"] = r["evidence"], r["evidence"]
		r["rule_id_zh"], r["rule_id_en"] = "限年龄项目", "age restriction"
		g.Rows = append(g.Rows, r)
	}
	return g
}

// BenchmarkGridPage: one page sorted by amount (no text rendering of the other rows).
func BenchmarkGridPage(b *testing.B) {
	g := benchGrid()
	for b.Loop() {
		g.apply(gridQuery{sortCol: 7, desc: true, lang: "zh", limit: 50})
	}
}

// BenchmarkGridTextFilter: the text filter renders and searches every row's cells.
func BenchmarkGridTextFilter(b *testing.B) {
	g := benchGrid()
	for b.Loop() {
		g.apply(gridQuery{q: "限年龄", sortCol: -1, lang: "zh", limit: 50})
	}
}
