package nn

import (
	"context"
	"errors"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/cpuref"
	"github.com/anvil-ml/anvil/gpu"
	"github.com/anvil-ml/anvil/tensor"
)

// verifyModel is a small CNN with every kind of buffer VerifyAgainst
// compares: convolutions, batch normalization (moving statistics), a kinked
// activation, dropout and Adam's slots; 48 random 8×8×3 images, 6 steps of
// 8.
func verifyModel(t *testing.T) (*Model, *tensor.Tensor, *tensor.Tensor) {
	t.Helper()
	SetRandomSeed(3)
	t.Cleanup(func() { SetRandomSeed(1) }) // the default, which other tests expect
	in := Input(8, 8, 3)
	x := Conv2D(4, 3, WithPadding("same"), WithName("c1")).Call(in)
	x = BatchNormalization(WithName("bn")).Call(x)
	x = LeakyReLU(WithName("act")).Call(x)
	x = Conv2D(6, 3, WithStrides(2), WithPadding("same"), WithName("c2")).Call(x)
	x = Flatten(WithName("flat")).Call(x)
	x = Dense(16, WithActivation("relu"), WithName("d1")).Call(x)
	x = Dropout(0.3, WithName("drop")).Call(x)
	out := Dense(3, WithActivation("softmax"), WithName("d2")).Call(x)
	m, err := NewModel([]*Symbol{in}, out)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(Adam(0.01), "categorical_crossentropy", "accuracy"); err != nil {
		t.Fatal(err)
	}
	const n = 48
	s := tensor.NewStream(5, 0)
	xs := make([]float32, n*8*8*3)
	for i := range xs {
		xs[i] = float32(s.Float64())
	}
	labels := make([]int, n)
	for i := range labels {
		labels[i] = i % 3
	}
	y, err := ToCategorical(labels, 3)
	if err != nil {
		t.Fatal(err)
	}
	return m, mustTensor(t, xs, n, 8, 8, 3), y
}

