// Package sqlite is yibao's embedded store: SQLite through the pure-Go modernc driver
// (no cgo), in WAL mode, with versioned migrations kept beside it.
package sqlite

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/ingest"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// DBFile is the database's name inside the data directory.
const DBFile = "yibao.db"

// Store is a data directory's database.
type Store struct {
	db       *sql.DB
	dir      string
	readOnly bool

	batchMu sync.Mutex
	batches map[string]int64 // ingest batch of each file being read (lineage)

	dialect    Dialect            // nil: SQLite (dialect.go)
	originName string             // the ledger's name in checkpoints; "" for a data directory's
	location   string             // what --db said, when not a directory
	shown      string             // location without its password
	key        ed25519.PrivateKey // the ledger key given by the environment, else nil: DATA_DIR/ledger.key
}

// Open opens (creating if needed) the store in dir and brings its schema up to date.
func Open(dir string) (*Store, error) {
	if strings.Contains(dir, "://") {
		return nil, fmt.Errorf("open store %s: a database URL needs store.Open, not the embedded store", dir)
	}
	// The directory and the database are the owner's only: SQLite gives the WAL and shared
	// memory files the database file's mode, so creating it 0600 covers all three.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	path := filepath.Join(dir, DBFile)
	if err := privateFile(path); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	// A directory from before issue 10 may hold these 0644 too: the WAL holds recent rows,
	// and the ledger key signs checkpoints (readable, anyone could sign a rewritten history).
	for _, p := range []string{path + "-wal", path + "-shm", filepath.Join(dir, "ledger.key")} {
		if err := tightenExisting(p); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	// busy_timeout comes first so that switching to WAL waits for a parallel start.
	dsn := "file:" + path + "?_pragma=busy_timeout(20000)&_pragma=page_size(16384)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=wal_autocheckpoint(16384)" +
		"&_pragma=foreign_keys(1)&_pragma=cache_size(-65536)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	s := &Store{db: db, dir: dir, batches: map[string]int64{}}
	if err := s.migrate(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := s.ensureLedger(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: ledger: %w", path, err)
	}
	return s, nil
}

// privateFile creates path with mode 0600 when it is missing, and takes group and other
// permissions away from an existing one.
func privateFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return f.Chmod(st.Mode().Perm() &^ 0o077)
	}
	return nil
}

// tightenExisting takes group and other permissions away from path when it exists.
func tightenExisting(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return os.Chmod(path, fi.Mode().Perm()&^0o077)
	}
	return nil
}

// Version is the store's change counter: it grows with every write to the tables the
// cockpit summarises (migration 0013), whichever process made it.
func (s *Store) Version(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT n FROM store_version WHERE id = 1`).Scan(&n)
	return n, err
}

// bump moves the change counter once for a bulk write (see migration 0013).
func bump(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE store_version SET n = n + 1 WHERE id = 1`)
	return err
}

// OpenReadOnly opens an existing store without creating, migrating or writing anything
// (yibao status): it fails when dir holds no store.
func OpenReadOnly(dir string) (*Store, error) {
	path := filepath.Join(dir, DBFile)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no store in %s", dir)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(20000)&_pragma=query_only(1)")
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db.SetMaxOpenConns(2)
	return &Store{db: db, dir: dir, readOnly: true, batches: map[string]int64{}}, nil
}

// Close signs a ledger checkpoint when the command changed anything, then closes the
// database: every command that changes state ends with a checkpoint.
func (s *Store) Close() error {
	if s.readOnly {
		return s.db.Close()
	}
	_, _, err := s.Checkpoint(context.Background())
	if err != nil {
		err = fmt.Errorf("ledger checkpoint: %w", err)
	}
	return errors.Join(err, s.db.Close())
}

// Dir is the data directory.
func (s *Store) Dir() string { return s.dir }

// DB exposes the handle to the other adapters of this package family (never to engines).
func (s *Store) DB() *sql.DB { return s.db }

