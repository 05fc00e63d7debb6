package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/xuri/excelize/v2"
)

// A grid is a table as a person sees it: the server renders every cell's text (labels
// instead of ids, yuan instead of fen), so that filtering, sorting, paging and export all
// act on exactly what is on screen, over every row and not just the current page.

// column describes one column; Kind says how the raw value becomes text.
type column struct {
	Key  string `json:"key"`
	Zh   string `json:"zh"`
	En   string `json:"en"`
	Kind string `json:"kind"`           // text, label, coded, money, int, num1, num2, num4, date, light, lights
	Link string `json:"link,omitempty"` // what a click opens: hospital, settlement, drg, dip (the UI builds the URL)
}

// Kinds whose cells are numbers: sorted by value, exported as numbers, never neutralised.
var numericKinds = map[string]bool{"money": true, "int": true, "num1": true, "num2": true, "num4": true}

// averages are money columns that are not summed in the totals row (a sum of means is
// meaningless).
var averages = map[string]bool{"avg_cost_fen": true}

// row is one record: raw values by key; label columns read key+"_zh"/key+"_en", coded
// columns key+"_name".
type row map[string]any

type grid struct {
	Name    string // file name stem of exports
	TitleZh string
	TitleEn string
	Period  string // shown in exports
	Columns []column
	Rows    []row
	Filters []activeFilter // structured filters already applied by the handler
	Extra   map[string]any // added to the JSON answer (counts, period, …)
}

// activeFilter is a structured filter in force, shown as a clearable chip.
type activeFilter struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	Label string `json:"label"`
}

var cst = time.FixedZone("CST", 8*3600) // dates are shown in China Standard Time

func langOf(r *http.Request) string {
	if r.URL.Query().Get("lang") == "en" {
		return "en"
	}
	return "zh"
}

func pick(lang string, zh, en string) string {
	if lang == "en" && en != "" {
		return en
	}
	return zh
}

// label returns a (zh, en) pair's text in lang, or the id itself when unnamed.
func label(m map[string][2]string, id, lang string) string {
	if l, ok := m[id]; ok {
		return pick(lang, l[0], l[1])
	}
	return id
}

func num(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case *float64: // nullable indicator values: nil has no number
		if x != nil {
			return *x, true
		}
	}
	return 0, false
}

// groupThousands formats an integer string part with thousands separators.
func groupThousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// yuanText formats fen as yuan with thousands separators and two decimals (exact: integer
// arithmetic, no float rounding).
func yuanText(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return sign + groupThousands(strconv.FormatInt(fen/100, 10)) + fmt.Sprintf(".%02d", fen%100)
}

func fixed(f float64, d int) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "-"
	}
	s := strconv.FormatFloat(f, 'f', d, 64)
	ip, fp, _ := strings.Cut(s, ".")
	if fp != "" {
		return groupThousands(ip) + "." + fp
	}
	return groupThousands(ip)
}

// cellText renders one cell as shown.
func cellText(c column, r row, lang string) string {
	v := r[c.Key]
	if p, ok := v.(*float64); ok && p == nil {
		return pick(lang, "无数据", "no data")
	}
	if v == nil {
		return ""
	}
	switch c.Kind {
	case "label", "light":
		if l, ok := r[c.Key+"_"+lang].(string); ok && l != "" {
			return l
		}
		if l, ok := r[c.Key+"_zh"].(string); ok && l != "" {
			return l
		}
	case "coded":
		if n, ok := r[c.Key+"_name"].(string); ok && n != "" {
			return fmt.Sprint(v) + " " + n
		}
	case "lights":
		if l, ok := r[c.Key+"_"+lang].(string); ok {
			return l
		}
		return ""
	case "money":
		if f, ok := num(v); ok {
			return yuanText(int64(f))
		}
	case "int":
		if f, ok := num(v); ok {
			return fixed(f, 0)
		}
	case "num1", "num2", "num4":
		if f, ok := num(v); ok {
			return fixed(f, int(c.Kind[3]-'0'))
		}
	case "date":
		if f, ok := num(v); ok {
			if f == 0 {
				return ""
			}
			return time.Unix(int64(f), 0).In(cst).Format("2006-01-02")
		}
		if t, ok := v.(time.Time); ok {
			if t.IsZero() {
				return ""
			}
			return t.In(cst).Format("2006-01-02")
		}
	}
	return fmt.Sprint(v)
}

// gridQuery is what a request asks of a grid.
type gridQuery struct {
	q             string
	sortCol       int // -1: as the handler ordered
	desc          bool
	offset, limit int
	format        string
	lang          string
}

const maxPage = 1000

