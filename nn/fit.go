package nn

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/anvil-ml/anvil/tensor"
)

// FitOptions are Fit's keyword arguments. The zero value trains one epoch
// at batch size 32 with shuffling and prints nothing.
type FitOptions struct {
	BatchSize int // default 32; at most the number of samples, as in Keras
	Epochs    int // default 1
	// InitialEpoch is the epoch to start from when resuming.
	InitialEpoch int
	// InitialStep and InitialSums resume inside InitialEpoch: the steps
	// already done and the loss and metric sums they gave (see
	// Interrupted). Because the sample order is a pure function of the seed
	// and epoch, the resumed run sees exactly the batches it would have.
	InitialStep int
	InitialSums []float64
	// NoShuffle keeps the sample order (Keras's shuffle=False).
	NoShuffle bool
	// Verbose: 0 silent, 1 progress bar, 2 one line per epoch (Keras's
	// meanings; note Go's zero value is silent).
	Verbose int
	// Out receives progress; default os.Stdout.
	Out io.Writer
	// ValidationX and ValidationY, when set, are evaluated after each epoch.
	ValidationX, ValidationY *tensor.Tensor
	// Seed drives shuffling and dropout masks; 0 means the global seed
	// (SetRandomSeed).
	Seed uint64
	// OnEpochEnd, when set, runs after each epoch with its logs and wall
	// time; an error stops training. Checkpointing hooks in here.
	OnEpochEnd func(e EpochEnd) error
	// OnProgress, when set, receives the running loss and metrics during
	// each epoch (see Progress); an error stops training.
	OnProgress func(Progress) error
	// Parallel, when set, makes this process one replica of data-parallel
	// training (see Parallel and fit_parallel.go); nil trains alone.
	Parallel Parallel
}

// EpochEnd is what OnEpochEnd learns about the epoch that just ended.
type EpochEnd struct {
	// Epoch is the epoch's index, counting from 0.
	Epoch int
	// Logs holds the epoch's loss and metrics (validation ones included),
	// by MetricNames name, as History records them.
	Logs map[string]float64
	// Seconds is the epoch's wall time, validation included: the value
	// History.Seconds records.
	Seconds float64
}

