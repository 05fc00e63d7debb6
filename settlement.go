// Package yibao holds the domain types every stage of the pipeline shares: settlements,
// their diagnoses, procedures and fee lines, hospitals, and exact money. It does no I/O.
package yibao

import "time"

// Sex follows the national code: 1 male, 2 female, 0 unknown.
type Sex uint8

const (
	SexUnknown Sex = 0
	Male       Sex = 1
	Female     Sex = 2
)

// Settlement (结算) is one inpatient stay or outpatient visit settled with the fund,
// after pseudonymisation: it never carries names, ID numbers or insured-person numbers.
type Settlement struct {
	ID          string // setl_id
	EncounterID string // mdtrt_id
	Hospital    string // fixmedins_code
	// SettlementLevel is the hospital level the settlement was made at (hi_setl_lv), 0 when
	// not given; the registry's level takes precedence.
	SettlementLevel int
	Patient         Patient

	InsuranceType string // hi_type / insutype: 310 employee, 390 resident
	InsuredRegion string // insuplc
	MedType       string // ipt_med_type / med_type: 21 inpatient, 11 / 14 outpatient
	Inpatient     bool

	Admission          time.Time
	Discharge          time.Time
	SettledTo          time.Time // setl_end_date, zero when absent: versions only move forward
	AdmissionDept      string
	DischargeDept      string
	LOS                int    // act_ipt_days; a same-day stay counts 1
	Disposition        string // dscg_way: 1 advice, 2 transfer, 3 community, 4 against advice, 5 death, 9 other
	PlannedReadmission bool   // days_rinp_flag_31 == 2
	VentilatorMinutes  int
	ICUMinutes         int

	Diagnoses  []Diagnosis // principal first after ingest
	Procedures []Procedure // principal first after ingest
	Fees       []FeeLine
	Pay        Payment

	// Measurements are outpatient chronic-disease readings (blood pressure, HbA1c) carried
	// as an extension of the national shape.
	Measurements []Measurement

	// Origin is where ingest read the document (lineage, 血缘): file and 1-based record.
	Origin Origin
}

// Origin is the file and record a settlement was read from.
type Origin struct {
	File   string
	Record int
}

// Patient is the pseudonymous view of the insured person.
type Patient struct {
	Pseudonym     string // keyed HMAC of psn_no
	CertPseudonym string // keyed HMAC of certno, empty when absent
	Sex           Sex
	BirthDate     time.Time
	Age           int // completed years at admission
	AgeDays       int // days, for patients under one year; -1 when unknown
	BirthWeight   int // grams, 0 when unknown
	AdmWeight     int // grams, 0 when unknown
}

// Diagnosis is one entry of diseinfo.
type Diagnosis struct {
	Code      string
	Name      string
	Principal bool
	Type      string // 1 western, 2 TCM disease, 3 TCM syndrome
	AdmCond   string // present on admission: 1 yes, 2 uncertain, 3 unknown, 4 no
}

// Procedure is one entry of oprninfo.
type Procedure struct {
	Code        string
	Name        string
	Principal   bool
	Date        time.Time
	Operator    string
	Anaesthesia string
}

// FeeLine is one itemised charge (2301/5204).
type FeeLine struct {
	Serial    string // feedetl_sn, unique within the settlement
	Time      time.Time
	ListCode  string // national list code
	HospCode  string
	Name      string
	Category  string // med_chrgitm_type 01–14
	ListClass string // 01 A, 02 B, 03 C
	Qty       Dec6
	Price     Dec6
	Amount    Fen
	Dept      string
	Doctor    string
	Order     string
}

// Payment is the split of the settlement's total between fund and person.
type Payment struct {
	Total   Fen // medfee_sumamt
	Fund    Fen // hifp_payamt: pooled fund
	Other   Fen // other fund payments (payinfo lines whose fund_pay_type is not 310100: 大病保险, 医疗救助, …)
	SelfPay Fen // psn_selfpay: co-payment within the list
	OwnPay  Fen // psn_ownpay: fully self-paid
	Account Fen // acct_pay
	Cash    Fen // psn_cashpay
}

// Measurement is a clinical reading taken at an outpatient visit.
type Measurement struct {
	Item  string // e.g. SBP, DBP, HBA1C
	Value Dec6
}

// TCM reports whether the diagnosis is a traditional-Chinese-medicine disease (diag_type 2)
// or syndrome (3), coded by GB/T 15657 rather than ICD-10.
func (d Diagnosis) TCM() bool { return d.Type == "2" || d.Type == "3" }

// PrincipalDiagnosis returns the principal western (ICD-10) diagnosis code, or "" when
// there is none. A TCM principal disease or syndrome is not it: grouping and the audit's
// diagnosis rules work on ICD-10.
func (s *Settlement) PrincipalDiagnosis() string {
	for _, d := range s.Diagnoses {
		if d.Principal && !d.TCM() {
			return d.Code
		}
	}
	return ""
}

// Hospital is a row of the designated-institution registry.
type Hospital struct {
	Code      string
	Name      string
	Level     int    // 1, 2, 3 (一级/二级/三级)
	Grade     string // 甲, 乙, or empty
	Type      string // general, tcm, specialty
	Specialty string // which specialty, for Type == specialty
	Region    string
	Beds      int
	// Registered is false for a hospital known only from settlements that named it
	// before its registry row arrived.
	Registered bool
}

// Charge categories (med_chrgitm_type).
const (
	CatBed          = "01"
	CatConsultation = "02"
	CatExam         = "03"
	CatLab          = "04"
	CatTreatment    = "05"
	CatSurgery      = "06"
	CatNursing      = "07"
	CatConsumable   = "08"
	CatWesternDrug  = "09"
	CatHerbal       = "10"
	CatPatentDrug   = "11"
	CatGeneral      = "12"
	CatRegistration = "13"
	CatOther        = "14"
)
