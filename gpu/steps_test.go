package gpu

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/anvil-ml/anvil/gpu/internal/vk"

	"github.com/anvil-ml/anvil/tensor"
)

// loadResident compiles r on b and loads d and the initial weights.
func loadResident(t *testing.T, b *Backend, r residentPlan, d residentData) *program {
	t.Helper()
	prog := compileGPU(t, b, r.p)
	must(t, prog.Upload(r.src, 0, d.images))
	must(t, prog.Upload(r.labels, 0, int32Bytes(d.labels)))
	must(t, prog.Upload(r.order, 0, int32Bytes(d.order)))
	must(t, prog.Write(r.table, d.table))
	must(t, prog.Write(r.w, randomFloats(r.features*r.classes, 3)))
	must(t, prog.Write(r.b, randomFloats(r.classes, 4)))
	return prog
}

// epochSteps walks the order in batches, as Fit does, for epochs epochs:
// the last batch of each is short, and the learning rate changes per step.
func epochSteps(batch, count, epochs int) []tensor.StepArgs {
	var out []tensor.StepArgs
	for e := range epochs {
		for start := 0; start < count; start += batch {
			n := len(out) + 1
			out = append(out, tensor.StepArgs{Rows: min(batch, count-start), Start: start, Step: uint64(n),
				LearningRate: 0.01 / float32(1+n%3), Seed: uint64(e)})
		}
	}
	return out
}

// readAll reads every float32 buffer of the plan.
func readAll(t *testing.T, prog *program) [][]float32 {
	t.Helper()
	out := make([][]float32, len(prog.plan.Buffers))
	for i, buf := range prog.plan.Buffers {
		if buf.DType != tensor.Float32 {
			continue
		}
		out[i] = make([]float32, prog.plan.Elems(tensor.BufferID(i)))
		must(t, prog.Read(tensor.BufferID(i), out[i]))
	}
	return out
}

// TestRunStepsMatchesRun checks that RunSteps replays steps exactly as one
// Run per step does, bit for bit, whatever the chunking: chunks that are
// not powers of two, a single step, one past maxChunkSteps (two
// submissions), and two chunks in flight at once. Each RunSteps chunk is
// one queue submission.
func TestRunStepsMatchesRun(t *testing.T) {
	b := openBackend(t)
	const batch, count = 8, 61 // 8 batches an epoch, the last of 5 rows
	r := newResidentPlan(batch, count, 5, 3)
	d := newResidentData(count, 5, 3, 9)
	steps := epochSteps(batch, count, 70) // 560 steps
	ref := loadResident(t, b, r, d)
	for _, a := range steps {
		must(t, ref.Run(tensor.Train, a))
	}
	want := readAll(t, ref)
	if want[r.loss][0] == 0 || math.IsNaN(float64(want[r.loss][0])) {
		t.Fatalf("the reference run did not train: loss sum %v", want[r.loss][0])
	}

	splits := map[string][]int{
		"odd chunks":       {5, 7, 1, 13, 3, 300, len(steps) - 329},
		"one chunk":        {len(steps)},
		"epoch by epoch":   repeat(8, len(steps)/8),
		"over the maximum": {maxChunkSteps + 1, len(steps) - maxChunkSteps - 1},
	}
	for name, split := range splits {
		t.Run(name, func(t *testing.T) {
			prog := loadResident(t, b, r, d)
			before := prog.Stats().Submissions
			rest, wantSubs := steps, int64(0)
			for _, n := range split {
				must(t, prog.RunSteps(tensor.Train, rest[:n]))
				rest = rest[n:]
				wantSubs += int64((n + maxChunkSteps - 1) / maxChunkSteps)
			}
			if got := prog.Stats().Submissions - before; got != wantSubs {
				t.Errorf("%d submissions for chunks %v, want %d", got, split, wantSubs)
			}
			recorded := 0
			for _, slot := range prog.steps.variants[tensor.Train] {
				for _, c := range slot {
					if c != nil {
						recorded++
					}
				}
			}
			if recorded > 2*(maxVariant+1) {
				t.Errorf("%d recordings kept for chunks %v, want at most %d", recorded, split, 2*(maxVariant+1))
			}
			got := readAll(t, prog)
			for i, buf := range r.p.Buffers {
				if got[i] != nil {
					sameFloatBits(t, fmt.Sprintf("buffer %q", buf.Name), got[i], want[i])
				}
			}
			checkValidation(t, b)
		})
	}
}

