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
// at batch size 32 with shuffling and shows Keras's progress bar.
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
	// Verbose: 1 progress bar (Keras's default), 2 one line per epoch,
	// Silent (Keras's verbose=0) nothing. The zero value means Keras's
	// default, 1, so that FitOptions{} behaves as model.fit() does.
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
	// Callbacks are Keras's callbacks: hooks at the start and end of
	// training, of each epoch and of each batch (see Callback).
	Callbacks []Callback
	// Parallel, when set, makes this process one replica of data-parallel
	// training (see Parallel and fit_parallel.go); nil trains alone.
	Parallel Parallel
	// SyncBatchNorm, with Parallel, makes every BatchNormalization layer
	// use the statistics of the global batch, as WithSynchronized does
	// for one layer (see syncbn.go); it changes nothing in one process.
	SyncBatchNorm bool
	// ValidationSplit, between 0 and 1, holds out that fraction of the
	// data, its last samples before any shuffling, as validation data
	// (Keras's validation_split). Not with other validation data or a
	// Source.
	ValidationSplit float64
	// ValidationSource is validation data read from a Source (see
	// FitSource), evaluated after each epoch.
	ValidationSource Source
	// ShuffleBuffer is the number of samples FitSource's shuffle buffer
	// holds (tf.data's shuffle(buffer_size)); 0 means 1024. A buffer at
	// least as large as the data set shuffles it exactly as Fit shuffles
	// in-memory data. NoShuffle turns shuffling off.
	ShuffleBuffer int
	// ClassWeight maps a class index to the weight of its samples' loss
	// (Keras's class_weight); classes it leaves out weigh 1. It multiplies
	// Data.SampleWeight when both are given (as tf.keras 2 did; Keras 3
	// refuses the pair), and weighs the training data only, not the
	// validation data nor the metrics (see sample_weight.go).
	ClassWeight map[int]float32
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
	d, err := m.splitValidation(d, &o)
	if err != nil {
		return nil, err
	}
	train, err := m.checkData(d, "fit", true)
	if err != nil {
		return nil, err
	}
	if err := m.applyClassWeight(train, o.ClassWeight); err != nil {
		return nil, err
	}
	o.BatchSize = capBatch(o.BatchSize, train.n)
	if o.Parallel != nil {
		return m.fitParallel(ctx, train, o)
	}
	val, err := m.validationData(&o)
	if err != nil {
		return nil, err
	}
	hold := &fitHold{m: m, batch: o.BatchSize, train: train, val: val}
	defer hold.release()
	if err := m.placeFit(ctx, hold, &o); err != nil {
		return nil, err
	}
	return m.fitEpochs(ctx, hold, &o)
}

// fitEpochs runs the epochs of a Fit whose data hold holds, with the
// callbacks' hooks around them.
func (m *Model) fitEpochs(ctx context.Context, hold *fitHold, o *FitOptions) (*History, error) {
	h := newHistory()
	cbs := newCallbackList(m, o, hold.f.expectedSteps()) // callbacks
	if err := cbs.trainBegin(); err != nil {             // callbacks
		return h, fmt.Errorf("fit %q: %w", m.name, err)
	}
	for epoch := o.InitialEpoch; epoch < o.Epochs && !m.stopTraining; epoch++ {
		if err := cbs.epochBegin(epoch); err != nil { // callbacks
			return h, fmt.Errorf("fit %q: before epoch %d: %w", m.name, epoch+1, err)
		}
		// The epoch sets its own order and sums, on data a hook may have
		// displaced.
		if _, err := hold.refresh(); err != nil {
			return h, err
		}
		logs, secs, err := m.fitEpoch(ctx, hold, epoch, o, cbs)

		o.InitialStep, o.InitialSums = 0, nil
		if err != nil {
			return h, err
		}
		h.add(epoch, logs, secs)
		if err := cbs.epochEnd(epoch, logs, secs); err != nil { // callbacks (and OnEpochEnd)
			return h, fmt.Errorf("fit %q: after epoch %d: %w", m.name, epoch+1, err)

		}
	}
	if err := cbs.trainEnd(); err != nil { // callbacks
		return h, fmt.Errorf("fit %q: %w", m.name, err)
	}
	return h, nil
}

