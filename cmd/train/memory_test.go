package main

import (
	"context"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/internal/hostmem"
	"github.com/anvil-ml/anvil/nn"
)

// A batch larger than the data is capped at the data's size instead of
// allocating for it.
func TestHugeBatchIsCapped(t *testing.T) {
	nn.ClearSession()
	_, stderr, err := runTrain(t, context.Background(), linregArgs(t.TempDir(), "-batch-size", "1000000000", "-epochs", "2")...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "-batch-size 1000000000 is more than the 6 training samples") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

// A run that does not fit in memory ends with an error naming the size,
// the budget and what to reduce, not with the runtime's fatal error.
func TestRunLargerThanMemoryIsAnError(t *testing.T) {
	t.Setenv(hostmem.EnvLimit, "16K")
	nn.ClearSession()
	_, _, err := runTrain(t, context.Background(), linregArgs(t.TempDir(), "-epochs", "1")...)
	if err == nil {
		t.Fatal("a run over a 16 KiB memory budget succeeded")
	}
	for _, want := range []string{"need", "only 16.0 KiB of host memory is available ($ANVIL_MEMORY_LIMIT)", "reduce the batch size"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}
