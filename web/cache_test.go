package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/yibao-dev/yibao/store/sqlite"
)

// Issue 10 finding 10: the cockpit's summaries follow the store's change counter (a CLI
// ingest shows without a restart), and the cache has a size cap.
func TestCacheFollowsStoreVersion(t *testing.T) {
	version := int64(1)
	c := &cache{m: map[string]any{}, version: func(context.Context) (int64, error) { return version, nil }}
	computed := 0
	get := func() { c.get("k", func() (any, error) { computed++; return computed, nil }) }
	get()
	get()
	if computed != 1 {
		t.Fatalf("computed %d times", computed)
	}
	version = 2
	c.checked = time.Time{} // as if a second had passed
	get()
	if computed != 2 {
		t.Fatal("a store change did not drop the cache")
	}
	for i := 0; i < 3*maxCacheEntries; i++ {
		c.get(string(rune('a'+i%26))+time.Duration(i).String(), func() (any, error) { return i, nil })
	}
	if len(c.m) > maxCacheEntries {
		t.Fatalf("cache holds %d entries", len(c.m))
	}
}

// Issue 10 finding 10: an unknown scenario is 404, not 500; a path is never a name.
func TestSimulateUnknownScenarioIs404(t *testing.T) {
	s := New(Config{Scenarios: t.TempDir(), Simulate: func(context.Context, string) (any, error) { return nil, nil }})
	for _, name := range []string{"nope", "../../etc/passwd", ""} {
		req := httptest.NewRequest("GET", "/api/simulate?scenario="+name, nil)
		req = req.WithContext(context.WithValue(req.Context(), ctxKey{}, &principal{User: sqlite.User{Role: RoleAnalyst}}))
		w := httptest.NewRecorder()
		s.handleSimulate(w, req)
		if w.Code != http.StatusNotFound {
			t.Errorf("%q: %d", name, w.Code)
		}
	}
}
