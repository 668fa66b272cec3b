package gpu

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

// h200Shapes is a float16 shape list of the kind NVIDIA drivers report
// for VK_NV_cooperative_matrix (16×8×16, 16×8×8 and 16×16×16 fragments
// with float16 or float32 accumulators, subgroup scope). It is assumed,
// not copied from a device: TestMatMulCoopParity logs the real list the
// first time a GPU with the extension runs it.
func h200Shapes() []vk.CoopShape {
	f16, f32, sg := vk.Float16Component, vk.Float32Component, vk.SubgroupScope
	var out []vk.CoopShape
	for _, mnk := range [][3]int{{16, 8, 16}, {16, 8, 8}, {16, 16, 16}} {
		for _, acc := range []vk.ComponentType{f16, f32} {
			out = append(out, vk.CoopShape{M: mnk[0], N: mnk[1], K: mnk[2], A: f16, B: f16, C: acc, D: acc, Scope: sg})
		}
	}
	return out
}

func coopGPU(shapes []vk.CoopShape) vk.Info {
	return vk.Info{Name: "NVIDIA H200", DeviceType: vk.DiscreteDevice, SubgroupSize: 32, MaxSharedMemory: 48 << 10,
		MaxWorkgroupInvocations: 1024, Float16: true, CooperativeMatrixNV: true, CoopShapesNV: shapes}
}

// TestCoopTiles decides the coop candidates of fake devices: every layout
// with the largest mixed shape offered, only the shapes that exist, and
// none where anything the shader needs is missing.
func TestCoopTiles(t *testing.T) {
	f16, f32, sg := vk.Float16Component, vk.Float32Component, vk.SubgroupScope
	only := func(s ...vk.CoopShape) []vk.CoopShape { return s }
	for _, c := range []struct {
		name string
		info func() vk.Info
		want [3]int // the fragment shape every tile has; zero: no tiles
	}{
		{"h200", func() vk.Info { return coopGPU(h200Shapes()) }, [3]int{16, 16, 16}},
		{"16x8x16-only", func() vk.Info {
			return coopGPU(only(vk.CoopShape{M: 16, N: 8, K: 16, A: f16, B: f16, C: f32, D: f32, Scope: sg}))
		}, [3]int{16, 8, 16}},
		{"float16-accumulators-only", func() vk.Info {
			return coopGPU(only(vk.CoopShape{M: 16, N: 16, K: 16, A: f16, B: f16, C: f16, D: f16, Scope: sg}))
		}, [3]int{}},
		{"device-scope", func() vk.Info {
			return coopGPU(only(vk.CoopShape{M: 16, N: 16, K: 16, A: f16, B: f16, C: f32, D: f32, Scope: 1}))
		}, [3]int{}},
		{"unaligned-shape", func() vk.Info {
			return coopGPU(only(vk.CoopShape{M: 16, N: 4, K: 16, A: f16, B: f16, C: f32, D: f32, Scope: sg}))
		}, [3]int{}},
		{"no-extension", func() vk.Info { i := coopGPU(h200Shapes()); i.CooperativeMatrixNV = false; return i }, [3]int{}},
		{"no-float16", func() vk.Info { i := coopGPU(h200Shapes()); i.Float16 = false; return i }, [3]int{}},
		{"wave64", func() vk.Info { i := coopGPU(h200Shapes()); i.SubgroupSize = 64; return i }, [3]int{}},
		{"lavapipe", func() vk.Info {
			return vk.Info{Name: "llvmpipe", DeviceType: vk.CPUDevice, SubgroupSize: 8, MaxSharedMemory: 32 << 10,
				MaxWorkgroupInvocations: 1024, Float16: true}
		}, [3]int{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			info := c.info()
			tiles := coopTiles(info)
			if c.want == [3]int{} {
				if len(tiles) != 0 {
					t.Fatalf("coop tiles %v, want none", tiles)
				}
				return
			}
			if len(tiles) != len(coopLayouts) {
				t.Fatalf("%d coop tiles, want one per layout (%d)", len(tiles), len(coopLayouts))
			}
			for _, tl := range tiles {
				if got := [3]int{tl.FM, tl.FN, tl.FK}; got != c.want || !tl.Coop {
					t.Errorf("tile %s: fragments %v, want %v", tl.name(), got, c.want)
				}
				if err := tl.check(info); err != nil {
					t.Errorf("tile %s: %v", tl.name(), err)
				}
				if b := tl.sharedBytes(); b > 48<<10 {
					t.Errorf("tile %s: %d bytes of shared memory", tl.name(), b)
				}
			}
		})
	}
	// Little shared memory keeps only the tiles that fit.
	small := coopGPU(h200Shapes())
	small.MaxSharedMemory = 26 << 10
	for _, tl := range coopTiles(small) {
		if tl.sharedBytes() > small.MaxSharedMemory {
			t.Errorf("tile %s needs %d bytes, over %d", tl.name(), tl.sharedBytes(), small.MaxSharedMemory)
		}
	}
	if n := len(coopTiles(small)); n == 0 || n == len(coopLayouts) {
		t.Errorf("26 KiB of shared memory: %d coop tiles, want some but not all", n)
	}
}

