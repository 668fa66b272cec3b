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
	// ValidationData is the same for data of any form (see Data); set it
	// or ValidationX and ValidationY, not both.
	ValidationData *Data
	// Seed drives shuffling and dropout masks; 0 means the global seed
	// (SetRandomSeed).
	Seed uint64
	// OnEpochEnd, when set, runs after each epoch with its logs and wall
	// time; an error stops training. Checkpointing hooks in here.
	OnEpochEnd func(e EpochEnd) error
	// StepsPerExecution caps the steps Fit submits to the backend at
	// once (Keras's steps_per_execution); 0 lets Fit choose, about 4 ms of
	// backend work each. The context is checked between submissions, so
	// 1 stops a cancelled Fit after exactly the current step.
	StepsPerExecution int
	// OnProgress, when set, receives the running loss and metrics during
	// each epoch (see Progress); an error stops training.
	OnProgress func(Progress) error
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
// current chunk of steps with ctx's error (an *Interrupted saying which
// step was reached); the weights then hold every completed step and the
// returned History every completed epoch.
func (m *Model) Fit(ctx context.Context, x, y *tensor.Tensor, o FitOptions) (*History, error) {
	return m.FitData(ctx, XY(x, y), o)
}

// FitInputs is Fit for models with several inputs.
func (m *Model) FitInputs(ctx context.Context, xs []*tensor.Tensor, y *tensor.Tensor, o FitOptions) (*History, error) {
	return m.FitData(ctx, Data{X: xs, Y: y}, o)
}

// FitData is Fit for data of any form: float or byte features, float
// targets or class labels (see Data). The data is put on the backend once
// (streamed in chunks when larger than the data budget, see
// SetDataBudget), each epoch writes only its sample order, and the steps
// run in chunks of one submission each.
func (m *Model) FitData(ctx context.Context, d Data, o FitOptions) (*History, error) {
	o.defaults()
	if m.compiled == nil {
		return nil, fmt.Errorf("fit %q: call Compile before Fit", m.name)
	}
	train, err := m.checkData(d, "fit", true)
	if err != nil {
		return nil, err
	}
	o.BatchSize = capBatch(o.BatchSize, train.n)
	val, err := m.validationData(&o)
	if err != nil {
		return nil, err
	}
	hold, err := m.newFitHold(train, val, o.BatchSize)
	if err != nil {
		return nil, err
	}
	defer hold.close()
	h := newHistory()
	for epoch := o.InitialEpoch; epoch < o.Epochs; epoch++ {
		logs, secs, err := m.fitEpoch(ctx, hold, epoch, &o)
		o.InitialStep, o.InitialSums = 0, nil
		if err != nil {
			return h, err
		}
		h.add(epoch, logs, secs)
		if o.OnEpochEnd != nil {
			if err := o.OnEpochEnd(EpochEnd{Epoch: epoch, Logs: logs, Seconds: secs}); err != nil {
				return h, fmt.Errorf("fit %q: after epoch %d: %w", m.name, epoch+1, err)
			}
			// The next epoch sets its own order and sums.
			if _, err := hold.refresh(); err != nil {
				return h, err
			}
		}
	}
	return h, nil
}

