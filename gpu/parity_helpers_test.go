package gpu

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/cpuref"
	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

// openBackend opens the Vulkan backend the way openTest opens a device: it
// skips without Vulkan unless ANVIL_REQUIRE_VULKAN=1, and fails the test
// on any validation message left when it closes.
func openBackend(t *testing.T) *Backend {
	t.Helper()
	b, err := NewBackend(vk.Options{})
	if errors.Is(err, vk.ErrUnavailable) && os.Getenv("ANVIL_REQUIRE_VULKAN") != "1" {
		t.Skipf("no Vulkan (set ANVIL_REQUIRE_VULKAN=1 to fail instead): %v", err)
	}
	if err != nil {
		t.Fatalf("NewBackend: %v", err)
	}
	if os.Getenv("ANVIL_VK_VALIDATION") == "1" && !b.dev.Validation() {
		t.Fatalf("ANVIL_VK_VALIDATION=1 but validation is off")
	}
	t.Cleanup(func() {
		checkValidation(t, b)
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

// checkValidation fails t on any validation message since the last check,
// so a message fails the (sub)test that caused it.
func checkValidation(t *testing.T, b *Backend) {
	t.Helper()
	if msgs := b.dev.ValidationMessages(); len(msgs) > 0 {
		t.Errorf("%d validation messages:\n%s", len(msgs), strings.Join(msgs, "\n"))
	}
}

// tol is a parity tolerance: |gpu − cpu| ≤ Abs + Rel·|cpu| (compare
// ignores Sum, which only opCase.check's magnitude run gives a meaning).
// The kernel families' tolerances, and why they are what they are, are in
// package selftest, whose self-test uses the same ones.
type tol = selftest.Tol

// exact demands bit-identical results. A NaN on either side is a failure:
// no op under test produces one from the finite inputs these tests feed.
var exact = tol{}

// eps32 is float32's machine epsilon, 2^-23.
const eps32 = selftest.Eps32

// parityRun describes one parity experiment: a plan, the initial contents
// of its buffers and the steps to run on both backends.
type parityRun struct {
	plan *tensor.Plan
	// init returns the initial values of buffer id (n values); nil means
	// uniform random values in [-1, 1) keyed by the buffer's index.
	init func(id tensor.BufferID, n int) []float32
	// routine runs once per entry of steps (Train when zero).
	routine tensor.Routine
	steps   []tensor.StepArgs
	// before, if set, runs before step i and may write buffers of both
	// programs through write (for example a new gradient each step).
	before func(i int, write func(tensor.BufferID, []float32))
}

// run compiles the plan on the CPU and on b, runs the steps on both and
// returns every buffer of each, in full.
func (pr parityRun) run(t *testing.T, b *Backend) (cpu, gpu [][]float32) {
	t.Helper()
	progs := make([]tensor.Program, 2)
	for i, be := range []tensor.Backend{cpuref.New(), b} {
		prog, err := be.Compile(pr.plan)
		if err != nil {
			t.Fatalf("%s: Compile: %v", be.Name(), err)
		}
		t.Cleanup(func() { prog.Close() })
		progs[i] = prog
	}
	initial := make([][]float32, len(pr.plan.Buffers))
	for id := range pr.plan.Buffers {
		bid := tensor.BufferID(id)
		n := pr.plan.Elems(bid)
		var data []float32
		if pr.init != nil {
			data = pr.init(bid, n)
		}
		if data == nil {
			data = randomFloats(n, uint64(1000+id))
		}
		initial[id] = data
		for _, prog := range progs {
			must(t, prog.Write(bid, data))
		}
	}
	write := func(id tensor.BufferID, data []float32) {
		for _, prog := range progs {
			must(t, prog.Write(id, data))
		}
	}
	for i, a := range pr.steps {
		if pr.before != nil {
			pr.before(i, write)
		}
		for _, prog := range progs {
			if err := prog.Run(pr.routine, a); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
	}
	out := [2][][]float32{}
	for i, prog := range progs {
		for id := range pr.plan.Buffers {
			buf := make([]float32, pr.plan.Elems(tensor.BufferID(id)))
			must(t, prog.Read(tensor.BufferID(id), buf))
			out[i] = append(out[i], buf)
		}
	}
	checkValidation(t, b)
	pr.checkUntouched(t, initial, out[1])
	return out[0], out[1]
}

// checkUntouched checks that the GPU left the rows of batched buffers
// beyond the valid ones exactly as they were, when every step had the same
// row count (and nothing was written between steps).
func (pr parityRun) checkUntouched(t *testing.T, initial, gpu [][]float32) {
	t.Helper()
	if len(pr.steps) == 0 || pr.before != nil {
		return
	}
	rows := pr.steps[0].Rows
	for _, a := range pr.steps {
		if a.Rows != rows {
			return
		}
	}
	for id, b := range pr.plan.Buffers {
		if !b.Batched || rows == pr.plan.Batch {
			continue
		}
		from := rows * b.Shape.Size()
		if err := within(initial[id][from:], gpu[id][from:], exact); err != nil {
			t.Errorf("buffer %q beyond the %d valid rows was modified: %v", b.Name, rows, err)
		}
	}
}

// compare checks every buffer of the GPU's results against the CPU's with
// the tolerance tols gives it (def when absent) and reports the worst
// element of each buffer that fails.
func compare(t *testing.T, plan *tensor.Plan, cpu, gpu [][]float32, def tol, tols map[tensor.BufferID]tol) {
	t.Helper()
	for id := range plan.Buffers {
		tl, ok := tols[tensor.BufferID(id)]
		if !ok {
			tl = def
		}
		if err := within(cpu[id], gpu[id], tl); err != nil {
			t.Errorf("buffer %q: %v", plan.Buffers[id].Name, err)
		}
	}
}

// within returns an error describing the worst violation of tl, if any.
func within(want, got []float32, tl tol) error {
	worst, bad, excess := -1, 0, 0.0
	for i := range want {
		w, g := float64(want[i]), float64(got[i])
		d := math.Abs(g - w)
		lim := tl.Abs + tl.Rel*math.Abs(w)
		if !(d <= lim) {
			bad++
			if e := d - lim; worst < 0 || e > excess || math.IsNaN(e) {
				worst, excess = i, e
			}
		}
	}
	if worst < 0 {
		return nil
	}
	return fmt.Errorf("%d of %d values outside |gpu−cpu| ≤ %g + %g·|cpu|; worst at %d: gpu %v, cpu %v",
		bad, len(want), tl.Abs, tl.Rel, worst, got[worst], want[worst])
}

// steps returns n step arguments for rows valid rows: steps 1..n, a fixed
// seed and a learning rate that changes every step.
func steps(n, rows int) []tensor.StepArgs {
	out := make([]tensor.StepArgs, n)
	for i := range out {
		out[i] = tensor.StepArgs{Rows: rows, Step: uint64(i + 1), Seed: 0x5eed_0000_1234, LearningRate: 0.01 * float32(i+1)}
	}
	return out
}

// shapes are the batch sizes and row counts every kernel test covers:
// batch 1, an odd batch fully used, and a short last batch.
var shapes = []struct{ batch, rows int }{{1, 1}, {5, 5}, {7, 3}}

func shapeName(batch, rows int) string { return fmt.Sprintf("batch=%d/rows=%d", batch, rows) }

// scaled returns n random values in [-s, s).
func scaled(n int, seed uint64, s float32) []float32 {
	v := randomFloats(n, seed)
	for i := range v {
		v[i] *= s
	}
	return v
}
