package indicators

// Facts are one unit's numerators and denominators for a period; Definitions turn them
// into indicator values.
type Facts struct {
	Hospital  string `json:"unit"` // hospital code, department or doctor
	PeerGroup string `json:"peer_group"`

	Cases            int     `json:"cases"`             // inpatient stays discharged in the period
	Grouped          int     `json:"grouped"`           // with a DRG
	ValidationFailed int     `json:"validation_failed"` // failed the grouper's validation
	SumRW            float64 `json:"sum_rw"`            // over grouped stays with a weight
	Weighted         int     `json:"weighted"`
	DRGs             int     `json:"drgs"`
	LOS              float64 `json:"los"`       // Σ length of stay, days
	CostYuan         float64 `json:"cost_yuan"` // Σ total cost

	// Consumption indices: Σ k_i n_i and Σ n_i over the unit's DRGs, k_i = e_i / E_i.
	TimeK        float64 `json:"time_k"` // Σ k_i n_i, all DRGs
	TimeN        float64 `json:"time_n"` // Σ n_i
	CostK        float64 `json:"cost_k"`
	CostN        float64 `json:"cost_n"`
	TimeKRoutine float64 `json:"time_k_routine"`
	TimeNRoutine float64 `json:"time_n_routine"`
	CostKRoutine float64 `json:"cost_k_routine"`
	CostNRoutine float64 `json:"cost_n_routine"`
	CostKTech    float64 `json:"cost_k_tech"`
	CostNTech    float64 `json:"cost_n_tech"`
	TechCases    int     `json:"tech_cases"`

	LowRiskCases  int `json:"low_risk_cases"`
	LowRiskDeaths int `json:"low_risk_deaths"`

	IndexStays       int `json:"index_stays"` // discharged alive in the period
	Readmissions31   int `json:"readmissions_31"`
	PlannedExcluded  int `json:"readmissions_planned"`
	TransferExcluded int `json:"readmissions_transfer"`

	DrugFen int64 `json:"drug_fen"`
	ConsFen int64 `json:"consumable_fen"`
	FeeFen  int64 `json:"fee_fen"`

	PrevCases       int     `json:"prev_cases"`
	PrevCostPerCase float64 `json:"prev_cost_per_case"`
	RegionGrowth    float64 `json:"region_growth"`

	Surgical int `json:"surgical"`

	FindingStays float64 `json:"finding_stays"` // stays with a counted finding (weighted)
	FindingsFen  float64 `json:"findings_fen"`  // counted finding amounts (weighted)
	FundFen      int64   `json:"fund_fen"`      // the fund's payments on the unit's stays
	Upcoding     int     `json:"upcoding_stays"`
	Split        int     `json:"split_stays"`

	ListRead     int  `json:"list_read"`
	ListRejected int  `json:"list_rejected"`
	HasList      bool `json:"has_list"`

	Satisfaction    float64 `json:"satisfaction"`
	HasSatisfaction bool    `json:"has_satisfaction"`
}
