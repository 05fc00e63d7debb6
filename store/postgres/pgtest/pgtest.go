// Package pgtest starts a throwaway PostgreSQL server for tests: initdb in a temporary
// directory, the server on a free loopback port with its socket in that directory, run as
// the postgres user when the tests run as root. Tests that need it fail (never skip) when
// PostgreSQL cannot be started: `make test` installs Debian's postgresql package.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a running throwaway PostgreSQL server.
type Server struct {
	dir, bin string
	port     int
	asUser   string // "postgres" when run as root
	n        atomic.Int64
}

// Options tune the server.
type Options struct {
	// Durable keeps fsync and synchronous commit on (benchmarks); tests turn them off.
	Durable bool
}

// binDir finds PostgreSQL's programs: $PG_BIN, pg_config --bindir, else the newest
// /usr/lib/postgresql/*/bin.
func binDir() (string, error) {
	if d := os.Getenv("PG_BIN"); d != "" {
		return d, nil
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		d := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	ds, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(ds, func(i, j int) bool {
		a, _ := strconv.Atoi(filepath.Base(filepath.Dir(ds[i])))
		b, _ := strconv.Atoi(filepath.Base(filepath.Dir(ds[j])))
		return a > b
	})
	for _, d := range ds {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("PostgreSQL is not installed (no initdb in $PG_BIN, pg_config --bindir or /usr/lib/postgresql/*/bin): run `make test` or apt-get install postgresql")
}

// Start initialises and starts a server.
func Start(o Options) (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	stopOrphans(bin)
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, err
	}
	// The test process that owns the server: a later run stops a server whose owner died
	// without stopping it (a crash, a kill).
	if err := os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Server{dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		// initdb refuses root: the server runs as the postgres user, owning the directory.
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root and no postgres user to run PostgreSQL as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		s.asUser = "postgres"
	}
	if out, err := s.cmd("initdb", "-D", s.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync").CombinedOutput(); err != nil {
		s.cleanup()
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	if s.port, err = freePort(); err != nil {
		s.cleanup()
		return nil, err
	}
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c max_connections=60 -c shared_buffers=64MB", s.port, s.dir)
	if !o.Durable {
		opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	}
	if out, err := s.cmd("pg_ctl", "-D", s.data(), "-l", filepath.Join(s.dir, "server.log"), "-o", opts, "-w", "-t", "60", "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
		s.cleanup()
		return nil, fmt.Errorf("pg_ctl start: %v: %s\n%s", err, out, log)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		c, err := pgx.Connect(ctx, s.URL("postgres"))
		if err == nil {
			c.Close(ctx)
			return s, nil
		}
		if ctx.Err() != nil {
			s.Stop()
			return nil, fmt.Errorf("PostgreSQL did not accept connections: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

const dirPrefix = "yibao-pgtest-"

// stopOrphans stops and removes the servers of earlier test processes that are gone: only
// directories this package made (prefix and owner.pid) whose owner no longer runs.
func stopOrphans(bin string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "owner.pid"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || processAlive(pid) {
			continue
		}
		o := &Server{dir: d, bin: bin}
		if os.Geteuid() == 0 {
			o.asUser = "postgres"
		}
		if _, err := os.Stat(filepath.Join(d, "data", "postmaster.pid")); err == nil {
			o.cmd("pg_ctl", "-D", o.data(), "-m", "immediate", "-w", "stop").Run()
		}
		os.RemoveAll(d)
	}
}

func processAlive(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return err == nil
}

func (s *Server) data() string { return filepath.Join(s.dir, "data") }

func (s *Server) cmd(name string, args ...string) *exec.Cmd {
	prog := filepath.Join(s.bin, name)
	if s.asUser != "" {
		return exec.Command("runuser", append([]string{"-u", s.asUser, "--", prog}, args...)...)
	}
	return exec.Command(prog, args...)
}

func (s *Server) cleanup() { os.RemoveAll(s.dir) }

// Stop shuts the server down and removes its directory.
func (s *Server) Stop() error {
	var out []byte
	var err error
	if s.port != 0 {
		out, err = s.cmd("pg_ctl", "-D", s.data(), "-m", "fast", "-w", "stop").CombinedOutput()
	}
	s.cleanup()
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// URL is the connection URL of a database on the server.
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// NewDatabase creates an empty database with a fresh name and returns its URL.
func (s *Server) NewDatabase(prefix string) (string, error) {
	name := fmt.Sprintf("%s_%d", prefix, s.n.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return "", err
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", err
	}
	return s.URL(name), nil
}

// Exec runs SQL on a database as the superuser (tests that change rows behind yibao's back).
func Exec(ctx context.Context, url, sql string, args ...any) error {
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, sql, args...)
	return err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Shared is one server per test binary, started on first use; TestMain calls StopShared.
type Shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Get starts the server on first call.
func (sh *Shared) Get() (*Server, error) {
	sh.once.Do(func() { sh.srv, sh.err = Start(Options{}) })
	if sh.err != nil {
		return nil, fmt.Errorf("cannot start PostgreSQL for the tests (CI installs it; `make test` installs it when missing): %w", sh.err)
	}
	return sh.srv, nil
}

// Stop stops the server if it was started.
func (sh *Shared) Stop() {
	if sh.srv != nil {
		sh.srv.Stop()
	}
}
