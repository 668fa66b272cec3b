package gpu

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/internal/freshproc"
	"github.com/anvil-ml/anvil/tensor"
)

// lossPlan is a small training plan: y = relu(x + bias), an MSE loss
// against t accumulated into sum, the bias gradient and an SGD update.
type lossPlan struct {
	p                               *tensor.Plan
	x, bias, y, t, sum, grad, dbias tensor.BufferID
}

func newLossPlan(batch, size int) lossPlan {
	p := tensor.NewPlan(batch)
	l := lossPlan{p: p}
	l.x = p.AddBuffer("x", tensor.InputBuffer, true, tensor.Shape{size})
	l.bias = p.AddBuffer("bias", tensor.ParamBuffer, false, tensor.Shape{size})
	l.y = p.AddBuffer("y", tensor.ActivationBuffer, true, tensor.Shape{size})
	l.t = p.AddBuffer("t", tensor.InputBuffer, true, tensor.Shape{size})
	l.sum = p.AddBuffer("loss", tensor.AccumulatorBuffer, false, tensor.Shape{1})
	l.grad = p.AddBuffer("dy", tensor.GradientBuffer, true, tensor.Shape{size})
	l.dbias = p.AddBuffer("dbias", tensor.GradientBuffer, false, tensor.Shape{size})
	fwd := []tensor.Op{
		tensor.BiasAdd{X: l.x, Bias: l.bias, Y: l.y, Outer: 1, C: size},
		tensor.Activation{Fn: tensor.ReLU, X: l.y, Y: l.y, Size: size},
	}
	for _, op := range fwd {
		p.Emit(tensor.Train, op)
		p.Emit(tensor.Eval, op)
		p.Emit(tensor.Predict, op)
	}
	p.Emit(tensor.Train, tensor.Loss{Kind: tensor.MeanSquaredError, Pred: l.y, Target: l.t, Probs: tensor.NoBuffer,
		Grad: l.grad, LossSum: l.sum, Size: size, Width: 1})
	p.Emit(tensor.Train, tensor.ActivationBackward{Fn: tensor.ReLU, X: l.y, Y: tensor.NoBuffer, DY: l.grad, DX: l.grad, Size: size})
	p.Emit(tensor.Train, tensor.BiasGrad{DY: l.grad, DBias: l.dbias, Outer: 1, C: size})
	p.Emit(tensor.Train, tensor.SGDUpdate{Param: l.bias, Grad: l.dbias, Velocity: tensor.NoBuffer, Size: size})
	p.Emit(tensor.Eval, tensor.Loss{Kind: tensor.MeanSquaredError, Pred: l.y, Target: l.t, Probs: tensor.NoBuffer,
		Grad: tensor.NoBuffer, LossSum: l.sum, Size: size, Width: 1})
	return l
}

func compileGPU(t *testing.T, b *Backend, p *tensor.Plan) *program {
	t.Helper()
	prog, err := b.Compile(p)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	t.Cleanup(func() { prog.Close() })
	return prog.(*program)
}

// TestProgramRoutinesAndBarriers trains a small plan for a few steps on
// both backends and checks the recorded barrier counts: the chain of
// dependent ops needs one before each op but the first, evaluation one
// fewer op.
func TestProgramRoutinesAndBarriers(t *testing.T) {
	b := openBackend(t)
	l := newLossPlan(4, 50)
	prog := compileGPU(t, b, l.p)
	for r, ops := range l.p.Routines {
		if len(ops) == 0 {
			// A one-process plan leaves the data-parallel split routines
			// empty: nothing is recorded for them.
			if prog.cmds[r] != nil {
				t.Errorf("%v is empty but has a command buffer", tensor.Routine(r))
			}
			continue
		}
		want := 0
		for _, need := range barrierPlan(ops) {
			if need {
				want++
			}
		}
		if prog.barriers[r] != want || want != len(ops)-1 {
			t.Errorf("%v: %d barriers recorded, plan says %d, %d ops in a chain", tensor.Routine(r), prog.barriers[r], want, len(ops))
		}
	}
	cpu, gpu := parityRun{plan: l.p, steps: steps(3, 3)}.run(t, b)
	// MSE sums over 3·50 values and float32 reductions: see TestLossParity.
	compare(t, l.p, cpu, gpu, tol{Abs: 1e-6, Rel: 64 * eps32}, nil)
	for _, r := range []tensor.Routine{tensor.Eval, tensor.Predict} {
		cpu, gpu := parityRun{plan: l.p, routine: r, steps: steps(1, 4)}.run(t, b)
		compare(t, l.p, cpu, gpu, tol{Abs: 1e-6, Rel: 64 * eps32}, nil)
	}
}

