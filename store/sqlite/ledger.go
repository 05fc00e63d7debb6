package sqlite

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/yibao-dev/yibao/ingest"
	"github.com/yibao-dev/yibao/ledger"
	msqlite "modernc.org/sqlite"
)

// The ledger (docs/ledger.md): triggers on every tracked table append an entry in the same
// transaction as the change; bulk run outputs are digested per run; Checkpoint signs the
// Merkle root; Verify recomputes everything from the rows.

func init() {
	// yibao_sha256(x) is the hex SHA-256 of a text or blob, used by the ledger triggers to
	// record large columns. A database changed by a tool without it fails on the triggers —
	// which is also the point.
	msqlite.MustRegisterDeterministicScalarFunction("yibao_sha256", 1, func(_ *msqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case nil:
			return nil, nil
		case string:
			s := sha256.Sum256([]byte(v))
			return hex.EncodeToString(s[:]), nil
		case []byte:
			s := sha256.Sum256(v)
			return hex.EncodeToString(s[:]), nil
		default:
			s := sha256.Sum256([]byte(fmt.Sprint(v)))
			return hex.EncodeToString(s[:]), nil
		}
	})
}

func init() {
	msqlite.MustRegisterScalarFunction("yibao_ledger_now", 0, func(*msqlite.FunctionContext, []driver.Value) (driver.Value, error) {
		return time.Now().Unix(), nil
	})
}

// tracked is a table whose every row change is a ledger entry.
type tracked struct {
	kind, table string
	ref         string   // SQL over the alias X
	include     []string // only these columns, when set
	digest      []string // columns recorded as their SHA-256 (large JSON, secrets)
	insertsInGo bool     // inserts are recorded by the store's Go code, not a trigger
}

// settlementColumns are what the ledger records of a settlement version: its identity, the
// hash of its whole content (detail) and where it came from.
var settlementColumns = []string{"id", "setl_id", "version", "current", "hospital", "content_hash", "fund_fen", "setl_end", "other_fund_fen", "batch_id", "record_no"}

// settlementEntries collects the settlement versions of one PutSettlements call; they become
// one ledger entry of kind settlement_batch whose content maps each ref to the same object
// the triggers' json_object gives.
type settlementEntries struct {
	by   map[string]*hospitalEntries // one entry per hospital, so that a hospital's proof shows only its own
	rows map[int64]bool              // the settlement rows recorded, not yet appended
}

// has reports whether the row is among the entries not yet appended.
func (se *settlementEntries) has(row int64) bool { return se.rows[row] }

// reset empties the entries once appended.
func (se *settlementEntries) reset() { se.by, se.rows = nil, nil }

type hospitalEntries struct {
	refs []string
	buf  []byte // the objects, comma-separated, as "ref":{…}
}

