package gpu

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// Autotuning (docs/TUNING.md). When a program binds a GEMM or convolution
// whose shape the device has not met before, the tuner compiles the op
// alone on scratch buffers once per candidate configuration
// (gemm_candidates.go), times a few replays with GPU timestamps and keeps
// the fastest. Choices are cached per device and shape on disk
// (tune_cache.go), so later compiles, in this process or the next, time
// nothing and choose the same: repeated runs compute bit-identical
// results. ANVIL_TUNE=off keeps the fixed heuristic (chooseTile,
// chooseSplits).

// Tuning costs: each compile may spend at most tuneBudget timing; a shape
// the budget did not reach keeps the heuristic choice, uncached, and is
// tuned by a later compile. (Tests shorten or lengthen the budgets.)
var (
	tuneBudgetGPU = 2 * time.Second
	tuneBudgetCPU = 3 * time.Second // pipelines compile slowly on CPU drivers
)

// Timed rounds per candidate: at least tuneReps, and up to tuneMaxReps
// while a shape has taken less than tuneRoundsFor (cheap kernels, whose
// times vary most).
const (
	tuneReps      = 5
	tuneMaxReps   = 25
	tuneRoundsFor = 50 * time.Millisecond
)

// tuneTimings counts the candidates timed in this process (tests check
// that a cached or disabled tuner times nothing).
var tuneTimings atomic.Int64

// tuneWarn reports what the tuner could not do (an unreadable cache, a
// failed candidate); it never fails a compile. Tests replace it.
var tuneWarn = func(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "anvil: "+format+"\n", args...)
}

// tuner is one device's tuning state, made by NewBackend and dropped by
// Close. Like the Backend it is used from one goroutine at a time.
type tuner struct {
	dev     *vk.Device
	enabled bool
	budget  time.Duration
	cache   *tuneCache
	// forced, while the tuner times a candidate, is the choice every GEMM
	// of the scratch program takes.
	forced *gemmChoice
}

// tuners maps each open device to its tuner.
var tuners struct {
	sync.Mutex
	m map[*vk.Device]*tuner
}

// tuneEnabled reads ANVIL_TUNE: "off" (or 0, false) disables tuning, "on"
// (1, true) enables it; unset, it is on except inside test binaries,
// which turn it on themselves, so that the suite stays fast on lavapipe.
func tuneEnabled() bool {
	switch v := os.Getenv("ANVIL_TUNE"); v {
	case "off", "0", "false":
		return false
	case "on", "1", "true":
		return true
	case "":
		return !testing.Testing()
	default:
		tuneWarn("ANVIL_TUNE=%q is neither on nor off; tuning stays on", v)
		return true
	}
}

// attachTuner makes dev's tuner and loads its caches: the choices and the
// pipeline cache.
func attachTuner(dev *vk.Device) {
	info := dev.Info()
	tu := &tuner{dev: dev, enabled: tuneEnabled(), budget: tuneBudgetGPU}
	if info.DeviceType == vk.CPUDevice {
		tu.budget = tuneBudgetCPU
	}
	tu.cache = openTuneCache(info)
	tu.cache.loadPipelines(dev)
	tuners.Lock()
	defer tuners.Unlock()
	if tuners.m == nil {
		tuners.m = map[*vk.Device]*tuner{}
	}
	tuners.m[dev] = tu
}

// detachTuner saves dev's pipeline cache and forgets its tuner; call it
// before the device closes.
func detachTuner(dev *vk.Device) {
	tuners.Lock()
	tu := tuners.m[dev]
	delete(tuners.m, dev)
	tuners.Unlock()
	if tu != nil {
		tu.cache.savePipelines(dev)
	}
}

func tunerOf(dev *vk.Device) *tuner {
	tuners.Lock()
	defer tuners.Unlock()
	return tuners.m[dev]
}

// chooseGemm picks the tile and split count of op, an m×n product with at
// most kMax terms at full batch: the tuned choice where there is one,
// else the heuristic.
func (p *program) chooseGemm(op tensor.Op, m, n, kMax int, canSplit bool) (gemmChoice, error) {
	info := p.dev.Info()
	t, err := chooseTile(info, m, n)
	if err != nil {
		return gemmChoice{}, err
	}
	h := gemmChoice{Tile: t, Splits: 1}
	if canSplit {
		h.Splits = chooseSplits(info, t, m, n, kMax)
	}
	cands := gemmCandidates(info, m, n, kMax, canSplit)
	if coopEligible(p.plan, op) {
		cands = append(cands, coopChoices(info, m, n, kMax, canSplit)...)
	}
	if c, ok := p.tuned(op, heuristicFirst(h, cands), kMax); ok {
		p.noteGemm(op, c, true)
		return c, nil
	}
	p.noteGemm(op, h, false)
	return h, nil
}

