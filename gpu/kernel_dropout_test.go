package gpu

import (
	"fmt"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestDropoutMasksIdentical checks that the GLSL Philox draws exactly
// cpuref's masks, forward and backward, for several rates, salts and steps
// (including a step and a seed with high words set), and that kept values
// are scaled bit-identically.
func TestDropoutMasksIdentical(t *testing.T) {
	b := openBackend(t)
	const size = 333
	args := []tensor.StepArgs{
		{Step: 1, Seed: 42},
		{Step: 1<<32 + 7, Seed: 0xdead_beef_0123_4567},
		{Step: 3, Seed: 42, RowOffset: 5}, // a data-parallel replica's slice
	}
	for _, sh := range shapes {
		for ai, a := range args {
			t.Run(fmt.Sprintf("%s/args=%d", shapeName(sh.batch, sh.rows), ai), func(t *testing.T) {
				p := tensor.NewPlan(sh.batch)
				x := p.AddBuffer("x", tensor.ActivationBuffer, true, tensor.Shape{size})
				dy := p.AddBuffer("dy", tensor.GradientBuffer, true, tensor.Shape{size})
				var ys []tensor.BufferID
				for i, rate := range []float32{0, 0.3, 0.5, 0.9} {
					salt := uint32(i * 7919)
					y := p.AddBuffer(fmt.Sprintf("y_rate%v", rate), tensor.ActivationBuffer, true, tensor.Shape{size})
					dx := p.AddBuffer(fmt.Sprintf("dx_rate%v", rate), tensor.GradientBuffer, true, tensor.Shape{size})
					p.Emit(tensor.Train, tensor.Dropout{X: x, Y: y, Size: size, Rate: rate, Salt: salt})
					p.Emit(tensor.Train, tensor.DropoutBackward{DY: dy, DX: dx, Size: size, Rate: rate, Salt: salt})
					ys = append(ys, y)
				}
				a.Rows = sh.rows
				cpu, gpu := parityRun{plan: p, steps: []tensor.StepArgs{a}}.run(t, b)
				compare(t, p, cpu, gpu, exact, nil)
				// The 0.5 mask must drop about half (sanity: the test
				// would pass trivially if both backends kept everything).
				dropped := 0
				for _, v := range gpu[ys[2]][:sh.rows*size] {
					if v == 0 {
						dropped++
					}
				}
				if n := sh.rows * size; dropped < n/3 || dropped > 2*n/3 {
					t.Errorf("rate 0.5 dropped %d of %d", dropped, n)
				}
			})
		}
	}
}
