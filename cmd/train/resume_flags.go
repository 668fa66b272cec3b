package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/anvil-ml/anvil/nn"
)

// What a flag given again with -resume may change:
//   - -lr and -optimizer: yes, from the next step. A new optimizer starts
//     with zero slots (momentum, moments) and its own default rate unless
//     -lr is given too (see nn.Model.SetOptimizer).
//   - -batch-size: only at an epoch boundary. Inside an epoch the steps
//     done are counted in batches of the old size, so another size would
//     skip or repeat samples.
//   - the model, the data and the seed (fixedOnResume): never; that is a
//     new run.
//   - -early-stopping, -save-best, -lr-schedule: kept from the checkpoint
//     with their callbacks' state; one turned on starts afresh, one turned
//     off drops its state (callback_resume.go). -validation may not change
//     what a kept callback watches (checkMonitorKept).
//   - everything else (-epochs, -validation, -data-dir, -backend, -device,
//     -verbose): yes, freely.
//
// Whatever applies is recorded: metrics.json and the next checkpoint's
// metadata show the settings the run continued with.
var fixedOnResume = []string{"model", "data", "csv-label", "csv-classes", "csv-test", "limit-train", "limit-test", "seed"}

// checkResumeFlags refuses flags given with -resume (o.given) that would
// change what may not change: before holds the run's saved settings, o
// the merged ones.
func checkResumeFlags(before, o *options, c *nn.Checkpoint, dir string) error {
	was, now := before.settings(), o.settings()
	for _, name := range fixedOnResume {
		if _, saved := c.Meta[name]; saved && o.given[name] && was[name] != now[name] {
			return fmt.Errorf("-resume %s: -%s %s differs from the run's %q: a resumed run keeps its model, data and seed; "+
				"to change them, start a new run in another -out folder", dir, name, now[name], was[name])
		}
	}
	if o.given["clipnorm"] {
		return fmt.Errorf("-resume %s: -clipnorm applies to a new run; a resumed run keeps the clipping its checkpoint saved "+
			"(its optimizer config)", dir)
	}
	if err := checkMonitorKept(before, o, c, dir); err != nil {
		return err
	}
	if o.given["batch-size"] && c.Step > 0 && o.batchSize != before.batchSize {
		return fmt.Errorf("-resume %s: -batch-size %d: the run stopped in epoch %d after %d steps of %d samples, so a new batch size "+
			"would skip or repeat samples; resume without -batch-size (it may change at an epoch boundary: after this epoch, "+
			"stop and resume from its checkpoint)", dir, o.batchSize, c.Epoch+1, c.Step, before.batchSize)
	}
	return nil
}

// applyResumedOptimizer applies -optimizer and -lr given with -resume to
// the restored model, says so, and records in o what the run continues
// with.
func applyResumedOptimizer(m *nn.Model, o *options, log io.Writer) error {
	opt := m.Optimizer()
	switch {
	case o.given["optimizer"] && !strings.EqualFold(opt.Name(), o.optimizer):
		next, err := nn.OptimizerByName(o.optimizer)
		if err != nil {
			return err
		}
		lr := 0.0
		if o.given["lr"] {
			lr = o.lr
		}
		setLearningRate(next, lr)
		if err := m.SetOptimizer(next); err != nil {
			return err
		}
		fmt.Fprintf(log, "resume: optimizer %s (learning rate %g) replaces %s from the next step; its state starts at zero\n",
			next.Name(), next.LearningRate(), opt.Name())
	case o.given["lr"] && float32(o.lr) != opt.LearningRate():
		fmt.Fprintf(log, "resume: learning rate %g replaces %g from the next step\n", float32(o.lr), opt.LearningRate())
		opt.SetLearningRate(float32(o.lr))
	}
	recordOptimizer(m.Optimizer(), o)
	return nil
}

// recordOptimizer sets -optimizer and -lr to what opt is, so that the
// checkpoints record the settings the run trains with.
func recordOptimizer(opt nn.Optimizer, o *options) {
	o.optimizer, o.lr = strings.ToLower(opt.Name()), float64(opt.LearningRate())
}

// checkMonitorKept refuses a -validation given with -resume that would
// change what a callback whose progress the checkpoint keeps watches
// (val_loss or loss): its best value and counts mean nothing for the
// other.
func checkMonitorKept(before, o *options, c *nn.Checkpoint, dir string) error {
	if !o.given["validation"] || o.validation == before.validation {
		return nil
	}
	on := map[int]bool{slotEarlyStopping: o.earlyStopping > 0, slotPlateau: o.lrSchedule == "plateau"}
	for _, slot := range []int{slotEarlyStopping, slotPlateau} {
		if on[slot] && c.KeptCallback(slot) != "" {
			return fmt.Errorf("-resume %s: -validation=%v would make %s watch another quantity than the val_loss or loss "+
				"whose progress the checkpoint keeps: resume without -validation, or start a new run", dir, o.validation, slotFlags[slot])
		}
	}
	return nil
}
