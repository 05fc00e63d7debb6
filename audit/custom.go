package audit

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/yibao-dev/yibao"
)

// CustomRule is a rule written in CEL (rules.json): a boolean expression over the
// settlement `s` and, for line rules, the fee line `line` (docs/knowledge-base.md).
type CustomRule struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Category  string `json:"category"`
	Severity  string `json:"severity"`
	Behaviour string `json:"behaviour"`
	Scope     string `json:"scope"`  // line | settlement
	Expr      string `json:"expr"`   // CEL
	Amount    string `json:"amount"` // line_amount | zero
	Message   string `json:"message"`

	prg cel.Program
}

var celEnv *cel.Env

func init() {
	var err error
	celEnv, err = cel.NewEnv(
		cel.Variable("s", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("line", cel.MapType(cel.StringType, cel.DynType)),
	)
	if err != nil {
		panic(err) // a fixed declaration: cannot fail at run time
	}
}

func loadCustomRules(path string) ([]*CustomRule, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rules []*CustomRule
	if err := json.Unmarshal(b, &rules); err != nil {
		return nil, fmt.Errorf("knowledge base %s: %w", path, err)
	}
	ids := map[string]bool{}
	for i, r := range rules {
		where := fmt.Sprintf("knowledge base %s rule %d (%s)", path, i, r.ID)
		switch {
		case r.ID == "" || ids[r.ID]:
			return nil, fmt.Errorf("%s: id missing or repeated", where)
		case r.Scope != "line" && r.Scope != "settlement":
			return nil, fmt.Errorf("%s: scope must be line or settlement", where)
		case r.Severity != Definite && r.Severity != Suspicious:
			return nil, fmt.Errorf("%s: severity must be definite or suspicious", where)
		case r.Category == "" || r.Name == "":
			return nil, fmt.Errorf("%s: name and category are required", where)
		}
		ids[r.ID] = true
		ast, iss := celEnv.Compile(r.Expr)
		if iss.Err() != nil {
			return nil, fmt.Errorf("%s: %v", where, iss.Err())
		}
		if ast.OutputType() != cel.BoolType && ast.OutputType() != cel.DynType {
			return nil, fmt.Errorf("%s: expression must be boolean, is %s", where, ast.OutputType())
		}
		if r.prg, err = celEnv.Program(ast); err != nil {
			return nil, fmt.Errorf("%s: %v", where, err)
		}
	}
	return rules, nil
}

func settlementVars(s *yibao.Settlement, level int) map[string]any {
	dx := make([]string, len(s.Diagnoses))
	for i, d := range s.Diagnoses {
		dx[i] = d.Code
	}
	px := make([]string, len(s.Procedures))
	for i, p := range s.Procedures {
		px[i] = p.Code
	}
	return map[string]any{"id": s.ID, "age": int64(s.Patient.Age), "sex": int64(s.Patient.Sex), "los": int64(s.LOS),
		"level": int64(level), "total": s.Pay.Total.Yuan(), "inpatient": s.Inpatient, "principal": s.PrincipalDiagnosis(),
		"diagnoses": dx, "procedures": px, "hospital": s.Hospital, "disposition": s.Disposition}
}

// lineVars describes a netted line: qty and amount are net of matched refunds, billed_qty
// is what the line itself says.
func lineVars(l *yibao.FeeLine, n *netLine, adm int64) map[string]any {
	return map[string]any{"serial": l.Serial, "code": l.ListCode, "name": l.Name, "category": l.Category, "list_class": l.ListClass,
		"qty": n.qty.Float(), "billed_qty": l.Qty.Float(), "price": l.Price.Float(), "amount": n.amount.Yuan(), "day": dayOf(l.Time) - adm}
}

// auditCustom evaluates the CEL rules; an evaluation error (e.g. a missing key) counts as
// "does not fire" so that one bad record cannot stop a batch.
func (kb *KB) auditCustom(s *yibao.Settlement, level int, lines []yibao.FeeLine, nt *netted) []Finding {
	if len(kb.Custom) == 0 {
		return nil
	}
	sv := settlementVars(s, level)
	adm := dayOf(s.Admission)
	var out []Finding
	for _, r := range kb.Custom {
		fire := func(line map[string]any) bool {
			v, _, err := r.prg.Eval(map[string]any{"s": sv, "line": line})
			if err != nil {
				return false
			}
			b, ok := v.Value().(bool)
			return ok && b
		}
		mk := func(serial string, amount yibao.Fen, vars map[string]any) Finding {
			msg := r.Message
			for k, v := range vars {
				msg = strings.ReplaceAll(msg, "{"+k+"}", fmt.Sprint(v))
			}
			return Finding{SetlID: s.ID, Hospital: s.Hospital, Person: s.Patient.Pseudonym, Serial: serial, RuleID: r.ID,
				Category: r.Category, Severity: r.Severity, Amount: amount, Evidence: msg}
		}
		if r.Scope == "settlement" {
			if fire(map[string]any{}) {
				out = append(out, mk("", 0, sv))
			}
			continue
		}
		for k := range nt.lines {
			n := &nt.lines[k]
			l := &lines[n.i]
			lv := lineVars(l, n, adm)
			if fire(lv) {
				amt := yibao.Fen(0)
				if r.Amount == "line_amount" {
					amt = n.amount
				}
				out = append(out, mk(l.Serial, amt, lv))
			}
		}
	}
	return out
}