func parseGridQuery(r *http.Request, g *grid) gridQuery {
	v := r.URL.Query()
	gq := gridQuery{q: strings.ToLower(strings.TrimSpace(v.Get("q"))), sortCol: -1, lang: langOf(r), format: v.Get("format"), limit: 50}
	if len(gq.q) > 200 {
		gq.q = gq.q[:200]
	}
	for i, c := range g.Columns {
		if c.Key == v.Get("sort") {
			gq.sortCol = i
		}
	}
	gq.desc = v.Get("dir") == "desc"
	gq.offset, _ = strconv.Atoi(v.Get("offset"))
	if n, err := strconv.Atoi(v.Get("limit")); err == nil && n > 0 {
		gq.limit = min(n, maxPage)
	}
	gq.offset = max(0, gq.offset)
	return gq
}

func (g *grid) render(r row, lang string) []string {
	cs := make([]string, len(g.Columns))
	for i, c := range g.Columns {
		cs[i] = cellText(c, r, lang)
	}
	return cs
}

// needsCells: the text filter and sorting by shown text read every row's cells; otherwise
// only the rows sent are rendered.
func (g *grid) needsCells(gq gridQuery) bool {
	if gq.q != "" || gq.format != "" {
		return true
	}
	if gq.sortCol < 0 {
		return false
	}
	k := g.Columns[gq.sortCol].Kind
	return !numericKinds[k] && k != "date"
}

// apply filters and sorts the rows and renders their cells (nil when not needed).
func (g *grid) apply(gq gridQuery) (rows []row, cells [][]string) {
	if g.needsCells(gq) {
		for _, r := range g.Rows {
			cs := g.render(r, gq.lang)
			if gq.q != "" && !g.matches(gq.q, cs, r) {
				continue
			}
			rows, cells = append(rows, r), append(cells, cs)
		}
	} else {
		rows = g.Rows
	}
	if gq.sortCol < 0 {
		return rows, cells
	}
	// Sort an index by precomputed keys: numbers by value, text by what is shown.
	c := g.Columns[gq.sortCol]
	byNum := numericKinds[c.Kind] || c.Kind == "date"
	nums := make([]float64, len(rows))
	var texts []string
	if byNum {
		for i, r := range rows {
			nums[i], _ = num(r[c.Key])
		}
	} else {
		texts = make([]string, len(rows))
		for i := range rows {
			texts[i] = cells[i][gq.sortCol]
		}
	}
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		i, j := idx[a], idx[b]
		if gq.desc {
			i, j = j, i
		}
		if byNum {
			return nums[i] < nums[j]
		}
		return texts[i] < texts[j]
	})
	r2 := make([]row, len(rows))
	var c2 [][]string
	if cells != nil {
		c2 = make([][]string, len(rows))
	}
	for k, i := range idx {
		r2[k] = rows[i]
		if cells != nil {
			c2[k] = cells[i]
		}
	}
	return r2, c2
}

// matches: the filter finds what is shown (labels, names, formatted amounts, with or
// without thousands separators) and the raw ids behind labelled columns.
func (g *grid) matches(q string, cells []string, r row) bool {
	var b strings.Builder
	for i, c := range cells {
		b.WriteString(c)
		b.WriteByte(0)
		switch g.Columns[i].Kind {
		case "label", "coded", "light":
			if s, ok := r[g.Columns[i].Key].(string); ok {
				b.WriteString(s)
				b.WriteByte(0)
			}
		}
	}
	s := b.String()
	if hasCase(q) { // a query without cased letters (Chinese, digits) matches without folding
		s = strings.ToLower(s)
	}
	return strings.Contains(s, q) || strings.Contains(s, ",") && strings.Contains(strings.ReplaceAll(s, ",", ""), q)
}

func hasCase(s string) bool {
	for _, r := range s {
		if unicode.IsUpper(r) || unicode.IsLower(r) {
			return true
		}
	}
	return false
}

// serveGrid answers a grid request: a page as JSON, or every row as CSV or .xlsx.
func (s *Server) serveGrid(w http.ResponseWriter, r *http.Request, g *grid) {
	gq := parseGridQuery(r, g)
	rows, cells := g.apply(gq)
	sums := map[string]int64{}
	for _, rw := range rows {
		for _, c := range g.Columns {
			if c.Kind == "money" && !averages[c.Key] {
				f, _ := num(rw[c.Key])
				sums[c.Key] += int64(f)
			}
		}
	}
	switch gq.format {
	case "csv", "xlsx":
		s.exportGrid(w, g, gq, rows, cells)
		return
	}
	end := min(len(rows), gq.offset+gq.limit)
	start := min(gq.offset, end)
	page := make([]row, 0, end-start)
	for i := start; i < end; i++ {
		out := row{}
		for k, v := range rows[i] {
			out[k] = v
		}
		if cells != nil {
			out["cells"] = cells[i]
		} else {
			out["cells"] = g.render(rows[i], gq.lang)
		}
		page = append(page, out)
	}
	sumText := map[string]string{}
	for k, v := range sums {
		sumText[k] = yuanText(v)
	}
	filters := g.Filters
	if filters == nil {
		filters = []activeFilter{}
	}
	ans := map[string]any{"columns": g.Columns, "rows": page, "total": len(rows), "unfiltered": len(g.Rows), "offset": start, "limit": gq.limit,
		"sums": sumText, "filters": filters, "period": g.Period}
	for k, v := range g.Extra {
		ans[k] = v
	}
	writeJSON(w, http.StatusOK, ans)
}

