package hostmem

import (
	"errors"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1024": 1024, "512M": 512 << 20, "2GiB": 2 << 30, "3 kb": 3 << 10, "1T": 1 << 40, "7B": 7} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "lots", "-5", "1.5G", "99999999999T"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
}

func TestCheckUsesTheEnvironmentLimit(t *testing.T) {
	t.Setenv(EnvLimit, "1M")
	if err := Check(1<<20, "a", "b"); err != nil {
		t.Errorf("exactly the budget: %v", err)
	}
	err := Check(3<<20, "the buffers", "the batch size")
	var e *Error
	if !errors.As(err, &e) || e.Need != 3<<20 || e.Budget != 1<<20 {
		t.Fatalf("over the budget: %v", err)
	}
	for _, want := range []string{"the buffers need 3.0 MiB", "only 1.0 MiB", "$ANVIL_MEMORY_LIMIT", "reduce the batch size"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	t.Setenv(EnvLimit, "plenty")
	if err := Check(1, "a", "b"); err == nil || !strings.Contains(err.Error(), "ANVIL_MEMORY_LIMIT") {
		t.Errorf("a bad $%s: %v", EnvLimit, err)
	}
}

// On Linux, MemAvailable gives a budget without any setting.
func TestBudgetOnLinux(t *testing.T) {
	if _, ok := memAvailable(); !ok {
		t.Skip("no /proc/meminfo")
	}
	n, source, ok, err := Budget()
	if err != nil || !ok || n <= 0 || source == "" {
		t.Errorf("Budget() = %d, %q, %v, %v", n, source, ok, err)
	}
}
