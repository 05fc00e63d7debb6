package sqlite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yibao-dev/yibao/monitor"
)

// TestAlertsDeduplicateAndTransition: saving the same alert twice stores it once and keeps its
// state; transitions are checked by monitor.Transition and recorded with who and the note; a
// hospital cannot change another hospital's alert.
func TestAlertsDeduplicateAndTransition(t *testing.T) {
	ctx := context.Background()
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	a := monitor.Alert{Key: "audit-surge|H1|2025-12", Rule: "audit-surge", Severity: "yellow", Scope: "hospital", Subject: "H1", Hospital: "H1", Period: "2025-12", Value: 3}
	added, err := st.SaveAlerts(ctx, []monitor.Alert{a}, now)
	if err != nil || len(added) != 1 {
		t.Fatalf("%v %v", added, err)
	}
	if _, err := st.TransitionAlert(ctx, a.Key, "H2", monitor.StateAcknowledged, "h2", "", now); !errors.Is(err, ErrNoAlert) {
		t.Errorf("another hospital: %v", err)
	}
	if _, err := st.TransitionAlert(ctx, a.Key, "H1", monitor.StateAcknowledged, "h1", "looking", now); err != nil {
		t.Fatal(err)
	}
	a.Value = 4
	added, err = st.SaveAlerts(ctx, []monitor.Alert{a}, now.Add(time.Hour))
	if err != nil || len(added) != 0 {
		t.Fatalf("re-save added %v %v", added, err)
	}
	got, err := st.Alerts(ctx, AlertFilter{Hospital: "H1"})
	if err != nil || len(got) != 1 {
		t.Fatalf("%v %v", got, err)
	}
	g := got[0]
	if g.State != monitor.StateAcknowledged || g.Value != 4 || !g.LastSeenAt.Equal(now.Add(time.Hour)) || len(g.History) != 1 || g.History[0].Note != "looking" {
		t.Errorf("%+v", g)
	}
	if _, err := st.TransitionAlert(ctx, a.Key, "", monitor.StateAcknowledged, "ana", "", now); !errors.Is(err, monitor.ErrTransition) {
		t.Errorf("acknowledged twice: %v", err)
	}
	if und, _ := st.Alerts(ctx, AlertFilter{Undelivered: true}); len(und) != 1 {
		t.Error("not undelivered")
	}
	st.MarkDelivered(ctx, []string{a.Key}, now)
	if und, _ := st.Alerts(ctx, AlertFilter{Undelivered: true}); len(und) != 0 {
		t.Error("still undelivered")
	}
}
