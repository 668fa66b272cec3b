package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/anvil-ml/anvil/tensor"
)

// deviceTimer is implemented by programs that can say how long their last
// Run took on the device (GPU timestamps).
type deviceTimer interface {
	GPUTime() (time.Duration, error)
}

// kernelResult is one kernel measured on one backend. Times are in
// milliseconds; rates come from the median wall time.
type kernelResult struct {
	Group   string  `json:"group"`
	Name    string  `json:"name"`
	Shape   string  `json:"shape"`
	Batch   int     `json:"batch"`
	Backend string  `json:"backend"`
	Note    string  `json:"note,omitempty"`
	Flops   float64 `json:"flops,omitempty"`
	Bytes   float64 `json:"bytes"`
	Reps    int     `json:"reps"`
	// MedianMS and MinMS are wall times of Program.Run.
	MedianMS float64 `json:"median_ms"`
	MinMS    float64 `json:"min_ms"`
	// DeviceMedianMS is the median device time, when the program reports it.
	DeviceMedianMS float64 `json:"device_median_ms,omitempty"`
	GFLOPS         float64 `json:"gflops,omitempty"`
	GBps           float64 `json:"gbps"`
	// VsCPU is the CPU backend's median over this one: above 1 is faster.
	VsCPU float64 `json:"vs_cpu,omitempty"`
	// Config is the GEMM configuration a Vulkan program chose for each of
	// its GEMM-family ops (tile, split-K, and whether tuned or heuristic).
	Config string `json:"config,omitempty"`
	Error  string `json:"error,omitempty"`
}

// gemmConfigs is implemented by Vulkan programs: the configuration each
// GEMM or convolution op runs with.
type gemmConfigs interface {
	GEMMConfigs() []string
}

// tuningSwitch is implemented by Vulkan backends: autotuning on or off.
type tuningSwitch interface {
	SetTuning(on bool) (was bool)
}

// runKernel compiles c's plan on t and times its Train routine.
func runKernel(t target, c kernelCase, tm timing) kernelResult {
	r := kernelResult{Group: c.Group, Name: c.Name, Shape: c.Shape, Batch: c.Batch, Backend: t.Label,
		Note: c.Note, Flops: c.Flops, Bytes: c.Bytes}
	s, config, err := timeKernel(t.Backend, c.Build(), tm)
	r.Config = config
	if err != nil {
		r.Error = err.Error()
		return r
	}
	med := median(s.Wall)
	r.Reps, r.MedianMS, r.MinMS = len(s.Wall), ms(med), ms(minDuration(s.Wall))
	r.DeviceMedianMS = ms(median(s.Device))
	if c.Flops > 0 {
		r.GFLOPS = c.Flops / med.Seconds() / 1e9
	}
	r.GBps = c.Bytes / med.Seconds() / 1e9
	return r
}

// timeKernel compiles plan on b, fills every buffer an op reads with
// random values and measures Run(Train) at full batch. It also returns the
// GEMM configurations the program chose, if it says.
func timeKernel(b tensor.Backend, plan *tensor.Plan, tm timing) (samples, string, error) {
	k, err := prepareKernel(b, plan)
	if err != nil {
		return samples{}, "", err
	}
	defer k.prog.Close()
	var config string
	if g, ok := k.prog.(gemmConfigs); ok {
		config = strings.Join(g.GEMMConfigs(), "; ")
	}
	s, err := measure(k.run, deviceTime(k.prog), tm)
	return s, config, err
}

// runUntuned times c on t with autotuning off, labelled "<backend>
// untuned", beside the tuned row; false when t does not tune (or tuning
// is off already, so the row would repeat the other).
func runUntuned(t target, c kernelCase, tm timing) (kernelResult, bool) {
	sw, ok := t.Backend.(tuningSwitch)
	if !ok || (c.Group != "matmul" && c.Group != "conv2d") {
		return kernelResult{}, false
	}
	was := sw.SetTuning(false)
	defer sw.SetTuning(was)
	if !was {
		return kernelResult{}, false
	}
	t.Label += " untuned"
	return runKernel(t, c, tm), true
}

// preparedKernel is a compiled one-op plan ready to run.
type preparedKernel struct {
	prog tensor.Program
	args tensor.StepArgs
}

// prepareKernel compiles plan on b and fills its inputs. The caller closes
// the program.
func prepareKernel(b tensor.Backend, plan *tensor.Plan) (*preparedKernel, error) {
	prog, err := b.Compile(plan)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	if err := fillReads(prog, plan); err != nil {
		prog.Close()
		return nil, err
	}
	return &preparedKernel{prog: prog, args: tensor.StepArgs{Rows: plan.Batch, Step: 1, LearningRate: 1e-3, Seed: 1}}, nil
}

// run runs the Train routine once.
func (k *preparedKernel) run() error { return k.prog.Run(tensor.Train, k.args) }

// fillReads writes values in [0.1, 1.1) to every buffer the Train routine
// reads: nonzero (GEMM kernels may skip zeros) and positive (variances).
func fillReads(prog tensor.Program, plan *tensor.Plan) error {
	rng := rand.New(rand.NewPCG(1, 2))
	done := map[tensor.BufferID]bool{}
	for _, op := range plan.Routines[tensor.Train] {
		for _, a := range op.Accesses() {
			if a.Write || a.Buf == tensor.NoBuffer || done[a.Buf] {
				continue
			}
			done[a.Buf] = true
			data := make([]float32, plan.Elems(a.Buf))
			for i := range data {
				data[i] = 0.1 + rng.Float32()
			}
			if err := prog.Write(a.Buf, data); err != nil {
				return fmt.Errorf("write %s: %w", plan.Buffers[a.Buf].Name, err)
			}
		}
	}
	return nil
}

// deviceTime returns a reader of the program's last device time, or nil
// when it has none.
func deviceTime(prog tensor.Program) func() (time.Duration, bool) {
	dt, ok := prog.(deviceTimer)
	if !ok {
		return nil
	}
	return func() (time.Duration, bool) {
		d, err := dt.GPUTime()
		return d, err == nil
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func minDuration(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	m := ds[0]
	for _, d := range ds[1:] {
		m = min(m, d)
	}
	return m
}

// setRatios fills VsCPU for every non-CPU result of the same kernel.
func setRatios(rs []kernelResult) {
	cpu := map[string]float64{}
	for _, r := range rs {
		if r.Backend == "cpu" && r.Error == "" {
			cpu[r.Name] = r.MedianMS
		}
	}
	for i := range rs {
		if base, ok := cpu[rs[i].Name]; ok && rs[i].Backend != "cpu" && rs[i].MedianMS > 0 {
			rs[i].VsCPU = base / rs[i].MedianMS
		}
	}
}
