package nn

import (
	"fmt"
	"math"
)

// ReduceLROnPlateauCallback is Keras's ReduceLROnPlateau: it multiplies the
// learning rate by Factor when the monitored quantity has not improved for
// Patience epochs, then waits Cooldown epochs before watching again.
type ReduceLROnPlateauCallback struct {
	BaseCallback
	Monitor  string  // default "val_loss"
	Factor   float64 // new rate = rate * Factor; must be below 1
	Patience int
	Verbose  int
	Mode     string // "auto", "min" or "max"
	MinDelta float64
	Cooldown int
	MinLR    float64

	mon             watched
	best            float64
	wait, cooldownN int

	restored *plateauState // for the next OnTrainBegin (RestoreCallbackState)
}

// ReduceLROnPlateau returns Keras's defaults: monitor "val_loss", factor
// 0.1, patience 10, mode "auto", min_delta 1e-4, cooldown 0, min_lr 0.
func ReduceLROnPlateau() *ReduceLROnPlateauCallback {
	return &ReduceLROnPlateauCallback{Monitor: "val_loss", Factor: 0.1, Patience: 10, Mode: "auto", MinDelta: 1e-4}
}

// OnTrainBegin implements Callback.
func (c *ReduceLROnPlateauCallback) OnTrainBegin(Logs) error {
	if !(c.Factor < 1) || !(c.Factor > 0) {
		return fmt.Errorf("ReduceLROnPlateau: factor %v must be above 0 and below 1", c.Factor)
	}
	if err := checkSettableRate("ReduceLROnPlateau", c.Model()); err != nil {
		return err
	}
	if c.Monitor == "" {
		c.Monitor = "val_loss"
	}
	mon, err := newMonitor("ReduceLROnPlateau", c.Monitor, c.Mode)
	if err != nil {
		return err
	}
	c.mon, c.best, c.wait, c.cooldownN = mon, mon.worst(), 0, 0
	return c.continueRestored()
}

// OnEpochEnd implements Callback, as Keras's on_epoch_end does.
func (c *ReduceLROnPlateauCallback) OnEpochEnd(epoch int, logs Logs) error {
	current, err := c.mon.value("ReduceLROnPlateau", logs)
	if err != nil {
		return err
	}
	if c.cooldownN > 0 {
		c.cooldownN--
		c.wait = 0
	}
	if c.mon.better(current, c.best, c.MinDelta) {
		c.best, c.wait = current, 0
		return nil
	}
	if c.cooldownN > 0 {
		return nil
	}
	c.wait++
	if c.wait < c.Patience {
		return nil
	}
	opt := c.Model().Optimizer()
	old := float64(opt.LearningRate())
	if old > float64(float32(c.MinLR)) {
		rate := math.Max(old*c.Factor, c.MinLR)
		opt.SetLearningRate(float32(rate))
		if c.Verbose > 0 {
			c.printf("\nEpoch %d: ReduceLROnPlateau reducing learning rate to %v.\n", epoch+1, float32(rate))
		}
		c.cooldownN, c.wait = c.Cooldown, 0
	}
	return nil
}

// LearningRateSchedulerCallback is Keras's LearningRateScheduler: at the
// start of every epoch it sets the learning rate to Schedule(epoch, rate),
// epoch counting from 0 and rate being the current one.
type LearningRateSchedulerCallback struct {
	BaseCallback
	Schedule func(epoch int, lr float32) float32
	Verbose  int
}

// LearningRateScheduler returns Keras's LearningRateScheduler(schedule).
func LearningRateScheduler(schedule func(epoch int, lr float32) float32) *LearningRateSchedulerCallback {
	return &LearningRateSchedulerCallback{Schedule: schedule}
}

// OnTrainBegin implements Callback.
func (c *LearningRateSchedulerCallback) OnTrainBegin(Logs) error {
	if c.Schedule == nil {
		return fmt.Errorf("LearningRateScheduler: no schedule function")
	}
	return checkSettableRate("LearningRateScheduler", c.Model())
}

// OnEpochBegin implements Callback.
func (c *LearningRateSchedulerCallback) OnEpochBegin(epoch int, _ Logs) error {
	opt := c.Model().Optimizer()
	rate := c.Schedule(epoch, opt.LearningRate())
	if !(rate > 0) || math.IsInf(float64(rate), 0) {
		return fmt.Errorf("LearningRateScheduler: the schedule gave learning rate %v for epoch %d; it must be positive and finite", rate, epoch)
	}
	opt.SetLearningRate(rate)
	if c.Verbose > 0 {
		c.printf("\nEpoch %d: LearningRateScheduler setting learning rate to %v.\n", epoch+1, rate)
	}
	return nil
}

// checkSettableRate refuses an optimizer whose rate a schedule owns: the
// schedule would overwrite any rate a callback sets (Keras refuses too).
func checkSettableRate(who string, m *Model) error {
	if hasSchedule(m.Optimizer()) {
		return fmt.Errorf("%s: the optimizer's learning rate follows a schedule (%s), which would override it: use one or the other",
			who, m.Optimizer().(scheduled).schedule().Name())
	}
	return nil
}

// TerminateOnNaNCallback is Keras's TerminateOnNaN: it ends training
// normally once the loss is NaN or infinite. It looks at the loss of each
// progress read (see Callback) and at each epoch's end; with it, a
// diverged epoch ends Fit without the error Fit otherwise returns.
type TerminateOnNaNCallback struct {
	BaseCallback
}

// TerminateOnNaN returns Keras's TerminateOnNaN.
func TerminateOnNaN() *TerminateOnNaNCallback { return &TerminateOnNaNCallback{} }

// OnTrainBatchEnd implements Callback.
func (c *TerminateOnNaNCallback) OnTrainBatchEnd(batch int, logs Logs) error {
	c.check(logs, "Batch", batch)
	return nil
}

// OnEpochEnd implements Callback.
func (c *TerminateOnNaNCallback) OnEpochEnd(epoch int, logs Logs) error {
	c.check(logs, "Epoch", epoch)
	return nil
}

func (c *TerminateOnNaNCallback) check(logs Logs, what string, i int) {
	if loss, ok := logs["loss"]; ok && (math.IsNaN(loss) || math.IsInf(loss, 0)) && !c.Model().StopRequested() {
		c.printf("%s %d: Invalid loss, terminating training\n", what, i)
		c.Model().StopTraining()
	}
}