// repeat returns n copies of v.
func repeat(v, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// TestRunStepsInterleaved mixes RunSteps with the calls that must wait for
// it: a Write between chunks (a new order for the next epoch), a Read
// (progress), Run and GPUTime, with validation checking every hazard.
func TestRunStepsInterleaved(t *testing.T) {
	b := openBackend(t)
	const batch, count = 4, 12
	r := newResidentPlan(batch, count, 3, 2)
	d := newResidentData(count, 3, 2, 4)
	steps := epochSteps(batch, count, 2)
	order2 := append([]int32(nil), d.order...)
	for i := range order2 {
		order2[i] = d.order[len(d.order)-1-i]
	}
	run := func(prog *program, chunked bool) {
		for e := range 2 {
			epoch := steps[e*3 : e*3+3]
			if chunked {
				must(t, prog.RunSteps(tensor.Train, epoch[:2]))
				must(t, prog.RunSteps(tensor.Train, epoch[2:]))
			} else {
				for _, a := range epoch {
					must(t, prog.Run(tensor.Train, a))
				}
			}
			must(t, prog.Upload(r.order, 0, int32Bytes(order2)))
			loss := make([]float32, 1)
			must(t, prog.Read(r.loss, loss))
		}
		must(t, prog.Run(tensor.Train, tensor.StepArgs{Rows: 2, Start: 10, Step: 7, LearningRate: 0.01}))
		must(t, prog.RunSteps(tensor.Train, steps[:1]))
		if _, err := prog.GPUTime(); err != nil && b.Info().Timestamps {
			t.Errorf("GPUTime after RunSteps: %v", err)
		}
	}
	ref, prog := loadResident(t, b, r, d), loadResident(t, b, r, d)
	run(ref, false)
	run(prog, true)
	want, got := readAll(t, ref), readAll(t, prog)
	for i, buf := range r.p.Buffers {
		if got[i] != nil {
			sameFloatBits(t, fmt.Sprintf("buffer %q", buf.Name), got[i], want[i])
		}
	}
	must(t, prog.Close())
	if err := prog.RunSteps(tensor.Train, steps[:1]); err == nil {
		t.Error("RunSteps after Close succeeded")
	}
}

func TestMaxBufferBytes(t *testing.T) {
	b := openBackend(t)
	got := b.MaxBufferBytes()
	if limit := b.dev.Limits().MaxStorageRange; got <= 0 || uint64(got) > limit {
		t.Errorf("MaxBufferBytes = %d, want 1..%d (maxStorageBufferRange)", got, limit)
	}
	var _ tensor.BufferLimiter = b
	t.Logf("MaxBufferBytes on %s: %d (%s)", b.Info().Name, got, vk.FormatBytes(uint64(got)))

	// A uint8 dataset one byte over what a binding reaches is refused
	// before anything is allocated, with the way out: stream it.
	limit := int(b.dev.Limits().MaxStorageRange)
	p := tensor.NewPlan(1)
	src := p.AddDataBuffer("images", tensor.Uint8, tensor.Shape{limit + 1, 1})
	order := p.AddDataBuffer("order", tensor.Int32, tensor.Shape{4})
	table := p.AddBuffer("table", tensor.StateBuffer, false, tensor.Shape{256})
	x := p.AddBuffer("x", tensor.InputBuffer, true, tensor.Shape{1})
	p.Emit(tensor.Train, tensor.GatherRows{Src: src, Order: order, Table: table, Dst: x, Features: 1})
	if _, err := b.Compile(p); err == nil || !strings.Contains(err.Error(), "stream it in chunks") {
		t.Errorf("Compile of a dataset past maxStorageBufferRange: %v", err)
	}
}

// BenchmarkRunSteps compares one Run per step with RunSteps in chunks, on
// a dense layer fed from resident CIFAR-sized uint8 images at batch 32:
// the per-step cost of submissions and waits that chunks remove.
func BenchmarkRunSteps(b *testing.B) {
	be, err := NewBackend(Options{})
	if err != nil {
		b.Skip(err)
	}
	defer be.Close()
	const batch, count, features = 32, 1024, 3 * 32 * 32
	r := newResidentPlan(batch, count, features, 10)
	d := newResidentData(count, features, 10, 1)
	steps := epochSteps(batch, count, 1)
	for _, k := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("K=%d", k), func(b *testing.B) {
			prog, err := be.Compile(r.p)
			if err != nil {
				b.Fatal(err)
			}
			defer prog.Close()
			p := prog.(*program)
			p.Upload(r.src, 0, d.images)
			p.Upload(r.labels, 0, int32Bytes(d.labels))
			p.Upload(r.order, 0, int32Bytes(d.order))
			p.Write(r.table, d.table)
			b.ResetTimer()
			ran, gpu := 0, time.Duration(0)
			for ran < b.N {
				for i := 0; i < len(steps) && ran < b.N; i += k {
					chunk := steps[i:min(i+k, len(steps), i+b.N-ran)]
					if k == 1 {
						err = p.Run(tensor.Train, chunk[0])
					} else {
						err = p.RunSteps(tensor.Train, chunk)
					}
					if err != nil {
						b.Fatal(err)
					}
					if be.Info().Timestamps {
						dt, err := p.GPUTime()
						if err != nil {
							b.Fatal(err)
						}
						gpu += dt
					}
					ran += len(chunk)
				}
			}
			if err := p.settle(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "img/s")
			b.ReportMetric(float64(p.Stats().Submissions)/float64(b.N), "submits/step")
			b.ReportMetric(float64(gpu.Nanoseconds())/float64(b.N), "gpu-ns/step")
		})
	}
}
