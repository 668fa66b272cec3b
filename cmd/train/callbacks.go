package main

import (
	"flag"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/anvil-ml/anvil/nn"
)

// callbackFlags are the flags that add Keras callbacks and schedules.
type callbackFlags struct {
	earlyStopping int
	lrSchedule    string
	saveBest      bool
}

// bestDir is the folder under -out where -save-best keeps the best model.
const bestDir = "best"

func (c *callbackFlags) addFlags(fs *flag.FlagSet) {
	fs.IntVar(&c.earlyStopping, "early-stopping", 0, "stop when val_loss (loss with -validation=false) has not improved for `PATIENCE` epochs (Keras's EarlyStopping; 0: off)")
	fs.StringVar(&c.lrSchedule, "lr-schedule", "", "learning rate schedule over the run, starting at -lr: cosine (CosineDecay to 0), exponential (ExponentialDecay to a tenth), step (PiecewiseConstantDecay: a tenth after half the steps, a hundredth after three quarters) or plateau (ReduceLROnPlateau with Keras's defaults: a tenth after 10 epochs without improvement)")
	fs.BoolVar(&c.saveBest, "save-best", false, "also save the model of the epoch with the best val_loss to -out/best/ (Keras's ModelCheckpoint with save_best_only)")
}

func (o *options) validateCallbacks() error {
	switch {
	case o.earlyStopping < 0:
		return fmt.Errorf("-early-stopping %d: give the patience in epochs (0: off)", o.earlyStopping)
	case o.lrSchedule != "" && !oneOf(o.lrSchedule, "cosine", "exponential", "step", "plateau"):
		return fmt.Errorf("-lr-schedule %q: use cosine, exponential, step or plateau", o.lrSchedule)
	case o.saveBest && o.out == "":
		return fmt.Errorf("-save-best writes to -out/%s: give -out DIR", bestDir)
	case o.saveBest && !o.validation:
		return fmt.Errorf("-save-best picks the best epoch by val_loss: drop -validation=false")
	}
	return nil
}

// fitVerbose maps -verbose (Keras's 0, 1, 2) onto FitOptions.Verbose,
// whose zero value means Keras's default rather than silent.
func fitVerbose(v int) int {
	if v == 0 {
		return nn.Silent
	}
	return v
}

// useCallbacks adds what the callback flags ask for to fit, and sets the
// optimizer's schedule.
func (r *trainRun) useCallbacks(fit *nn.FitOptions) error {
	o := r.o
	monitor := "val_loss"
	if !o.validation {
		monitor = "loss"
	}
	// Each is made even when off, to take (and drop) the state a resumed
	// checkpoint kept of it (callback_resume.go).
	es := nn.EarlyStopping()
	es.Monitor, es.Patience, es.Verbose = monitor, o.earlyStopping, 1
	r.stateful.set(slotEarlyStopping, es, o.earlyStopping > 0)
	mc := nn.ModelCheckpoint(filepath.Join(o.out, bestDir))
	mc.SaveBestOnly, mc.Verbose = true, min(o.verbose, 1)
	// A resumed run must beat the best epoch before the interruption (the
	// checkpoint's ModelCheckpoint state says so too, where it has one).
	if vs := r.history.Metrics[monitor]; len(vs) > 0 {
		best := slices.Min(vs)
		mc.InitialValueThreshold = &best
	}
	r.stateful.set(slotSaveBest, mc, o.saveBest)
	p := nn.ReduceLROnPlateau()
	p.Monitor, p.Verbose = monitor, 1
	r.stateful.set(slotPlateau, p, o.lrSchedule == "plateau")
	fit.Callbacks = append(fit.Callbacks, r.stateful.active()...)
	if o.lrSchedule == "" || o.lrSchedule == "plateau" {
		return nil
	}
	steps := (r.data.train.Len() + o.batchSize - 1) / o.batchSize * o.epochs
	return setSchedule(r.model.Optimizer(), o.lrSchedule, steps)
}

// setSchedule gives opt the named schedule over steps steps, from its
// current rate. A resumed optimizer keeps the schedule it was saved with.
func setSchedule(opt nn.Optimizer, name string, steps int) error {
	var slot *nn.LearningRateSchedule
	switch o := opt.(type) {
	case *nn.SGDOptimizer:
		slot = &o.Schedule
	case *nn.AdamOptimizer:
		slot = &o.Schedule
	case *nn.RMSpropOptimizer:
		slot = &o.Schedule
	case *nn.AdamWOptimizer:
		slot = &o.Schedule
	case *nn.NadamOptimizer:
		slot = &o.Schedule
	default:
		return fmt.Errorf("-lr-schedule: optimizer %s takes no schedule", opt.Name())
	}
	if *slot != nil {
		return nil
	}
	lr := float64(opt.LearningRate())
	switch name {
	case "cosine":
		*slot = nn.CosineDecay(lr, steps, 0, 0, 0)
	case "exponential":
		*slot = nn.ExponentialDecay(lr, steps, 0.1, false)
	case "step":
		*slot = nn.PiecewiseConstantDecay([]int{steps / 2, steps * 3 / 4}, []float64{lr, lr / 10, lr / 100})
	}
	return nil
}

// callbackSettings records the callback flags in a checkpoint's settings,
// so that -resume continues with the callbacks whose state it keeps; only
// those that are on, so that the checkpoints of runs without them stay as
// they were.
func (o *options) callbackSettings(vals map[string]string) {
	if o.earlyStopping > 0 {
		vals["early-stopping"] = fmt.Sprint(o.earlyStopping)
	}
	if o.saveBest {
		vals["save-best"] = "true"
	}
	if o.lrSchedule != "" {
		vals["lr-schedule"] = o.lrSchedule
	}
}