// heuristicFirst moves h to the front of cands, where tuning looks for
// the choice to beat.
func heuristicFirst(h gemmChoice, cands []gemmChoice) []gemmChoice {
	if i := slices.Index(cands, h); i > 0 {
		cands = append(append([]gemmChoice{h}, cands[:i]...), cands[i+1:]...)
	}
	return cands
}

// noteGemm records the choice made for op, for GEMMConfigs.
func (p *program) noteGemm(op tensor.Op, c gemmChoice, tuned bool) {
	how, name := "heuristic", fmt.Sprintf("%T", op)
	if tuned {
		how = "tuned"
	}
	if f, ok := op.(gemmEpi); ok {
		name = fmt.Sprintf("%T+epilogue", f.gemm)
	}
	p.gemmConfigs = append(p.gemmConfigs, fmt.Sprintf("%s: %v (%s)", name, c, how))
}

// GEMMConfigs describes the configuration each GEMM-family op of the
// program runs with, in plan order, e.g. "tensor.MatMul:
// 128x128x16/8x8/warp64x32 (tuned)" (benchmarks print it).
func (p *program) GEMMConfigs() []string { return p.gemmConfigs }

// SetTuning turns autotuning on or off for later compiles on b (the
// default comes from ANVIL_TUNE) and returns the previous setting.
// Benchmarks use it to compare tuned and untuned kernels.
func (b *Backend) SetTuning(on bool) (was bool) {
	tu := tunerOf(b.dev)
	if tu == nil {
		return false
	}
	was, tu.enabled = tu.enabled, on
	return was
}

// tuned returns the tuned choice among cands for op, whose output
// elements are sums of at most kMax products, timing them if the cache
// has none; false leaves the choice to the heuristic (tuning off, a forced
// tile, or the compile's budget spent).
func (p *program) tuned(op tensor.Op, cands []gemmChoice, kMax int) (gemmChoice, bool) {
	tu := tunerOf(p.dev)
	switch {
	case tu == nil:
		return gemmChoice{}, false
	case tu.forced != nil:
		return *tu.forced, true
	case !tu.enabled || gemmTileOverride != nil || len(cands) == 0:
		return gemmChoice{}, false
	}
	key := tuneKey(op, p.plan.Batch) + halfKey(p.plan, op)
	if c, ok := tu.cache.choices[key]; ok {
		if slices.Contains(cands, c) {
			return c, true
		}
		tuneWarn("tuning cache %s: the choice for %s is not a candidate on %s; tuning it again",
			tu.cache.path, key, p.dev.Info().Name)
		delete(tu.cache.choices, key)
	}
	if len(cands) == 1 {
		return cands[0], true
	}
	fresh := p.tuneDeadline.IsZero()
	if fresh {
		p.tuneDeadline = time.Now().Add(tu.budget)
	}
	best, ok := tu.search(p.plan, op, cands, kMax, p.tuneDeadline)
	if !ok && fresh {
		// A whole budget did not suffice for this one shape (on a CPU
		// driver, a large product): it never will, so the heuristic's
		// choice is cached rather than timed again by every compile.
		best, ok = cands[0], true
	}
	if ok {
		tu.cache.put(key, best)
	}
	return best, ok
}

// tuneKey names op's shape (its sizes, not its buffers) at batch.
func tuneKey(op tensor.Op, batch int) string {
	switch o := op.(type) {
	case tensor.MatMul:
		o.A, o.B, o.C = 0, 0, 0
		op = o
	case tensor.Conv2D:
		o.X, o.W, o.Y = 0, 0, 0
		op = o
	case tensor.Conv2DBackwardData:
		o.DY, o.W, o.DX = 0, 0, 0
		op = o
	case tensor.Conv2DBackwardFilter:
		o.X, o.DY, o.DW = 0, 0, 0
		op = o
	case gemmEpi:
		return epiTuneKey(o, batch)
	}
	return fmt.Sprintf("%T%+v batch=%d", op, op, batch)
}