// TestCoopCandidatesOnlyForHalfMatMul checks where coop tiles may go:
// binary16 MatMuls (fused or not), not float32 ones nor convolutions,
// and that a coop tile forced elsewhere fails to bind with a clear error.
func TestCoopCandidatesOnlyForHalfMatMul(t *testing.T) {
	p := tensor.NewPlan(2)
	half := func(name string, n int) tensor.BufferID {
		id := p.AddBuffer(name, tensor.ActivationBuffer, false, tensor.Shape{n})
		p.Buffers[id].DType = tensor.Float16
		return id
	}
	f32 := func(name string, n int) tensor.BufferID {
		return p.AddBuffer(name, tensor.ActivationBuffer, false, tensor.Shape{n})
	}
	hm := tensor.MatMul{M: 4, N: 4, K: 4, A: half("a", 16), B: half("b", 16), C: f32("c", 16)}
	fm := tensor.MatMul{M: 4, N: 4, K: 4, A: f32("x", 16), B: f32("y", 16), C: f32("z", 16)}
	if !coopEligible(p, hm) || !coopEligible(p, gemmEpi{gemm: hm}) {
		t.Error("a binary16 MatMul is not coop-eligible")
	}
	if coopEligible(p, fm) || coopEligible(p, gemmEpi{gemm: fm}) || coopEligible(p, tensor.Conv2D{}) {
		t.Error("a float32 MatMul or a convolution is coop-eligible")
	}
	tl := coopTiles(coopGPU(h200Shapes()))[0]
	if err := tl.coopRuns("matmul_f16"); err != nil {
		t.Error(err)
	}
	for _, base := range []string{"matmul", "conv_fwd_f16", "conv_bwd_filter_f16"} {
		if err := tl.coopRuns(base); err == nil || !strings.Contains(err.Error(), "binary16 MatMuls only") {
			t.Errorf("coop tile on %s: %v", base, err)
		}
	}
	if len(coopChoices(coopGPU(h200Shapes()), 4096, 4096, 4096, true)) != len(coopLayouts) {
		t.Error("no coop choices for a large product on an H200")
	}
}

// coopNamed lists the coop tiles b's device offers, logging clearly when
// there are none: on such a device (lavapipe, CI) the tensor-core path is
// not tested at all.
func coopNamed(t *testing.T, b *Backend) []namedTile {
	t.Helper()
	var out []namedTile
	for _, tl := range coopTiles(b.Info()) {
		out = append(out, namedTile{tl.name(), tl})
	}
	if len(out) == 0 {
		t.Logf("COOPMAT NOT TESTED: %s offers no VK_NV_cooperative_matrix float16×float16+float32 shape; "+
			"the tensor-core tiles run only on a GPU that does", b.Info().Name)
	}
	return out
}

