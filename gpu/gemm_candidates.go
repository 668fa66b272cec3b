package gpu

import (
	"fmt"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
)

// The warp-tiled tiles (shaders/matmul_warp.glsl): each thread holds TM×TN
// results in 4×4 sub-blocks, each warp of (WM/TM)·(WN/TN) = 32 threads a
// WM×WN tile, and the next K slice is staged in registers while the
// current one computes. They are candidates the tuner times against the
// older tiles on the device in use; none is a heuristic default, so
// ANVIL_TUNE=off keeps today's choices.
var (
	// tileWarp128: 128×128×16 tiles, 256 threads of 8×8 in warps of 64×32:
	// the large-product shape of siboehm's kernel 10 and ggml's "l" tile.
	tileWarp128 = gemmTile{BM: 128, BN: 128, BK: 16, TM: 8, TN: 8, Shared: true, Warp: true, WM: 64, WN: 32}
	// tileWarp128x64: 128×64×16, 128 threads of 8×8, for products with
	// fewer output tiles (more workgroups per SM).
	tileWarp128x64 = gemmTile{BM: 128, BN: 64, BK: 16, TM: 8, TN: 8, Shared: true, Warp: true, WM: 64, WN: 32}
	// tileWarp64: 64×64×16, 128 threads of 8×4 (warps of 64×16): ggml's "m".
	tileWarp64 = gemmTile{BM: 64, BN: 64, BK: 16, TM: 8, TN: 4, Shared: true, Warp: true, WM: 64, WN: 16}
	// tileWarp32: 32×32×32, 64 threads of 4×4 (warps of 32×16), for thin
	// products (10 or 150 columns) where a large tile is mostly padding.
	tileWarp32 = gemmTile{BM: 32, BN: 32, BK: 32, TM: 4, TN: 4, Shared: true, Warp: true, WM: 32, WN: 16}
	// tileWarp128v and tileWarp128x64v are the two large tiles with vec4
	// shared tiles: one 16-byte shared load per 4-row chunk, where the
	// others leave merging four scalar loads to the driver's compiler.
	tileWarp128v    = withSharedVec4(tileWarp128)
	tileWarp128x64v = withSharedVec4(tileWarp128x64)
)

func withSharedVec4(t gemmTile) gemmTile {
	t.SharedVec4 = true
	return t
}

// gpuTiles are the tiles a GPU tunes among, in the order tried.
var gpuTiles = []gemmTile{tileGPU, tileGPULarge, tileWarp128, tileWarp128x64, tileWarp64, tileWarp32,
	tileWarp128v, tileWarp128x64v}

// cpuTiles are the tiles a CPU driver tunes among: the two without shared
// memory (barriers are expensive there), so tuning stays cheap.
var cpuTiles = []gemmTile{tileSubgroup, tileCPU}

// checkWarp reports why a warp tile's layout does not hold together.
func (t gemmTile) checkWarp() error {
	if !t.Warp {
		if t.SharedVec4 {
			return fmt.Errorf("gpu: GEMM tile %+v: vec4 shared tiles need the warp path", t)
		}
		return nil
	}
	switch {
	case !t.Shared || t.Subgroup:
		return fmt.Errorf("gpu: GEMM tile %+v: the warp path needs shared memory and not the subgroup variant", t)
	case t.TM%4 != 0 || t.TN%4 != 0 || t.WM <= 0 || t.WN <= 0 || t.WM%t.TM != 0 || t.WN%t.TN != 0 ||
		t.BM%t.WM != 0 || t.BN%t.WN != 0 || t.BK%4 != 0:
		return fmt.Errorf("gpu: GEMM tile %+v: the warp path needs TM, TN and BK multiples of 4, WM a multiple of TM "+
			"dividing BM, and WN a multiple of TN dividing BN", t)
	}
	return nil
}

// gemmAlign is what the shapes of one product allow the warp path: no
// bounds checks (aligned), and 16-byte loads as well (vec4, MatMul only).
type gemmAlign struct{ aligned, vec4 bool }

// alignFor is the alignment t may assume for a product whose M is always
// a multiple of mUnit, N is n, and K a multiple of kUnit, whatever the row
// count (the per-sample sizes of a batched axis). vec4 says the operands
// can be read 16 bytes at a time at all (MatMul's plain arrays).
func (t gemmTile) alignFor(mUnit, n, kUnit int, vec4 bool) gemmAlign {
	if !(t.Warp || t.Coop) || mUnit%t.BM != 0 || n%t.BN != 0 || kUnit%t.BK != 0 {
		return gemmAlign{}
	}
	if t.Coop { // checkCoop keeps every chunk whole: 16-byte loads wherever the operands allow
		return gemmAlign{aligned: true, vec4: vec4}
	}
	// Every 16-byte index is then a multiple of 4 (BM, BN, BK are), and
	// each thread's loads must come out whole.
	wg4 := 4 * t.threads()
	return gemmAlign{aligned: true, vec4: vec4 && (t.BM*t.BK)%wg4 == 0 && (t.BN*t.BK)%wg4 == 0}
}

// name is a short name of t, e.g. "128x128x16/8x8/warp64x32".
func (t gemmTile) name() string {
	s := fmt.Sprintf("%dx%dx%d/%dx%d", t.BM, t.BN, t.BK, t.TM, t.TN)
	switch {
	case t.Subgroup:
		s += "/subgroup"
	case t.Coop:
		s = fmt.Sprintf("%dx%dx%d/coop%dx%dx%d/warp%dx%d", t.BM, t.BN, t.BK, t.FM, t.FN, t.FK, t.WM, t.WN)
	case t.Warp:
		s += fmt.Sprintf("/warp%dx%d", t.WM, t.WN)
		if t.SharedVec4 {
			s += "/v4"
		}
	case t.Shared:
		s += "/shared"
	}
	return s
}

// gemmChoice is how one product runs: its tile and split-K count.
type gemmChoice struct {
	Tile   gemmTile
	Splits int
}

func (c gemmChoice) String() string {
	if c.Splits > 1 {
		return fmt.Sprintf("%s/split%d", c.Tile.name(), c.Splits)
	}
	return c.Tile.name()
}

// gemmCandidates lists the choices the tuner times for an m×n output with
// at most kMax terms (at full batch): every tile of the device's set that
// fits it, each with its split-K count where the product may split.
func gemmCandidates(info vk.Info, m, n, kMax int, canSplit bool) []gemmChoice {
	tiles := gpuTiles
	if info.DeviceType == vk.CPUDevice {
		tiles = cpuTiles
	}
	var out []gemmChoice
	for _, t := range tiles {
		if t.check(info) != nil {
			continue
		}
		c := gemmChoice{Tile: t, Splits: 1}
		if canSplit {
			c.Splits = chooseSplits(info, t, m, n, kMax)
		}
		out = append(out, c)
	}
	return out
}
