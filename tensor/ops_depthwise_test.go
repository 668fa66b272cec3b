package tensor

import (
	"strings"
	"testing"
)

// TestNewDepthwiseGeom checks the output size and padding against
// TensorFlow's rule for a dilated window (span (k−1)·d+1), worked by hand.
func TestNewDepthwiseGeom(t *testing.T) {
	cases := []struct {
		in, k, s, d    int
		pad            Padding
		out, padBefore int
	}{
		{7, 3, 1, 1, Same, 7, 1},
		{8, 3, 2, 1, Same, 4, 0},  // total 1: all after
		{9, 3, 1, 2, Same, 9, 2},  // span 5: total 4
		{9, 3, 1, 3, Valid, 3, 0}, // span 7
		{6, 4, 2, 1, Same, 3, 1},  // total 2
	}
	for _, c := range cases {
		g, err := NewDepthwiseGeom(c.in, c.in, 2, c.k, c.k, c.s, c.s, c.d, c.d, 3, c.pad)
		if err != nil {
			t.Fatal(err)
		}
		if g.OH != c.out || g.OW != c.out || g.PadTop != c.padBefore || g.PadLeft != c.padBefore {
			t.Errorf("%+v: got out %d×%d, padding %d, %d", c, g.OH, g.OW, g.PadTop, g.PadLeft)
		}
		if g.OutSize() != c.out*c.out*6 || g.KernelSize() != c.k*c.k*6 || g.InSize() != c.in*c.in*2 {
			t.Errorf("%+v: sizes in %d out %d kernel %d", c, g.InSize(), g.OutSize(), g.KernelSize())
		}
	}
	if _, err := NewDepthwiseGeom(4, 4, 1, 3, 3, 1, 1, 2, 2, 1, Valid); err == nil {
		t.Error("a dilated window of span 5 over 4 with valid padding: no error")
	}
	if _, err := NewDepthwiseGeom(4, 4, 1, 3, 3, 1, 1, 0, 1, 1, Same); err == nil {
		t.Error("dilation 0: no error")
	}
}

// TestDepthwiseChecksReject: Validate rejects a bad geometry or a missing
// operand of each depthwise op.
func TestDepthwiseChecksReject(t *testing.T) {
	g, err := NewDepthwiseGeom(3, 3, 2, 3, 3, 1, 1, 1, 1, 2, Same)
	if err != nil {
		t.Fatal(err)
	}
	noDM, negPad := g, g
	noDM.DM, negPad.PadLeft = 0, -1
	cases := []struct {
		name string
		op   func(x, w BufferID) Op
		want string
	}{
		{"multiplier", func(x, w BufferID) Op { return DepthwiseConv2D{X: x, W: w, Y: x, Geom: noDM} }, "must be positive"},
		{"padding", func(x, w BufferID) Op { return DepthwiseConv2DBackwardData{DY: x, W: w, DX: x, Geom: negPad} }, "must not be negative"},
		{"operand", func(x, w BufferID) Op { return DepthwiseConv2DBackwardFilter{X: x, DY: x, DW: NoBuffer, Geom: g} }, "operand DW is required"},
	}
	for _, c := range cases {
		p := NewPlan(2)
		x, w := p.AddBuffer("x", ActivationBuffer, true, Shape{64}), p.AddBuffer("w", ParamBuffer, false, Shape{64})
		p.Emit(Train, c.op(x, w))
		if err := p.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.want)
		}
	}
}