// migrate applies every migrations/NNNN_*.sql not yet recorded, each in its own transaction.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return err
	}
	entries, err := migrationFiles.ReadDir("migrations")
	if err != nil {
		return err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, name := range names {
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return fmt.Errorf("migration %s: name must start with a number and _", name)
		}
		body, err := migrationFiles.ReadFile("migrations/" + name)
		if err != nil {
			return err
		}
		// The check runs inside the (immediate, hence exclusive) transaction: two processes
		// starting on a fresh directory take turns, and the second sees the first's work.
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		var done int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, v).Scan(&done); err != nil {
			tx.Rollback()
			return err
		}
		if done > 0 {
			tx.Rollback()
			continue
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, ?, ?)`, v, name, time.Now().Unix()); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// PutHospitals inserts or replaces registry rows; a code first seen on a settlement becomes
// registered here.
func (s *Store) PutHospitals(ctx context.Context, hs []yibao.Hospital) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO hospitals (code, name, level, grade, type, specialty, region, beds, registered)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)
		ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, grade = excluded.grade, type = excluded.type,
		specialty = excluded.specialty, region = excluded.region, beds = excluded.beds, registered = 1`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, h := range hs {
		if _, err := stmt.ExecContext(ctx, h.Code, h.Name, h.Level, h.Grade, h.Type, h.Specialty, h.Region, h.Beds); err != nil {
			return fmt.Errorf("hospital %s: %w", h.Code, err)
		}
	}
	return tx.Commit()
}

