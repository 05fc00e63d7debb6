package sqlite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unsafe"

	"github.com/yibao-dev/yibao"
)

// The detail codec stores a whole settlement as one compact binary value: fee lines are
// read together with their settlement (audit, drill-down), never alone, so one blob per
// settlement is both the fastest to write and to read. Version byte first, then fields in
// a fixed order: varints for numbers; a string is either a back-reference to an earlier
// string of the same settlement (item names, codes, departments and doctors repeat on every
// day of a stay) or a new length-prefixed string. This keeps a 40-line stay near 1.3 KB.
const codecVersion = 3

type encoder struct {
	b   []byte
	tab map[string]uint64
}

func (e *encoder) int(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

// str writes uvarint(ref+1) for a string seen before, else 0, its length and its bytes.
func (e *encoder) str(s string) {
	if s == "" {
		e.uint(1) // reference 0 is always ""
		return
	}
	if ref, ok := e.tab[s]; ok {
		e.uint(ref + 1)
		return
	}
	e.tab[s] = uint64(len(e.tab))
	e.uint(0)
	e.uint(uint64(len(s)))
	e.b = append(e.b, s...)
}
func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}
func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.int(0)
		return
	}
	// +1 keeps 0 free for "no time"; 1970-01-01 00:00:00 itself encodes as 1.
	if u := t.Unix(); u >= 0 {
		e.int(u + 1)
	} else {
		e.int(u)
	}
}

// settlementEncoder reuses its string table between settlements.
type settlementEncoder struct{ tab map[string]uint64 }

func (se *settlementEncoder) encode(buf []byte, s *yibao.Settlement) []byte {
	if se.tab == nil {
		se.tab = make(map[string]uint64, 64)
	}
	clear(se.tab)
	se.tab[""] = 0
	e := encoder{b: append(buf, codecVersion), tab: se.tab}
	e.str(s.ID)
	e.str(s.EncounterID)
	e.str(s.Hospital)
	e.int(int64(s.SettlementLevel))
	p := &s.Patient
	e.str(p.Pseudonym)
	e.str(p.CertPseudonym)
	e.uint(uint64(p.Sex))
	e.time(p.BirthDate)
	e.int(int64(p.Age))
	e.int(int64(p.AgeDays))
	e.int(int64(p.BirthWeight))
	e.int(int64(p.AdmWeight))
	e.str(s.InsuranceType)
	e.str(s.InsuredRegion)
	e.str(s.MedType)
	e.bool(s.Inpatient)
	e.time(s.Admission)
	e.time(s.Discharge)
	e.str(s.AdmissionDept)
	e.str(s.DischargeDept)
	e.int(int64(s.LOS))
	e.str(s.Disposition)
	e.bool(s.PlannedReadmission)
	e.int(int64(s.VentilatorMinutes))
	e.int(int64(s.ICUMinutes))
	for _, m := range []yibao.Fen{s.Pay.Total, s.Pay.Fund, s.Pay.SelfPay, s.Pay.OwnPay, s.Pay.Account, s.Pay.Cash} {
		e.int(int64(m))
	}
	e.uint(uint64(len(s.Diagnoses)))
	for _, d := range s.Diagnoses {
		e.str(d.Code)
		e.str(d.Name)
		e.bool(d.Principal)
		e.str(d.Type)
		e.str(d.AdmCond)
	}
	e.uint(uint64(len(s.Procedures)))
	for _, x := range s.Procedures {
		e.str(x.Code)
		e.str(x.Name)
		e.bool(x.Principal)
		e.time(x.Date)
		e.str(x.Operator)
		e.str(x.Anaesthesia)
	}
	e.uint(uint64(len(s.Fees)))
	for i := range s.Fees {
		l := &s.Fees[i]
		e.str(l.Serial)
		e.time(l.Time)
		e.str(l.ListCode)
		e.str(l.HospCode)
		e.str(l.Name)
		e.str(l.Category)
		e.str(l.ListClass)
		e.int(int64(l.Qty))
		e.int(int64(l.Price))
		e.int(int64(l.Amount))
		e.str(l.Dept)
		e.str(l.Doctor)
		e.str(l.Order)
	}
	e.uint(uint64(len(s.Measurements)))
	for _, m := range s.Measurements {
		e.str(m.Item)
		e.int(int64(m.Value))
	}
	return e.b
}

var errCorrupt = errors.New("corrupt settlement detail")

type decoder struct {
	b   []byte
	src string // the whole value as one string: decoded strings are slices of it
	err error
	tab []string
}

func (d *decoder) int() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}
func (d *decoder) uint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}
func (d *decoder) str() string {
	ref := d.uint()
	if ref > 0 {
		if ref-1 >= uint64(len(d.tab)) {
			d.fail()
			return ""
		}
		return d.tab[ref-1]
	}
	n := d.uint()
	if n > uint64(len(d.b)) {
		d.fail()
		return ""
	}
	// One string per settlement, sliced, instead of one allocation per field: decoding a
	// 40-line stay allocated ~100 strings and fed the collector most of audit's time.
	off := len(d.src) - len(d.b)
	s := d.src[off : off+int(n)]
	d.b = d.b[n:]
	d.tab = append(d.tab, s)
	return s
}
func (d *decoder) bool() bool {
	if len(d.b) == 0 {
		d.fail()
		return false
	}
	v := d.b[0] == 1
	d.b = d.b[1:]
	return v
}
func (d *decoder) time() time.Time {
	v := d.int()
	switch {
	case v == 0:
		return time.Time{}
	case v > 0:
		return time.Unix(v-1, 0).UTC()
	default:
		return time.Unix(v, 0).UTC()
	}
}
func (d *decoder) count() int {
	n := d.uint()
	if n > uint64(len(d.b)) { // every element takes at least one byte
		d.fail()
		return 0
	}
	return int(n)
}
func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.b = nil
}

