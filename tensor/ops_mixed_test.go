package tensor

import (
	"strings"
	"testing"
)

// TestHalfBuffersOnlyWhereSupported: Float16 buffers are transient ones
// written by Cast and read by both operands of a product, never elsewhere.
func TestHalfBuffersOnlyWhereSupported(t *testing.T) {
	build := func(edit func(p *Plan, x, x16, w, w16, y BufferID)) error {
		p := NewPlan(2)
		x := p.AddBuffer("x", ActivationBuffer, true, Shape{6})
		x16 := p.AddBuffer("x16", ActivationBuffer, true, Shape{6})
		w := p.AddBuffer("w", ParamBuffer, false, Shape{6})
		w16 := p.AddBuffer("w16", ActivationBuffer, false, Shape{6})
		y := p.AddBuffer("y", ActivationBuffer, true, Shape{1})
		p.Buffers[x16].DType, p.Buffers[w16].DType = Float16, Float16
		p.Emit(Train, Cast{X: x, Y: x16, Size: 6, Batched: true})
		p.Emit(Train, Cast{X: w, Y: w16, Size: 6})
		edit(p, x, x16, w, w16, y)
		return p.Validate()
	}
	mm := func(a, b, c BufferID) MatMul { return MatMul{A: a, B: b, C: c, M: 1, N: 1, K: 6, Batch: BatchM} }
	if err := build(func(p *Plan, x, x16, w, w16, y BufferID) { p.Emit(Train, mm(x16, w16, y)) }); err != nil {
		t.Fatalf("a float16 product: %v", err)
	}
	for name, c := range map[string]struct {
		edit func(p *Plan, x, x16, w, w16, y BufferID)
		want string
	}{
		"mixed operands": {func(p *Plan, x, x16, w, w16, y BufferID) { p.Emit(Train, mm(x16, w, y)) }, "both operands"},
		"half output": {func(p *Plan, x, x16, w, w16, y BufferID) {
			p.Buffers[y].DType = Float16
			p.Emit(Train, mm(x16, w16, y))
		}, "float16"},
		"half param": {func(p *Plan, x, x16, w, w16, y BufferID) { p.Buffers[w].DType = Float16 }, "only data buffers"},
		"other reader": {func(p *Plan, x, x16, w, w16, y BufferID) {
			p.Emit(Train, Add{A: x16, B: x, Y: x, Size: 6})
		}, "cannot access"},
		"cast from half": {func(p *Plan, x, x16, w, w16, y BufferID) {
			p.Emit(Train, Cast{X: x16, Y: x, Size: 6, Batched: true})
		}, "cast from float32"},
	} {
		err := build(c.edit)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", name, err, c.want)
		}
	}
}

// TestNextLossScale follows Keras's rule by hand: growth 3.
func TestNextLossScale(t *testing.T) {
	s, n := float32(8), float32(0)
	for i, c := range []struct {
		found      bool
		wantS, wnt float32
	}{
		{false, 8, 1}, {false, 8, 2}, {false, 16, 0}, {true, 8, 0}, {false, 8, 1}, {true, 4, 0},
	} {
		s, n = NextLossScale(s, n, c.found, 3)
		if s != c.wantS || n != c.wnt {
			t.Fatalf("step %d: (%v, %v), want (%v, %v)", i, s, n, c.wantS, c.wnt)
		}
	}
}
