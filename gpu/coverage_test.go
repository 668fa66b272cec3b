package gpu

import (
	"fmt"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// Tests that reach paths the kernel tests leave alone: the z-fold of GEMM
// tiles and grid-stride loops that run more than once (both need more
// workgroups than the device's x limit), the GPU tiles on more conv
// geometries, and the boundary cases of Adam's ε and dropout's rate. Each
// is sized for lavapipe, whose x limit is the 65,535 workgroups the Vulkan
// spec guarantees; a device with a larger limit (NVIDIA's is 2³¹−1) runs
// the same products in one grid, which they then check just the same.
// scripts/glsl-mutants.txt plants the bug each one is there to catch.

// specMinGroups is the smallest maxComputeWorkGroupCount[0] the Vulkan spec
// allows, and lavapipe's.
const specMinGroups = 65535

// TestMatMulZFold runs a product with more M tiles than specMinGroups, so
// that gemmGrid folds them into z (65,535 in x, 2 in z on lavapipe) and
// the shader must unfold them: the second z slice holds one full tile and
// one partial one. tileCPU (BM = 32) runs on every device; N and K are
// small to keep lavapipe quick (6.3 M outputs of 5 terms).
func TestMatMulZFold(t *testing.T) {
	b := openBackend(t)
	skipUnlessFits(t, b, tileCPU)
	m := specMinGroups*tileCPU.BM + tileCPU.BM + 1
	withTile(tileCPU, 1, func() {
		matMulCase(m, 3, 5, false, false, tensor.BatchNone, 1, 1).check(t, b)
	})
}

// TestGridStride runs element-wise kernels over more elements than
// specMinGroups workgroups of elemWG invocations cover, so each grid-stride
// loop goes round more than once. ReLU and dropout are exact on both
// backends, and dropout also draws its mask at element indices past 2²².
func TestGridStride(t *testing.T) {
	b := openBackend(t)
	n := specMinGroups*elemWG + 1000
	relu := func(p *tensor.Plan) (tensor.Op, int) {
		x := p.AddBuffer("relu/X", tensor.ActivationBuffer, true, tensor.Shape{n})
		y := p.AddBuffer("relu/Y", tensor.ActivationBuffer, true, tensor.Shape{n})
		return tensor.Activation{Fn: tensor.ReLU, X: x, Y: y, Size: n}, 0
	}
	dropout := func(p *tensor.Plan) (tensor.Op, int) {
		x := p.AddBuffer("dropout/X", tensor.ActivationBuffer, true, tensor.Shape{n})
		y := p.AddBuffer("dropout/Y", tensor.ActivationBuffer, true, tensor.Shape{n})
		return tensor.Dropout{X: x, Y: y, Size: n, Rate: 0.3, Salt: 5}, 0
	}
	newMultiCase(1, 1, relu, dropout).check(t, b)
}

// TestConvTilesOnGeometries runs the three convolution kernels with every
// tile a device may pick but this one's default (TestConvKernels covers
// that on every geometry) on three more geometries than
// TestConvKernelTiles: stride 1 with even padding, stride 2 with an even
// kernel, and "valid" with unequal kernel and strides. All three
// geometries share one plan per tile, so each tile compiles once.
func TestConvTilesOnGeometries(t *testing.T) {
	b := openBackend(t)
	const batch, rows = 3, 2
	geoms := []int{2, 5, 7} // indices into convGeoms
	for _, tl := range allTiles {
		if isDefaultTile(b, tl.tile) {
			continue
		}
		t.Run(tl.name, func(t *testing.T) {
			skipUnlessFits(t, b, tl.tile)
			var parts []opPart
			for _, i := range geoms {
				g := makeGeom(t, i)
				for _, cc := range convCases {
					parts = append(parts, cc.part(g, rows))
				}
			}
			withTile(tl.tile, 0, func() { newMultiCase(batch, rows, parts...).check(t, b) })
		})
	}
}

// TestAdamTinyGradientsGPU updates parameters whose gradients run from
// 1e-9 to 1e-4, where √v is comparable to ε = 1e-7 and ε changes the step
// by up to ~30 times. The tolerance is TestOptimizerParity's (4·ε32
// absolute and relative, argued there); without ε the steps differ by up
// to lr·0.97 ≈ 0.01.
func TestAdamTinyGradientsGPU(t *testing.T) {
	b := openBackend(t)
	grads := []float32{1e-9, -3e-9, 1e-8, -1e-7, 2e-7, 1e-6, -1e-5, 1e-4}
	n := len(grads)
	p := tensor.NewPlan(1)
	param := p.AddBuffer("param", tensor.ParamBuffer, false, tensor.Shape{n})
	grad := p.AddBuffer("grad", tensor.GradientBuffer, false, tensor.Shape{n})
	m := p.AddBuffer("m", tensor.StateBuffer, false, tensor.Shape{n})
	v := p.AddBuffer("v", tensor.StateBuffer, false, tensor.Shape{n})
	p.Emit(tensor.Train, tensor.AdamUpdate{Param: param, Grad: grad, M: m, V: v, Size: n,
		Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7})
	init := func(id tensor.BufferID, k int) []float32 {
		switch id {
		case grad:
			return grads
		case m, v:
			return make([]float32, k)
		}
		return nil
	}
	cpu, gpu := parityRun{plan: p, init: init, steps: steps(3, 1)}.run(t, b)
	compare(t, p, cpu, gpu, tol{Abs: 4 * eps32, Rel: 4 * eps32}, nil)
}

// TestDropoutTieGPU sets the rate to one element's own draw, so that the
// contract's "kept when Uniform(…) ≥ Rate" decides that element on the
// boundary; cpuref keeps it (cpuref's TestDropoutTie), and so must the
// shader. opCase runs step 1 with seed 7.
func TestDropoutTieGPU(t *testing.T) {
	b := openBackend(t)
	const size, salt = 64, 3
	j, rate := -1, float32(0)
	for i := 0; i < size && j < 0; i++ {
		if u := tensor.Uniform(7, 1, salt, uint32(i)); u > 0.1 && u < 0.9 {
			j, rate = i, u
		}
	}
	if j < 0 {
		t.Fatal("no draw in (0.1, 0.9) among the first 64: pick another salt")
	}
	t.Run(fmt.Sprintf("element%d/rate%v", j, rate), func(t *testing.T) {
		newOpCase(1, 1, 0, func(p *tensor.Plan) tensor.Op {
			return tensor.Dropout{X: p.AddBuffer("X", tensor.ActivationBuffer, true, tensor.Shape{size}),
				Y: p.AddBuffer("Y", tensor.ActivationBuffer, true, tensor.Shape{size}), Size: size, Rate: rate, Salt: salt}
		}).check(t, b)
	})
}
