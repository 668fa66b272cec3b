package nn

import (
	"time"

	"github.com/anvil-ml/anvil/tensor"
)

// Progress is one report of a running epoch, given to
// FitOptions.OnProgress a few times a second and once after the epoch's
// last step, so that a watcher (a window, a log) can follow training live.
type Progress struct {
	// Epoch is the 0-based epoch; Step the steps done in it, of Steps.
	Epoch, Epochs, Step, Steps int
	// Names and Values are the running loss and metrics over the epoch's
	// samples so far, in MetricNames order.
	Names  []string
	Values []float64
	// SamplesPerSecond is the training throughput of this epoch so far.
	SamplesPerSecond float64
	// LearningRate is the optimizer's current learning rate.
	LearningRate float64
	// Time is when the report was made.
	Time time.Time
}

// progressInterval is how often OnProgress is called within an epoch: each
// report reads the accumulators back from the device, so not every step.
const progressInterval = 500 * time.Millisecond

// progressReporter calls FitOptions.OnProgress for one epoch.
type progressReporter struct {
	o          *FitOptions
	epoch      int
	steps      int
	start      time.Time
	firstRows  int // samples already done when the epoch (re)started
	lastReport time.Time
}

func newProgressReporter(o *FitOptions, epoch, steps int) *progressReporter {
	now := time.Now()
	return &progressReporter{o: o, epoch: epoch, steps: steps, start: now, lastReport: now,
		firstRows: o.InitialStep * o.BatchSize}
}

// due reports whether a report is due after step steps: never without an
// OnProgress callback, so Fit without one reads nothing extra from the
// device.
func (p *progressReporter) due(step int) bool {
	if p.o.OnProgress == nil {
		return false
	}
	return (p.steps > 0 && step >= p.steps) || time.Since(p.lastReport) >= progressInterval
}

// report calls the callback after step steps covering rows samples.
func (p *progressReporter) report(m *Model, r *runner, step, rows int) error {
	now := time.Now()
	p.lastReport = now
	vals, err := m.means(r, rows)
	if err != nil {
		return err
	}
	rate := 0.0
	if secs := now.Sub(p.start).Seconds(); secs > 0 {
		rate = float64(rows-p.firstRows) / secs
	}
	return p.o.OnProgress(Progress{Epoch: p.epoch, Epochs: p.o.Epochs, Step: step, Steps: p.steps,
		Names: m.MetricNames(), Values: vals, SamplesPerSecond: rate,
		LearningRate: float64(m.compiled.opt.LearningRate()), Time: now})
}

// PredictClasses returns the most likely class of each sample of x (the
// arg-max of the model's last axis). It runs one sample at a time in the
// program's prediction set, so it may be called from Fit's callbacks
// (Fit puts its own data back if the call had to rebuild the program).
func (m *Model) PredictClasses(x *tensor.Tensor) ([]int, error) {
	out, err := m.Predict(x, 1)
	if err != nil {
		return nil, err
	}
	k := out.Shape[len(out.Shape)-1]
	classes := make([]int, out.Rows())
	for i := range classes {
		row := out.Data[i*k : (i+1)*k]
		for j, v := range row {
			if v > row[classes[i]] {
				classes[i] = j
			}
		}
	}
	return classes, nil
}
