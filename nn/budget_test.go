package nn

import (
	"testing"
)

// TestBudgetLimits: ANVIL_DATA_BUDGET must be a positive byte count (0 is
// refused, not read as "no budget"), and a backend reporting a largest
// buffer of 0 means it has no limit.
func TestBudgetLimits(t *testing.T) {
	m := imageModel(t, "categorical_crossentropy")
	for _, bad := range []string{"0", "-5", "lots"} {
		t.Setenv("ANVIL_DATA_BUDGET", bad)
		if _, _, err := m.budget(); err == nil {
			t.Errorf("ANVIL_DATA_BUDGET=%q accepted", bad)
		}
	}
	t.Setenv("ANVIL_DATA_BUDGET", "4096")
	if total, _, err := m.budget(); err != nil || total != 4096 {
		t.Errorf("ANVIL_DATA_BUDGET=4096: total %d, err %v", total, err)
	}
	t.Setenv("ANVIL_DATA_BUDGET", "")
	if err := m.SetBackend(limitedBackend{m.Backend(), 0}); err != nil {
		t.Fatal(err)
	}
	total, perBuffer, err := m.budget()
	if err != nil || total != 1<<62 || perBuffer != 1<<62 {
		t.Errorf("no budget and a backend limit of 0: total %d, per buffer %d, err %v; want no limit (2⁶²) for both", total, perBuffer, err)
	}
}
