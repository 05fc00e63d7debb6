package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/yibao-dev/yibao/ledger"
)

// handleLedger shows an object's ledger history (防篡改留痕) with an inclusion proof of its
// latest entry against the latest signed checkpoint, checked here with the ledger's public
// key; for a settlement, also the lineage of its versions. ?kind=settlement|finding|appeal|
// payment_run|evaluation_run&ref=ID. Hospital users see their own hospital's objects only.
func (s *Server) handleLedger(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	kind, ref := q.Get("kind"), q.Get("ref")
	allowed := map[string]bool{"settlement": true, "finding": true, "appeal": true, "payment_run": true, "evaluation_run": true, "value_run": true}
	if !allowed[kind] || ref == "" || len(ref) > 200 {
		apiError(w, http.StatusBadRequest, "需要 kind 与 ref", "kind (settlement, finding, appeal, payment_run, evaluation_run, value_run) and ref are required")
		return
	}
	ctx := r.Context()
	if kind == "settlement" && !strings.Contains(ref, "#") {
		if _, v, err := s.cockpit.Settlement(ctx, ref); err == nil {
			ref += "#" + strconv.Itoa(v)
		}
	}
	entries, err := s.cockpit.LedgerEntries(ctx, kind, ref)
	if err != nil {
		s.log.Printf("api ledger: %v", err)
		apiError(w, http.StatusInternalServerError, "服务内部错误", "internal error")
		return
	}
	proof, perr := s.cockpit.LedgerProof(ctx, kind, ref)
	if perr != nil && len(entries) == 0 {
		notFound(w)
		return
	}
	// Hospital users: only objects of their own hospital, and no bureau-level runs.
	if only := scope(r); only != "" {
		if kind == "payment_run" || kind == "evaluation_run" || kind == "value_run" || !belongsTo(proof.Entry, only) {
			notFound(w)
			return
		}
	}
	out := map[string]any{"kind": kind, "ref": ref, "history": entries}
	if perr == nil {
		pub, err := s.cockpit.LedgerPublicKey()
		verified, why := false, ""
		if err == nil {
			if _, verr := proof.Verify(pub); verr == nil {
				verified = true
			} else {
				why = verr.Error()
			}
		}
		out["proof"] = proof
		out["verified"] = verified
		out["verify_error"] = why
		out["key_id"] = ledger.KeyID(pub)
	}
	if kind == "settlement" {
		setl, _, _ := strings.Cut(ref, "#")
		if lin, err := s.cockpit.SettlementLineage(ctx, setl); err == nil {
			out["lineage"] = lin
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func belongsTo(e ledger.Entry, hospital string) bool {
	var c struct {
		Hospital string `json:"hospital"`
	}
	return json.Unmarshal([]byte(e.Content), &c) == nil && c.Hospital == hospital
}
