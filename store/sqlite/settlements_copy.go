package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/yibao-dev/yibao"
)

// settlementCopyColumns are the columns the bulk path writes, in order.
var settlementCopyColumns = []string{"id", "setl_id", "version", "current", "content_hash", "mdtrt_id", "hospital", "psn", "sex", "age",
	"insutype", "med_type", "inpatient", "adm_time", "dscg_time", "los", "dscg_dept", "disposition", "principal_dx", "total_fen",
	"fund_fen", "fee_count", "detail", "ingested_at", "doctor", "batch_id", "record_no", "setl_end", "other_fund_fen"}

// lookupChunk bounds the parameters of one IN (…) lookup.
const lookupChunk = 1000

// bulkSettlements is PutSettlements' writer on a server engine: the latest stored version
// of every settlement of the batch is read a thousand at a time up front, and new versions
// are buffered and written with the engine's bulk path (COPY on PostgreSQL), their ids
// reserved in one round trip. PutSettlements' decisions are unchanged: a settlement seen
// again within the batch flushes the buffer first, so that its retirement, the supersession
// of its findings and the older-version check see the rows as on the row-by-row path.
type bulkSettlements struct {
	s       *Store
	tx      *sql.Tx
	conn    *sql.Conn
	latest  map[string]*storedVersion
	pending []pendingRow
	inBuf   map[string]bool
	entries *settlementEntries
	// hospitals are the codes first seen in the buffered rows, registered (unregistered)
	// at flush in one statement, in first-seen order.
	hospitals []string
}

type storedVersion struct {
	id, version, end int64
	hash             []byte
	owner            string
}

type pendingRow struct {
	v             *storedVersion // filled with the id at flush
	st            *yibao.Settlement
	row           []any
	fund          int64
	batch, record any
}

func (s *Store) newBulkSettlements(ctx context.Context, tx *sql.Tx, conn *sql.Conn, ss []*yibao.Settlement) (*bulkSettlements, error) {
	b := &bulkSettlements{s: s, tx: tx, conn: conn, latest: make(map[string]*storedVersion, len(ss)), inBuf: map[string]bool{}}
	if err := s.dialect.BeginBulk(ctx, tx); err != nil {
		return nil, err
	}
	ids := make([]any, 0, lookupChunk)
	asked := make(map[string]bool, len(ss))
	lookup := func() error {
		if len(ids) == 0 {
			return nil
		}
		rows, err := tx.QueryContext(ctx, `SELECT setl_id, id, version, content_hash, hospital, coalesce(setl_end, 0) FROM settlements
			WHERE setl_id IN (?`+strings.Repeat(`, ?`, len(ids)-1)+`)`, ids...)
		if err != nil {
			return fmt.Errorf("settlements lookup: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var setl string
			var v storedVersion
			if err := rows.Scan(&setl, &v.id, &v.version, &v.hash, &v.owner, &v.end); err != nil {
				return err
			}
			if have := b.latest[setl]; have == nil || v.version > have.version {
				b.latest[setl] = &v
			}
		}
		ids = ids[:0]
		return rows.Err()
	}
	for _, st := range ss {
		if asked[st.ID] {
			continue
		}
		asked[st.ID] = true
		if ids = append(ids, st.ID); len(ids) == lookupChunk {
			if err := lookup(); err != nil {
				return nil, err
			}
		}
	}
	if err := lookup(); err != nil {
		return nil, err
	}
	return b, nil
}

// current is the latest version of setlID as the row-by-row path's lookup gives it.
func (b *bulkSettlements) current(ctx context.Context, setlID string, id, version *int64, hash *[]byte, owner *string, end *int64) error {
	if b.inBuf[setlID] {
		if err := b.flush(ctx); err != nil {
			return err
		}
	}
	v := b.latest[setlID]
	if v == nil {
		return sql.ErrNoRows
	}
	*id, *version, *hash, *owner, *end = v.id, v.version, v.hash, v.owner, v.end
	return nil
}

// add buffers a new version (buf is kept).
func (b *bulkSettlements) add(st *yibao.Settlement, version int64, sum [32]byte, buf []byte, now int64, batch, record any) {
	inpatient := int64(0)
	if st.Inpatient {
		inpatient = 1
	}
	hash := sum[:]
	v := &storedVersion{version: version, hash: hash, owner: st.Hospital}
	if !st.SettledTo.IsZero() {
		v.end = st.SettledTo.Unix()
	}
	row := []any{nil, st.ID, version, int64(1), hash, st.EncounterID, st.Hospital, st.Patient.Pseudonym,
		int64(st.Patient.Sex), int64(st.Patient.Age), st.InsuranceType, st.MedType, inpatient, unixOrNull(st.Admission),
		unixOrNull(st.Discharge), int64(st.LOS), st.DischargeDept, st.Disposition, st.PrincipalDiagnosis(),
		int64(st.Pay.Total), int64(st.Pay.Fund), int64(len(st.Fees)), buf, now, attendingDoctor(st), batch, record,
		unixOrNull(st.SettledTo), int64(st.Pay.Other)}
	b.pending = append(b.pending, pendingRow{v: v, st: st, row: row, fund: int64(st.Pay.Fund), batch: batch, record: record})
	b.latest[st.ID] = v
	b.inBuf[st.ID] = true
}

// flush reserves ids for the buffered rows, records them for the ledger in order, and
// writes them.
func (b *bulkSettlements) flush(ctx context.Context) error {
	if len(b.pending) == 0 {
		return nil
	}
	ids, err := b.s.dialect.ReserveIDs(ctx, b.tx, "settlements", len(b.pending))
	if err != nil {
		return fmt.Errorf("settlements: reserve ids: %w", err)
	}
	rows := make([][]any, len(b.pending))
	for i, p := range b.pending {
		p.v.id = ids[i]
		p.row[0] = ids[i]
		rows[i] = p.row
		b.entries.add(ids[i], p.st.ID, p.v.version, p.st.Hospital, p.v.hash, p.fund, unixOrNull(p.st.SettledTo), int64(p.st.Pay.Other), p.batch, p.record)
	}
	if n := len(b.hospitals); n > 0 {
		args := make([]any, n)
		for i, h := range b.hospitals {
			args[i] = h
		}
		if _, err := b.tx.ExecContext(ctx, `INSERT INTO hospitals (code) VALUES (?)`+strings.Repeat(`, (?)`, n-1)+` ON CONFLICT DO NOTHING`, args...); err != nil {
			return fmt.Errorf("settlements: hospitals: %w", err)
		}
		b.hospitals = b.hospitals[:0]
	}
	if err := b.conn.Raw(func(dc any) error {
		return b.s.dialect.Copy(ctx, dc, "settlements", settlementCopyColumns, rows)
	}); err != nil {
		return fmt.Errorf("settlements: copy: %w", err)
	}
	b.pending = b.pending[:0]
	clear(b.inBuf)
	return nil
}
