package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/anvil-ml/anvil/models"
	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/tensor"
)

// epochImages is the size of a CIFAR-10 training epoch.
const epochImages = 50_000

// e2eResult is one model trained (Fit) or run for inference (Predict) at
// one batch size on one backend. Per-step times are of the median repeat.
type e2eResult struct {
	Model   string `json:"model"`
	Mode    string `json:"mode"` // "train" or "infer"
	Batch   int    `json:"batch"`
	Backend string `json:"backend"`
	Steps   int    `json:"steps"`   // batches per timed call
	Repeats int    `json:"repeats"` // timed calls; the median is reported
	// ImagesPerSec is images over the wall time of the whole Fit or Predict.
	ImagesPerSec float64 `json:"images_per_s"`
	// ImagesPerCPUSec is images over the CPU time the process used meanwhile
	// (all threads), a figure that other jobs on the machine disturb less.
	ImagesPerCPUSec float64 `json:"images_per_cpu_s,omitempty"`
	// EpochSeconds is how long 50,000 images take at that rate (train only).
	EpochSeconds float64 `json:"epoch_s,omitempty"`
	StepMS       float64 `json:"step_ms"`
	// UploadMS, ExecMS and ReadMS are the time per step inside
	// Program.Write, Run and Read; HostMS is the rest of the wall time.
	UploadMS float64 `json:"upload_ms"`
	ExecMS   float64 `json:"exec_ms"`
	ReadMS   float64 `json:"read_ms"`
	HostMS   float64 `json:"host_ms"`
	// DeviceMS is the device time per step, when the program reports it.
	DeviceMS float64 `json:"device_ms,omitempty"`
	// HostUS is the wall time per step outside the backend's Run and
	// RunSteps (uploads, reads, waits and host work), in µs; HostShare is
	// it over ExecMS: the overhead the host adds to the backend's time.
	HostUS    float64 `json:"host_us"`
	HostShare float64 `json:"host_share"`
	// Submissions and UploadBytes are the Run and RunSteps calls and the
	// bytes written to the program during one timed call (an epoch of
	// Steps batches), when the program counts them.
	Submissions int64   `json:"submissions,omitempty"`
	UploadBytes int64   `json:"upload_bytes,omitempty"`
	CompileMS   float64 `json:"compile_ms"`
	VsCPU       float64 `json:"vs_cpu,omitempty"`
	Error       string  `json:"error,omitempty"`
	// Precision is the model's dtype policy (float32 or mixed_float16).
	Precision string `json:"precision"`
}

// name is the case's -run name, e.g. "e2e/cnn/train/b32".
func (r e2eResult) name() string { return fmt.Sprintf("e2e/%s/%s/b%d", r.Model, r.Mode, r.Batch) }

// e2eRun is one model at one batch size on one backend.
type e2eRun struct {
	model   string
	batch   int
	target  target
	data    *images
	seconds float64 // target wall time of one timed call
	repeats int
	modes   []string // "train", "infer" or both
	// precision is the dtype policy; empty means float32.
	precision string
}

// buildModel returns a reference model by its bench name.
func buildModel(name string) (*nn.Model, error) {
	switch name {
	case "fnn":
		return models.FNN()
	case "cnn":
		return models.CNN()
	}
	return nil, fmt.Errorf("unknown model %q", name)
}

// run measures training and then inference, as e.modes asks; a failure
// fills Error.
func (e e2eRun) run() []e2eResult {
	var rs []e2eResult
	for _, mode := range e.modes {
		rs = append(rs, e2eResult{Model: e.model, Mode: mode, Batch: e.batch, Backend: e.target.Label, Precision: e.policy()})
	}
	m, tb, err := e.compile()
	if err != nil {
		for i := range rs {
			rs[i].Error = err.Error()
		}
		return rs
	}
	defer m.Close()
	for i := range rs {
		c := e.fit(m)
		if rs[i].Mode == "infer" {
			c = e.predict(m)
		}
		e.measure(&rs[i], tb, c)
		if rs[i].Mode == "train" && rs[i].ImagesPerSec > 0 {
			rs[i].EpochSeconds = epochImages / rs[i].ImagesPerSec
		}
	}
	return rs
}

// compile builds the model on a timed copy of the backend, compiled as the
// tutorial compiles it.
func (e e2eRun) compile() (*nn.Model, *timedBackend, error) {
	m, err := buildModel(e.model)
	if err != nil {
		return nil, nil, err
	}
	tb := newTimedBackend(e.target.Backend)
	if err := m.SetBackend(tb); err != nil {
		return nil, nil, err
	}
	if err := m.Compile(nn.Adam(0.0005), "categorical_crossentropy", "accuracy"); err != nil {
		return nil, nil, err
	}
	if err := m.SetPrecision(e.policy()); err != nil {
		return nil, nil, err
	}
	return m, tb, nil
}

