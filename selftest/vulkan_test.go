package selftest_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/cpuref"
	"github.com/anvil-ml/anvil/gpu"
	"github.com/anvil-ml/anvil/selftest"
)

// TestVulkanAgainstCPU runs the whole self-test on the Vulkan device the
// environment selects (lavapipe in CI) against cpuref: every family must
// pass, with no validation message.
func TestVulkanAgainstCPU(t *testing.T) {
	b, err := gpu.NewBackend(gpu.Options{})
	if errors.Is(err, gpu.ErrUnavailable) && os.Getenv("ANVIL_REQUIRE_VULKAN") != "1" {
		t.Skipf("no Vulkan (set ANVIL_REQUIRE_VULKAN=1 to fail instead): %v", err)
	}
	if err != nil {
		t.Fatalf("NewBackend: %v", err)
	}
	defer func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	var sb strings.Builder
	rep, err := selftest.Run(b, cpuref.New(), selftest.Options{Seed: 1, Progress: func(f selftest.Family) { f.WriteLine(&sb) }})
	if err != nil {
		t.Fatal(err)
	}
	rep.WriteSummary(&sb)
	t.Logf("\n%s", sb.String())
	if !rep.Pass() {
		t.Errorf("families failed: %v", rep.Failed())
	}
	if msgs := b.ValidationMessages(); len(msgs) > 0 {
		t.Errorf("%d validation messages:\n%s", len(msgs), strings.Join(msgs, "\n"))
	}
}