// TestMatMulCoopParity runs the binary16 MatMul on every coop tile the
// device offers: each transpose pair and batch axis, sizes no tile
// divides (the checked scalar loads), whole tiles (the 16-byte loads,
// VEC), and split-K with slices that are empty when the batch is short.
// Skipped, saying so, where the device has none.
func TestMatMulCoopParity(t *testing.T) {
	b := openBackend(t)
	tiles := coopNamed(t, b)
	if len(tiles) == 0 {
		t.Skip("VK_NV_cooperative_matrix is not available: the coop path was not tested")
	}
	t.Logf("%s offers %v", b.Info().Name, b.Info().CoopShapesNV)
	axes := []tensor.BatchAxis{tensor.BatchNone, tensor.BatchM, tensor.BatchK}
	const batch, rows = 3, 2
	for _, tl := range tiles {
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			t.Run(fmt.Sprintf("%s/ta=%v,tb=%v", tl.name, tr[0], tr[1]), func(t *testing.T) {
				var parts []opPart
				for _, s := range [][3]int{{1, 1, 1}, {37, 29, 53}, {70, 130, 17}, {tl.tile.BM, tl.tile.BN, 2 * tl.tile.BK},
					{2 * tl.tile.BM, tl.tile.BN, 3 * tl.tile.BK}} {
					for _, axis := range axes {
						parts = append(parts, matMulPart(s[0], s[1], s[2], tr[0], tr[1], axis, rows))
					}
				}
				withTile(tl.tile, 0, func() { checkHalf(t, b, newMultiCase(batch, rows, parts...)) })
			})
		}
		for _, r := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/split3/rows%d", tl.name, r), func(t *testing.T) {
				withTile(tl.tile, 3, func() {
					checkHalf(t, b, newMultiCase(4, r,
						matMulPart(33, 65, 150, true, false, tensor.BatchNone, r),
						matMulPart(33, 65, 150, false, true, tensor.BatchK, r),
						matMulPart(9, 65, 150, true, false, tensor.BatchM, r)))
				})
			})
		}
	}
}

// halfSumTol is checkHalf's bound on |gpu - cpu| / Σ|a·b| for sums of
// terms products: selftest.SumTol (round-to-nearest float32 sums in two
// orders), and with a coop tile forced, 4·terms·u more. Tensor cores'
// float32 accumulation need not round to nearest (it may truncate, and
// align a fragment's products before adding them), so its errors need
// not have random signs: each of the terms additions may lose up to one
// ulp (2u) of a partial sum bounded by Σ|a·b|, 2·terms·u in all, doubled
// for margin. At the tests' terms ≤ 450 that is below 2e-4·Σ|a·b|; a
// wrong or missing term costs about Σ|a·b|/terms ≥ 2e-3 of it.
func halfSumTol(terms int) float64 {
	tol := selftest.SumTol(terms).Sum
	if gemmTileOverride != nil && gemmTileOverride.Coop {
		tol += 4 * float64(terms) * selftest.UnitRoundoff
	}
	return tol
}

// TestCoopConstants checks what a coop tile hands the shader: the
// workgroup size (32 per subgroup block), constants 24..29 after the
// includer's, and VEC only for products whose every tile is whole.
func TestCoopConstants(t *testing.T) {
	tl := coopTiles(coopGPU(h200Shapes()))[0] // 128×128×32, warps of 64×32
	if n := tl.threads(); n != 256 {
		t.Errorf("threads %d, want 8 subgroups of 32", n)
	}
	if tl.shader("matmul_f16") != "matmul_f16_cm" {
		t.Errorf("shader %q", tl.shader("matmul_f16"))
	}
	for _, c := range []struct {
		m, n, k int
		vec     uint32
	}{{128, 256, 64, 1}, {130, 256, 64, 0}, {128, 200, 64, 0}, {128, 256, 40, 0}} {
		consts := tl.withEngine(append(tl.constants(1), 0, 1), tl.alignFor(c.m, c.n, c.k, true))
		want := []uint32{64, 32, 16, 16, 16, c.vec}
		if len(consts) != 30 || !slices.Equal(consts[24:], want) || consts[0] != 256 || consts[9] != 1 {
			t.Errorf("%dx%dx%d: constants %v, want 0: 256, 9: 1, 24..29: %v", c.m, c.n, c.k, consts, want)
		}
	}
}