// validationData checks the validation data of o, nil when there is none.
func (m *Model) validationData(o *FitOptions) (*checkedData, error) {
	switch {
	case o.ValidationData != nil && o.ValidationX != nil:
		return nil, fmt.Errorf("fit %q: set ValidationData or ValidationX, not both", m.name)
	case o.ValidationSource != nil && (o.ValidationData != nil || o.ValidationX != nil):
		return nil, fmt.Errorf("fit %q: set ValidationSource or in-memory validation data, not both", m.name)
	case o.ValidationSource != nil && o.Parallel != nil:
		return nil, fmt.Errorf("fit %q: data-parallel training (Parallel) needs in-memory validation data, not a ValidationSource", m.name)
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

func (m *Model) fitEpoch(ctx context.Context, hold *fitHold, epoch int, o *FitOptions, cbs *callbackList) (map[string]float64, float64, error) {

	start := time.Now()
	r, f, vf := hold.r, hold.f, hold.vf
	steps := f.expectedSteps() // 0 while a Source's pass length is unknown
	if o.verbosity() > 0 {
		fmt.Fprintf(o.Out, "Epoch %d/%d\n", epoch+1, o.Epochs)
	}
	bar := newProgressBar(o.Out, steps, o.verbosity())
	order, err := f.begin(o.Seed, epoch, !o.NoShuffle)
	if err != nil {
		return nil, 0, fmt.Errorf("fit %q: %w", m.name, err)
	}
	if err := r.setSums(o.InitialSums); err != nil {
		return nil, 0, err
	}
	done, err := m.trainSteps(ctx, hold, order, bar, epoch, o, cbs)
	if err != nil {
		return nil, 0, err
	}
	r, f, vf = hold.r, hold.f, hold.vf // a progress callback may have re-attached them
	if f.src != nil {
		steps, bar.total = f.expectedSteps(), done // the pass's length is known now
	}
	names := m.MetricNames()
	vals, err := m.means(r, min(done*o.BatchSize, f.rows())) // fewer samples when a callback stopped the epoch
	if err != nil {
		return nil, 0, err
	}
	// callbacks: with TerminateOnNaN a diverged epoch ends Fit normally.
	if err := m.checkLoss(vals[0], epoch, done, steps); err != nil && !cbs.nanStops {
		return nil, 0, err

	}
	logs, err := m.endEpoch(r, vf, names, vals, o.BatchSize, bar)
	if err != nil {
		return nil, 0, err
	}
	return logs, time.Since(start).Seconds(), nil
}

// endEpoch evaluates the validation set (vf, when not nil), finishes the
// progress bar and returns the epoch's logs: the training values by name,
// then the validation ones as "val_"+name.
func (m *Model) endEpoch(r *runner, vf *feeder, names []string, vals []float64, batch int, bar *progressBar) (map[string]float64, error) {
	logs := map[string]float64{}
	for i, name := range names {
		logs[name] = vals[i]
	}
	shown := append([]string(nil), names...)
	shownVals := append([]float64(nil), vals...)
	if vf != nil {
		val, err := m.evaluate(r, vf, batch)
		if err != nil {
			return nil, err
		}
		for i, name := range names {
			logs["val_"+name] = val[i]
			shown = append(shown, "val_"+name)
			shownVals = append(shownVals, val[i])
		}
	}
	bar.finish(shown, shownVals)
	return logs, nil
}

// trainSteps runs the epoch's steps from o.InitialStep in chunks, reading
// the sums only when the monitor is due (to check the loss and redraw the
// bar) or a progress report is. The context is checked between chunks. It
// returns the steps done in the epoch: fewer than all when a callback
// stopped training.
func (m *Model) trainSteps(ctx context.Context, hold *fitHold, order []int, bar *progressBar, epoch int, o *FitOptions, cbs *callbackList) (int, error) {
	r, f := hold.r, hold.f
	batch := o.BatchSize
	names := m.MetricNames()
	ch, mon := newChunker(o.StepsPerExecution), monitor{last: time.Now()}
	live := newProgressReporter(o, epoch, f.expectedSteps())
	// A Source's steps are known once its last chunk is in (f.steps).
	for s := o.InitialStep; s < f.steps(); {
		steps := f.expectedSteps()
		if err := ctx.Err(); err != nil {
			return s, m.interrupted(r, epoch, s, steps, err)
		}
		first, end, err := f.window(s, f.steps())
		if err != nil && f.src != nil && ctx.Err() != nil { // cancelled while waiting for the source
			return s, m.interrupted(r, epoch, s, steps, ctx.Err())
		}
		if err != nil {
			return s, fmt.Errorf("fit %q: %w", m.name, err)
		}
		n, steps := f.rows(), f.expectedSteps()
		live.steps = steps
		args, err := m.queueSteps(ch.args[:0], ch.next(end-s), s, first, n, o, cbs)
		if err != nil {
			return s, err
		}
		if !f.current(m) { // callbacks
			return s, fmt.Errorf("fit %q: step %d: a batch callback used the model's backend (Evaluate or Predict): do that in OnEpochEnd", m.name, s+1)
		}
		k := len(args)
		if err := r.prog.RunSteps(tensor.Train, args); err != nil {
			return s, fmt.Errorf("fit %q: steps %d..%d: %w", m.name, s+1, s+k, err)
		}
		ch.ran(k)
		s += k
		if m.stopTraining { // callbacks: Model.StopTraining ends the epoch here
			return s, nil
		}
		check, report := s < f.steps() && mon.due(), live.due(s)
		if !check && !report {
			continue
		}
		vals, err := m.means(r, min(s*batch, n))
		if err != nil {
			return s, err
		}
		cbs.progressRead(names, vals) // callbacks
		// callbacks: with TerminateOnNaN, the next batch hook sees the
		// loss and ends training normally.
		if err := m.checkLoss(vals[0], epoch, s, steps); err != nil && !cbs.nanStops {
			return s, err
		}
		if check && bar.wantsUpdate(s) {
			bar.update(s, names, vals)
		}
		if report {
			if err := m.report(live, hold, order, s, min(s*batch, n)); err != nil {
				return s, err
			}
			r, f = hold.r, hold.f
		}
	}
	return f.steps(), nil
}

// queueSteps appends the arguments of up to k steps from step s, whose
// first sample is at first, running each step's batch hooks as it is
// queued; it queues fewer when a hook stops training. Each step gets the
// learning rate of its own iteration, as schedules set it.
func (m *Model) queueSteps(args []tensor.StepArgs, k, s, first, n int, o *FitOptions, cbs *callbackList) ([]tensor.StepArgs, error) {
	batch := o.BatchSize
	for i := range k {
		if err := cbs.batchBegin(s + i); err != nil { // callbacks
			return nil, fmt.Errorf("fit %q: step %d: %w", m.name, s+i+1, err)
		}
		m.compiled.step++
		rows := min(batch, n-(s+i)*batch)
		args = append(args, tensor.StepArgs{Rows: rows, Step: m.compiled.step, LearningRate: stepRate(m.compiled.opt, m.compiled.step-1),
			Seed: o.Seed, Start: first + i*batch})
		if err := cbs.batchEnd(s + i); err != nil { // callbacks
			return nil, fmt.Errorf("fit %q: step %d: %w", m.name, s+i+1, err)
		}
		if m.stopTraining { // callbacks: the steps after this one are not queued
			break
		}
	}
	return args, nil
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
	Sums               []float64 // loss and metric accumulators over those steps: a sum each, a confusion metric's counts
	Cause              error
}

func (e *Interrupted) Error() string {
	return fmt.Sprintf("stopped in epoch %d after step %s: %v", e.Epoch+1, stepOf(e.Step, e.Steps), e.Cause)
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

// means turns the accumulated sums over count samples into what Fit and
// Evaluate report: averages, and the confusion metrics' results.
func (m *Model) means(r *runner, count int) ([]float64, error) {
	sums, err := r.sums()
	if err != nil {
		return nil, err
	}
	return m.compiled.values(sums, count), nil
}
