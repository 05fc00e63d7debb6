package main

import (
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"sort"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/evaluate"
)

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": func(f float64) string { return fmt.Sprintf("%+.2f%%", f*100) },
	"f2":  func(f float64) string { return fmt.Sprintf("%.2f", f) },
	"opt": func(f *float64) string {
		if f == nil {
			return "无数据"
		}
		return fmt.Sprintf("%.2f", *f)
	},
	"f4":    func(f float64) string { return fmt.Sprintf("%.4f", f) },
	"grade": func(g string) string { return evaluate.GradeZh[g] },
	"light": func(l string) string {
		return map[string]string{"green": "绿", "yellow": "黄", "red": "红", "grey": "无数据"}[l]
	},
	"yuan": func(fen int64) string { return fmt.Sprintf("%.2f", float64(fen)/100) },
}).Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>绩效改进建议书 · {{.Name}}</title>
<style>
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;max-width:900px;margin:2em auto;color:#222}
h1{font-size:1.5em;border-bottom:2px solid #1565c0;padding-bottom:.3em}
table{border-collapse:collapse;width:100%;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
th{background:#eef3fb}td.l,th.l{text-align:left}
.green{background:#c8e6c9}.yellow{background:#fff59d}.red{background:#ffcdd2}.grey{background:#e0e0e0;color:#555}
.box{background:#f5f7fb;padding:.8em 1em;border-left:4px solid #1565c0}
@media print{body{margin:0}}
</style></head><body>
<h1>绩效改进建议书（{{.Period}}）</h1>
<p><b>{{.Name}}</b>（{{.Result.Hospital}}） · 同组：{{.Result.PeerGroup}}（{{.Result.PeerSize}} 家） · 评价方案 {{.System}} · 评价批次 {{.Run}}</p>
<div class="box">
<p>综合得分 <b>{{f2 .Result.Score}}</b>，等级 <b>{{grade .Result.Grade}}</b>；贴近度 {{f4 .Result.Closeness}}（综合得分折算到 0–1），同组排名第 <b>{{.Result.Rank}}</b> 位。</p>
<p>支付联动：下一周期医院系数 {{f4 .Adj.CoefBefore}} → <b>{{f4 .Adj.CoefAfter}}</b>（{{pct .Adj.CoefChange}}），预算 {{yuan .BudgetBefore}} 元 → <b>{{yuan .BudgetAfter}}</b> 元。{{.Adj.Reason}}。</p>
<p>如对评价结果有异议，可在公布后 5 个工作日内提出申诉（yibao appeal file --target adjustment:{{.Run}}:{{.Result.Hospital}}）。</p>
</div>
<h2>指标表</h2>
<p>{{if .Result.PeerNote}}同组说明：{{.Result.PeerNote}}。{{end}}综合得分 = Σ 权重 × 得分（无数据的指标不计入，其余权重按比例放大）；定级得分 {{f2 .Result.GradeScore}}（与相邻医院相差小于容差的合并计）。</p>
<table><tr><th class="l">指标</th><th>本院</th><th>病例数</th><th>同组中位数</th><th>得分</th><th>权重</th><th>贡献（权重×得分）</th><th>信号灯</th></tr>
{{range .Rows}}<tr><td class="l">{{.Name}}</td><td>{{opt .V.Value}}</td><td>{{.V.Cases}}</td><td>{{f2 .V.PeerMedian}}</td><td>{{opt .V.Score}}</td><td>{{f4 .V.Weight}}</td><td>{{f2 .V.Contribution}}</td><td class="{{.V.Light}}">{{light .V.Light}}</td></tr>
{{end}}</table>
<h2>最需改进的指标</h2>
<ol>{{range .Weakest}}<li>{{.Name}}：本院 {{opt .V.Value}}，同组中位数 {{f2 .V.PeerMedian}}（得分 {{opt .V.Score}}）</li>{{end}}</ol>
<h2>费用超出最多的 DRG</h2>
<table><tr><th class="l">DRG</th><th>病例数</th><th>实际费用（元）</th><th>超出全区均值（元）</th></tr>
{{range .DRGs}}<tr><td class="l">{{.DRG}}</td><td>{{.Cases}}</td><td>{{f2 .Actual}}</td><td>{{f2 .Excess}}</td></tr>{{end}}</table>
<h2>审核问题最多的规则类别</h2>
<table><tr><th class="l">类别</th><th>问题数</th></tr>{{range .Rules}}<tr><td class="l">{{.Category}}</td><td>{{.Count}}</td></tr>{{end}}</table>
</body></html>
`))

type reportRow struct {
	Name string
	V    evaluate.IndicatorValue
}

// writeReports writes one printable HTML improvement report per hospital and an index.
func writeReports(dir string, sys *evaluate.System, period string, run int64, results []evaluate.Result, adj []evaluate.Adjustment, extra reportExtra) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	names := map[string]string{}
	for _, ind := range sys.Indicators {
		names[ind.ID] = ind.NameZh
	}
	for i, r := range results {
		var rows []reportRow
		for _, v := range r.Indicators {
			rows = append(rows, reportRow{names[v.ID], v})
		}
		var weakest []reportRow
		for _, row := range rows {
			if row.V.Score != nil {
				weakest = append(weakest, row)
			}
		}
		sort.SliceStable(weakest, func(a, b int) bool { return *weakest[a].V.Score < *weakest[b].V.Score })
		if len(weakest) > 3 {
			weakest = weakest[:3]
		}
		rules := extra.topRules[r.Hospital]
		if len(rules) > 5 {
			rules = rules[:5]
		}
		name, err := yibao.FileName(r.Hospital, ".html")
		if err != nil {
			return fmt.Errorf("report for hospital: %w", err)
		}
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		err = reportTmpl.Execute(f, map[string]any{"Name": extra.names[r.Hospital], "Period": period, "System": sys.Version, "Run": run,
			"Result": r, "Adj": adj[i], "BudgetBefore": int64(adj[i].BudgetBefore), "BudgetAfter": int64(adj[i].BudgetAfter),
			"Rows": rows, "Weakest": weakest, "DRGs": extra.drgExcess[r.Hospital], "Rules": rules})
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