func (o *FitOptions) defaults() {
	if o.BatchSize <= 0 {
		o.BatchSize = 32
	}
	if o.Epochs <= 0 {
		o.Epochs = 1
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	if o.Seed == 0 {
		o.Seed = globalSeed.Load()
	}
}

// Fit trains the model on x and y. Cancelling ctx stops it after the
// current step with ctx's error; the weights then hold every completed
// step and the returned History every completed epoch.
func (m *Model) Fit(ctx context.Context, x, y *tensor.Tensor, o FitOptions) (*History, error) {
	return m.FitInputs(ctx, []*tensor.Tensor{x}, y, o)
}

// FitInputs is Fit for models with several inputs.
func (m *Model) FitInputs(ctx context.Context, xs []*tensor.Tensor, y *tensor.Tensor, o FitOptions) (*History, error) {
	o.defaults()
	if m.compiled == nil {
		return nil, fmt.Errorf("fit %q: call Compile before Fit", m.name)
	}
	n, err := m.checkX(xs, "fit")
	if err == nil {
		err = m.checkY(y, n, "fit")
	}
	if err == nil && o.ValidationX != nil {
		var nv int
		if nv, err = m.checkX([]*tensor.Tensor{o.ValidationX}, "validation data"); err == nil {
			err = m.checkY(o.ValidationY, nv, "validation data")
		}
	}
	if err != nil {
		return nil, err
	}
	o.BatchSize = capBatch(o.BatchSize, n)
	if o.Parallel != nil {
		return m.fitParallel(ctx, xs, y, n, o)
	}
	r, err := m.program(o.BatchSize)
	if err != nil {
		return nil, err
	}
	h := newHistory()
	for epoch := o.InitialEpoch; epoch < o.Epochs; epoch++ {
		logs, secs, err := m.fitEpoch(ctx, r, xs, y, n, epoch, &o)
		o.InitialStep, o.InitialSums = 0, nil
		if err != nil {
			return h, err
		}
		h.add(epoch, logs, secs)
		if o.OnEpochEnd != nil {
			if err := o.OnEpochEnd(EpochEnd{Epoch: epoch, Logs: logs, Seconds: secs}); err != nil {
				return h, fmt.Errorf("fit %q: after epoch %d: %w", m.name, epoch+1, err)
			}
		}
	}
	return h, nil
}

// shuffleSalt keeps the shuffling stream apart from other streams keyed by
// the same seed.
const shuffleSalt = 0x5348_0000

// epochOrder is the sample order of an epoch: a pure function of the seed
// and epoch, so a resumed run sees the same batches.
func epochOrder(n int, seed uint64, epoch int, shuffle bool) []int {
	if !shuffle {
		return identity(n)
	}
	return tensor.NewStream(seed, shuffleSalt+uint32(epoch)).Perm(n)
}

func (m *Model) fitEpoch(ctx context.Context, r *runner, xs []*tensor.Tensor, y *tensor.Tensor, n, epoch int, o *FitOptions) (map[string]float64, float64, error) {
	start := time.Now()
	steps := (n + o.BatchSize - 1) / o.BatchSize
	if o.Verbose > 0 {
		fmt.Fprintf(o.Out, "Epoch %d/%d\n", epoch+1, o.Epochs)
	}
	bar := newProgressBar(o.Out, steps, o.Verbose)
	order := epochOrder(n, o.Seed, epoch, !o.NoShuffle)
	if err := r.setSums(o.InitialSums); err != nil {
		return nil, 0, err
	}
	names := m.MetricNames()
	live := newProgressReporter(o, epoch, steps)
	for s := o.InitialStep; s < steps; s++ {
		if err := ctx.Err(); err != nil {
			return nil, 0, m.interrupted(r, epoch, s, steps, err)
		}
		lo, hi := s*o.BatchSize, min((s+1)*o.BatchSize, n)
		if err := r.feed(xs, y, order, lo, hi); err != nil {
			return nil, 0, err
		}
		m.compiled.step++
		args := tensor.StepArgs{Rows: hi - lo, Step: m.compiled.step, LearningRate: m.compiled.opt.LearningRate(), Seed: o.Seed}
		if err := r.prog.Run(tensor.Train, args); err != nil {
			return nil, 0, fmt.Errorf("fit %q: step %d: %w", m.name, s+1, err)
		}
		if bar.wantsUpdate(s + 1) {
			vals, err := m.means(r, hi)
			if err != nil {
				return nil, 0, err
			}
			bar.update(s+1, names, vals)
		}
		if err := live.step(m, r, s+1, hi); err != nil {
			return nil, 0, fmt.Errorf("fit %q: progress callback: %w", m.name, err)
		}
	}
	vals, err := m.means(r, n)
	if err != nil {
		return nil, 0, err
	}
	if math.IsNaN(vals[0]) || math.IsInf(vals[0], 0) {
		return nil, 0, fmt.Errorf("fit %q: %w", m.name, &LossNotFinite{Epoch: epoch, Step: steps, Steps: steps, Loss: vals[0]})
	}
	logs := map[string]float64{}
	for i, name := range names {
		logs[name] = vals[i]
	}
	shown := append([]string(nil), names...)
	shownVals := append([]float64(nil), vals...)
	if o.ValidationX != nil {
		val, err := m.evaluate(r, []*tensor.Tensor{o.ValidationX}, o.ValidationY, o.BatchSize)
		if err != nil {
			return nil, 0, err
		}
		for i, name := range names {
			logs["val_"+name] = val[i]
			shown = append(shown, "val_"+name)
			shownVals = append(shownVals, val[i])
		}
	}
	bar.finish(shown, shownVals)
	return logs, time.Since(start).Seconds(), nil
}

// Interrupted is the error Fit returns when its context is cancelled. It
// says where training stopped, so a checkpoint can record it and a later
// Fit can resume at exactly that step (FitOptions.InitialEpoch,
// InitialStep, InitialSums). It unwraps to the context's error.
type Interrupted struct {
	Epoch, Step, Steps int       // 0-based epoch, steps done in it, steps per epoch
	Sums               []float64 // loss and metric sums over those steps
	Cause              error
}

func (e *Interrupted) Error() string {
	return fmt.Sprintf("stopped in epoch %d after step %d/%d: %v", e.Epoch+1, e.Step, e.Steps, e.Cause)
}

// Unwrap returns the context's error.
func (e *Interrupted) Unwrap() error { return e.Cause }

func (m *Model) interrupted(r *runner, epoch, step, steps int, cause error) error {
	sums, err := r.sums()
	if err != nil {
		return err
	}
	return fmt.Errorf("fit %q: %w", m.name, &Interrupted{Epoch: epoch, Step: step, Steps: steps, Sums: sums, Cause: cause})
}

// means turns the accumulated sums over count samples into averages.
func (m *Model) means(r *runner, count int) ([]float64, error) {
	sums, err := r.sums()
	if err != nil {
		return nil, err
	}
	for i := range sums {
		sums[i] /= float64(count)
	}
	return sums, nil
}