// TestVerifyCPUAgainstCPUIsExact: the same backend twice agrees bit for
// bit in every buffer, and the model is left as it was: a Fit after the
// verification gives the weights a Fit alone gives.
func TestVerifyCPUAgainstCPUIsExact(t *testing.T) {
	m, x, y := verifyModel(t)
	before, err := m.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := m.VerifyAgainst(context.Background(), cpuref.New(), XY(x, y), VerifyOptions{Steps: 9, BatchSize: 8, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Agree() || rep.Steps != 6 {
		t.Fatalf("report: agree %v after %d steps (want 6, the epoch's), first %+v", rep.Agree(), rep.Steps, rep.First)
	}
	var layers []string
	for _, l := range rep.Layers {
		layers = append(layers, l.Layer)
		if l.Worst.MaxAbs != 0 || l.Worst.Err != 0 {
			t.Errorf("layer %s: %s differs by %g on the same backend", l.Layer, l.Worst.Buffer, l.Worst.MaxAbs)
		}
	}
	for _, want := range []string{"c1", "bn", "act", "c2", "d1", "drop", "d2"} {
		if !slices.Contains(layers, want) {
			t.Errorf("layer %s missing from the report's layers %v", want, layers)
		}
	}
	after, err := m.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	for i := range before {
		if !slices.Equal(before[i].Data, after[i].Data) {
			t.Fatalf("weight %d changed by the verification", i)
		}
	}
	fit := FitOptions{Verbose: Silent, BatchSize: 8, Seed: 4}
	if _, err := m.Fit(context.Background(), x, y, fit); err != nil {
		t.Fatal(err)
	}
	alone, _, _ := verifyModel(t)
	if _, err := alone.Fit(context.Background(), x, y, fit); err != nil {
		t.Fatal(err)
	}
	got, _ := m.GetWeights()
	want, _ := alone.GetWeights()
	for i := range want {
		if !slices.Equal(got[i].Data, want[i].Data) {
			t.Fatalf("weight %d after verify+Fit differs from Fit alone", i)
		}
	}
}

// faultyBackend is a backend under test with a deliberately broken
// kernel: after training step atStep its program changes one buffer, the
// way a kernel that writes one wrong element would.
type faultyBackend struct {
	tensor.Backend
	buffer string
	atStep uint64
	fault  func(data []float32)
}

type faultyProgram struct {
	tensor.Program
	id tensor.BufferID
	b  *faultyBackend
	n  int
}

func (b *faultyBackend) Compile(p *tensor.Plan) (tensor.Program, error) {
	prog, err := b.Backend.Compile(p)
	if err != nil {
		return nil, err
	}
	for i, buf := range p.Buffers {
		if buf.Name == b.buffer {
			return &faultyProgram{Program: prog, id: tensor.BufferID(i), b: b, n: p.Elems(tensor.BufferID(i))}, nil
		}
	}
	prog.Close()
	return nil, errNoSuchBuffer(b.buffer)
}

type errNoSuchBuffer string

func (e errNoSuchBuffer) Error() string { return "no buffer " + string(e) }

func (p *faultyProgram) Run(r tensor.Routine, a tensor.StepArgs) error {
	if err := p.Program.Run(r, a); err != nil || r != tensor.Train || a.Step != p.b.atStep {
		return err
	}
	data := make([]float32, p.n)
	if err := p.Program.Read(p.id, data); err != nil {
		return err
	}
	p.b.fault(data)
	return p.Program.Write(p.id, data)
}

// nudgeLargest moves the largest-magnitude element by rel of itself.
func nudgeLargest(rel float32) func([]float32) {
	return func(d []float32) {
		i := 0
		for j := range d {
			if math.Abs(float64(d[j])) > math.Abs(float64(d[i])) {
				i = j
			}
		}
		d[i] *= 1 + rel
	}
}

// TestVerifyNamesBrokenKernel: a fault is named by its buffer, layer and
// step, and no layer the step computed before it is blamed.
func TestVerifyNamesBrokenKernel(t *testing.T) {
	scale := func(f float32) func([]float32) {
		return func(d []float32) {
			for i := range d {
				d[i] *= f
			}
		}
	}
	for _, c := range []struct {
		buffer, layer string
		step          uint64
		fault         func([]float32)
	}{
		{"c2/y", "c2", 3, nudgeLargest(1e-3)}, // one element of a conv output
		{"d1/y", "d1", 2, nudgeLargest(1e-3)},
		{"grad:c1/kernel", "c1", 4, scale(1.1)}, // a weight gradient 10% off
		{"act/dpre", "act", 1, scale(-1)},       // a backward kernel's sign
	} {
		t.Run(strings.ReplaceAll(c.buffer, "/", "_"), func(t *testing.T) {
			m, x, y := verifyModel(t)
			cpu := cpuref.New()
			if err := m.SetBackend(&faultyBackend{Backend: cpu, buffer: c.buffer, atStep: c.step, fault: c.fault}); err != nil {
				t.Fatal(err)
			}
			rep, err := m.VerifyAgainst(context.Background(), cpu, XY(x, y), VerifyOptions{Steps: 6, BatchSize: 8, Seed: 4})
			if err != nil {
				t.Fatal(err)
			}
			f := rep.First
			if f == nil {
				t.Fatalf("fault in %s at step %d not found: %+v", c.buffer, c.step, rep.Layers)
			}
			t.Logf("first: step %d layer %s buffer %s err %.3g tol %.3g got %v want %v", f.Step, f.Layer, f.Buffer, f.Err, f.Tol, f.Got, f.Want)
			if f.Buffer != c.buffer || f.Layer != c.layer || f.Step != int(c.step) {
				t.Errorf("blamed %s (layer %s) at step %d, want %s (layer %s) at step %d", f.Buffer, f.Layer, f.Step, c.buffer, c.layer, c.step)
			}
			if rep.Steps != int(c.step) {
				t.Errorf("ran %d steps, want to stop at %d", rep.Steps, c.step)
			}
		})
	}
}

// TestVerifyRejectsBadCalls: clear errors, no panics.
func TestVerifyRejectsBadCalls(t *testing.T) {
	m, x, y := verifyModel(t)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		ref  tensor.Backend
		y    *tensor.Tensor
		opts VerifyOptions
		want string
	}{
		{"no steps", cpuref.New(), y, VerifyOptions{}, "at least 1"},
		{"no reference", nil, y, VerifyOptions{Steps: 1}, "no reference"},
		{"short targets", cpuref.New(), mustTensor(t, make([]float32, 3), 1, 3), VerifyOptions{Steps: 1}, "verify"},
	} {
		if _, err := m.VerifyAgainst(ctx, c.ref, XY(x, c.y), c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// TestVerifyVulkanAgainstCPU: on a real second backend, whose rounding
// differs, the small CNN agrees, and the same broken kernel is still named
// by its buffer, layer and step above that noise.
func TestVerifyVulkanAgainstCPU(t *testing.T) {
	b, err := gpu.NewBackend(gpu.Options{})
	if errors.Is(err, gpu.ErrUnavailable) && os.Getenv("ANVIL_REQUIRE_VULKAN") != "1" {
		t.Skipf("no Vulkan (set ANVIL_REQUIRE_VULKAN=1 to fail instead): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if msgs := b.ValidationMessages(); len(msgs) > 0 {
			t.Errorf("%d validation messages:\n%s", len(msgs), strings.Join(msgs, "\n"))
		}
		b.Close()
	}()
	for _, fault := range []bool{false, true} {
		m, x, y := verifyModel(t)
		var under tensor.Backend = b
		if fault {
			under = &faultyBackend{Backend: b, buffer: "c2/y", atStep: 3, fault: nudgeLargest(1e-3)}
		}
		if err := m.SetBackend(under); err != nil {
			t.Fatal(err)
		}
		rep, err := m.VerifyAgainst(context.Background(), cpuref.New(), XY(x, y), VerifyOptions{Steps: 6, BatchSize: 8, Seed: 4})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range rep.Layers {
			t.Logf("fault %v: %-5s worst %-16s step %d err %.3g (tol %.3g)", fault, l.Layer, l.Worst.Buffer, l.Worst.Step, l.Worst.Err, l.Worst.Tol)
		}
		switch f := rep.First; {
		case !fault && f != nil:
			t.Errorf("vulkan and cpu diverge at step %d in %s: err %g > %g", f.Step, f.Buffer, f.Err, f.Tol)
		case fault && (f == nil || f.Buffer != "c2/y" || f.Step != 3):
			t.Errorf("the fault in c2/y at step 3 was not named first: %+v", f)
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
