package ingest

import (
	"errors"
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
// field instead of stopping at the first. The *Of methods convert a value already found
// (the fee-line parser visits each key once); the others look a field up by its names.
type fieldReader struct {
	obj     *fastjson.Object
	section string // e.g. "setlinfo" or "feedetl"
	index   int    // element of an array section, -1 for an object section
	ps      *problems
	scratch *parseScratch // per worker; never nil
}

// field names a field for a problem ("feedetl[3].cnt"); built only when one is found.
func (f fieldReader) field(name string) string {
	if f.index < 0 {
		return f.section + "." + name
	}
	return f.section + "[" + strconv.Itoa(f.index) + "]." + name
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

// strOf reads a code or text value. Codes are strings; a JSON integer is accepted and
// kept as its literal text (so 9 stays "9" and fails a "09" check visibly instead of
// silently gaining a zero).
func (f fieldReader) strOf(name string, v *fastjson.Value, limit int) string {
	var b []byte
	switch v.Type() {
	case fastjson.TypeString:
		b = v.GetStringBytes()
	case fastjson.TypeNumber:
		return v.String()
	case fastjson.TypeNull:
		return ""
	default:
		f.ps.add(f.field(name), "wrong_type", "must be a string, got %s", "应为字符串，实际为 %s", v.Type())
		return ""
	}
	if len(b) > limit {
		f.ps.add(f.field(name), "too_long", "value has %d bytes, at most %d allowed", "取值长度 %d 字节，超过上限 %d", len(b), limit)
		return ""
	}
	return f.scratch.internBytes(b)
}

func (f fieldReader) str(limit int, names ...string) string {
	v, name := f.raw(names...)
	if v == nil {
		return ""
	}
	return f.strOf(name, v, limit)
}

func (f fieldReader) code(names ...string) string { return f.str(maxCodeLen, names...) }
func (f fieldReader) text(names ...string) string { return f.str(maxTextLen, names...) }

// numberBytesOf returns the literal decimal text of a number value (JSON number or
// numeric string) in scratch space valid until the next call; ok is false when absent or of
// the wrong type (recorded).
func (f fieldReader) numberBytesOf(name string, v *fastjson.Value) ([]byte, bool) {
	switch v.Type() {
	case fastjson.TypeNumber:
		f.scratch.number = v.MarshalTo(f.scratch.number[:0])
		return f.scratch.number, true
	case fastjson.TypeNull:
		return nil, false
	case fastjson.TypeString:
		b := v.GetStringBytes()
		return b, len(b) > 0
	default:
		f.ps.add(f.field(name), "wrong_type", "must be a number, got %s", "应为数值，实际为 %s", v.Type())
		return nil, false
	}
}

// numberProblem records why text did not parse as a number.
func (f fieldReader) numberProblem(name string, text []byte, err error, amount bool) {
	s := truncate(string(text))
	switch {
	case errors.Is(err, yibao.ErrNumberSyntax):
		f.ps.add(f.field(name), "not_number", "%q is not a finite number", "%q 不是有效数值", s)
	case amount:
		f.ps.add(f.field(name), "bad_amount", "amount %s: %v", "金额 %s 无效：%v", s, err)
	default:
		f.ps.add(f.field(name), "bad_number", "number %s: %v", "数值 %s 无效：%v", s, err)
	}
}

func (f fieldReader) moneyOf(name string, v *fastjson.Value) (yibao.Fen, bool) {
	b, ok := f.numberBytesOf(name, v)
	if !ok {
		return 0, false
	}
	m, err := yibao.ParseYuanBytes(b)
	if err != nil {
		f.numberProblem(name, b, err, true)
		return 0, false
	}
	return m, true
}

// money reads a yuan amount exactly; present reports whether a good value was given.
func (f fieldReader) money(names ...string) (yibao.Fen, bool) {
	v, name := f.raw(names...)
	if v == nil {
		return 0, false
	}
	return f.moneyOf(name, v)
}

func (f fieldReader) dec6Of(name string, v *fastjson.Value) (yibao.Dec6, bool) {
	b, ok := f.numberBytesOf(name, v)
	if !ok {
		return 0, false
	}
	d, err := yibao.ParseDec6Bytes(b)
	if err != nil {
		f.numberProblem(name, b, err, false)
		return 0, false
	}
	return d, true
}

func (f fieldReader) dec6(names ...string) (yibao.Dec6, bool) {
	v, name := f.raw(names...)
	if v == nil {
		return 0, false
	}
	return f.dec6Of(name, v)
}

// integer reads a whole number; -1 with present=false when absent or bad.
func (f fieldReader) integer(names ...string) (int, bool) {
	v, name := f.raw(names...)
	if v == nil {
		return -1, false
	}
	b, ok := f.numberBytesOf(name, v)
	if !ok {
		return -1, false
	}
	s := string(b)
	n, err := strconv.Atoi(s)
	if err != nil {
		fv, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || fv != math.Trunc(fv) || math.Abs(fv) > 1e9 {
			f.ps.add(f.field(name), "not_integer", "%s is not a whole number", "%s 不是整数", truncate(s))
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

// timestampOf reads YYYY-MM-DD HH:MM:SS; a bare date is accepted as midnight because
// several HIS exports drop the time of day on discharge.
func (f fieldReader) timestampOf(name string, v *fastjson.Value) (time.Time, bool) {
	if v.Type() != fastjson.TypeString {
		f.strOf(name, v, maxCodeLen) // records the type problem
		return time.Time{}, false
	}
	b := v.GetStringBytes()
	if len(b) == 0 {
		return time.Time{}, false
	}
	t, ok := parseTimestamp(b)
	if !ok {
		f.ps.add(f.field(name), "bad_time", "%q is not a time of the form YYYY-MM-DD HH:MM:SS", "%q 不是 YYYY-MM-DD HH:MM:SS 格式的时间", truncate(string(b)))
		return time.Time{}, false
	}
	return t, true
}

func (f fieldReader) timestamp(names ...string) (time.Time, bool) {
	v, name := f.raw(names...)
	if v == nil {
		return time.Time{}, false
	}
	return f.timestampOf(name, v)
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
	t, ok := parseTimestamp([]byte(s))
	if !ok {
		f.ps.add(f.field(name), "bad_date", "%q is not a date of the form YYYY-MM-DD", "%q 不是 YYYY-MM-DD 格式的日期", s)
		return time.Time{}, false
	}
	return t, true
}

// parseTimestamp parses "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS" (a T instead of the space,
// and fractional seconds, which some HIS exports add, are accepted; no zone: times are local
// to the region) strictly, without time.Parse's generality: it runs on every fee line.
func parseTimestamp(b []byte) (time.Time, bool) {
	if len(b) > 20 && b[19] == '.' && len(b) <= 29 {
		for _, c := range b[20:] {
			if c < '0' || c > '9' {
				return time.Time{}, false
			}
		}
		b = b[:19]
	}
	if len(b) != 10 && len(b) != 19 {
		return time.Time{}, false
	}
	num := func(i, n int) (int, bool) {
		v := 0
		for _, c := range b[i : i+n] {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 2)
	d, ok3 := num(8, 2)
	if !ok1 || !ok2 || !ok3 || b[4] != '-' || b[7] != '-' || mo < 1 || mo > 12 || d < 1 || d > daysIn(mo, y) {
		return time.Time{}, false
	}
	h, mi, s := 0, 0, 0
	if len(b) == 19 {
		var ok4, ok5, ok6 bool
		h, ok4 = num(11, 2)
		mi, ok5 = num(14, 2)
		s, ok6 = num(17, 2)
		if !ok4 || !ok5 || !ok6 || (b[10] != ' ' && b[10] != 'T') || b[13] != ':' || b[16] != ':' || h > 23 || mi > 59 || s > 59 {
			return time.Time{}, false
		}
	}
	return time.Date(y, time.Month(mo), d, h, mi, s, 0, time.UTC), true
}

func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
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
		f.ps.add(f.field(name), "bad_duration", "%q is not a duration of the form days/hours/minutes", "%q 不是“天/小时/分钟”格式的时长", s)
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

// parseScratch is per-worker scratch space for number text.
type parseScratch struct {
	number []byte
	// intern keeps one copy of the short strings that repeat from line to line and document
	// to document (serials, codes, categories, item names, departments, doctors): one
	// allocation per distinct value instead of one per field. Bounded: cleared when full.
	intern map[string]string
}

const (
	internMaxLen     = 64
	internMaxEntries = 8192
)

// internBytes returns b as a string, shared with earlier equal values of this worker.
func (sc *parseScratch) internBytes(b []byte) string {
	if sc == nil || len(b) > internMaxLen {
		return string(b)
	}
	if s, ok := sc.intern[string(b)]; ok { // no allocation for the lookup
		return s
	}
	if sc.intern == nil || len(sc.intern) >= internMaxEntries {
		sc.intern = make(map[string]string, 1024)
	}
	s := string(b)
	sc.intern[s] = s
	return s
}
