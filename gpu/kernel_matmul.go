package gpu

import (
	"fmt"
	"strings"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// The GEMM family (MatMul and the three convolutions) shares one engine,
// shaders/matmul_core.glsl: each workgroup computes a BM×BN tile of the
// output, each thread a TM×TN block of it in registers, and the K loop runs
// either through shared memory in slices of BK (GPUs) or straight from
// memory (CPU drivers, where barriers are expensive). A GEMM whose output
// has too few tiles to fill the device splits K into slices summed by a
// second pass (matmul_reduce), so every output element still has one writer
// and a fixed summation order.

// gemmTile is one way of cutting a GEMM into workgroups; its fields are the
// engine's specialization constants 1..6, Subgroup picks the _sg shader,
// and Warp with WM×WN warp tiles the warp-tiled path (constants 24..26;
// see shaders/matmul_core.glsl and matmul_warp.glsl).
type gemmTile struct {
	BM, BN, BK, TM, TN int
	Shared, Subgroup   bool
	Warp               bool `json:",omitempty"`
	WM, WN             int  `json:",omitempty"`
	SharedVec4         bool `json:",omitempty"` // warp path: vec4 shared tiles (constant 29)
	// Coop: tensor cores (matmul_f16_cm.comp, gemm_coopmat.go): a subgroup
	// per WM×WN block, FM×FN×FK fragments; binary16 MatMul only.
	Coop       bool `json:",omitempty"`
	FM, FN, FK int  `json:",omitempty"`
}

// The tiles Anvil picks from. All of them run on lavapipe, so its tests
// cover the ones a GPU picks.
var (
	// tileSubgroup is for lavapipe, where every memory access is a loop
	// over the SIMD lanes: one subgroup of 8 lanes per 16×16 tile, each
	// lane loading one row of A and two columns of B per k and sharing the
	// rows by subgroup shuffles. 32 accumulator vectors was the sweet spot
	// measured (64 spills registers; 16 loads too often).
	tileSubgroup = gemmTile{BM: 16, BN: 16, BK: 1, TM: 16, TN: 2, Subgroup: true}
	// tileCPU streams operands without shared memory, for other CPU
	// drivers: barriers are expensive there.
	tileCPU = gemmTile{BM: 32, BN: 32, BK: 1, TM: 4, TN: 4}
	// tileGPU: 64×64 tiles, 256 threads of 4×4, 8.3 KiB of shared memory.
	tileGPU = gemmTile{BM: 64, BN: 64, BK: 16, TM: 4, TN: 4, Shared: true}
	// tileGPULarge: 128×128 tiles, 256 threads of 8×8 for large products,
	// twice the arithmetic per shared-memory read of tileGPU.
	tileGPULarge = gemmTile{BM: 128, BN: 128, BK: 8, TM: 8, TN: 8, Shared: true}
)

// gemmTileOverride, when set, replaces the tile choice (tests, experiments).
var gemmTileOverride *gemmTile

// gemmSplitOverride, when positive, replaces the split-K choice of the
// products that may split.
var gemmSplitOverride int

func (t gemmTile) threads() int {
	if t.Coop {
		return t.coopThreads()
	}
	return (t.BM / t.TM) * (t.BN / t.TN)
}

// shader is the engine variant t runs: base or base_sg.
func (t gemmTile) shader(base string) string {
	if t.Subgroup {
		return base + "_sg"
	}
	if t.Coop {
		return base + "_cm"
	}
	return base
}

// sharedBytes is the shared memory the engine declares for t: the A and B
// slices, padded by one word per k row (4 on the warp path).
func (t gemmTile) sharedBytes() int {
	if t.Coop {
		return t.coopSharedBytes()
	}
	if !t.Shared || t.Subgroup {
		return 8
	}
	pad := 1
	if t.Warp {
		pad = 4
	}
	return 4 * t.BK * (t.BM + pad + t.BN + pad)
}

// check reports why t cannot run on a device described by info.
func (t gemmTile) check(info vk.Info) error {
	if t.Coop {
		return t.checkCoop(info)
	}
	if t.BM%t.TM != 0 || t.BN%t.TN != 0 {
		return fmt.Errorf("gpu: GEMM tile %+v: BM and BN must be multiples of TM and TN", t)
	}
	n := t.threads()
	if t.Subgroup && (t.TM != t.BM || n != info.SubgroupSize || !isLavapipe(info)) {
		return fmt.Errorf("gpu: GEMM tile %+v: the subgroup variant needs lavapipe and one subgroup of BN/TN lanes (subgroup size %d)",
			t, info.SubgroupSize)
	}
	if t.Shared && ((t.BM*t.BK)%n != 0 || (t.BN*t.BK)%n != 0) {
		return fmt.Errorf("gpu: GEMM tile %+v: BM·BK and BN·BK must be multiples of the %d threads", t, n)
	}
	if err := t.checkWarp(); err != nil {
		return err
	}
	if n > info.MaxWorkgroupInvocations {
		return fmt.Errorf("gpu: GEMM tile %+v needs %d threads; %s allows %d", t, n, info.Name, info.MaxWorkgroupInvocations)
	}
	if b := t.sharedBytes(); b > info.MaxSharedMemory {
		return fmt.Errorf("gpu: GEMM tile %+v needs %d bytes of shared memory; %s has %d", t, b, info.Name, info.MaxSharedMemory)
	}
	return nil
}

// isLavapipe reports whether info is Mesa's llvmpipe Vulkan driver, the one
// driver the subgroup variant is written for (and tested on): it relies on
// a workgroup of one full subgroup and on subgroup shuffles.
func isLavapipe(info vk.Info) bool {
	return info.DeviceType == vk.CPUDevice && strings.Contains(strings.ToLower(info.Name+" "+info.DriverName), "llvmpipe")
}

// constants are the engine's specialization constants 0..7.
func (t gemmTile) constants(splits int) []uint32 {
	return []uint32{uint32(t.threads()), uint32(t.BM), uint32(t.BN), uint32(t.BK),
		uint32(t.TM), uint32(t.TN), b32(t.Shared), uint32(splits)}
}

// withEngine appends the warp path's constants 24..29 to consts (the
// includer's, padded with zeros up to 23) for a product aligned as al.
// Other tiles leave them at their defaults, so their pipelines are the
// ones they always were.
func (t gemmTile) withEngine(consts []uint32, al gemmAlign) []uint32 {
	if t.Coop {
		return t.coopConstants(consts, al)
	}
	if !t.Warp {
		return consts
	}
	for len(consts) < 24 {
		consts = append(consts, 0)
	}
	return append(consts, 1, uint32(t.WM), uint32(t.WN), b32(al.aligned), b32(al.vec4), b32(t.SharedVec4))
}

func b32(v bool) uint32 {
	if v {
		return 1
	}
	return 0
}

// chooseTile picks the tile for an m×n output at full batch: the subgroup
// variant on lavapipe, streaming on other CPU drivers, shared-memory tiles
// elsewhere, the large one only where the output has enough of them.
func chooseTile(info vk.Info, m, n int) (gemmTile, error) {
	if gemmTileOverride != nil {
		return *gemmTileOverride, gemmTileOverride.check(info)
	}
	cands := []gemmTile{tileGPU, tileCPU}
	switch {
	case info.DeviceType == vk.CPUDevice:
		cands = []gemmTile{tileSubgroup, tileCPU}
	case m >= 1024 && n >= 1024:
		cands = []gemmTile{tileGPULarge, tileGPU, tileCPU}
	}
	var err error
	for _, t := range cands {
		if err = t.check(info); err == nil {
			return t, nil
		}
	}
	return gemmTile{}, err
}

// Split-K targets: how many workgroups keep a device busy, the shortest
// slice of K worth a workgroup, and the most slices.
const (
	gpuBusyGroups = 512
	cpuBusyGroups = 8
	minSplitK     = 256
	maxSplits     = 64
	// maxScratch bounds a split-K scratch buffer, in floats (64 MiB).
	maxScratch = 1 << 24
)

// chooseSplits is how many slices of K an m×n output with at most kMax
// terms per element is summed in: 1 unless the output has too few tiles to
// keep the device busy and K is long.
func chooseSplits(info vk.Info, t gemmTile, m, n, kMax int) int {
	if gemmSplitOverride > 0 {
		return gemmSplitOverride
	}
	busy := gpuBusyGroups
	if info.DeviceType == vk.CPUDevice {
		busy = cpuBusyGroups
	}
	tiles := ceilDiv(m, t.BM) * ceilDiv(n, t.BN)
	if tiles >= busy {
		return 1
	}
	s := min(ceilDiv(busy, tiles), kMax/minSplitK, maxSplits, maxScratch/(m*n))
	return max(s, 1)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// dispatch is one recorded dispatch of a kernel; barrier orders it after
// the kernel's earlier dispatches.
type dispatch struct {
	set     *vk.DescriptorSet
	push    []byte
	x, y, z int
	barrier bool
}

// gemmKernel is a bound op of the GEMM family: one or more engine
// dispatches, then the split-K reduction if there is one.
type gemmKernel struct {
	passes  []dispatch
	scratch *vk.Buffer // the split-K partial sums, nil without split-K
}

func (k *gemmKernel) record(c *vk.Commands) error {
	for _, d := range k.passes {
		if d.barrier {
			c.Barrier(vk.Compute, vk.Compute)
		}
		c.Dispatch(d.set, d.push, d.x, d.y, d.z)
	}
	return nil
}

// gemmGrid covers tilesM × tilesN·splits workgroups, folding tilesM into z
// where it exceeds the device's x limit.
func gemmGrid(p *program, t gemmTile, m, n, splits int) (x, y, z int, err error) {
	lim := p.dev.Limits().MaxGroupCount
	tilesM, ny := ceilDiv(m, t.BM), ceilDiv(n, t.BN)*splits
	x = min(tilesM, int(lim[0]))
	z = ceilDiv(tilesM, x)
	if ny > int(lim[1]) || z > int(lim[2]) {
		return 0, 0, 0, fmt.Errorf("gpu: a %d×%d product needs %d×%d workgroups; the device allows %d×%d×%d",
			m, n, tilesM, ny, lim[0], lim[1], lim[2])
	}
	return x, ceilDiv(n, t.BN) * splits, z, nil
}

// withScratch adds split-K to k when splits > 1: a private scratch of
// splits·m·n floats the engine writes and matmul_reduce sums into the
// output out (the program owns and frees it). It returns the buffer the
// engine binds as scratch: without split-K, out itself, which the kernel
// writes anyway. (Not the shared dummy: synchronization validation counts
// a binding declared written as a write, used or not, and another op of
// the same barrier interval may read the dummy as an absent input.)
func (k *gemmKernel) withScratch(p *program, splits, m, n int, out *vk.Buffer) (*vk.Buffer, error) {
	if splits <= 1 {
		return out, nil
	}
	var err error
	if k.scratch, err = p.private(splits * m * n); err != nil {
		return nil, fmt.Errorf("gpu: split-K scratch for a %d×%d product: %w", m, n, err)
	}
	return k.scratch, nil
}

// addReduce appends the pass that sums the split-K slices into out, whose
// mn elements (at full batch) are per sample when batched and rows of cols,
// applying the epilogue e.
func (k *gemmKernel) addReduce(p *program, out *vk.Buffer, splits, mn, cols int, batched bool, e epilogue) error {
	const wg = 256
	pl, err := p.pipeline("matmul_reduce", 4, 16, e.constants([]uint32{wg})...)
	if err != nil {
		return err
	}
	set, err := pl.Bind(append([]*vk.Buffer{p.args, k.scratch, out}, e.buffers(out)...)...)
	if err != nil {
		return err
	}
	n := mn
	if batched {
		n = mn / p.plan.Batch
	}
	push := vk.Push{}.Uint32(uint32(n)).Uint32(uint32(splits)).Uint32(b32(batched)).Uint32(uint32(cols))
	k.passes = append(k.passes, dispatch{set: set, push: push, x: p.groups(mn, wg), y: 1, z: 1, barrier: true})
	return nil
}

// bindMatMul binds a tensor.MatMul: shaders/matmul.comp, one pipeline per
// tile, transpose pair and split count.
func bindMatMul(p *program, o tensor.MatMul) (opKernel, error) {
	return bindMatMulWith(p, o, o, epilogue{})
}

// bindMatMulWith binds o with the epilogue e, tuned as the op tuneOp (o
// itself, or the gemmEpi that holds it).
func bindMatMulWith(p *program, o tensor.MatMul, tuneOp tensor.Op, e epilogue) (opKernel, error) {
	if o.M <= 0 || o.N <= 0 || o.K <= 0 {
		return nil, fmt.Errorf("gpu: MatMul %d×%d×%d: sizes must be positive", o.M, o.N, o.K)
	}
	m, kMax := o.M, o.K // at full batch
	switch o.Batch {
	case tensor.BatchM:
		m *= p.plan.Batch
	case tensor.BatchK:
		kMax *= p.plan.Batch
	}
	c, err := p.chooseGemm(tuneOp, m, o.N, kMax, true)
	if err != nil {
		return nil, err
	}
	t, splits := c.Tile, c.Splits
	k := &gemmKernel{}
	scratch, err := k.withScratch(p, splits, m, o.N, p.buffer(o.C))
	if err != nil {
		return nil, err
	}
	storeEpi := e // with split-K, the reduction applies the epilogue
	if splits > 1 {
		storeEpi = epilogue{}
	}
	consts := t.withEngine(storeEpi.constants(append(t.constants(splits), b32(o.TransA), b32(o.TransB))), t.alignFor(o.M, o.N, o.K, true))
	base, err := matmulShader(p, o)
	if err != nil {
		return nil, err
	}
	if err := t.coopRuns(base); err != nil {
		return nil, err
	}
	pl, err := p.pipeline(t.shader(base), 6, 16, consts...)
	if err != nil {
		return nil, err
	}
	out := p.buffer(o.C)
	set, err := pl.Bind(append([]*vk.Buffer{p.args, p.buffer(o.A), p.buffer(o.B), out, scratch}, storeEpi.buffers(out)...)...)
	if err != nil {
		return nil, err
	}
	x, y, z, err := gemmGrid(p, t, m, o.N, splits)
	if err != nil {
		return nil, err
	}
	push := vk.Push{}.Uint32(uint32(o.M)).Uint32(uint32(o.N)).Uint32(uint32(o.K)).Uint32(uint32(o.Batch))
	k.passes = append(k.passes, dispatch{set: set, push: push, x: x, y: y, z: z})
	if splits > 1 {
		if err := k.addReduce(p, p.buffer(o.C), splits, m*o.N, o.N, o.Batch == tensor.BatchM, e); err != nil {
			return nil, err
		}
	}
	return k, nil
}