// decodeSettlement is the inverse of settlementEncoder.encode.
func decodeSettlement(b []byte, s *yibao.Settlement) error {
	return DecodeDetail(string(b), s)
}

// DecodeDetail decodes a settlement's stored detail (EachCurrentDetail) into fresh slices.
// The settlement's strings share src's memory.
func DecodeDetail(src string, s *yibao.Settlement) error { return decodeDetail(src, s, false) }

// DecodeDetailReuse is DecodeDetail reusing the diagnosis, procedure and fee slices s
// already has: for a worker that decodes settlement after settlement into one scratch
// value and keeps nothing of it but strings.
func DecodeDetailReuse(src string, s *yibao.Settlement) error { return decodeDetail(src, s, true) }

// sized returns a slice of n elements, reusing xs when reuse is set and it is big enough.
func sized[T any](xs []T, n int, reuse bool) []T {
	if reuse && cap(xs) >= n {
		xs = xs[:n]
		clear(xs)
		return xs
	}
	return make([]T, n)
}

func decodeDetail(src string, s *yibao.Settlement, reuse bool) error {
	if len(src) == 0 || src[0] != codecVersion {
		return fmt.Errorf("%w: unknown codec version", errCorrupt)
	}
	var tab [64]string
	d := decoder{b: unsafe.Slice(unsafe.StringData(src), len(src))[1:], src: src, tab: tab[:1]}
	s.ID = d.str()
	s.EncounterID = d.str()
	s.Hospital = d.str()
	s.SettlementLevel = int(d.int())
	p := &s.Patient
	p.Pseudonym = d.str()
	p.CertPseudonym = d.str()
	p.Sex = yibao.Sex(d.uint())
	p.BirthDate = d.time()
	p.Age = int(d.int())
	p.AgeDays = int(d.int())
	p.BirthWeight = int(d.int())
	p.AdmWeight = int(d.int())
	s.InsuranceType = d.str()
	s.InsuredRegion = d.str()
	s.MedType = d.str()
	s.Inpatient = d.bool()
	s.Admission = d.time()
	s.Discharge = d.time()
	s.AdmissionDept = d.str()
	s.DischargeDept = d.str()
	s.LOS = int(d.int())
	s.Disposition = d.str()
	s.PlannedReadmission = d.bool()
	s.VentilatorMinutes = int(d.int())
	s.ICUMinutes = int(d.int())
	for _, m := range []*yibao.Fen{&s.Pay.Total, &s.Pay.Fund, &s.Pay.SelfPay, &s.Pay.OwnPay, &s.Pay.Account, &s.Pay.Cash} {
		*m = yibao.Fen(d.int())
	}
	s.Diagnoses = sized(s.Diagnoses, d.count(), reuse)
	for i := range s.Diagnoses {
		x := &s.Diagnoses[i]
		x.Code, x.Name, x.Principal, x.Type, x.AdmCond = d.str(), d.str(), d.bool(), d.str(), d.str()
	}
	s.Procedures = sized(s.Procedures, d.count(), reuse)
	for i := range s.Procedures {
		x := &s.Procedures[i]
		x.Code, x.Name, x.Principal, x.Date, x.Operator, x.Anaesthesia = d.str(), d.str(), d.bool(), d.time(), d.str(), d.str()
	}
	s.Fees = sized(s.Fees, d.count(), reuse)
	for i := range s.Fees {
		l := &s.Fees[i]
		l.Serial = d.str()
		l.Time = d.time()
		l.ListCode, l.HospCode, l.Name, l.Category, l.ListClass = d.str(), d.str(), d.str(), d.str(), d.str()
		l.Qty, l.Price, l.Amount = yibao.Dec6(d.int()), yibao.Dec6(d.int()), yibao.Fen(d.int())
		l.Dept, l.Doctor, l.Order = d.str(), d.str(), d.str()
	}
	if n := d.count(); n > 0 {
		s.Measurements = sized(s.Measurements, n, reuse)
		for i := range s.Measurements {
			s.Measurements[i] = yibao.Measurement{Item: d.str(), Value: yibao.Dec6(d.int())}
		}
	} else {
		s.Measurements = nil
	}
	if d.err == nil && len(d.b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", errCorrupt, len(d.b))
	}
	return d.err
}

// decodedStay reports the planned-readmission flag and the discharge disposition of an
// encoded settlement (false and "" when the value cannot be decoded).
func decodedStay(b []byte) (planned bool, disposition string) {
	var s yibao.Settlement
	if decodeSettlement(b, &s) != nil {
		return false, ""
	}
	return s.PlannedReadmission, s.Disposition
}
