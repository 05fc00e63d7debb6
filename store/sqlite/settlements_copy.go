package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/ingest"
)

// settlementCopyColumns are the columns putSettlementsCopy writes, in order.
var settlementCopyColumns = []string{"id", "setl_id", "version", "current", "content_hash", "mdtrt_id", "hospital", "psn", "sex", "age",
	"insutype", "med_type", "inpatient", "adm_time", "dscg_time", "los", "dscg_dept", "disposition", "principal_dx", "total_fen",
	"fund_fen", "fee_count", "detail", "ingested_at", "doctor", "batch_id", "record_no"}

// lookupChunk bounds the parameters of one IN (…) lookup.
const lookupChunk = 1000

// putSettlementsCopy is PutSettlements for a server engine: one query per thousand
// settlements finds their current versions, ids are reserved in one round trip, and the
// rows go in by the engine's bulk path (COPY on PostgreSQL) instead of one INSERT each.
// Outcomes, versions, retirements and ledger entries are those of the row-by-row path.
func (s *Store) putSettlementsCopy(ctx context.Context, ss []*yibao.Settlement) ([]ingest.Outcome, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	type cur struct {
		id, version int64
		hash        []byte
	}
	current := make(map[string]cur, len(ss))
	ids := make([]any, 0, lookupChunk)
	flush := func() error {
		if len(ids) == 0 {
			return nil
		}
		q := `SELECT setl_id, id, version, content_hash FROM settlements WHERE current = 1 AND setl_id IN (?` + strings.Repeat(`, ?`, len(ids)-1) + `)`
		rows, err := tx.QueryContext(ctx, q, ids...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var c cur
			if err := rows.Scan(&id, &c.id, &c.version, &c.hash); err != nil {
				return err
			}
			if have, ok := current[id]; !ok || c.version > have.version {
				current[id] = c
			}
		}
		ids = ids[:0]
		return rows.Err()
	}
	asked := make(map[string]bool, len(ss))
	for _, st := range ss {
		if asked[st.ID] {
			continue
		}
		asked[st.ID] = true
		if ids = append(ids, st.ID); len(ids) == lookupChunk {
			if err := flush(); err != nil {
				return nil, fmt.Errorf("settlements lookup: %w", err)
			}
		}
	}
	if err := flush(); err != nil {
		return nil, fmt.Errorf("settlements lookup: %w", err)
	}

	type pending struct {
		st   *yibao.Settlement
		sum  [32]byte
		buf  []byte
		vers int64
	}
	out := make([]ingest.Outcome, len(ss))
	var todo []pending
	var retireBefore, retireAfter []int64 // stored versions; versions of this batch superseded within it
	inBatch := map[string]int{}           // setl_id → index in todo of its newest version in this batch
	var enc settlementEncoder
	for i, st := range ss {
		buf := enc.encode(nil, st)
		sum := sha256.Sum256(buf)
		if j, ok := inBatch[st.ID]; ok {
			prev := todo[j]
			if prev.sum == sum {
				out[i] = ingest.Duplicate
				continue
			}
			out[i] = ingest.NewVersion
			inBatch[st.ID] = len(todo)
			todo = append(todo, pending{st, sum, buf, prev.vers + 1})
			retireAfter = append(retireAfter, int64(j)) // index for now: ids are reserved below
			continue
		}
		c, ok := current[st.ID]
		switch {
		case !ok:
			out[i] = ingest.Loaded
		case string(c.hash) == string(sum[:]):
			out[i] = ingest.Duplicate
			continue
		default:
			out[i] = ingest.NewVersion
			retireBefore = append(retireBefore, c.id)
		}
		inBatch[st.ID] = len(todo)
		todo = append(todo, pending{st, sum, buf, c.version + 1})
	}
	if len(todo) == 0 {
		return out, tx.Commit()
	}
	rowIDs, err := s.dialect.ReserveIDs(ctx, tx, "settlements", len(todo))
	if err != nil {
		return nil, fmt.Errorf("settlements: reserve ids: %w", err)
	}
	for i, j := range retireAfter {
		retireAfter[i] = rowIDs[j]
	}
	if err := s.retire(ctx, tx, retireBefore); err != nil {
		return nil, err
	}

	now := time.Now().Unix()
	rows := make([][]any, len(todo))
	var entries settlementEntries
	var hospitals []string // in first-seen order, as the row-by-row path registers them
	seen := map[string]bool{}
	for i, p := range todo {
		st := p.st
		batch, record := s.batchOf(st.Origin.File), recordOf(st)
		inpatient := int64(0)
		if st.Inpatient {
			inpatient = 1
		}
		rows[i] = []any{rowIDs[i], st.ID, p.vers, int64(1), p.sum[:], st.EncounterID, st.Hospital, st.Patient.Pseudonym,
			int64(st.Patient.Sex), int64(st.Patient.Age), st.InsuranceType, st.MedType, inpatient, unixOrNull(st.Admission),
			unixOrNull(st.Discharge), int64(st.LOS), st.DischargeDept, st.Disposition, st.PrincipalDiagnosis(),
			int64(st.Pay.Total), int64(st.Pay.Fund), int64(len(st.Fees)), p.buf, now, attendingDoctor(st), batch, record}
		entries.add(rowIDs[i], st.ID, p.vers, st.Hospital, p.sum[:], int64(st.Pay.Fund), batch, record)
		if !seen[st.Hospital] {
			seen[st.Hospital] = true
			hospitals = append(hospitals, st.Hospital)
		}
	}
	if err := s.registerCodes(ctx, tx, hospitals); err != nil {
		return nil, err
	}
	if err := conn.Raw(func(dc any) error {
		return s.dialect.Copy(ctx, dc, "settlements", settlementCopyColumns, rows)
	}); err != nil {
		return nil, fmt.Errorf("settlements: copy: %w", err)
	}
	if err := s.retire(ctx, tx, retireAfter); err != nil {
		return nil, err
	}
	if err := entries.append(ctx, tx); err != nil {
		return nil, err
	}
	return out, tx.Commit()
}

// retire marks stored versions as no longer current, a thousand at a time (the update
// trigger records each in the ledger, as on the row-by-row path).
func (s *Store) retire(ctx context.Context, tx *sql.Tx, ids []int64) error {
	for len(ids) > 0 {
		n := min(len(ids), lookupChunk)
		args := make([]any, n)
		for i := range n {
			args[i] = ids[i]
		}
		if _, err := tx.ExecContext(ctx, `UPDATE settlements SET current = 0 WHERE id IN (?`+strings.Repeat(`, ?`, n-1)+`)`, args...); err != nil {
			return fmt.Errorf("settlements: retire: %w", err)
		}
		ids = ids[n:]
	}
	return nil
}

// registerCodes adds hospital codes first seen on settlements to the registry (unregistered).
func (s *Store) registerCodes(ctx context.Context, tx *sql.Tx, codes []string) error {
	for _, c := range codes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO hospitals (code) VALUES (?) ON CONFLICT DO NOTHING`, c); err != nil {
			return fmt.Errorf("settlement hospital %s: %w", c, err)
		}
	}
	return nil
}