// add writes the object by hand, in json_object's column order and form (no reflection: it
// runs once per ingested settlement).
func (se *settlementEntries) add(id int64, setlID string, version int64, hospital string, contentHash []byte, fund int64, setlEnd any, otherFund int64, batch, record any) {
	if se.by == nil {
		se.by = map[string]*hospitalEntries{}
		se.rows = map[int64]bool{}
	}
	se.rows[id] = true
	he := se.by[hospital]
	if he == nil {
		he = &hospitalEntries{}
		se.by[hospital] = he
	}
	ref := setlID + "#" + strconv.FormatInt(version, 10)
	he.refs = append(he.refs, ref)
	b := he.buf
	if len(b) > 0 {
		b = append(b, ',')
	}
	b = appendJSONString(b, ref)
	b = append(b, `:{"id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"setl_id":`...)
	b = appendJSONString(b, setlID)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, version, 10)
	b = append(b, `,"current":1,"hospital":`...)
	b = appendJSONString(b, hospital)
	b = append(b, `,"content_hash":"`...)
	b = append(b, strings.ToUpper(hex.EncodeToString(contentHash))...)
	b = append(b, `","fund_fen":`...)
	b = strconv.AppendInt(b, fund, 10)
	b = append(b, `,"setl_end":`...)
	if end, ok := setlEnd.(int64); ok {
		b = strconv.AppendInt(b, end, 10)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"other_fund_fen":`...)
	b = strconv.AppendInt(b, otherFund, 10)
	for _, kv := range []struct {
		k string
		v any
	}{{"batch_id", batch}, {"record_no", record}} {
		b = append(b, `,"`+kv.k+`":`...)
		switch v := kv.v.(type) {
		case int64:
			b = strconv.AppendInt(b, v, 10)
		case int:
			b = strconv.AppendInt(b, int64(v), 10)
		default:
			b = append(b, "null"...)
		}
	}
	he.buf = append(b, '}')
}

// appendJSONString quotes s as JSON without HTML escaping, as SQLite's json_object does.
func appendJSONString(b []byte, s string) []byte {
	q, _ := marshalNoEscape(s)
	return append(b, q...)
}

func (se *settlementEntries) append(ctx context.Context, tx *sql.Tx) error {
	hospitals := make([]string, 0, len(se.by))
	for h := range se.by {
		hospitals = append(hospitals, h)
	}
	sort.Strings(hospitals)
	// One statement for the batch's entries (one round trip on a database server), in the
	// hospitals' order.
	for len(hospitals) > 0 {
		n := min(len(hospitals), 200)
		args := make([]any, 0, 2*n)
		for _, h := range hospitals[:n] {
			he := se.by[h]
			content := `{"hospital":` + string(appendJSONString(nil, h)) + `,"settlements":{` + string(he.buf) + `}}`
			args = append(args, he.refs[0]+".."+he.refs[len(he.refs)-1], content)
		}
		q := `INSERT INTO ledger (kind, ref, action, at, content) VALUES ('settlement_batch', ?, 'insert', yibao_ledger_now(), ?)` +
			strings.Repeat(`, ('settlement_batch', ?, 'insert', yibao_ledger_now(), ?)`, n-1)
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
		hospitals = hospitals[n:]
	}
	return nil
}

// marshalNoEscape writes JSON as SQLite's json_object does: no HTML escaping.
func marshalNoEscape(v any) ([]byte, error) {
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(buf.String(), "\n")), nil
}

// expand turns a settlement_batch entry into one entry per settlement version.
func expand(e ledger.Entry) ([]ledger.Entry, error) {
	var c struct {
		Settlements map[string]json.RawMessage `json:"settlements"`
	}
	if err := json.Unmarshal([]byte(e.Content), &c); err != nil {
		return nil, fmt.Errorf("ledger entry %d: %w", e.Seq, err)
	}
	out := make([]ledger.Entry, 0, len(c.Settlements))
	for ref, obj := range c.Settlements {
		out = append(out, ledger.Entry{Seq: e.Seq, Kind: "settlement", Ref: ref, Action: e.Action, At: e.At, Content: string(obj)})
	}
	return out, nil
}

var trackedTables = []tracked{
	// New settlement versions are recorded by PutSettlements, one entry per batch
	// (settlementEntries), which keeps ingest fast; updates and deletes by trigger.
	{kind: "settlement", table: "settlements", ref: "X.setl_id || '#' || X.version", insertsInGo: true,
		include: settlementColumns},
	{kind: "ingest_batch", table: "ingest_batches", ref: "X.id"},
	{kind: "hospital", table: "hospitals", ref: "X.code"},
	{kind: "finding", table: "findings", ref: "X.id", digest: []string{"evidence"}},
	{kind: "appeal", table: "appeals", ref: "X.id"},
	{kind: "finding_review", table: "finding_reviews", ref: "X.id"},
	// Failed-login counters and locks are not recorded: a flood of wrong passwords must not
	// grow the ledger (the audit log has the lock events).
	{kind: "user", table: "users", ref: "X.username", include: []string{"id", "username", "password_hash", "role", "hospital", "created_at", "disabled"},
		digest: []string{"password_hash"}},
	{kind: "his_credential", table: "his_credentials", ref: "X.key_id", digest: []string{"sealed"}},
	{kind: "settlement_refusal", table: "settlement_refusals", ref: "X.id"},
	{kind: "audit_log", table: "audit_log", ref: "X.id"},
	{kind: "payment_run", table: "payment_runs", ref: "X.id", digest: []string{"base_rate", "params", "weights"}},
	{kind: "hospital_settlement", table: "hospital_settlements", ref: "X.run_id || '/' || X.hospital", digest: []string{"settlement"}},
	{kind: "evaluation_run", table: "evaluation_runs", ref: "X.id", digest: []string{"results", "facts"}},
	{kind: "linkage", table: "linkage_adjustments", ref: "X.run_id || '/' || X.hospital", digest: []string{"adjustment"}},
	{kind: "technology_run", table: "technology_runs", ref: "X.id", digest: []string{"results"}},
	{kind: "judgement", table: "nhsa_judgements", ref: "X.jr_id", digest: []string{"msgid", "evidence"}},
	{kind: "contract", table: "contracts", ref: "X.person || '/' || X.institution || '/' || X.start_date"},
	{kind: "value_run", table: "value_runs", ref: "X.id", digest: []string{"measures", "settlement"}},
	{kind: "dip_run", table: "dip_runs", ref: "X.id", digest: []string{"results"}},
	{kind: "special_review", table: "special_reviews", ref: "X.setl_id"}, // 特例单议 queue and decisions (who, when, why)
}

// bulk is a table of run outputs too large for an entry per row: its rows are digested per
// key. A key is digested again only when its stamp (the largest value of a column) grows —
// a regrouping — so that a row edited behind yibao's back is never absorbed.
type bulk struct {
	kind, table string
	key         string // SQL expression
	order       string
	stamp       string // column whose maximum marks a new pass; empty: digested once
	exclude     []string
}

var bulkTables = []bulk{
	{kind: "case_payments", table: "case_payments", key: "run_id", order: "run_id, settlement_row"},
	{kind: "groupings", table: "groupings", key: "scheme || '/' || scheme_version", order: "settlement_row", stamp: "grouped_at"},
	{kind: "dip_assignments", table: "dip_assignments", key: "catalogue", order: "settlement_row"},
	{kind: "value_gaps", table: "value_gaps", key: "run_id", order: "rowid"},
}

type column struct{ name, typ string }

func (s *Store) columns(ctx context.Context, q querier, table string) ([]column, error) {
	if s.dialect != nil {
		cs, err := s.dialect.Columns(ctx, q, table)
		out := make([]column, len(cs))
		for i, c := range cs {
			out[i] = column{c.Name, c.Type}
		}
		return out, err
	}
	rows, err := q.QueryContext(ctx, `SELECT name, type FROM pragma_table_info(?) ORDER BY cid`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.name, &c.typ); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// content is the json_object over a row of t, with alias standing for the row (NEW, OLD,
// or a table alias).
func (s *Store) content(t tracked, cols []column, alias string) string {
	keep := map[string]bool{}
	for _, c := range t.include {
		keep[c] = true
	}
	dig := map[string]bool{}
	for _, c := range t.digest {
		dig[c] = true
	}
	var parts []string
	for _, c := range cols {
		if len(keep) > 0 && !keep[c.name] {
			continue
		}
		v := alias + "." + c.name
		switch {
		case dig[c.name]:
			parts = append(parts, "'"+c.name+"_sha256', yibao_sha256("+v+")")
		case strings.EqualFold(c.typ, "BLOB") || strings.EqualFold(c.typ, "bytea"):
			if s.dialect != nil {
				parts = append(parts, "'"+c.name+"', "+s.dialect.Hex(v))
			} else {
				parts = append(parts, "'"+c.name+"', hex("+v+")")
			}
		default:
			parts = append(parts, "'"+c.name+"', "+v)
		}
	}
	if s.dialect != nil {
		return s.dialect.JSONObject(strings.Join(parts, ", "))
	}
	return "json_object(" + strings.Join(parts, ", ") + ")"
}

func (t tracked) refOf(alias string) string { return strings.ReplaceAll(t.ref, "X.", alias+".") }

// ensureLedger (re)creates the triggers of every tracked table that exists, so that a column
// added by a later migration is recorded from then on.
func (s *Store) ensureLedger(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var generic []LedgerTrigger // for another engine's dialect
	for _, t := range trackedTables {
		cols, err := s.columns(ctx, tx, t.table)
		if err != nil {
			return err
		}
		if len(cols) == 0 {
			continue // a table of a capability this store does not have yet
		}
		for _, ev := range []struct{ name, when, alias, action string }{
			{"ins", "AFTER INSERT", "NEW", "insert"},
			// An update that changes nothing recorded (a re-audit finding the same) is no entry.
			{"upd", "AFTER UPDATE", "NEW", "update"},
			{"del", "AFTER DELETE", "OLD", "delete"},
		} {
			name := "ledger_" + t.table + "_" + ev.name
			if t.insertsInGo && ev.action == "insert" {
				continue
			}
			if s.dialect != nil {
				lt := LedgerTrigger{Name: name, Table: t.table, Event: strings.TrimPrefix(ev.when, "AFTER "), Alias: ev.alias,
					Kind: t.kind, Action: ev.action, Ref: t.refOf(ev.alias), Content: s.content(t, cols, ev.alias)}
				if ev.action == "update" {
					lt.Changed = s.content(t, cols, "OLD") + " IS DISTINCT FROM " + s.content(t, cols, "NEW")
				}
				generic = append(generic, lt)
				continue
			}
			when := ""
			if ev.action == "update" {
				when = " WHEN " + s.content(t, cols, "OLD") + " IS NOT " + s.content(t, cols, "NEW")
			}
			// yibao_ledger_now() exists only in yibao's connections: a write through another
			// SQLite client fails while the triggers stand, and dropping them to write shows up
			// in yibao verify.
			body := fmt.Sprintf("CREATE TRIGGER %s %s ON %s%s BEGIN INSERT INTO ledger (kind, ref, action, at, content) VALUES ('%s', %s, '%s', yibao_ledger_now(), %s); END",
				name, ev.when, t.table, when, t.kind, t.refOf(ev.alias), ev.action, s.content(t, cols, ev.alias))
			var have string
			err := tx.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?`, name).Scan(&have)
			switch {
			case err == nil && have == body:
				continue
			case err == nil:
				if _, err := tx.ExecContext(ctx, "DROP TRIGGER "+name); err != nil {
					return err
				}
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
			if _, err := tx.ExecContext(ctx, body); err != nil {
				return fmt.Errorf("ledger trigger %s: %w", name, err)
			}
		}
	}
	if s.dialect != nil {
		if err := s.dialect.EnsureTriggers(ctx, tx, generic); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// ledgerKey loads the checkpoint signing key from DATA_DIR/ledger.key (an Ed25519 seed in
// base64, mode 0600), creating it on first use.
func (s *Store) ledgerKey() (ed25519.PrivateKey, error) {
	if s.key != nil {
		return s.key, nil
	}
	path := filepath.Join(s.dir, "ledger.key")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		seed := make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(seed); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if errors.Is(err, os.ErrExist) {
			return s.ledgerKey() // another process made it first
		}
		if err != nil {
			return nil, fmt.Errorf("ledger key: %w", err)
		}
		if _, err := f.WriteString(base64.StdEncoding.EncodeToString(seed) + "\n"); err != nil {
			f.Close()
			return nil, err
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
		return ed25519.NewKeyFromSeed(seed), nil
	}
	if err != nil {
		return nil, fmt.Errorf("ledger key: %w", err)
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("ledger key %s: not a base64 Ed25519 seed", path)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// LedgerPublicKey is the key hospitals check checkpoints with.
func (s *Store) LedgerPublicKey() (ed25519.PublicKey, error) {
	k, err := s.ledgerKey()
	if err != nil {
		return nil, err
	}
	return k.Public().(ed25519.PublicKey), nil
}

// digestBulk appends a digest entry for every bulk key that has none yet (or whose stamp
// grew since its last digest).
func (s *Store) digestBulk(ctx context.Context, tx *sql.Tx) error {
	for _, b := range bulkTables {
		cols, err := s.columns(ctx, tx, b.table)
		if err != nil {
			return err
		}
		if len(cols) == 0 {
			continue
		}
		stamp := "''"
		if b.stamp != "" {
			stamp = "max(" + b.stamp + ")"
		}
		type keyRow struct{ key, stamp string }
		rows, qerr := tx.QueryContext(ctx, `SELECT CAST(`+b.key+` AS TEXT), CAST(`+stamp+` AS TEXT) FROM `+b.table+` GROUP BY `+b.key)
		keys, err := collectRows(rows, qerr, func(k *keyRow) []any { return []any{&k.key, &k.stamp} })
		if err != nil {
			return fmt.Errorf("ledger digest %s: %w", b.table, err)
		}
		for _, k := range keys {
			var last sql.NullString
			if err := tx.QueryRowContext(ctx, `SELECT content FROM ledger WHERE kind = ? AND ref = ? ORDER BY seq DESC LIMIT 1`, b.kind, k.key).Scan(&last); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if last.Valid {
				var d struct {
					Stamp string `json:"stamp"`
				}
				json.Unmarshal([]byte(last.String), &d)
				if b.stamp == "" || !stampGrew(d.Stamp, k.stamp) {
					continue
				}
			}
			content, err := s.bulkDigest(ctx, tx, b, cols, k.key, k.stamp)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO ledger (kind, ref, action, at, content) VALUES (?, ?, 'digest', yibao_ledger_now(), ?)`, b.kind, k.key, content); err != nil {
				return err
			}
		}
	}
	return nil
}

func stampGrew(old, cur string) bool {
	a, err1 := strconv.ParseInt(old, 10, 64)
	b, err2 := strconv.ParseInt(cur, 10, 64)
	if err1 != nil || err2 != nil {
		return old != cur
	}
	return b > a
}

// bulkDigest is the SHA-256 of the key's rows, each row as its json_object on a line, in
// the table's order.
func (s *Store) bulkDigest(ctx context.Context, q querier, b bulk, cols []column, key, stamp string) (string, error) {
	obj := s.content(tracked{}, cols, b.table)
	rows, err := q.QueryContext(ctx, `SELECT `+obj+` FROM `+b.table+` WHERE CAST(`+b.key+` AS TEXT) = ? ORDER BY `+b.order, key)
	if err != nil {
		return "", fmt.Errorf("ledger digest %s %s: %w", b.table, key, err)
	}
	defer rows.Close()
	h := sha256.New()
	n := 0
	var line string
	for rows.Next() {
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		h.Write([]byte(line))
		h.Write([]byte{'\n'})
		n++
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	out, _ := json.Marshal(map[string]any{"rows": n, "sha256": hex.EncodeToString(h.Sum(nil)), "stamp": stamp})
	return string(out), nil
}

// Checkpoint digests new bulk outputs and, when the ledger grew since the last checkpoint,
// signs its new root. It returns the latest checkpoint either way (ok is false when the
// ledger is empty).
func (s *Store) Checkpoint(ctx context.Context) (ledger.Signed, bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return ledger.Signed{}, false, err
	}
	defer tx.Rollback()
	if s.dialect != nil {
		// Processes sharing a database checkpoint one at a time.
		if err := s.dialect.LockLedger(ctx, tx); err != nil {
			return ledger.Signed{}, false, err
		}
	}
	if err := s.digestBulk(ctx, tx); err != nil {
		return ledger.Signed{}, false, err
	}
	var size uint64
	var signed, frontier string
	err = tx.QueryRowContext(ctx, `SELECT size, signed, frontier FROM ledger_checkpoints ORDER BY size DESC LIMIT 1`).Scan(&size, &signed, &frontier)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return ledger.Signed{}, false, err
	}
	b := ledger.NewBuilder()
	if size > 0 {
		var hs []string
		if err := json.Unmarshal([]byte(frontier), &hs); err != nil {
			return ledger.Signed{}, false, fmt.Errorf("ledger checkpoint %d frontier: %w", size, err)
		}
		fr := make([][]byte, len(hs))
		for i, h := range hs {
			if fr[i], err = base64.StdEncoding.DecodeString(h); err != nil {
				return ledger.Signed{}, false, fmt.Errorf("ledger checkpoint %d frontier: %w", size, err)
			}
		}
		if b, err = ledger.ResumeBuilder(size, fr); err != nil {
			return ledger.Signed{}, false, err
		}
	}
	n := size
	err = s.eachEntry(ctx, tx, size, func(e ledger.Entry) error {
		if e.Seq != n+1 {
			return fmt.Errorf("ledger entry %d follows %d: the ledger was changed behind yibao's back; run yibao verify", e.Seq, n)
		}
		n = e.Seq
		return b.Append(e.LeafHash())
	})
	if err != nil {
		return ledger.Signed{}, false, err
	}
	if n == size {
		if size == 0 {
			return ledger.Signed{}, false, tx.Commit()
		}
		cp, err := ledger.ParseSigned(signed)
		return cp, true, errors.Join(err, tx.Commit())
	}
	root, err := b.Root()
	if err != nil {
		return ledger.Signed{}, false, err
	}
	key, err := s.ledgerKey()
	if err != nil {
		return ledger.Signed{}, false, err
	}
	if size > 0 {
		// A process with another key (a database shared by servers that do not share the
		// key) would sign checkpoints nobody can check against the published key.
		last, err := ledger.ParseSigned(signed)
		if err != nil {
			return ledger.Signed{}, false, fmt.Errorf("ledger checkpoint %d: %w", size, err)
		}
		if id := ledger.KeyID(key.Public().(ed25519.PublicKey)); id != last.KeyID {
			return ledger.Signed{}, false, fmt.Errorf("the ledger is signed with key %s, this process holds key %s: give it the ledger's key (YIBAO_LEDGER_KEY, or ledger.key in its data/state directory)", last.KeyID, id)
		}
	}
	cp := ledger.Sign(ledger.Checkpoint{Origin: s.origin(), Size: n, Root: root, Time: time.Now().UTC().Truncate(time.Second)}, key)
	fj, _ := json.Marshal(ledger.EncodeHashes(b.Frontier()))
	if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_checkpoints (size, root, at, signed, frontier) VALUES (?, ?, ?, ?, ?)`,
		n, root, cp.Time.Unix(), cp.Text(), string(fj)); err != nil {
		return ledger.Signed{}, false, err
	}
	return cp, true, tx.Commit()
}

type querier interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

func (s *Store) eachEntry(ctx context.Context, q querier, after uint64, fn func(ledger.Entry) error) error {
	rows, err := q.QueryContext(ctx, `SELECT seq, kind, ref, action, at, content FROM ledger WHERE seq > ? ORDER BY seq`, after)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e ledger.Entry
		if err := rows.Scan(&e.Seq, &e.Kind, &e.Ref, &e.Action, &e.At, &e.Content); err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Checkpoints returns every stored checkpoint, oldest first.
func (s *Store) Checkpoints(ctx context.Context) ([]ledger.Signed, error) {
	return s.checkpoints(ctx, s.db)
}

func (s *Store) checkpoints(ctx context.Context, q querier) ([]ledger.Signed, error) {
	rows, qerr := q.QueryContext(ctx, `SELECT signed FROM ledger_checkpoints ORDER BY size`)
	texts, err := collectRows(rows, qerr, func(t *string) []any { return []any{t} })
	if err != nil {
		return nil, err
	}
	out := make([]ledger.Signed, 0, len(texts))
	for i, t := range texts {
		c, err := ledger.ParseSigned(t)
		if err != nil {
			return nil, fmt.Errorf("checkpoint %d: %w", i+1, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// VerifyLedger recomputes the tree from the stored entries, checks every checkpoint, and
// compares every tracked row and bulk output with what the ledger last recorded for it.
func (s *Store) VerifyLedger(ctx context.Context, pub ed25519.PublicKey) (entries int, problems []ledger.Problem, err error) {
	var db querier = s.db
	if s.dialect != nil {
		// A server engine may be written while verify reads: one snapshot for every query.
		tx, err := s.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
		if err != nil {
			return 0, nil, err
		}
		defer tx.Rollback()
		db = tx
	}
	var all []ledger.Entry
	type ref struct{ kind, ref string }
	latest := map[ref]ledger.Entry{}
	if err := s.eachEntry(ctx, db, 0, func(e ledger.Entry) error {
		all = append(all, e)
		if e.Kind != "settlement_batch" {
			latest[ref{e.Kind, e.Ref}] = e
			return nil
		}
		xs, err := expand(e)
		for _, x := range xs {
			latest[ref{x.Kind, x.Ref}] = x
		}
		return err
	}); err != nil {
		return 0, nil, err
	}
	cps, err := s.checkpoints(ctx, db)
	if err != nil {
		return len(all), nil, err
	}
	if len(cps) == 0 && len(all) > 0 {
		problems = append(problems, ledger.Problem{Kind: "checkpoint", Ref: "-", What: "checkpoint", Detail: "entries but no signed checkpoint"})
	}
	problems = append(problems, ledger.CheckLog(all, cps, pub)...)
	seen := map[ref]bool{}
	for _, t := range trackedTables {
		cols, err := s.columns(ctx, db, t.table)
		if err != nil {
			return len(all), nil, err
		}
		if len(cols) == 0 {
			continue
		}
		rows, err := db.QueryContext(ctx, `SELECT `+t.refOf(t.table)+`, `+s.content(t, cols, t.table)+` FROM `+t.table)
		if err != nil {
			return len(all), nil, fmt.Errorf("verify %s: %w", t.table, err)
		}
		for rows.Next() {
			var r, content string
			if err := rows.Scan(&r, &content); err != nil {
				rows.Close()
				return len(all), nil, err
			}
			k := ref{t.kind, r}
			seen[k] = true
			e, ok := latest[k]
			switch {
			case !ok || e.Action == "delete":
				problems = append(problems, ledger.Problem{Kind: t.kind, Ref: r, What: "inserted", Detail: "row not in the ledger: inserted behind yibao's back"})
			default:
				diff, err := ledger.Diff(e.Content, content)
				if err != nil {
					problems = append(problems, ledger.Problem{Kind: t.kind, Ref: r, What: "edited", Detail: err.Error()})
				} else if len(diff) > 0 {
					problems = append(problems, ledger.Problem{Kind: t.kind, Ref: r, What: "edited",
						Detail: fmt.Sprintf("columns %s differ from ledger entry %d", strings.Join(diff, ", "), e.Seq)})
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return len(all), nil, err
		}
	}
	content, err := s.verifySettlementContent(ctx)
	if err != nil {
		return len(all), nil, err
	}
	problems = append(problems, content...)
	unguarded, err := s.missingTriggers(ctx)
	if err != nil {
		return len(all), nil, err
	}
	problems = append(problems, unguarded...)
	kinds := map[string]bool{}
	for _, t := range trackedTables {
		kinds[t.kind] = true
	}
	for k, e := range latest {
		if kinds[k.kind] && !seen[k] && e.Action != "delete" {
			problems = append(problems, ledger.Problem{Kind: k.kind, Ref: k.ref, What: "deleted",
				Detail: fmt.Sprintf("in the ledger (entry %d) but no longer in the database", e.Seq)})
		}
	}
	for _, b := range bulkTables {
		cols, err := s.columns(ctx, db, b.table)
		if err != nil {
			return len(all), nil, err
		}
		if len(cols) == 0 {
			continue
		}
		type keyRow struct{ key, stamp string }
		stamp := "''"
		if b.stamp != "" {
			stamp = "max(" + b.stamp + ")"
		}
		rows, qerr := db.QueryContext(ctx, `SELECT CAST(`+b.key+` AS TEXT), CAST(`+stamp+` AS TEXT) FROM `+b.table+` GROUP BY `+b.key)
		keys, err := collectRows(rows, qerr, func(k *keyRow) []any { return []any{&k.key, &k.stamp} })
		if err != nil {
			return len(all), nil, err
		}
		present := map[string]bool{}
		for _, k := range keys {
			present[k.key] = true
			e, ok := latest[ref{b.kind, k.key}]
			if !ok {
				problems = append(problems, ledger.Problem{Kind: b.kind, Ref: k.key, What: "inserted", Detail: "rows without a ledger digest"})
				continue
			}
			var d struct {
				Stamp string `json:"stamp"`
			}
			json.Unmarshal([]byte(e.Content), &d)
			content, err := s.bulkDigest(ctx, db, b, cols, k.key, d.Stamp)
			if err != nil {
				return len(all), nil, err
			}
			if diff, _ := ledger.Diff(e.Content, content); len(diff) > 0 {
				problems = append(problems, ledger.Problem{Kind: b.kind, Ref: k.key, What: "edited",
					Detail: fmt.Sprintf("%s differ from digest entry %d: rows were edited, added or deleted", strings.Join(diff, ", "), e.Seq)})
			}
		}
		for k, e := range latest {
			if k.kind == b.kind && !present[k.ref] {
				problems = append(problems, ledger.Problem{Kind: b.kind, Ref: k.ref, What: "deleted", Detail: fmt.Sprintf("digested in entry %d, no rows left", e.Seq)})
			}
		}
	}
	return len(all), problems, nil
}

// LedgerProof finds the latest entry of a kind and ref and proves its inclusion in the
// latest checkpoint.
func (s *Store) LedgerProof(ctx context.Context, kind, ref string) (ledger.InclusionProof, error) {
	cp, ok, err := s.Checkpoint(ctx)
	if err != nil {
		return ledger.InclusionProof{}, err
	}
	if !ok {
		return ledger.InclusionProof{}, errors.New("the ledger is empty")
	}
	var e ledger.Entry
	err = s.db.QueryRowContext(ctx, `SELECT seq, kind, ref, action, at, content FROM ledger WHERE kind = ? AND ref = ? AND seq <= ? ORDER BY seq DESC LIMIT 1`,
		kind, ref, cp.Size).Scan(&e.Seq, &e.Kind, &e.Ref, &e.Action, &e.At, &e.Content)
	if errors.Is(err, sql.ErrNoRows) && kind == "settlement" {
		// A version never updated since ingest: the batch entry that recorded it.
		key, _ := marshalNoEscape(ref)
		err = s.db.QueryRowContext(ctx, `SELECT seq, kind, ref, action, at, content FROM ledger WHERE kind = 'settlement_batch' AND seq <= ?
			AND instr(content, ?) > 0 ORDER BY seq DESC LIMIT 1`, cp.Size, string(key)+":").Scan(&e.Seq, &e.Kind, &e.Ref, &e.Action, &e.At, &e.Content)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ledger.InclusionProof{}, fmt.Errorf("no ledger entry for %s %s", kind, ref)
	}
	if err != nil {
		return ledger.InclusionProof{}, err
	}
	leaves, err := s.leafHashes(ctx, cp.Size)
	if err != nil {
		return ledger.InclusionProof{}, err
	}
	path, err := ledger.NewTree(leaves).Inclusion(e.Seq-1, cp.Size)
	if err != nil {
		return ledger.InclusionProof{}, err
	}
	return ledger.InclusionProof{Subject: ref, Entry: e, Checkpoint: cp.Text(), Hashes: ledger.EncodeHashes(path)}, nil
}

// LedgerConsistency proves that the checkpoint of size old is a prefix of the one of size new
// (0: the latest).
func (s *Store) LedgerConsistency(ctx context.Context, oldSize, newSize uint64) (ledger.ConsistencyProof, error) {
	cps, err := s.Checkpoints(ctx)
	if err != nil {
		return ledger.ConsistencyProof{}, err
	}
	find := func(n uint64) (ledger.Signed, bool) {
		for _, c := range cps {
			if c.Size == n {
				return c, true
			}
		}
		return ledger.Signed{}, false
	}
	if len(cps) == 0 {
		return ledger.ConsistencyProof{}, errors.New("no checkpoints")
	}
	if newSize == 0 {
		newSize = cps[len(cps)-1].Size
	}
	a, ok1 := find(oldSize)
	b, ok2 := find(newSize)
	if !ok1 || !ok2 {
		return ledger.ConsistencyProof{}, fmt.Errorf("no checkpoint of size %d or %d", oldSize, newSize)
	}
	leaves, err := s.leafHashes(ctx, newSize)
	if err != nil {
		return ledger.ConsistencyProof{}, err
	}
	p, err := ledger.NewTree(leaves).Consistency(oldSize, newSize)
	if err != nil {
		return ledger.ConsistencyProof{}, err
	}
	return ledger.ConsistencyProof{Old: a.Text(), New: b.Text(), Hashes: ledger.EncodeHashes(p)}, nil
}

func (s *Store) leafHashes(ctx context.Context, size uint64) ([][]byte, error) {
	out := make([][]byte, 0, size)
	err := s.eachEntry(ctx, s.db, 0, func(e ledger.Entry) error {
		if e.Seq <= size {
			out = append(out, e.LeafHash())
		}
		return nil
	})
	if err == nil && uint64(len(out)) != size {
		err = fmt.Errorf("ledger has %d entries up to %d: run yibao verify", len(out), size)
	}
	return out, err
}

// LedgerEntries returns the entries of a kind and ref, oldest first (the history of one
// finding, settlement or run).
func (s *Store) LedgerEntries(ctx context.Context, kind, ref string) ([]ledger.Entry, error) {
	rows, qerr := s.db.QueryContext(ctx, `SELECT seq, kind, ref, action, at, content FROM ledger WHERE kind = ? AND ref = ? ORDER BY seq`, kind, ref)
	return collectRows(rows, qerr, func(e *ledger.Entry) []any { return []any{&e.Seq, &e.Kind, &e.Ref, &e.Action, &e.At, &e.Content} })
}

// BeginFile records an ingest batch for a file (lineage); settlements read from it carry
// its id.
func (s *Store) BeginFile(ctx context.Context, path, operator string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO ingest_batches (file, operator, started_at) VALUES (?, ?, ?)`, abs, operator, time.Now().Unix())
	if err != nil {
		return err
	}
	id, _ := res.LastInsertId()
	s.batchMu.Lock()
	s.batches[path] = id
	s.batchMu.Unlock()
	return nil
}

// EndFile completes the batch with the file's hash and counts.
func (s *Store) EndFile(ctx context.Context, path string, f ingest.FileSummary) error {
	s.batchMu.Lock()
	id, ok := s.batches[path]
	delete(s.batches, path)
	s.batchMu.Unlock()
	if !ok {
		return fmt.Errorf("no batch begun for %s", path)
	}
	_, err := s.db.ExecContext(ctx, `UPDATE ingest_batches SET sha256 = ?, bytes = ?, read = ?, loaded = ?, rejected = ?, finished_at = ? WHERE id = ?`,
		f.SHA256, f.Bytes, f.Read, f.Loaded, f.Rejected, time.Now().Unix(), id)
	return err
}

func (s *Store) batchOf(path string) any {
	s.batchMu.Lock()
	defer s.batchMu.Unlock()
	if id, ok := s.batches[path]; ok {
		return id
	}
	return nil
}

// Lineage is where a settlement version came from.
type Lineage struct {
	SetlID   string `json:"setl_id"`
	Version  int    `json:"version"`
	Batch    *int64 `json:"batch"`
	File     string `json:"file"`
	SHA256   string `json:"sha256"`
	Record   *int64 `json:"record"`
	Operator string `json:"operator"`
	Loaded   int64  `json:"loaded_at"`
}

// SettlementLineage returns the lineage of every version of a settlement.
func (s *Store) SettlementLineage(ctx context.Context, setlID string) ([]Lineage, error) {
	rows, qerr := s.db.QueryContext(ctx, `SELECT s.setl_id, s.version, s.batch_id, coalesce(b.file, ''), coalesce(b.sha256, ''), s.record_no,
		coalesce(b.operator, ''), s.ingested_at FROM settlements s LEFT JOIN ingest_batches b ON b.id = s.batch_id WHERE s.setl_id = ? ORDER BY s.version`, setlID)
	return collectRows(rows, qerr, func(l *Lineage) []any {
		return []any{&l.SetlID, &l.Version, &l.Batch, &l.File, &l.SHA256, &l.Record, &l.Operator, &l.Loaded}
	})
}