// validationData checks the validation data of o, nil when there is none.
func (m *Model) validationData(o *FitOptions) (*checkedData, error) {
	switch {
	case o.ValidationData != nil && o.ValidationX != nil:
		return nil, fmt.Errorf("fit %q: set ValidationData or ValidationX, not both", m.name)
	case o.ValidationData != nil:
		return m.checkData(*o.ValidationData, "validation data", true)
	case o.ValidationX != nil:
		return m.checkData(XY(o.ValidationX, o.ValidationY), "validation data", true)
	}
	return nil, nil
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

func (m *Model) fitEpoch(ctx context.Context, hold *fitHold, epoch int, o *FitOptions) (map[string]float64, float64, error) {
	start := time.Now()
	r, f, vf := hold.r, hold.f, hold.vf
	n := f.data.n
	steps := (n + o.BatchSize - 1) / o.BatchSize
	if o.Verbose > 0 {
		fmt.Fprintf(o.Out, "Epoch %d/%d\n", epoch+1, o.Epochs)
	}
	bar := newProgressBar(o.Out, steps, o.Verbose)
	order := epochOrder(n, o.Seed, epoch, !o.NoShuffle)
	if err := f.setOrder(order); err != nil {
		return nil, 0, fmt.Errorf("fit %q: %w", m.name, err)
	}
	if err := r.setSums(o.InitialSums); err != nil {
		return nil, 0, err
	}
	if err := m.trainSteps(ctx, hold, order, bar, epoch, o); err != nil {
		return nil, 0, err
	}
	r, vf = hold.r, hold.vf // a progress callback may have re-attached them
	names := m.MetricNames()
	vals, err := m.means(r, n)
	if err != nil {
		return nil, 0, err
	}
	if err := m.checkLoss(vals[0], epoch, steps, steps); err != nil {
		return nil, 0, err
	}
	logs := map[string]float64{}
	for i, name := range names {
		logs[name] = vals[i]
	}
	shown := append([]string(nil), names...)
	shownVals := append([]float64(nil), vals...)
	if vf != nil {
		val, err := m.evaluate(r, vf, o.BatchSize)
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

// trainSteps runs the epoch's steps from o.InitialStep in chunks, reading
// the sums only when the monitor is due (to check the loss and redraw the
// bar) or a progress report is. The context is checked between chunks.
func (m *Model) trainSteps(ctx context.Context, hold *fitHold, order []int, bar *progressBar, epoch int, o *FitOptions) error {
	r, f := hold.r, hold.f
	n, batch := f.data.n, o.BatchSize
	steps := (n + batch - 1) / batch
	names := m.MetricNames()
	ch, mon := newChunker(o.StepsPerExecution), monitor{last: time.Now()}
	live := newProgressReporter(o, epoch, steps)
	for s := o.InitialStep; s < steps; {
		if err := ctx.Err(); err != nil {
			return m.interrupted(r, epoch, s, steps, err)
		}
		first, end, err := f.window(s, steps)
		if err != nil {
			return fmt.Errorf("fit %q: %w", m.name, err)
		}
		k := ch.next(end - s)
		args := ch.args[:0]
		for i := range k {
			m.compiled.step++
			rows := min(batch, n-(s+i)*batch)
			args = append(args, tensor.StepArgs{Rows: rows, Step: m.compiled.step, LearningRate: m.compiled.opt.LearningRate(),
				Seed: o.Seed, Start: first + i*batch})
		}
		if err := r.prog.RunSteps(tensor.Train, args); err != nil {
			return fmt.Errorf("fit %q: steps %d..%d: %w", m.name, s+1, s+k, err)
		}
		ch.ran(k)
		s += k
		check, report := s < steps && mon.due(), live.due(s)
		if !check && !report {
			continue
		}
		vals, err := m.means(r, min(s*batch, n))
		if err != nil {
			return err
		}
		if err := m.checkLoss(vals[0], epoch, s, steps); err != nil {
			return err
		}
		if check && bar.wantsUpdate(s) {
			bar.update(s, names, vals)
		}
		if report {
			if err := m.report(live, hold, order, s, min(s*batch, n)); err != nil {
				return err
			}
			r, f = hold.r, hold.f
		}
	}
	return nil
}

// report calls the progress callback, then puts Fit's data back if the
// callback displaced it (see fitHold), with the epoch's order and sums.
func (m *Model) report(live *progressReporter, hold *fitHold, order []int, step, rows int) error {
	sums, err := hold.r.sums()
	if err != nil {
		return err
	}
	if err := live.report(m, hold.r, step, rows); err != nil {
		return fmt.Errorf("fit %q: progress callback: %w", m.name, err)
	}
	moved, err := hold.refresh()
	if err != nil || !moved {
		return err
	}
	if err := hold.f.setOrder(order); err != nil {
		return err
	}
	return hold.r.setSums(sums)
}

// checkLoss stops training once the mean loss is no longer finite.
func (m *Model) checkLoss(loss float64, epoch, step, steps int) error {
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return fmt.Errorf("fit %q: %w", m.name, &LossNotFinite{Epoch: epoch, Step: step, Steps: steps, Loss: loss})
	}
	return nil
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
