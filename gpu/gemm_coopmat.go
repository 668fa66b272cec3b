package gpu

import (
	"fmt"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// Tensor cores (shaders/matmul_f16_cm.comp, VK_NV_cooperative_matrix).
// Coop tiles are extra tuner candidates for binary16 MatMuls on devices
// that offer a matching fragment shape: never the heuristic's choice, so
// ANVIL_TUNE=off never runs them, and the tuner accepts one only after
// its result matched the heuristic's exactly (tune_verify.go). Nothing
// else reaches the shader: a device without the extension lists no coop
// tile (coopTiles), and binding one anywhere but a binary16 MatMul fails
// (coopRuns). Not yet run on hardware (docs/MIXED_PRECISION.md).

// coopSubgroup is the subgroup size the shader's layout assumes: one
// subgroup per WM×WN block, WG = blocks·32 (NVIDIA's warps).
const coopSubgroup = 32

// coopLayouts are the workgroup layouts tried, each with the largest
// offered fragment shape that divides it (coopTiles): BM×BN×BK per
// workgroup, WM×WN per subgroup.
var coopLayouts = []gemmTile{
	// 128×128, 8 warps of 64×32: the classic large tile (30 KiB shared).
	{BM: 128, BN: 128, BK: 32, WM: 64, WN: 32},
	// 128×128, 4 warps of 64×64: twice the accumulators per warp, half
	// the fragment loads per product.
	{BM: 128, BN: 128, BK: 32, WM: 64, WN: 64},
	// 64×64, 4 warps of 32×32: products with fewer output tiles.
	{BM: 64, BN: 64, BK: 32, WM: 32, WN: 32},
}

// mixedShape reports whether s is a fragment shape the shader can use:
// float16 A and B, float32 C and D, subgroup scope, and every side a
// multiple of 8, so that each fragment starts on a whole uvec4 of the
// shared slices (16-byte aligned, as VK_NV_cooperative_matrix requires)
// in both memory orders.
func mixedShape(s vk.CoopShape) bool {
	return s.A == vk.Float16Component && s.B == vk.Float16Component && s.C == vk.Float32Component &&
		s.D == vk.Float32Component && s.Scope == vk.SubgroupScope && s.M > 0 && s.M%8 == 0 && s.N > 0 &&
		s.N%8 == 0 && s.K > 0 && s.K%8 == 0
}

// coopTiles are the coop tiles a device described by info can run: none
// without VK_NV_cooperative_matrix, binary16 support or 32-wide
// subgroups; else, per layout of coopLayouts, the one with the offered
// mixed shape of most multiply-adds that divides it, if it fits the
// device (check). A pure function of info, so that tests decide it for
// fake devices.
func coopTiles(info vk.Info) []gemmTile {
	if !info.CooperativeMatrixNV || !info.Float16 || info.SubgroupSize != coopSubgroup {
		return nil
	}
	var out []gemmTile
	for _, l := range coopLayouts {
		var best *vk.CoopShape
		for i, s := range info.CoopShapesNV {
			if mixedShape(s) && l.WM%s.M == 0 && l.WN%s.N == 0 && l.BK%s.K == 0 &&
				(best == nil || s.M*s.N*s.K > best.M*best.N*best.K) {
				best = &info.CoopShapesNV[i]
			}
		}
		if best == nil {
			continue
		}
		t := l
		t.Coop, t.Shared, t.FM, t.FN, t.FK = true, true, best.M, best.N, best.K
		t.TM, t.TN = 1, 1 // unused by the shader; nonzero for the generic checks
		if t.check(info) == nil {
			out = append(out, t)
		}
	}
	return out
}

// coopChoices are the coop candidates for a binary16 MatMul with an m×n
// output and at most kMax terms (at full batch), with split-K counts as
// gemmCandidates gives the other tiles.
func coopChoices(info vk.Info, m, n, kMax int, canSplit bool) []gemmChoice {
	var out []gemmChoice
	for _, t := range coopTiles(info) {
		c := gemmChoice{Tile: t, Splits: 1}
		if canSplit {
			c.Splits = chooseSplits(info, t, m, n, kMax)
		}
		out = append(out, c)
	}
	return out
}

// coopEligible reports whether op may run on a coop tile: a MatMul, fused
// or not, of binary16 operands.
func coopEligible(plan *tensor.Plan, op tensor.Op) bool {
	switch o := op.(type) {
	case tensor.MatMul:
		return plan.Buffers[o.A].DType == tensor.Float16
	case gemmEpi:
		return coopEligible(plan, o.gemm)
	}
	return false
}

// coopRuns reports why t cannot run the engine shader base: coop tiles
// run matmul_f16 only.
func (t gemmTile) coopRuns(base string) error {
	if t.Coop && base != "matmul_f16" {
		return fmt.Errorf("gpu: GEMM tile %s runs on tensor cores, which Anvil uses for binary16 MatMuls only, not %s", t.name(), base)
	}
	return nil
}

func (t gemmTile) coopThreads() int {
	if t.WM <= 0 || t.WN <= 0 {
		return 0
	}
	return (t.BM / t.WM) * (t.BN / t.WN) * coopSubgroup
}

// coopSharedBytes is the shader's shared memory: A and B slices of
// binary16 in their memory order (the larger of the two orders, which the
// transposes pick), rows padded by 8 values, and a float32 FM×(FN+4)
// staging area per subgroup.
func (t gemmTile) coopSharedBytes() int {
	warps := t.coopThreads() / coopSubgroup
	slice := func(rows, cols int) int { return 2 * max(rows*(cols+8), cols*(rows+8)) }
	return slice(t.BM, t.BK) + slice(t.BN, t.BK) + 4*warps*t.FM*(t.FN+4)
}

// checkCoop reports why the coop tile t cannot run on info's device.
func (t gemmTile) checkCoop(info vk.Info) error {
	switch {
	case !info.CooperativeMatrixNV || !info.Float16:
		return fmt.Errorf("gpu: GEMM tile %s needs VK_NV_cooperative_matrix and binary16 support, which %s lacks", t.name(), info.Name)
	case info.SubgroupSize != coopSubgroup:
		return fmt.Errorf("gpu: GEMM tile %s needs subgroups of %d (%s: %d)", t.name(), coopSubgroup, info.Name, info.SubgroupSize)
	case t.Subgroup || t.Warp || !t.Shared:
		return fmt.Errorf("gpu: GEMM tile %+v: a coop tile is shared-memory only", t)
	case t.FM <= 0 || t.FN <= 0 || t.FK <= 0 || t.WM <= 0 || t.WN <= 0 || t.BM%t.WM != 0 || t.BN%t.WN != 0 ||
		t.WM%t.FM != 0 || t.WN%t.FN != 0 || t.BK%t.FK != 0 || t.FM%8 != 0 || t.FN%8 != 0 || t.FK%8 != 0 ||
		t.BM%8 != 0 || t.BN%8 != 0:
		return fmt.Errorf("gpu: GEMM tile %+v: a coop tile needs WM | BM, WN | BN, FM | WM, FN | WN, FK | BK, "+
			"and FM, FN, FK, BM, BN multiples of 8", t)
	}
	if !coopOffered(info, t.FM, t.FN, t.FK) {
		return fmt.Errorf("gpu: GEMM tile %s: %s offers no %dx%dx%d float16×float16+float32 subgroup fragment",
			t.name(), info.Name, t.FM, t.FN, t.FK)
	}
	n := t.threads()
	if (t.BM*t.BK/8)%n != 0 || (t.BN*t.BK/8)%n != 0 {
		return fmt.Errorf("gpu: GEMM tile %s: BM·BK/8 and BN·BK/8 must be multiples of the %d threads", t.name(), n)
	}
	if n > info.MaxWorkgroupInvocations {
		return fmt.Errorf("gpu: GEMM tile %s needs %d threads; %s allows %d", t.name(), n, info.Name, info.MaxWorkgroupInvocations)
	}
	if b := t.sharedBytes(); b > info.MaxSharedMemory {
		return fmt.Errorf("gpu: GEMM tile %s needs %d bytes of shared memory; %s has %d", t.name(), b, info.Name, info.MaxSharedMemory)
	}
	return nil
}

// coopOffered reports whether info offers the mixed fragment shape m×n×k.
func coopOffered(info vk.Info, m, n, k int) bool {
	for _, s := range info.CoopShapesNV {
		if mixedShape(s) && s.M == m && s.N == n && s.K == k {
			return true
		}
	}
	return false
}

// coopConstants appends the shader's constants 24..29 (WM, WN, FM, FN,
// FK, VEC) to consts, padded with zeros up to 23.
func (t gemmTile) coopConstants(consts []uint32, al gemmAlign) []uint32 {
	for len(consts) < 24 {
		consts = append(consts, 0)
	}
	return append(consts, uint32(t.WM), uint32(t.WN), uint32(t.FM), uint32(t.FN), uint32(t.FK), b32(al.aligned && al.vec4))
}

// halfKey tells binary16 products from float32 ones of the same shape in
// the tuning cache: they run other shaders, and only they have coop
// candidates.
func halfKey(plan *tensor.Plan, op tensor.Op) string {
	for _, a := range op.Accesses() {
		if plan.Buffers[a.Buf].DType == tensor.Float16 {
			return " float16"
		}
	}
	return ""
}