// neutralise keeps a text cell from being read as a formula by Excel or WPS (OWASP CSV
// injection): a leading = + - @ tab or CR gets an apostrophe in front.
func neutralise(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// exportValue is a cell as written to a file: numbers as plain numbers (yuan for money),
// text neutralised.
func exportValue(c column, r row, text string) (string, float64, bool) {
	if numericKinds[c.Kind] {
		if f, ok := num(r[c.Key]); ok {
			if c.Kind == "money" && !averages[c.Key] {
				return strconv.FormatFloat(f/100, 'f', 2, 64), f / 100, true
			}
			return strings.ReplaceAll(text, ",", ""), f, true
		}
	}
	return neutralise(text), 0, false
}

func (s *Server) exportGrid(w http.ResponseWriter, g *grid, gq gridQuery, rows []row, cells [][]string) {
	lang := gq.lang
	head := [][]string{{pick(lang, g.TitleZh, g.TitleEn)}}
	if g.Period != "" {
		head = append(head, []string{pick(lang, "期间", "Period"), g.Period})
	}
	var fs []string
	for _, f := range g.Filters {
		fs = append(fs, f.Label)
	}
	if gq.q != "" {
		fs = append(fs, pick(lang, "关键词：", "text: ")+gq.q)
	}
	if len(fs) == 0 {
		fs = []string{pick(lang, "无（全部）", "none (all rows)")}
	}
	head = append(head, []string{pick(lang, "筛选", "Filter"), strings.Join(fs, "；")},
		[]string{pick(lang, "行数", "Rows"), strconv.Itoa(len(rows))},
		[]string{pick(lang, "导出时间", "Exported"), time.Now().In(cst).Format("2006-01-02 15:04") + " CST"}, nil)
	var hdr []string
	for _, c := range g.Columns {
		hdr = append(hdr, pick(lang, c.Zh, c.En))
	}
	name := g.Name
	if g.Period != "" {
		name += "-" + g.Period
	}
	name = strings.Map(func(r rune) rune {
		if r < 128 && (r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_') {
			return r
		}
		return '_'
	}, name)
	w.Header().Set("Cache-Control", "no-store")
	if gq.format == "csv" {
		var b bytes.Buffer
		b.WriteString("\ufeff") // Excel and WPS read UTF-8 with the BOM
		cw := csv.NewWriter(&b)
		cw.UseCRLF = true
		for _, h := range head {
			for i := range h {
				h[i] = neutralise(h[i])
			}
			cw.Write(h)
		}
		cw.Write(hdr)
		for i, rw := range rows {
			rec := make([]string, len(g.Columns))
			for j, c := range g.Columns {
				rec[j], _, _ = exportValue(c, rw, cells[i][j])
			}
			cw.Write(rec)
		}
		cw.Flush()
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"; filename*=UTF-8''`+url.PathEscape(name)+".csv")
		w.Write(b.Bytes())
		return
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := "Sheet1"
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	money, _ := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
	line := 1
	put := func(col int, v any, style int) {
		cell, _ := excelize.CoordinatesToCellName(col+1, line)
		f.SetCellValue(sheet, cell, v)
		if style != 0 {
			f.SetCellStyle(sheet, cell, cell, style)
		}
	}
	for _, h := range head {
		for i, v := range h {
			put(i, neutralise(v), 0)
		}
		line++
	}
	for i, h := range hdr {
		put(i, h, bold)
	}
	line++
	for i, rw := range rows {
		for j, c := range g.Columns {
			text, v, isNum := exportValue(c, rw, cells[i][j])
			switch {
			case isNum && c.Kind == "money":
				put(j, v, money)
			case isNum:
				put(j, v, 0)
			default:
				put(j, text, 0)
			}
		}
		line++
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		s.log.Printf("export %s: %v", g.Name, err)
		apiError(w, http.StatusInternalServerError, "服务内部错误", "internal error")
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"; filename*=UTF-8''`+url.PathEscape(name)+".xlsx")
	w.Write(b.Bytes())
}
