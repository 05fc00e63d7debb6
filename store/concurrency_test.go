package store_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/yibao-dev/yibao/ingest"
	"github.com/yibao-dev/yibao/store/sqlite"
	"github.com/yibao-dev/yibao/synth"
)

// What the embedded store cannot give: two cockpit servers (each its own store, as two
// `yibao serve` processes) read and log actions while an ingest writes, against one
// PostgreSQL database. Every read sees a consistent state (never two current versions of
// a settlement, never a version count going back), no one fails, and the ledger — written
// by all three — verifies with no gap or reordering.
func TestPostgresConcurrentServersAndIngest(t *testing.T) {
	ctx := context.Background()
	base := t.TempDir()
	first, second := filepath.Join(base, "r1"), filepath.Join(base, "r2")
	if _, err := synth.Run(ctx, synth.Config{Seed: 21, Hospitals: 8, Persons: 600, Months: 12, Out: first}); err != nil {
		t.Fatal(err)
	}
	// The same region with other content: the second ingest writes new versions of most
	// settlements (retiring the old ones) while the servers read.
	if _, err := synth.Run(ctx, synth.Config{Seed: 22, Hospitals: 8, Persons: 900, Months: 12, Out: second}); err != nil {
		t.Fatal(err)
	}
	loc := freshPostgres(t)
	ps, _ := ingest.NewPseudonymiser(bytes.Repeat([]byte{7}, 32))
	writer := open(t, loc)
	if _, err := ingest.Run(ctx, writer, []string{first}, ingest.Options{Pseudonymiser: ps, BatchSize: 200}); err != nil {
		t.Fatal(err)
	}
	servers := []*sqlite.Store{open(t, loc), open(t, loc)}
	var done atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	reads := make([]int, len(servers))
	for i, srv := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lastVersions := 0
			for n := 0; !done.Load() || n < 3; n++ {
				var current, distinct, versions int
				if err := srv.DB().QueryRowContext(ctx, `SELECT count(*), count(DISTINCT setl_id), (SELECT count(*) FROM settlements) FROM settlements WHERE current = 1`).Scan(&current, &distinct, &versions); err != nil {
					errs <- fmt.Errorf("server %d: %w", i, err)
					return
				}
				if current != distinct {
					errs <- fmt.Errorf("server %d saw %d current rows for %d settlements: a torn read", i, current, distinct)
					return
				}
				if versions < lastVersions {
					errs <- fmt.Errorf("server %d saw versions go from %d back to %d", i, lastVersions, versions)
					return
				}
				lastVersions = versions
				if _, err := srv.Monthly(ctx, ""); err != nil {
					errs <- fmt.Errorf("server %d monthly: %w", i, err)
					return
				}
				if _, err := srv.Findings(ctx, sqlite.FindingFilter{Limit: 50}); err != nil {
					errs <- fmt.Errorf("server %d findings: %w", i, err)
					return
				}
				// What a server writes: the audit log of a login, a tracked table.
				if err := srv.LogAction(ctx, fmt.Sprint("analyst", i), "login", fmt.Sprint("read ", n)); err != nil {
					errs <- fmt.Errorf("server %d log: %w", i, err)
					return
				}
				reads[i]++
			}
		}()
	}
	sum, err := ingest.Run(ctx, writer, []string{second}, ingest.Options{Pseudonymiser: ps, BatchSize: 100})
	done.Store(true)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if err != nil {
		t.Fatal(err)
	}
	if sum.Loaded+sum.NewVersions == 0 {
		t.Fatalf("the second ingest wrote nothing: %+v", sum)
	}
	for i, srv := range servers {
		if err := srv.Close(); err != nil { // each signs a checkpoint
			t.Fatalf("server %d close: %v", i, err)
		}
	}
	pub, _ := writer.LedgerPublicKey()
	if err := writer.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("servers read %v times during an ingest of %+v", reads, sum)
	if ps := verifyStore(t, loc, pub); len(ps) != 0 {
		t.Fatalf("ledger after concurrent writers: %v", ps)
	}
}
