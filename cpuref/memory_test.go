package cpuref

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/internal/hostmem"
	"github.com/anvil-ml/anvil/tensor"
)

// hugePlan is a plan whose one buffer needs bytes at batch size batch.
func hugePlan(batch, perSample int) *tensor.Plan {
	p := tensor.NewPlan(batch)
	p.AddBuffer("x", tensor.InputBuffer, true, tensor.Shape{perSample})
	return p
}

// A plan larger than the host's memory is an error naming the sizes, not
// a fatal out-of-memory: 16 TiB exceeds any machine this runs on.
func TestCompileRefusesAPlanLargerThanMemory(t *testing.T) {
	_, err := New().Compile(hugePlan(1<<30, 4096))
	var e *hostmem.Error
	if !errors.As(err, &e) || e.Need < 16<<40 {
		t.Fatalf("Compile of a 16 TiB plan: %v", err)
	}
	for _, want := range []string{"batch 1073741824", "16.0 TiB", "host memory is available", "reduce the batch size"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

// The budget counts the backend's scratch as well as the buffers, and
// $ANVIL_MEMORY_LIMIT sets it: one byte less than both is refused.
func TestCompileCountsScratch(t *testing.T) {
	need := int64(4<<20) + fixedScratchBytes() // 4 MiB of buffers; no ops, so no kernel scratch
	t.Setenv(hostmem.EnvLimit, strconv.FormatInt(need, 10))
	if _, err := New().Compile(hugePlan(1024, 1024)); err != nil {
		t.Fatalf("a plan of exactly the budget: %v", err)
	}
	t.Setenv(hostmem.EnvLimit, strconv.FormatInt(need-1, 10))
	_, err := New().Compile(hugePlan(1024, 1024))
	var e *hostmem.Error
	if !errors.As(err, &e) || e.Need != need {
		t.Fatalf("buffers and scratch one byte over the budget: %v", err)
	}
	// A Float16 buffer is stored as float32 here: it counts 4 bytes a
	// value, not the 2 of Plan.Bytes. (A cast writes it; Cast needs no
	// scratch.)
	half := hugePlan(1024, 1024)
	y := half.AddBuffer("y", tensor.ActivationBuffer, true, tensor.Shape{1024})
	half.Buffers[y].DType = tensor.Float16
	half.Emit(tensor.Train, tensor.Cast{X: 0, Y: y, Size: 1024, Batched: true})
	_, err = New().Compile(half)
	if want := need + 4<<20; !errors.As(err, &e) || e.Need != want {
		t.Fatalf("a float16 plan: %v, want a need of %d bytes", err, want)
	}
}

// TestScratchBytesIsWhatIsAllocated compiles convolutions and a matrix
// product, whose kernels reserve every kind of scratch (packed operands,
// a panel per worker), and checks that the scratch the
// memory check counts is what the program then holds, slice by slice.
func TestScratchBytesIsWhatIsAllocated(t *testing.T) {
	r := newRig(t, 4)
	cc := convCase{9, 9, 5, 3, 3, 1, 1, 6, tensor.Same, 4, 4}
	g := cc.geom(t)
	x, w, y := r.batched("x", g.InSize()), r.fixed("w", g.KernelSize()), r.batched("y", g.OutSize())
	dw := r.fixed("dw", g.KernelSize())
	a, b, c := r.batched("a", 40), r.fixed("b", 40*30), r.batched("c", 30)
	r.emit(tensor.Conv2D{X: x, W: w, Y: y, Geom: g},
		tensor.Conv2DBackwardFilter{X: x, DY: y, DW: dw, Geom: g},
		tensor.MatMul{A: a, B: b, C: c, M: 1, N: 30, K: 40, Batch: tensor.BatchM})
	r.compile()
	p := r.prog.(*program)
	if p.packSize == 0 || p.workerArenaSize == 0 {
		t.Fatalf("pack %d, worker arena %d: want every kind of scratch", p.packSize, p.workerArenaSize)
	}
	floats := len(p.pack)
	for i := range p.workerArena {
		floats += len(p.workerArena[i])
	}
	for _, s := range p.scratch {
		floats += len(s.a) + len(s.edge)
	}
	if got, want := p.scratchBytes(), 4*int64(floats); got != want {
		t.Errorf("scratchBytes = %d, the program holds %d bytes of scratch", got, want)
	}
}