// call runs the model over the first n images.
type call func(n int) error

func (e e2eRun) fit(m *nn.Model) call {
	return func(n int) error {
		_, err := m.FitData(context.Background(), e.data.head(n), nn.FitOptions{Verbose: nn.Silent, BatchSize: e.batch, Seed: 1})

		return err
	}
}

func (e e2eRun) predict(m *nn.Model) call {
	return func(n int) error {
		_, err := m.PredictData(e.data.head(n), e.batch)
		return err
	}
}

// warmSteps are the batches of the untimed first call, which also
// compiles the program.
const warmSteps = 2

// measure warms c up, sizes the timed calls to about e.seconds and keeps
// the median of e.repeats of them.
func (e e2eRun) measure(r *e2eResult, tb *timedBackend, c call) {
	tb.reset()
	start := time.Now()
	if err := c(warmSteps * e.batch); err != nil {
		r.Error = err.Error()
		return
	}
	warm := *tb.times
	if warm.Compile > 0 {
		r.CompileMS = ms(warm.Compile)
	}
	// The first call's one-time work (building the program, first touches
	// of its memory) would inflate the pace: size from a second call.
	start = time.Now()
	if err := c(warmSteps * e.batch); err != nil {
		r.Error = err.Error()
		return
	}
	perStep := time.Since(start) / warmSteps
	r.Steps = e.steps(perStep)
	runs := make([]timedCall, 0, e.repeats)
	for tries := 0; len(runs) < e.repeats && tries <= e.repeats; tries++ {
		tb.reset()
		before := tb.stats()
		start, cpu := time.Now(), processCPU()
		if err := c(r.Steps * e.batch); err != nil {
			r.Error = err.Error()
			return
		}
		t := timedCall{wall: time.Since(start), cpu: processCPU() - cpu, io: *tb.times, stats: tb.stats()}
		if t.io.Compile > 0 {
			continue // the program grew to hold the data: not a steady call
		}
		t.stats.Submissions -= before.Submissions
		t.stats.BytesUploaded -= before.BytesUploaded
		runs = append(runs, t)
	}
	r.Repeats = len(runs)
	medianCall(runs).fill(r, e.batch)
}

// steps is how many batches make a timed call of about e.seconds: at
// least two, and no more than the data holds.
func (e e2eRun) steps(perStep time.Duration) int {
	n := 2
	if perStep > 0 {
		n = max(n, int(e.seconds/perStep.Seconds()+0.5))
	}
	return max(1, min(n, e.data.X.Rows()/e.batch))
}

// timedCall is one timed Fit or Predict.
type timedCall struct {
	wall, cpu time.Duration
	io        ioTimes
	stats     tensor.ProgramStats
}

// medianCall returns the call with the median wall time (the lower middle
// one for an even count).
func medianCall(cs []timedCall) timedCall {
	sorted := slices.Clone(cs)
	slices.SortFunc(sorted, func(a, b timedCall) int { return cmp.Compare(a.wall, b.wall) })
	return sorted[(len(sorted)-1)/2]
}

// fill writes the call's figures per step into r.
func (c timedCall) fill(r *e2eResult, batch int) {
	steps := float64(r.Steps)
	r.ImagesPerSec = float64(r.Steps*batch) / c.wall.Seconds()
	if c.cpu > 0 {
		r.ImagesPerCPUSec = float64(r.Steps*batch) / c.cpu.Seconds()
	}
	r.StepMS = ms(c.wall) / steps
	r.UploadMS = ms(c.io.Write) / steps
	r.ExecMS = ms(c.io.Run) / steps
	r.ReadMS = ms(c.io.Read) / steps
	r.HostMS = r.StepMS - r.UploadMS - r.ExecMS - r.ReadMS
	r.HostUS = 1000 * (r.StepMS - r.ExecMS)
	if r.ExecMS > 0 {
		r.HostShare = (r.StepMS - r.ExecMS) / r.ExecMS
	}
	r.Submissions, r.UploadBytes = c.stats.Submissions, c.stats.BytesUploaded
	if c.io.DeviceRuns > 0 {
		r.DeviceMS = ms(c.io.Device) / float64(c.io.DeviceRuns)
	}
}

// setE2ERatios fills VsCPU from the CPU row of the same case.
func setE2ERatios(rs []e2eResult) {
	cpu := map[string]float64{}
	for _, r := range rs {
		if r.Backend == "cpu" && r.Error == "" {
			cpu[r.name()] = r.ImagesPerSec
		}
	}
	for i := range rs {
		if base, ok := cpu[rs[i].name()]; ok && rs[i].Backend != "cpu" && base > 0 {
			rs[i].VsCPU = rs[i].ImagesPerSec / base
		}
	}
}