// Hospitals lists every hospital, registered or not, by code.
func (s *Store) Hospitals(ctx context.Context) ([]yibao.Hospital, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT code, name, level, grade, type, specialty, region, beds, registered FROM hospitals ORDER BY code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []yibao.Hospital
	for rows.Next() {
		var h yibao.Hospital
		if err := rows.Scan(&h.Code, &h.Name, &h.Level, &h.Grade, &h.Type, &h.Specialty, &h.Region, &h.Beds, &h.Registered); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// PutSettlements stores a batch in one transaction. Each settlement is one row, so it is
// written whole or not at all; a failure rolls the whole batch back.
func (s *Store) PutSettlements(ctx context.Context, ss []*yibao.Settlement) ([]ingest.Outcome, error) {
	bufs, sums := encodeAll(ss)
	// A server engine takes the same decisions, but looks the current versions up a
	// thousand at a time and writes the new rows with its bulk path (settlements_copy.go).
	var conn *sql.Conn
	var bulk *bulkSettlements
	beginTx := s.db.BeginTx
	if s.dialect != nil {
		c, err := s.db.Conn(ctx)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		conn, beginTx = c, c.BeginTx
	}
	tx, err := beginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if conn != nil {
		if bulk, err = s.newBulkSettlements(ctx, tx, conn, ss); err != nil {
			return nil, err
		}
	}
	cur, err := tx.PrepareContext(ctx, `SELECT id, version, content_hash, hospital, coalesce(setl_end, 0) FROM settlements WHERE setl_id = ? ORDER BY version DESC LIMIT 1`)
	if err != nil {
		return nil, err
	}
	defer cur.Close()
	retire, err := tx.PrepareContext(ctx, `UPDATE settlements SET current = 0 WHERE id = ?`)
	if err != nil {
		return nil, err
	}
	defer retire.Close()
	// Findings belong to a version: the replaced version's are superseded, never counted.
	supersede, err := tx.PrepareContext(ctx, `UPDATE findings SET status = 'superseded' WHERE settlement_row = ?`)
	if err != nil {
		return nil, err
	}
	defer supersede.Close()
	older, err := tx.PrepareContext(ctx, `SELECT count(*) FROM settlements WHERE setl_id = ? AND content_hash = ?`)
	if err != nil {
		return nil, err
	}
	defer older.Close()
	refuse, err := tx.PrepareContext(ctx, `INSERT INTO settlement_refusals (setl_id, hospital, owner, reason, content_hash, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return nil, err
	}
	defer refuse.Close()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO settlements (setl_id, version, current, content_hash, mdtrt_id, hospital, psn, sex, age,
		insutype, med_type, inpatient, adm_time, dscg_time, los, dscg_dept, disposition, principal_dx, total_fen, fund_fen, fee_count,
		detail, ingested_at, doctor, batch_id, record_no, setl_end, other_fund_fen) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return nil, err
	}
	defer ins.Close()
	hosp, err := tx.PrepareContext(ctx, `INSERT INTO hospitals (code) VALUES (?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return nil, err
	}
	defer hosp.Close()
	seenHosp := map[string]bool{}
	now := time.Now().Unix()
	var entries settlementEntries
	if bulk != nil {
		bulk.entries = &entries
	}
	out := make([]ingest.Outcome, len(ss))
	var known map[string]bool // the row-by-row path's: ids already stored
	if bulk == nil {
		if known, err = knownIDs(ctx, tx, ss); err != nil {
			return nil, err
		}
	}
	for i, st := range ss {
		buf, sum := bufs[i], sums[i]
		var id, version, end int64
		var hash []byte
		var owner string
		err := sql.ErrNoRows
		if bulk != nil {
			err = bulk.current(ctx, st.ID, &id, &version, &hash, &owner, &end)
		} else if known[st.ID] {
			err = cur.QueryRowContext(ctx, st.ID).Scan(&id, &version, &hash, &owner, &end)
		}
		switch {
		case errors.Is(err, sql.ErrNoRows):
			out[i] = ingest.Loaded
		case err != nil:
			return nil, fmt.Errorf("settlement %s: %w", st.ID, err)
		case string(hash) == string(sum[:]):
			out[i] = ingest.Duplicate
			continue
		default:
			// Identity includes the hospital, and versions only move forward: a document
			// naming another hospital, repeating an earlier version, or settled before the
			// current version is recorded and reported, never made current.
			reason := ""
			if owner != st.Hospital {
				reason = ingest.RefusedOtherHospital.String()
				out[i] = ingest.RefusedOtherHospital
			} else {
				var seen int
				if err := older.QueryRowContext(ctx, st.ID, sum[:]).Scan(&seen); err != nil {
					return nil, fmt.Errorf("settlement %s: %w", st.ID, err)
				}
				if seen > 0 || (!st.SettledTo.IsZero() && end != 0 && st.SettledTo.Unix() < end) {
					reason = ingest.RefusedOlder.String()
					out[i] = ingest.RefusedOlder
				}
			}
			if reason != "" {
				if _, err := refuse.ExecContext(ctx, st.ID, st.Hospital, owner, reason, sum[:], fmt.Sprintf("current version %d", version), now); err != nil {
					return nil, fmt.Errorf("settlement %s: %w", st.ID, err)
				}
				continue
			}
			out[i] = ingest.NewVersion
			if entries.has(id) {
				// The version being retired came in this batch: its entry goes into the
				// ledger before its retirement does, so that history reads in order.
				if err := entries.append(ctx, tx); err != nil {
					return nil, err
				}
				entries.reset()
			}
			if _, err := retire.ExecContext(ctx, id); err != nil {
				return nil, fmt.Errorf("settlement %s: %w", st.ID, err)
			}
			if _, err := supersede.ExecContext(ctx, id); err != nil {
				return nil, fmt.Errorf("settlement %s: %w", st.ID, err)
			}
		}
		batch, record := s.batchOf(st.Origin.File), recordOf(st)
		if bulk != nil {
			bulk.add(st, version+1, sum, buf, now, batch, record)
			if !seenHosp[st.Hospital] {
				seenHosp[st.Hospital] = true
				bulk.hospitals = append(bulk.hospitals, st.Hospital)
			}
			continue
		}
		res, err := ins.ExecContext(ctx, st.ID, version+1, sum[:], st.EncounterID, st.Hospital, st.Patient.Pseudonym,
			int(st.Patient.Sex), st.Patient.Age, st.InsuranceType, st.MedType, st.Inpatient, unixOrNull(st.Admission),
			unixOrNull(st.Discharge), st.LOS, st.DischargeDept, st.Disposition, st.PrincipalDiagnosis(),
			int64(st.Pay.Total), int64(st.Pay.Fund), len(st.Fees), buf, now, attendingDoctor(st), batch, record, unixOrNull(st.SettledTo), int64(st.Pay.Other))
		if err != nil {
			return nil, fmt.Errorf("settlement %s: %w", st.ID, err)
		}
		known[st.ID] = true // a later document of the batch with this id is a new version
		rowID, _ := res.LastInsertId()
		entries.add(rowID, st.ID, version+1, st.Hospital, sum[:], int64(st.Pay.Fund), unixOrNull(st.SettledTo), int64(st.Pay.Other), batch, record)
		if !seenHosp[st.Hospital] {
			seenHosp[st.Hospital] = true
			if _, err := hosp.ExecContext(ctx, st.Hospital); err != nil {
				return nil, fmt.Errorf("settlement %s hospital: %w", st.ID, err)
			}
		}
	}
	if bulk != nil {
		if err := bulk.flush(ctx); err != nil {
			return nil, err
		}
	}
	if err := bump(ctx, tx); err != nil {
		return nil, err
	}
	if err := entries.append(ctx, tx); err != nil {
		return nil, err
	}
	return out, tx.Commit()
}

// knownIDs returns which of the batch's settlement ids the store already holds, in a few
// IN queries: a bulk load of new settlements then skips a point lookup per document.
func knownIDs(ctx context.Context, tx *sql.Tx, ss []*yibao.Settlement) (map[string]bool, error) {
	known := make(map[string]bool)
	const chunk = 500
	for lo := 0; lo < len(ss); lo += chunk {
		part := ss[lo:min(lo+chunk, len(ss))]
		args := make([]any, len(part))
		for i, st := range part {
			args[i] = st.ID
		}
		q := `SELECT DISTINCT setl_id FROM settlements WHERE setl_id IN (?` + strings.Repeat(",?", len(part)-1) + `)`
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			known[id] = true
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return known, nil
}

// encodeAll encodes and hashes a batch on all cores before the write transaction: the
// transaction is the one serial stage of ingest, and encoding was a sixth of it.
func encodeAll(ss []*yibao.Settlement) ([][]byte, [][32]byte) {
	bufs := make([][]byte, len(ss))
	sums := make([][32]byte, len(ss))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(ss)/64))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var enc settlementEncoder
			for i := w; i < len(ss); i += workers {
				bufs[i] = enc.encode(make([]byte, 0, 256+40*len(ss[i].Fees)), ss[i])
				sums[i] = sha256.Sum256(bufs[i])
			}
		}()
	}
	wg.Wait()
	return bufs, sums
}

