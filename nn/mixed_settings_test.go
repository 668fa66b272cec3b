package nn

import (
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/format/checkpoint"
	"github.com/anvil-ml/anvil/tensor"
)

// TestRestoreLossScaleBounds restores checkpoint loss scales at the edges
// of what is valid: a positive float32 scale, and a count of good steps
// from 0 to one less than the growth interval (at the interval the scale
// would already have grown and the count restarted).
func TestRestoreLossScaleBounds(t *testing.T) {
	for _, c := range []struct {
		ls checkpoint.LossScale
		ok bool
	}{
		{checkpoint.LossScale{Scale: 1024, GoodSteps: 0, GrowthSteps: 10}, true},
		{checkpoint.LossScale{Scale: 1024, GoodSteps: 9, GrowthSteps: 10}, true},
		{checkpoint.LossScale{Scale: 1024, GoodSteps: 10, GrowthSteps: 10}, false},
		{checkpoint.LossScale{Scale: 1024, GoodSteps: -1, GrowthSteps: 10}, false},
		{checkpoint.LossScale{Scale: 0, GoodSteps: 0, GrowthSteps: 10}, false},
		{checkpoint.LossScale{Scale: 0.1, GoodSteps: 0, GrowthSteps: 10}, false}, // not a float32
	} {
		ClearSession()
		m, err := NewSequential(Dense(2, WithInputShape(3)))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.CompileWith(SGD(), "mse", nil, WithMixedPrecision()); err != nil {
			t.Fatal(err)
		}
		err = m.restoreLossScale(&c.ls)
		switch {
		case c.ok && err != nil:
			t.Errorf("%+v: %v", c.ls, err)
		case c.ok && (m.compiled.mixed.scale != [2]float32{float32(c.ls.Scale), float32(c.ls.GoodSteps)} || m.compiled.mixed.growthSteps != c.ls.GrowthSteps):
			t.Errorf("%+v restored as scale %v, growth %d", c.ls, m.compiled.mixed.scale, m.compiled.mixed.growthSteps)
		case !c.ok:
			wantErr(t, err, "want a positive float32 scale and 0 ≤ good_steps < dynamic_growth_steps")
		}
	}
}

// TestWithLossScaleBounds compiles with loss scales at the edges of what
// WithLossScale accepts: an initial scale in (0, 2⁶⁰] and growth steps in
// 1..2²⁴.
func TestWithLossScaleBounds(t *testing.T) {
	for _, c := range []struct {
		initial float32
		growth  int
		want    string // "" when it must compile
	}{
		{1 << 60, 1, ""},
		{1e-30, 1 << 24, ""},
		{0, 10, "initial loss scale 0 must be positive"},
		{1 << 61, 10, "at most 2^60"},
		{1, 0, "growth steps 0 must be in 1..16777216"},
		{1, 1<<24 + 1, "growth steps 16777217"},
	} {
		ClearSession()
		m, err := NewSequential(Dense(2, WithInputShape(3)))
		if err != nil {
			t.Fatal(err)
		}
		err = m.CompileWith(SGD(), "mse", nil, WithMixedPrecision(), WithLossScale(c.initial, c.growth))
		if c.want == "" {
			if err != nil {
				t.Errorf("WithLossScale(%v, %d): %v", c.initial, c.growth, err)
			}
			continue
		}
		wantErr(t, err, c.want)
	}
}

// TestSetPrecisionSwitchesOnce: SetPrecision turns a float32 model mixed
// and back; asking for the policy the model already has changes nothing
// (a mixed model keeps its loss scale).
func TestSetPrecisionSwitchesOnce(t *testing.T) {
	ClearSession()
	m, err := NewSequential(Dense(2, WithInputShape(3)))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(SGD(), "mse"); err != nil {
		t.Fatal(err)
	}
	if err := m.SetPrecision(PolicyMixedFloat16); err != nil || m.compiled.mixed == nil {
		t.Fatalf("SetPrecision(mixed_float16) on a float32 model: %v, mixed %v", err, m.compiled.mixed != nil)
	}
	m.compiled.mixed.scale[0] = 123 // as training would have moved it
	if err := m.SetPrecision(PolicyMixedFloat16); err != nil || m.compiled.mixed == nil || m.compiled.mixed.scale[0] != 123 {
		t.Fatalf("SetPrecision(mixed_float16) on a mixed model: %v; it must keep the loss scale", err)
	}
	if err := m.SetPrecision(PolicyFloat32); err != nil || m.compiled.mixed != nil {
		t.Fatalf("SetPrecision(float32): %v, still mixed %v", err, m.compiled.mixed != nil)
	}
}

// TestWithDTypeNamesKerasPolicies accepts Keras's two policy names and
// refuses others.
func TestWithDTypeNamesKerasPolicies(t *testing.T) {
	for _, p := range []string{"float32", "mixed_float16"} {
		ClearSession()
		if _, err := NewSequential(Dense(2, WithInputShape(3), WithDType(p))); err != nil {
			t.Errorf("dtype %q: %v", p, err)
		}
	}
	ClearSession()
	_, err := NewSequential(Dense(2, WithInputShape(3), WithDType("float16")))
	wantErr(t, err, `dtype policy "float16"`)
}

// TestSharedFloat32LayerKeepsItsGradientsFloat32: in a mixed model, a
// layer kept in float32 (dtype "float32") that is called twice writes its
// second call's kernel gradient to a scratch buffer "<node>/grad:<kernel>";
// that product, like the first call's, reads float32 operands.
func TestSharedFloat32LayerKeepsItsGradientsFloat32(t *testing.T) {
	ClearSession()
	in := Input(4)
	shared := Dense(4, WithDType("float32"), WithName("shared"))
	out := Dense(2, WithDType("float32")).Call(shared.Call(shared.Call(in)))
	m, err := NewModel([]*Symbol{in}, out)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.CompileWith(SGD(), "mse", nil, WithMixedPrecision()); err != nil {
		t.Fatal(err)
	}
	low := m.lower(8, m.defaultSpecs())
	p := low.plan
	scratch := 0
	for _, op := range p.Routines[tensor.Train] {
		mm, ok := op.(tensor.MatMul)
		if !ok || !strings.HasSuffix(p.Buffers[mm.C].Name, "/grad:shared/kernel") {
			continue
		}
		scratch++
		if p.Buffers[mm.A].DType != tensor.Float32 || p.Buffers[mm.B].DType != tensor.Float32 {
			t.Errorf("the product into %q reads %v and %v, want float32", p.Buffers[mm.C].Name, p.Buffers[mm.A].DType, p.Buffers[mm.B].DType)
		}
	}
	if scratch == 0 {
		t.Fatal("no product writes a shared call's scratch kernel gradient: the test no longer looks at the right buffer")
	}
}