// search times the candidates, cands[0] being the heuristic's choice,
// and returns the fastest whose result matches the heuristic's (see
// tune_verify.go; kMax bounds the products summed per output element);
// false if the deadline came first or none ran.
// The candidates are compiled first and then timed in turns, rep by rep,
// so that a change of load on a shared machine hits them all alike; and
// another candidate replaces the heuristic's only when faster by a margin,
// so that noise alone rarely trades it for a slower one.
func (tu *tuner) search(plan *tensor.Plan, op tensor.Op, cands []gemmChoice, kMax int, deadline time.Time) (gemmChoice, bool) {
	var runs []*tuneRun
	defer func() {
		for _, r := range runs {
			r.prog.Close()
		}
	}()
	for _, c := range cands {
		if time.Now().After(deadline) {
			return gemmChoice{}, false
		}
		r, err := tu.prepare(plan, op, c)
		if err != nil {
			tuneWarn("tuning %T: candidate %v failed, skipped: %v", op, c, err)
			continue
		}
		runs = append(runs, r)
	}
	exact := fillExact(runs, kMax)
	// The first round warms up; cheap kernels get more rounds, up to
	// tuneMaxReps, while the shape has taken less than tuneRoundsFor.
	start := time.Now()
	for rep := 0; rep <= tuneReps || (rep <= tuneMaxReps && time.Since(start) < tuneRoundsFor); rep++ {
		for _, r := range runs {
			if time.Now().After(deadline) {
				return gemmChoice{}, false
			}
			if err := r.time(rep > 0); err != nil {
				tuneWarn("tuning %T: candidate %v failed, skipped: %v", op, r.choice, err)
				r.failed = true
			}
		}
	}
	verifyRuns(op, runs, exact)
	margin := tuneMarginGPU
	if tu.dev.Info().DeviceType == vk.CPUDevice {
		margin = tuneMarginCPU
	}
	var best *tuneRun
	for _, r := range runs {
		switch {
		case r.failed:
		case best == nil:
			best = r
		case r.median() < best.median() && (best.choice != cands[0] || float64(r.median()) < (1-margin)*float64(best.median())):
			best = r
		}
	}
	if best == nil {
		return gemmChoice{}, false
	}
	return best.choice, true
}

// How much faster than the heuristic's choice another must be to replace
// it: more on CPU drivers, whose timings share the CPU with everything
// else (on a loaded 2-core machine medians of the same kernel were seen
// to differ 2x).
const (
	tuneMarginGPU = 0.05
	tuneMarginCPU = 0.25
)

// tuneRun is one candidate compiled on scratch buffers, and its times.
type tuneRun struct {
	choice gemmChoice
	prog   *program
	args   tensor.StepArgs
	times  []time.Duration
	failed bool
}

// prepare compiles op alone with choice c on scratch buffers of its sizes.
func (tu *tuner) prepare(plan *tensor.Plan, op tensor.Op, c gemmChoice) (*tuneRun, error) {
	tuneTimings.Add(1)
	mini := scratchPlan(plan, op)
	tu.forced = &c
	prog, err := compileProgram(tu.dev, mini)
	tu.forced = nil
	if err != nil {
		return nil, err
	}
	return &tuneRun{choice: c, prog: prog, args: tensor.StepArgs{Rows: mini.Batch, Step: 1, LearningRate: 1e-3, Seed: 1}}, nil
}

// time replays the program once at full batch and, if keep, records how
// long it took on the device (by timestamps, else by the clock).
func (r *tuneRun) time(keep bool) error {
	if r.failed {
		return nil
	}
	start := time.Now()
	if err := r.prog.Run(tensor.Train, r.args); err != nil {
		return err
	}
	d := time.Since(start)
	if r.prog.dev.Info().Timestamps {
		var err error
		if d, err = r.prog.GPUTime(); err != nil {
			return err
		}
	}
	if keep {
		r.times = append(r.times, d)
	}
	return nil
}

func (r *tuneRun) median() time.Duration {
	t := append([]time.Duration(nil), r.times...)
	sort.Slice(t, func(i, j int) bool { return t[i] < t[j] })
	return t[len(t)/2]
}

// scratchPlan is a plan of op alone, on fresh buffers of the sizes and
// kinds op has in plan, at plan's batch.
func scratchPlan(plan *tensor.Plan, op tensor.Op) *tensor.Plan {
	mini := tensor.NewPlan(plan.Batch)
	if f, ok := op.(gemmEpi); ok {
		epiScratch(mini, plan, f)
		return mini
	}
	mini.Emit(tensor.Train, scratchOp(mini, plan, op))
	return mini
}

// scratchOp is op on fresh buffers of mini, of the sizes and kinds op's
// have in plan.
func scratchOp(mini, plan *tensor.Plan, op tensor.Op) tensor.Op {
	var ids []tensor.BufferID
	for i, a := range op.Accesses() {
		b := plan.Buffers[a.Buf]
		id := mini.AddBuffer(fmt.Sprintf("tune%d", i), b.Kind, b.Batched, b.Shape)
		mini.Buffers[id].DType = b.DType // a binary16 product is tuned as one
		ids = append(ids, id)
	}
	switch o := op.(type) {
	case tensor.MatMul:
		o.A, o.B, o.C = ids[0], ids[1], ids[2]
		op = o
	case tensor.Conv2D:
		o.X, o.W, o.Y = ids[0], ids[1], ids[2]
		op = o
	case tensor.Conv2DBackwardData:
		o.DY, o.W, o.DX = ids[0], ids[1], ids[2]
		op = o
	case tensor.Conv2DBackwardFilter:
		o.X, o.DY, o.DW = ids[0], ids[1], ids[2]
		op = o
	}
	return op
}
