package gpu

import (
	"fmt"
	"testing"

	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

// TestElementwiseParity runs BiasAdd (separate and in place), Add (separate,
// aliased, and unbatched: every element whatever the rows), Concat and Split (with a one-wide part) against cpuref. Each
// is one correctly rounded float32 operation per element (or a copy), in
// the same order on both backends, so the results must be bit-identical.
func TestElementwiseParity(t *testing.T) {
	b := openBackend(t)
	const outer, c, size = 3, 37, 101 // not multiples of the workgroup size
	widths := []int{3, 1, 5, 2}
	for _, sh := range shapes {
		t.Run(shapeName(sh.batch, sh.rows), func(t *testing.T) {
			p := tensor.NewPlan(sh.batch)
			x := p.AddBuffer("x", tensor.ActivationBuffer, true, tensor.Shape{outer, c})
			bias := p.AddBuffer("bias", tensor.ParamBuffer, false, tensor.Shape{c})
			y := p.AddBuffer("y", tensor.ActivationBuffer, true, tensor.Shape{outer, c})
			inplace := p.AddBuffer("inplace", tensor.ActivationBuffer, true, tensor.Shape{outer, c})
			a := p.AddBuffer("a", tensor.ActivationBuffer, true, tensor.Shape{size})
			bb := p.AddBuffer("b", tensor.ActivationBuffer, true, tensor.Shape{size})
			sum := p.AddBuffer("sum", tensor.ActivationBuffer, true, tensor.Shape{size})
			whole := p.AddBuffer("whole", tensor.GradientBuffer, false, tensor.Shape{size})
			part := p.AddBuffer("part", tensor.GradientBuffer, false, tensor.Shape{size})
			var parts, back []tensor.BufferID
			for i, w := range widths {
				parts = append(parts, p.AddBuffer("part"+string(rune('0'+i)), tensor.ActivationBuffer, true, tensor.Shape{outer, w}))
				back = append(back, p.AddBuffer("back"+string(rune('0'+i)), tensor.ActivationBuffer, true, tensor.Shape{outer, w}))
			}
			cat := p.AddBuffer("cat", tensor.ActivationBuffer, true, tensor.Shape{outer, 11})
			p.Emit(tensor.Train, tensor.BiasAdd{X: x, Bias: bias, Y: y, Outer: outer, C: c})
			p.Emit(tensor.Train, tensor.BiasAdd{X: inplace, Bias: bias, Y: inplace, Outer: outer, C: c})
			p.Emit(tensor.Train, tensor.Add{A: a, B: bb, Y: sum, Size: size})
			p.Emit(tensor.Train, tensor.Add{A: a, B: bb, Y: a, Size: size})
			p.Emit(tensor.Train, tensor.Add{A: whole, B: part, Y: whole, Size: size, Unbatched: true})
			p.Emit(tensor.Train, tensor.Concat{Inputs: parts, Widths: widths, Y: cat, Outer: outer})
			p.Emit(tensor.Train, tensor.Split{X: cat, Outputs: back, Widths: widths, Outer: outer})
			cpu, gpu := parityRun{plan: p, steps: steps(2, sh.rows)}.run(t, b)
			compare(t, p, cpu, gpu, exact, nil)
		})
	}
}

// TestBiasGradParity reduces over more positions than one workgroup has
// invocations, and over fewer. The GPU sums in float32 (a strided share per
// invocation, then a tree), cpuref in float64 rounded once:
// selftest.ReduceTol.
func TestBiasGradParity(t *testing.T) {
	b := openBackend(t)
	for _, outer := range []int{1, 90} {
		for _, sh := range shapes {
			t.Run(fmt.Sprintf("outer=%d/%s", outer, shapeName(sh.batch, sh.rows)), func(t *testing.T) {
				const c = 13
				p := tensor.NewPlan(sh.batch)
				dy := p.AddBuffer("dy", tensor.GradientBuffer, true, tensor.Shape{outer, c})
				db := p.AddBuffer("dbias", tensor.GradientBuffer, false, tensor.Shape{c})
				p.Emit(tensor.Train, tensor.BiasGrad{DY: dy, DBias: db, Outer: outer, C: c})
				cpu, gpu := parityRun{plan: p, steps: steps(1, sh.rows)}.run(t, b)
				compare(t, p, cpu, gpu, exact, map[tensor.BufferID]tol{db: selftest.ReduceTol(sh.rows*outer, 1)})
			})
		}
	}
}