// TestReplayIsDeterministic runs the same step twice from the same state:
// the reductions have a fixed order, so the loss sums must be identical.
func TestReplayIsDeterministic(t *testing.T) {
	b := openBackend(t)
	l := newLossPlan(7, 300)
	prog := compileGPU(t, b, l.p)
	var sums [2]float32
	for i := range sums {
		must(t, prog.Write(l.x, randomFloats(7*300, 1)))
		must(t, prog.Write(l.t, randomFloats(7*300, 2)))
		must(t, prog.Write(l.bias, randomFloats(300, 3)))
		must(t, prog.Write(l.sum, []float32{0}))
		must(t, prog.Run(tensor.Train, tensor.StepArgs{Rows: 7, Step: 1, LearningRate: 0.1}))
		got := make([]float32, 1)
		must(t, prog.Read(l.sum, got))
		sums[i] = got[0]
	}
	if math.Float32bits(sums[0]) != math.Float32bits(sums[1]) {
		t.Errorf("the same step gave loss sums %v and %v", sums[0], sums[1])
	}
}

// TestProgramErrors checks the errors a caller can cause.
func TestProgramErrors(t *testing.T) {
	b := openBackend(t)
	l := newLossPlan(4, 10)
	prog := compileGPU(t, b, l.p)
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"write to a missing buffer", prog.Write(99, []float32{1}), "buffer 99 does not exist"},
		{"write too much", prog.Write(l.bias, make([]float32, 11)), `writing 11 values to buffer 1 ("bias"), which holds 10`},
		{"read too much", prog.Read(l.x, make([]float32, 41)), `which holds 40`},
		{"read a negative id", prog.Read(-1, make([]float32, 1)), "buffer -1 does not exist"},
		{"no rows", prog.Run(tensor.Train, tensor.StepArgs{Rows: 0}), "rows must be in 1..4"},
		{"too many rows", prog.Run(tensor.Train, tensor.StepArgs{Rows: 5}), "rows must be in 1..4"},
		{"unknown routine", prog.Run(tensor.Routine(7), tensor.StepArgs{Rows: 1}), "unknown routine"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, c.err, c.want)
		}
	}
	must(t, prog.Close())
	must(t, prog.Close()) // twice is harmless
	if err := prog.Run(tensor.Train, tensor.StepArgs{Rows: 1}); !errors.Is(err, errClosed) {
		t.Errorf("Run after Close: %v", err)
	}
	if err := prog.Write(l.x, nil); !errors.Is(err, errClosed) {
		t.Errorf("Write after Close: %v", err)
	}
}

// TestAdamNeedsStep: step 0 would divide by 1−β^0 = 0.
func TestAdamNeedsStep(t *testing.T) {
	b := openBackend(t)
	p := tensor.NewPlan(1)
	ids := make([]tensor.BufferID, 4)
	for i := range ids {
		ids[i] = p.AddBuffer("w", tensor.ParamBuffer, false, tensor.Shape{3})
	}
	p.Emit(tensor.Train, tensor.AdamUpdate{Param: ids[0], Grad: ids[1], M: ids[2], V: ids[3], Size: 3, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7})
	prog := compileGPU(t, b, p)
	if err := prog.Run(tensor.Train, tensor.StepArgs{Rows: 1}); err == nil || !strings.Contains(err.Error(), "1-based step") {
		t.Errorf("Adam at step 0: got %v", err)
	}
	must(t, prog.Run(tensor.Eval, tensor.StepArgs{Rows: 1})) // an empty routine runs
}

