package nn

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/cpuref"
	"github.com/anvil-ml/anvil/gpu"
	"github.com/anvil-ml/anvil/tensor"
)

// perStepPredict is the reference Predict: what PredictData did before
// outputs collected on the backend, one Run and one Read of the output
// buffer per batch.
func perStepPredict(t *testing.T, m *Model, d Data, batch int) *tensor.Tensor {
	t.Helper()
	cd, err := m.checkData(d, "predict", false)
	must(t, err)
	batch = capBatch(batch, cd.n)
	r, f, err := m.setFeeder(predictSet, cd, batch)
	must(t, err)
	defer f.close()
	n, size := cd.n, m.output.shape.Size()
	must(t, f.setOrder(identity(n)))
	out := tensor.New(append(tensor.Shape{n}, m.output.shape...)...)
	steps := (n + batch - 1) / batch
	for s := range steps {
		first, _, err := f.window(s, steps)
		must(t, err)
		lo, hi := s*batch, min((s+1)*batch, n)
		must(t, r.prog.Run(tensor.Predict, tensor.StepArgs{Rows: hi - lo, Start: first}))
		must(t, r.prog.Read(r.low.output, out.Data[lo*size:hi*size]))
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// countingBackend counts the calls a program takes from the host.
type countingBackend struct {
	tensor.Backend
	prog *countingProgram
}

type countingProgram struct {
	tensor.Program
	runs, reads int
}

func (b *countingBackend) Compile(p *tensor.Plan) (tensor.Program, error) {
	prog, err := b.Backend.Compile(p)
	if err != nil {
		return nil, err
	}
	b.prog = &countingProgram{Program: prog}
	return b.prog, nil
}

func (p *countingProgram) Run(r tensor.Routine, a tensor.StepArgs) error {
	p.runs++
	return p.Program.Run(r, a)
}

func (p *countingProgram) RunSteps(r tensor.Routine, args []tensor.StepArgs) error {
	p.runs++
	return p.Program.RunSteps(r, args)
}

func (p *countingProgram) Read(id tensor.BufferID, dst []float32) error {
	p.reads++
	return p.Program.Read(id, dst)
}

// Stats reports the wrapped program's device submissions.
func (p *countingProgram) Stats() tensor.ProgramStats {
	if s, ok := p.Program.(tensor.StatsReporter); ok {
		return s.Stats()
	}
	return tensor.ProgramStats{}
}

// predictCase is Predict of 37 byte images in batches of 8 (the last one
// short) on be, resident or streamed in chunks of 8 samples.
func predictCase(t *testing.T, be tensor.Backend, budget int64) (got, ref *tensor.Tensor, runs, reads int, subs int64) {
	t.Helper()
	m := imageModel(t, "categorical_crossentropy")
	cb := &countingBackend{Backend: be}
	must(t, m.SetBackend(cb))
	t.Cleanup(func() { m.Close() })
	m.SetDataBudget(budget)
	b, _ := byteImages(37)
	d := Data{Bytes: []*tensor.Bytes{b}}
	ref = perStepPredict(t, m, d, 8)
	p := cb.prog
	runs, reads, before := p.runs, p.reads, p.Stats()
	t.Logf("budget %d: per-step reference: %d runs, %d reads, %d device submissions", budget, runs, reads, before.Submissions)
	got, err := m.PredictData(d, 8)
	must(t, err)
	if cb.prog != p {
		t.Fatal("Predict rebuilt the program the reference built")
	}
	return got, ref, p.runs - runs, p.reads - reads, p.Stats().Submissions - before.Submissions
}

// streamBudget holds two chunks of 16 of imageModel's samples (16 bytes
// of image, 4 of order, 12 of predictions each), so 37 samples stream in
// 3 chunks of 2, 2 and 1 steps, the second in the second slot.
const streamBudget = 2 * 16 * 32

// TestPredictCollectsOnTheBackend: Predict's outputs equal the per-step
// reference's bit for bit, resident and streamed, and are read once per
// resident window: once in all, or once per streamed chunk.
func TestPredictCollectsOnTheBackend(t *testing.T) {
	for _, c := range []struct {
		name         string
		budget       int64
		runs, chunks int
	}{{"resident", 0, 1, 1}, {"streamed", streamBudget, 3, 3}} {
		t.Run(c.name, func(t *testing.T) {
			got, ref, runs, reads, _ := predictCase(t, cpuref.New(), c.budget)
			if !sameWeights([]*tensor.Tensor{got}, []*tensor.Tensor{ref}) {
				t.Error("Predict differs from the per-step reference")
			}
			if runs != c.runs || reads != c.chunks {
				t.Errorf("%d runs and %d reads, want %d and %d", runs, reads, c.runs, c.chunks)
			}
		})
	}
}

// TestPredictVulkan: on Vulkan the collected outputs equal the per-step
// reference bit for bit (the scatter is a copy), resident and streamed,
// and agree with the CPU's within float32 rounding. The outputs are
// softmax probabilities of sums of at most 18 products, so differently
// ordered sums differ by a few ulps of values ≤ 1: 1e-6 absolute.
func TestPredictVulkan(t *testing.T) {
	b, err := gpu.NewBackend(gpu.Options{})
	if errors.Is(err, gpu.ErrUnavailable) && os.Getenv("ANVIL_REQUIRE_VULKAN") != "1" {
		t.Skipf("no Vulkan (set ANVIL_REQUIRE_VULKAN=1 to fail instead): %v", err)
	}
	must(t, err)
	defer func() {
		if msgs := b.ValidationMessages(); len(msgs) > 0 {
			t.Errorf("%d validation messages:\n%s", len(msgs), strings.Join(msgs, "\n"))
		}
		b.Close()
	}()
	for _, budget := range []int64{0, streamBudget} {
		got, ref, runs, reads, subs := predictCase(t, b, budget)
		if !sameWeights([]*tensor.Tensor{got}, []*tensor.Tensor{ref}) {
			t.Errorf("budget %d: Predict differs from the per-step reference", budget)
		}
		t.Logf("budget %d: Predict of 5 steps: %d runs, %d reads, %d device submissions (uploads included)", budget, runs, reads, subs)
		cpu, _, _, _, _ := predictCase(t, cpuref.New(), budget)
		for i, want := range cpu.Data {
			if d := math.Abs(float64(got.Data[i] - want)); !(d <= 1e-6) {
				t.Fatalf("budget %d: output %d is %v on Vulkan, %v on the CPU", budget, i, got.Data[i], want)
			}
		}
	}
}
