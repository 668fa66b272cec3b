package cpuref

import (
	"fmt"
	"math"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// refPool is tensor.Pool2D in float64: padded positions are skipped, max
// keeps the first maximum, average divides by the real elements.
func refPool(kind tensor.PoolKind, x []float64, g tensor.ConvGeom, rows int) []float64 {
	y := make([]float64, rows*g.PoolOutSize())
	for n := 0; n < rows; n++ {
		for oh := 0; oh < g.OH; oh++ {
			for ow := 0; ow < g.OW; ow++ {
				for c := 0; c < g.C; c++ {
					best, sum, cnt := math.Inf(-1), 0.0, 0
					for kh := 0; kh < g.KH; kh++ {
						for kw := 0; kw < g.KW; kw++ {
							ih, iw := oh*g.SH+kh-g.PadTop, ow*g.SW+kw-g.PadLeft
							if ih < 0 || ih >= g.H || iw < 0 || iw >= g.W {
								continue
							}
							v := x[n*g.InSize()+(ih*g.W+iw)*g.C+c]
							best, sum, cnt = max(best, v), sum+v, cnt+1
						}
					}
					out := best
					if kind == tensor.AvgPool {
						out = sum / float64(cnt)
					}
					y[n*g.PoolOutSize()+(oh*g.OW+ow)*g.C+c] = out
				}
			}
		}
	}
	return y
}

var poolCases = []convCase{
	{4, 4, 3, 2, 2, 2, 2, 0, tensor.Valid, 1, 1},
	{5, 5, 2, 2, 2, 2, 2, 0, tensor.Same, 3, 2}, // total 1: the last window is cut short
	{7, 6, 3, 3, 3, 2, 2, 0, tensor.Same, 3, 3},
	{6, 7, 2, 3, 3, 1, 1, 0, tensor.Same, 2, 1}, // overlapping windows, padding both sides
	{9, 9, 1, 4, 4, 2, 2, 0, tensor.Same, 1, 1},
	{7, 8, 2, 5, 3, 2, 1, 0, tensor.Valid, 3, 2},
	{3, 3, 2, 5, 5, 1, 1, 0, tensor.Same, 2, 2}, // windows mostly padding
}

func TestPool2D(t *testing.T) {
	for i, cc := range poolCases {
		for _, kind := range []tensor.PoolKind{tensor.MaxPool, tensor.AvgPool} {
			t.Run(fmt.Sprintf("%v/kind%d", cc, kind), func(t *testing.T) {
				g := cc.geom(t)
				r := newRig(t, cc.batch)
				x, y := r.batched("x", g.InSize()), r.batched("y", g.PoolOutSize())
				r.emit(tensor.Pool2D{Kind: kind, X: x, Y: y, Geom: g})
				r.compile()
				xv := uniform(newRand(uint64(400+i)), r.plan.Elems(x), -1, 1)
				r.write(x, xv)
				r.fillSentinel(y)
				r.run(cc.rows)
				// Max is exact; an average of ≤ 25 float32 values rounds a few ulps.
				checkClose(t, "Y", r.read(y), refPool(kind, f64(xv), cc.keras(), cc.rows), fwdTol)
				r.untouched(y, cc.rows*g.PoolOutSize())
			})
		}
	}
}

func TestPool2DBackward(t *testing.T) {
	for i, cc := range poolCases {
		for _, kind := range []tensor.PoolKind{tensor.MaxPool, tensor.AvgPool} {
			t.Run(fmt.Sprintf("%v/kind%d", cc, kind), func(t *testing.T) {
				g := cc.geom(t)
				r := newRig(t, cc.batch)
				x, dy, dx := r.batched("x", g.InSize()), r.batched("dy", g.PoolOutSize()), r.batched("dx", g.InSize())
				r.emit(tensor.Pool2DBackward{Kind: kind, X: x, DY: dy, DX: dx, Geom: g})
				r.compile()
				rng := newRand(uint64(500 + i))
				// Distinct inputs 0.01 apart: a step of fdEps never changes
				// which element is the maximum.
				xv, rv := distinct(rng, r.plan.Elems(x)), uniform(rng, r.plan.Elems(dy), -1, 1)
				r.write(x, xv)
				r.write(dy, rv)
				r.fillSentinel(dx)
				r.run(cc.rows)
				x64, r64 := f64(xv[:cc.rows*g.InSize()]), f64(rv[:cc.rows*g.PoolOutSize()])
				loss := func() float64 { return dot(r64, refPool(kind, x64, cc.keras(), cc.rows)) }
				checkClose(t, "DX", r.read(dx), numGrad(x64, loss, fdEps), gradTol)
				r.untouched(dx, cc.rows*g.InSize())
			})
		}
	}
}

// TestMaxPoolTies checks that a tied window sends its whole gradient to
// the first maximum in (kh, kw) order, as the contract requires.
func TestMaxPoolTies(t *testing.T) {
	g, err := tensor.NewConvGeom(2, 2, 1, 2, 2, 2, 2, 0, tensor.Valid)
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, 1)
	x, y, dy, dx := r.batched("x", 4), r.batched("y", 1), r.batched("dy", 1), r.batched("dx", 4)
	r.emit(tensor.Pool2D{Kind: tensor.MaxPool, X: x, Y: y, Geom: g},
		tensor.Pool2DBackward{Kind: tensor.MaxPool, X: x, DY: dy, DX: dx, Geom: g})
	r.compile()
	r.write(x, []float32{1, 3, 3, 3})
	r.write(dy, []float32{5})
	r.run(1)
	if got := r.read(y)[0]; got != 3 {
		t.Errorf("max = %v, want 3", got)
	}
	if got, want := r.read(dx), []float32{0, 5, 0, 0}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("DX = %v, want %v (all to the first maximum)", got, want)
	}
}
