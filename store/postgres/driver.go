package postgres

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// The shared store's SQL is written in the subset SQLite and PostgreSQL share, with three
// SQLite spellings this driver rewrites, once per distinct query text:
//
//   - `?` placeholders become $1, $2, … (outside quoted strings and identifiers);
//   - INSERT OR REPLACE becomes INSERT … ON CONFLICT (primary key) DO UPDATE SET every other
//     column (what REPLACE does for the tables that use it, which have no other unique key),
//     INSERT OR IGNORE becomes INSERT … ON CONFLICT DO NOTHING;
//   - CAST(… AS REAL) and CAST(… AS INTEGER) become DOUBLE PRECISION and BIGINT, SQLite's
//     sizes;
//   - an INSERT run by Exec into a table with an `id` identity column gets RETURNING id, so
//     that Result.LastInsertId works as on SQLite.
//
// Go booleans are written as 0/1 (the schema keeps SQLite's integer flags), and the few
// SQLite functions the SQL calls (strftime, instr, yibao_sha256) are defined by the
// migrations.

type connector struct {
	inner driver.Connector
	d     *dialect
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := dc.(*stdlib.Conn)
	if !ok {
		dc.Close()
		return nil, errNoConn
	}
	return &conn{Conn: sc, meta: c.d.meta}, nil
}

func (c *connector) Driver() driver.Driver { return c.inner.Driver() }

// conn is pgx's database/sql connection with the queries rewritten.
type conn struct {
	*stdlib.Conn
	meta *meta
}

func (c *conn) CheckNamedValue(nv *driver.NamedValue) error {
	if nv.Value == nil {
		return nil
	}
	if v := reflect.ValueOf(nv.Value); v.Kind() == reflect.Bool {
		if v.Bool() {
			nv.Value = int64(1)
		} else {
			nv.Value = int64(0)
		}
	}
	return nil
}

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// PrepareContext only rewrites: pgx prepares and caches statements by their text itself.
func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	t, err := c.meta.translate(ctx, c.Conn.Conn(), query)
	if err != nil {
		return nil, err
	}
	return &stmt{c: c, t: t}, nil
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	t, err := c.meta.translate(ctx, c.Conn.Conn(), query)
	if err != nil {
		return nil, err
	}
	return c.exec(ctx, t, args)
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	t, err := c.meta.translate(ctx, c.Conn.Conn(), query)
	if err != nil {
		return nil, err
	}
	return c.Conn.QueryContext(ctx, t.sql, args)
}

func (c *conn) exec(ctx context.Context, t translation, args []driver.NamedValue) (driver.Result, error) {
	if !t.returningID {
		return c.Conn.ExecContext(ctx, t.sql, args)
	}
	rows, err := c.Conn.QueryContext(ctx, t.sql+" RETURNING id", args)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var res result
	dest := make([]driver.Value, 1)
	for {
		err := rows.Next(dest)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		res.n++
		if id, ok := dest[0].(int64); ok {
			res.id = id
		}
	}
	return res, nil
}

type result struct{ id, n int64 }

func (r result) LastInsertId() (int64, error) { return r.id, nil }
func (r result) RowsAffected() (int64, error) { return r.n, nil }

type stmt struct {
	c *conn
	t translation
}

func (s *stmt) Close() error  { return nil }
func (s *stmt) NumInput() int { return -1 }
func (s *stmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), named(args))
}
func (s *stmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), named(args))
}
func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.c.exec(ctx, s.t, args)
}
func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.c.Conn.QueryContext(ctx, s.t.sql, args)
}

