package ingest

import (
	"math"
	"strconv"
	"time"

	"github.com/valyala/fastjson"
	"github.com/yibao-dev/yibao"
)

// Length limits keep a 10 MB string in a code field from reaching the store.
const (
	maxCodeLen = 64
	maxTextLen = 512
)

// fieldReader extracts typed values from one JSON object, recording a Problem per bad
// field instead of stopping at the first.
type fieldReader struct {
	obj    *fastjson.Object
	prefix string // e.g. "setlinfo." or "feedetl[3]."
	ps     *problems
}

// raw returns the value of the first present alias, or nil.
func (f fieldReader) raw(names ...string) (*fastjson.Value, string) {
	for _, n := range names {
		if v := f.obj.Get(n); v != nil && v.Type() != fastjson.TypeNull {
			return v, n
		}
	}
	return nil, names[0]
}

// str reads a code or text field. Codes are strings; a JSON integer is accepted and kept
// as its literal text (so 9 stays "9" and fails a "09" check visibly instead of silently
// gaining a zero).
func (f fieldReader) str(limit int, names ...string) string {
	v, name := f.raw(names...)
	if v == nil {
		return ""
	}
	var s string
	switch v.Type() {
	case fastjson.TypeString:
		s = string(v.GetStringBytes())
	case fastjson.TypeNumber:
		s = v.String()
	default:
		f.ps.add(f.prefix+name, "wrong_type", "must be a string, got %s", "应为字符串，实际为 %s", v.Type())
		return ""
	}
	if len(s) > limit {
		f.ps.add(f.prefix+name, "too_long", "value has %d bytes, at most %d allowed", "取值长度 %d 字节，超过上限 %d", len(s), limit)
		return ""
	}
	return s
}

func (f fieldReader) code(names ...string) string { return f.str(maxCodeLen, names...) }
func (f fieldReader) text(names ...string) string { return f.str(maxTextLen, names...) }

// numberText returns the literal decimal text of a number field (JSON number or numeric
// string), or "" when absent; bad values are recorded.
func (f fieldReader) numberText(names ...string) (string, string, bool) {
	v, name := f.raw(names...)
	if v == nil {
		return "", name, false
	}
	switch v.Type() {
	case fastjson.TypeNumber:
		return v.String(), name, true
	case fastjson.TypeString:
		s := string(v.GetStringBytes())
		if s == "" {
			return "", name, false
		}
		if fv, err := strconv.ParseFloat(s, 64); err != nil || math.IsNaN(fv) || math.IsInf(fv, 0) {
			f.ps.add(f.prefix+name, "not_number", "%q is not a finite number", "%q 不是有效数值", truncate(s))
			return "", name, false
		}
		return s, name, true
	default:
		f.ps.add(f.prefix+name, "wrong_type", "must be a number, got %s", "应为数值，实际为 %s", v.Type())
		return "", name, false
	}
}

// money reads a yuan amount exactly; present reports whether the field was given.
func (f fieldReader) money(names ...string) (amount yibao.Fen, present bool) {
	s, name, ok := f.numberText(names...)
	if !ok {
		return 0, false
	}
	m, err := yibao.ParseYuan(s)
	if err != nil {
		f.ps.add(f.prefix+name, "bad_amount", "amount %s: %v", "金额 %s 无效：%v", truncate(s), err)
		return 0, false
	}
	return m, true
}

func (f fieldReader) dec6(names ...string) (yibao.Dec6, bool) {
	s, name, ok := f.numberText(names...)
	if !ok {
		return 0, false
	}
	d, err := yibao.ParseDec6(s)
	if err != nil {
		f.ps.add(f.prefix+name, "bad_number", "number %s: %v", "数值 %s 无效：%v", truncate(s), err)
		return 0, false
	}
	return d, true
}

// integer reads a whole number; -1 with present=false when absent or bad.
func (f fieldReader) integer(names ...string) (int, bool) {
	s, name, ok := f.numberText(names...)
	if !ok {
		return -1, false
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		fv, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || fv != math.Trunc(fv) || math.Abs(fv) > 1e9 {
			f.ps.add(f.prefix+name, "not_integer", "%s is not a whole number", "%s 不是整数", truncate(s))
			return -1, false
		}
		n = int(fv)
	}
	return n, true
}

const (
	timeLayout = "2006-01-02 15:04:05"
	dateLayout = "2006-01-02"
)

// timestamp reads YYYY-MM-DD HH:MM:SS; a bare date is accepted as midnight because several
// HIS exports drop the time of day on discharge.
func (f fieldReader) timestamp(names ...string) (time.Time, bool) {
	s := f.code(names...)
	if s == "" {
		return time.Time{}, false
	}
	_, name := f.raw(names...)
	layout := timeLayout
	if len(s) == len(dateLayout) {
		layout = dateLayout
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		f.ps.add(f.prefix+name, "bad_time", "%q is not a time of the form YYYY-MM-DD HH:MM:SS", "%q 不是 YYYY-MM-DD HH:MM:SS 格式的时间", s)
		return time.Time{}, false
	}
	return t, true
}

func (f fieldReader) date(names ...string) (time.Time, bool) {
	s := f.code(names...)
	if s == "" {
		return time.Time{}, false
	}
	_, name := f.raw(names...)
	if len(s) > len(dateLayout) { // tolerate a time part on a date
		s = s[:len(dateLayout)]
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		f.ps.add(f.prefix+name, "bad_date", "%q is not a date of the form YYYY-MM-DD", "%q 不是 YYYY-MM-DD 格式的日期", s)
		return time.Time{}, false
	}
	return t, true
}

// duration parses the national d/h/m form ("1/13/24") into minutes.
func (f fieldReader) duration(names ...string) int {
	s := f.code(names...)
	if s == "" {
		return 0
	}
	_, name := f.raw(names...)
	m, ok := parseDHM(s)
	if !ok {
		f.ps.add(f.prefix+name, "bad_duration", "%q is not a duration of the form days/hours/minutes", "%q 不是“天/小时/分钟”格式的时长", s)
	}
	return m
}

func parseDHM(s string) (int, bool) {
	var parts [3]int
	n := 0
	cur, seen := 0, false
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '/' {
			if !seen || n >= 3 {
				return 0, false
			}
			parts[n] = cur
			n++
			cur, seen = 0, false
			continue
		}
		if s[i] < '0' || s[i] > '9' || cur > 1e6 {
			return 0, false
		}
		cur = cur*10 + int(s[i]-'0')
		seen = true
	}
	if n != 3 || parts[1] > 23 || parts[2] > 59 {
		return 0, false
	}
	return parts[0]*1440 + parts[1]*60 + parts[2], true
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
