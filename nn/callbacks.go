package nn

import (
	"fmt"
	"io"
	"math"
)

// Logs are the values a callback hook sees, by name: "loss", each compiled
// metric, and at epoch end their "val_"-prefixed validation values, as
// Keras's logs dictionaries hold them. Each hook gets its own copy.
type Logs = map[string]float64

// Callback is Keras's keras.callbacks.Callback: hooks that Fit calls as
// training proceeds. Embed BaseCallback to implement only the hooks you
// need. A hook that returns an error stops Fit with that error; to end
// training normally (Keras's model.stop_training = True), call
// Model.StopTraining.
//
// Batch hooks never make Fit wait for the device: OnTrainBatchBegin and
// OnTrainBatchEnd run for every step as it is queued, and the logs
// OnTrainBatchEnd sees are the running means of the epoch as of the latest
// progress read (the reads the progress bar makes; empty before the first
// one), not necessarily of that very step. Epoch and train hooks see exact
// values.
type Callback interface {
	// SetModel and SetParams run once at the start of Fit.
	SetModel(m *Model)
	SetParams(p Params)
	OnTrainBegin(logs Logs) error
	OnTrainEnd(logs Logs) error
	OnEpochBegin(epoch int, logs Logs) error
	OnEpochEnd(epoch int, logs Logs) error
	OnTrainBatchBegin(batch int, logs Logs) error
	OnTrainBatchEnd(batch int, logs Logs) error
}

// Params are Fit's settings as callbacks see them (Keras's
// callback.params).
type Params struct {
	Epochs  int // the epoch count Fit runs up to
	Steps   int // steps per epoch
	Verbose int // FitOptions.Verbose, resolved: 0 silent, 1 or 2
	// Out is where Fit prints; callbacks with Verbose set print there too.
	Out io.Writer
}

// BaseCallback implements every Callback hook as a no-op and keeps the
// model and params; embed it in a callback.
type BaseCallback struct {
	model  *Model
	params Params
}

// SetModel implements Callback.
func (b *BaseCallback) SetModel(m *Model) { b.model = m }

// SetParams implements Callback.
func (b *BaseCallback) SetParams(p Params) { b.params = p }

// Model returns the model being trained (Keras's callback.model).
func (b *BaseCallback) Model() *Model { return b.model }

// Params returns Fit's settings (Keras's callback.params).
func (b *BaseCallback) Params() Params { return b.params }

// OnTrainBegin implements Callback.
func (b *BaseCallback) OnTrainBegin(Logs) error { return nil }

// OnTrainEnd implements Callback.
func (b *BaseCallback) OnTrainEnd(Logs) error { return nil }

// OnEpochBegin implements Callback.
func (b *BaseCallback) OnEpochBegin(int, Logs) error { return nil }

// OnEpochEnd implements Callback.
func (b *BaseCallback) OnEpochEnd(int, Logs) error { return nil }

// OnTrainBatchBegin implements Callback.
func (b *BaseCallback) OnTrainBatchBegin(int, Logs) error { return nil }

// OnTrainBatchEnd implements Callback.
func (b *BaseCallback) OnTrainBatchEnd(int, Logs) error { return nil }

// printf writes a callback's verbose message to Fit's output.
func (b *BaseCallback) printf(format string, args ...any) {
	if b.params.Out != nil {
		fmt.Fprintf(b.params.Out, format, args...)
	}
}

// StopTraining makes Fit end normally after the current step: the epoch
// it is in ends early (its OnEpochEnd hooks still run, on the steps done)
// and no further epoch starts. It is Keras's model.stop_training = True;
// each Fit starts with the flag cleared.
func (m *Model) StopTraining() { m.stopTraining = true }

// StopRequested reports whether StopTraining was called during the
// current (or last) Fit.
func (m *Model) StopRequested() bool { return m.stopTraining }

// callbackList runs Fit's callbacks in order, FitOptions.OnEpochEnd first
// among the epoch-end hooks.
type callbackList struct {
	cbs        []Callback
	onEpochEnd func(EpochEnd) error
	batchLogs  Logs // the latest progress read's running means
	lastLogs   Logs // the latest epoch's logs, for OnTrainEnd
	nanStops   bool // a TerminateOnNaN is present: a NaN loss ends Fit normally
}

func newCallbackList(m *Model, o *FitOptions, steps int) *callbackList {
	m.stopTraining = false
	l := &callbackList{cbs: o.Callbacks, onEpochEnd: o.OnEpochEnd, batchLogs: Logs{}}
	p := Params{Epochs: o.Epochs, Steps: steps, Verbose: o.verbosity(), Out: o.Out}
	for _, c := range l.cbs {
		c.SetModel(m)
		c.SetParams(p)
		if _, ok := c.(*TerminateOnNaNCallback); ok {
			l.nanStops = true
		}
	}
	return l
}

func (l *callbackList) each(hook string, f func(Callback) error) error {
	for _, c := range l.cbs {
		if err := f(c); err != nil {
			return fmt.Errorf("callback %T %s: %w", c, hook, err)
		}
	}
	return nil
}

func (l *callbackList) trainBegin() error {
	return l.each("OnTrainBegin", func(c Callback) error { return c.OnTrainBegin(Logs{}) })
}

// trainEnd runs when Fit ends without error, stopped early or not.
func (l *callbackList) trainEnd() error {
	return l.each("OnTrainEnd", func(c Callback) error { return c.OnTrainEnd(copyLogs(l.lastLogs)) })
}

func (l *callbackList) epochBegin(epoch int) error {
	l.batchLogs = Logs{}
	return l.each("OnEpochBegin", func(c Callback) error { return c.OnEpochBegin(epoch, Logs{}) })
}

// epochEnd runs FitOptions.OnEpochEnd and then each callback's OnEpochEnd.
func (l *callbackList) epochEnd(epoch int, logs Logs, seconds float64) error {
	l.lastLogs = logs
	if l.onEpochEnd != nil {
		if err := l.onEpochEnd(EpochEnd{Epoch: epoch, Logs: logs, Seconds: seconds}); err != nil {
			return err
		}
	}
	return l.each("OnEpochEnd", func(c Callback) error { return c.OnEpochEnd(epoch, copyLogs(logs)) })
}

func (l *callbackList) batchBegin(batch int) error {
	if len(l.cbs) == 0 {
		return nil
	}
	return l.each("OnTrainBatchBegin", func(c Callback) error { return c.OnTrainBatchBegin(batch, Logs{}) })
}

// progressRead records the running means a progress read saw.
func (l *callbackList) progressRead(names []string, vals []float64) {
	for i, n := range names {
		l.batchLogs[n] = vals[i]
	}
}

func (l *callbackList) batchEnd(batch int) error {
	if len(l.cbs) == 0 {
		return nil
	}
	return l.each("OnTrainBatchEnd", func(c Callback) error { return c.OnTrainBatchEnd(batch, copyLogs(l.batchLogs)) })
}

// checkLoss is Fit's guard against a diverged loss at the end of an epoch:
// an error, unless a TerminateOnNaN callback is present, which then ends
// training normally in its OnEpochEnd (as Keras's does).
func (l *callbackList) checkLoss(loss float64) bool {
	return l.nanStops || !(math.IsNaN(loss) || math.IsInf(loss, 0))
}

func copyLogs(logs Logs) Logs {
	out := make(Logs, len(logs))
	for k, v := range logs {
		out[k] = v
	}
	return out
}