func named(args []driver.Value) []driver.NamedValue {
	out := make([]driver.NamedValue, len(args))
	for i, a := range args {
		out[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return out
}

// translation is a query in PostgreSQL's spelling.
type translation struct {
	sql         string
	returningID bool // an INSERT into a table with an id column: Exec asks for it back
}

// meta caches translations and what they need to know of tables, for every connection.
type meta struct {
	mu     sync.Mutex
	cache  map[string]translation
	tables map[string]tableInfo
}

type tableInfo struct {
	hasID bool
	pk    []string
}

func newMeta() *meta { return &meta{cache: map[string]translation{}, tables: map[string]tableInfo{}} }

var castReal = regexp.MustCompile(`(?i)\bAS\s+REAL\s*\)`)
var castInteger = regexp.MustCompile(`(?i)\bAS\s+INTEGER\s*\)`)

var insertOr = regexp.MustCompile(`(?is)^\s*INSERT\s+OR\s+(REPLACE|IGNORE)\s+INTO`)
var returning = regexp.MustCompile(`(?i)\bRETURNING\b`)

var insertHead = regexp.MustCompile(`(?is)^\s*INSERT\s+(OR\s+(REPLACE|IGNORE)\s+)?INTO\s+([A-Za-z_][A-Za-z0-9_]*)\s*(\(([^)]*)\))?`)

func (m *meta) translate(ctx context.Context, c *pgx.Conn, query string) (translation, error) {
	m.mu.Lock()
	t, ok := m.cache[query]
	m.mu.Unlock()
	if ok {
		return t, nil
	}
	t.sql = rebind(query)
	// SQLite's REAL is 8 bytes and its INTEGER 8: PostgreSQL's REAL is 4, its INTEGER 4.
	t.sql = castReal.ReplaceAllString(t.sql, "AS DOUBLE PRECISION)")
	t.sql = castInteger.ReplaceAllString(t.sql, "AS BIGINT)")
	if h := insertHead.FindStringSubmatchIndex(t.sql); h != nil {
		or := ""
		if h[4] >= 0 {
			or = strings.ToUpper(t.sql[h[4]:h[5]])
		}
		table := strings.ToLower(t.sql[h[6]:h[7]])
		var cols []string
		if h[10] >= 0 {
			for _, c := range strings.Split(t.sql[h[10]:h[11]], ",") {
				cols = append(cols, strings.ToLower(strings.TrimSpace(c)))
			}
		}
		info, err := m.table(ctx, c, table)
		if err != nil {
			return translation{}, err
		}
		body := strings.TrimRight(strings.TrimSpace(t.sql), ";")
		if or != "" {
			body = insertOr.ReplaceAllString(body, "INSERT INTO")
		}
		switch or {
		case "IGNORE":
			body += " ON CONFLICT DO NOTHING"
		case "REPLACE":
			if len(info.pk) == 0 || len(cols) == 0 {
				return translation{}, fmt.Errorf("postgres: INSERT OR REPLACE into %s needs a primary key and a column list", table)
			}
			pk := map[string]bool{}
			for _, k := range info.pk {
				pk[k] = true
			}
			var set []string
			for _, c := range cols {
				if !pk[c] {
					set = append(set, c+" = EXCLUDED."+c)
				}
			}
			if len(set) == 0 {
				body += " ON CONFLICT (" + strings.Join(info.pk, ", ") + ") DO NOTHING"
			} else {
				body += " ON CONFLICT (" + strings.Join(info.pk, ", ") + ") DO UPDATE SET " + strings.Join(set, ", ")
			}
		}
		t.sql = body
		t.returningID = info.hasID && !returning.MatchString(body)
	}
	m.mu.Lock()
	if len(m.cache) >= maxCached {
		// Query texts vary with IN-list lengths: a bound keeps a long-running server's
		// memory flat (translating again is cheap).
		clear(m.cache)
	}
	m.cache[query] = t
	m.mu.Unlock()
	return t, nil
}

const maxCached = 4096

// table reads (once) whether a table has an id column and its primary key.
func (m *meta) table(ctx context.Context, c *pgx.Conn, name string) (tableInfo, error) {
	m.mu.Lock()
	info, ok := m.tables[name]
	m.mu.Unlock()
	if ok {
		return info, nil
	}
	rows, err := c.Query(ctx, `SELECT a.attname, coalesce((SELECT true FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary AND a.attnum = ANY (i.indkey)), false),
		array_position((SELECT i.indkey::int2[] FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary), a.attnum)
		FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid JOIN pg_namespace n ON n.oid = r.relnamespace
		WHERE r.relname = $1 AND n.nspname = current_schema() AND a.attnum > 0 AND NOT a.attisdropped`, name)
	if err != nil {
		return tableInfo{}, fmt.Errorf("postgres: table %s: %w", name, err)
	}
	type pkCol struct {
		name string
		pos  int
	}
	var pks []pkCol
	for rows.Next() {
		var col string
		var isPK bool
		var pos *int32
		if err := rows.Scan(&col, &isPK, &pos); err != nil {
			rows.Close()
			return tableInfo{}, err
		}
		if col == "id" {
			info.hasID = true
		}
		if isPK && pos != nil {
			pks = append(pks, pkCol{col, int(*pos)})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return tableInfo{}, err
	}
	sort.Slice(pks, func(i, j int) bool { return pks[i].pos < pks[j].pos })
	for _, p := range pks {
		info.pk = append(info.pk, p.name)
	}
	m.mu.Lock()
	m.tables[name] = info
	m.mu.Unlock()
	return info, nil
}

// rebind turns ? placeholders into $n, leaving quoted text and comments alone.
func rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		ch := q[i]
		switch ch {
		case '\'', '"':
			j := i + 1
			for j < len(q) && q[j] != ch {
				j++
			}
			if j >= len(q) {
				j = len(q) - 1
			}
			b.WriteString(q[i : j+1])
			i = j
		case '-':
			if i+1 < len(q) && q[i+1] == '-' {
				j := strings.IndexByte(q[i:], '\n')
				if j < 0 {
					j = len(q) - i - 1
				}
				b.WriteString(q[i : i+j+1])
				i += j
				continue
			}
			b.WriteByte(ch)
		case '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}