// TestCompileErrors checks that bad plans fail to compile with a clear
// error and leave nothing behind on the device.
func TestCompileErrors(t *testing.T) {
	b := openBackend(t)
	inUse := b.dev.MemoryInUse()
	live := len(b.dev.Live())
	l := newLossPlan(2, 4)
	missing := tensor.NewPlan(2)
	x := missing.AddBuffer("x", tensor.ActivationBuffer, true, tensor.Shape{4})
	missing.Emit(tensor.Train, tensor.Add{A: x, B: tensor.NoBuffer, Y: x, Size: 4})
	unknown := tensor.NewPlan(1)
	unknown.Emit(tensor.Train, fakeOp{})
	// 4096 samples, each a float wider than a 4096th of the device's
	// maxStorageBufferRange (128 MiB on lavapipe, 4 GiB on NVIDIA): the range
	// is checked before anything is allocated.
	width := int(b.dev.Limits().MaxStorageRange/(4<<12)) + 1
	tooBig := tensor.NewPlan(1 << 12)
	big := tooBig.AddBuffer("activations", tensor.ActivationBuffer, true, tensor.Shape{width})
	tooBig.Emit(tensor.Train, tensor.Activation{Fn: tensor.ReLU, X: big, Y: big, Size: width})
	badRate := tensor.NewPlan(1)
	d := badRate.AddBuffer("d", tensor.ActivationBuffer, true, tensor.Shape{4})
	badRate.Emit(tensor.Train, tensor.Dropout{X: d, Y: d, Size: 4, Rate: 1})
	cases := []struct {
		name string
		plan *tensor.Plan
		want string
	}{
		{"nil plan", nil, "nil plan"},
		{"invalid plan", func() *tensor.Plan {
			p := tensor.NewPlan(2)
			p.Buffers, p.Routines = l.p.Buffers, l.p.Routines
			p.Batch = 0
			return p
		}(), "batch size 0"},
		{"missing operand", missing, "operand B is required"},
		{"no kernel", unknown, "no kernel for op gpu.fakeOp"},
		{"beyond maxStorageBufferRange", tooBig, `buffer "activations" needs`},
		{"dropout rate", badRate, "dropout rate 1"},
	}
	for _, c := range cases {
		prog, err := b.Compile(c.plan)
		if err == nil {
			must(t, prog.Close())
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
	if b.dev.MemoryInUse() != inUse || len(b.dev.Live()) != live {
		t.Errorf("failed compiles leaked: %d bytes and %d objects before, %d and %d after",
			inUse, live, b.dev.MemoryInUse(), len(b.dev.Live()))
	}
	if _, err := b.Compile(tooBig); err == nil || !strings.Contains(err.Error(), "reduce the batch size (4096)") {
		t.Errorf("the storage-range error does not say what to reduce: %v", err)
	}
}

type fakeOp struct{}

func (fakeOp) Accesses() []tensor.Access { return nil }

// TestOutOfMemory shrinks the device's heap in the allocator's view so
// that a plan does not fit: the error must say how much was asked for and
// what to reduce, and nothing may leak.
func TestOutOfMemory(t *testing.T) {
	b := openBackend(t)
	dev := b.dev
	defer dev.LimitHeaps(8 << 20)()
	inUse := dev.MemoryInUse()
	p := tensor.NewPlan(32)
	x := p.AddBuffer("conv1", tensor.ActivationBuffer, true, tensor.Shape{32, 32, 32}) // 4 MiB
	y := p.AddBuffer("conv2", tensor.ActivationBuffer, true, tensor.Shape{32, 32, 32})
	z := p.AddBuffer("conv3", tensor.ActivationBuffer, true, tensor.Shape{32, 32, 32})
	p.Emit(tensor.Train, tensor.Add{A: x, B: y, Y: z, Size: 32 * 32 * 32})
	_, err := b.Compile(p)
	var oom *vk.OutOfMemoryError
	if !errors.As(err, &oom) || oom.Requested != 4<<20 {
		t.Fatalf("Compile: got %v, want an OutOfMemoryError for a 4 MiB buffer", err)
	}
	for _, want := range []string{"4194304 bytes", "reduce the batch size", "12.0 MiB in all"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error %q lacks %q", err, want)
		}
	}
	if dev.MemoryInUse() != inUse {
		t.Errorf("memory in use went from %d to %d bytes", inUse, dev.MemoryInUse())
	}
}

// TestNoVulkanBackend simulates a machine without a Vulkan driver.
func TestNoVulkanBackend(t *testing.T) {
	if !freshproc.Run(t, "VK_DRIVER_FILES=/nonexistent", "VK_ICD_FILENAMES=/nonexistent") {
		return
	}
	b, err := NewBackend(vk.Options{})
	if err == nil {
		b.Close()
		t.Fatal("NewBackend succeeded without a driver")
	}
	if !errors.Is(err, vk.ErrUnavailable) {
		t.Errorf("NewBackend: got %v, want an error wrapping ErrUnavailable", err)
	}
}

// TestBackendDescribesDevice checks the tensor.Backend identity.
func TestBackendDescribesDevice(t *testing.T) {
	b := openBackend(t)
	var _ tensor.Backend = b
	if b.Name() != "vulkan" || b.Device() != b.Info().String() || !strings.Contains(b.Device(), b.Info().Name) {
		t.Errorf("Name %q, Device %q", b.Name(), b.Device())
	}
}

func TestGPUTimeOfLastRun(t *testing.T) {
	b := openBackend(t)
	plan := tensor.NewPlan(4)
	x := plan.AddBuffer("x", tensor.InputBuffer, true, tensor.Shape{8})
	y := plan.AddBuffer("y", tensor.ActivationBuffer, true, tensor.Shape{8})
	plan.Emit(tensor.Predict, tensor.Activation{Fn: tensor.ReLU, X: x, Y: y, Size: 8, Width: 8})
	prog, err := b.Compile(plan)
	if err != nil {
		t.Fatal(err)
	}
	defer prog.Close()
	if err := prog.Run(tensor.Predict, tensor.StepArgs{Rows: 4}); err != nil {
		t.Fatal(err)
	}
	timed, ok := prog.(interface{ GPUTime() (time.Duration, error) })
	if !ok {
		t.Fatal("the Vulkan program does not report GPU time")
	}
	if d, err := timed.GPUTime(); err != nil || d <= 0 {
		t.Errorf("GPUTime = %v, %v; want a positive duration", d, err)
	}
	checkValidation(t, b)
}