func recordOf(st *yibao.Settlement) any {
	if st.Origin.Record == 0 {
		return nil
	}
	return st.Origin.Record
}

func unixOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}

// Counts summarises the store.
type Counts struct {
	Settlements  int `json:"settlements"`  // current versions
	Versions     int `json:"versions"`     // all versions
	Inpatient    int `json:"inpatient"`    // current inpatient settlements
	FeeLines     int `json:"fee_lines"`    // of current versions
	Hospitals    int `json:"hospitals"`    // registered
	Unregistered int `json:"unregistered"` // named by settlements, not in the registry
	Persons      int `json:"persons"`
}

// Counts returns row counts of the store.
func (s *Store) Counts(ctx context.Context) (Counts, error) {
	var c Counts
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM settlements WHERE current = 1),
		(SELECT count(*) FROM settlements),
		(SELECT count(*) FROM settlements WHERE current = 1 AND inpatient = 1),
		(SELECT coalesce(sum(fee_count), 0) FROM settlements WHERE current = 1),
		(SELECT count(*) FROM hospitals WHERE registered = 1),
		(SELECT count(*) FROM hospitals WHERE registered = 0),
		(SELECT count(DISTINCT psn) FROM settlements WHERE current = 1)`).Scan(
		&c.Settlements, &c.Versions, &c.Inpatient, &c.FeeLines, &c.Hospitals, &c.Unregistered, &c.Persons)
	return c, err
}

// Settlement returns the current version of one settlement.
func (s *Store) Settlement(ctx context.Context, setlID string) (*yibao.Settlement, int, error) {
	var detail []byte
	var version int
	err := s.db.QueryRowContext(ctx, `SELECT detail, version FROM settlements WHERE setl_id = ? AND current = 1`, setlID).Scan(&detail, &version)
	if err != nil {
		return nil, 0, err
	}
	var st yibao.Settlement
	if err := decodeSettlement(detail, &st); err != nil {
		return nil, 0, fmt.Errorf("settlement %s: %w", setlID, err)
	}
	return &st, version, nil
}

// EachSettlement calls fn for every current settlement (inpatient only when inpatientOnly)
// in admission order. The settlement passed to fn is reused: copy what must outlive the call.
func (s *Store) EachSettlement(ctx context.Context, inpatientOnly bool, fn func(*yibao.Settlement) error) error {
	q := `SELECT detail FROM settlements WHERE current = 1`
	if inpatientOnly {
		q += ` AND inpatient = 1`
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var st yibao.Settlement
	var detail []byte
	for rows.Next() {
		if err := rows.Scan(&detail); err != nil {
			return err
		}
		if err := decodeSettlement(detail, &st); err != nil {
			return err
		}
		if err := fn(&st); err != nil {
			return err
		}
	}
	return rows.Err()
}

// attendingDoctor is the principal procedure's operator, else the doctor who billed the
// most lines (ties: the first to reach the count).
func attendingDoctor(s *yibao.Settlement) string {
	if len(s.Procedures) > 0 && s.Procedures[0].Operator != "" {
		return s.Procedures[0].Operator
	}
	counts := map[string]int{}
	best, n := "", 0
	for _, f := range s.Fees {
		if f.Doctor == "" {
			continue
		}
		counts[f.Doctor]++
		if counts[f.Doctor] > n {
			best, n = f.Doctor, counts[f.Doctor]
		}
	}
	return best
}
