package nn

import (
	"github.com/anvil-ml/anvil/tensor"
)

// EarlyStoppingCallback is Keras's EarlyStopping: it stops training when
// the monitored quantity has stopped improving.
type EarlyStoppingCallback struct {
	BaseCallback
	// Monitor is the logs entry watched; default "val_loss".
	Monitor string
	// MinDelta is the least change that counts as an improvement.
	MinDelta float64
	// Patience is how many epochs without improvement to wait.
	Patience int
	// Verbose 1 prints when it stops and when it restores weights.
	Verbose int
	// Mode is "auto" (the default), "min" or "max".
	Mode string
	// Baseline, when set, must be beaten for the waiting to restart.
	Baseline *float64
	// RestoreBestWeights puts back, when training ends (stopped early or
	// not, as in Keras 3), the weights of the best epoch seen.
	RestoreBestWeights bool
	// StartFromEpoch is how many epochs to wait before watching.
	StartFromEpoch int

	mon         watched
	wait        int
	best        *float64
	bestWeights []*tensor.Tensor
	// BestEpoch and StoppedEpoch are Keras's best_epoch and stopped_epoch,
	// 0-based; StoppedEpoch is 0 when training was not stopped.
	BestEpoch, StoppedEpoch int

	restored *earlyStoppingState // for the next OnTrainBegin (RestoreCallbackState)
}

// EarlyStopping returns Keras's EarlyStopping defaults: monitor
// "val_loss", min_delta 0, patience 0, mode "auto", no baseline.
func EarlyStopping() *EarlyStoppingCallback {
	return &EarlyStoppingCallback{Monitor: "val_loss", Mode: "auto"}
}

// OnTrainBegin implements Callback.
func (c *EarlyStoppingCallback) OnTrainBegin(Logs) error {
	if c.Monitor == "" {
		c.Monitor = "val_loss"
	}
	mon, err := newMonitor("EarlyStopping", c.Monitor, c.Mode)
	if err != nil {
		return err
	}
	c.mon, c.wait, c.best, c.bestWeights, c.BestEpoch, c.StoppedEpoch = mon, 0, nil, nil, 0, 0
	return c.continueRestored()
}

// OnEpochEnd implements Callback, as Keras's on_epoch_end does.
func (c *EarlyStoppingCallback) OnEpochEnd(epoch int, logs Logs) error {
	current, err := c.mon.value("EarlyStopping", logs)
	if err != nil || epoch < c.StartFromEpoch {
		return err
	}
	if c.RestoreBestWeights && c.bestWeights == nil {
		// Until something improves, the current weights are the best.
		if err := c.saveWeights(epoch); err != nil {
			return err
		}
	}
	c.wait++
	if c.improves(current, c.best) {
		c.best = &current
		c.BestEpoch = epoch
		if c.RestoreBestWeights {
			if err := c.saveWeights(epoch); err != nil {
				return err
			}
		}
		// Waiting restarts only when the baseline is beaten too.
		if c.improves(current, c.Baseline) {
			c.wait = 0
		}
		return nil
	}
	if c.wait >= c.Patience && epoch > 0 {
		c.StoppedEpoch = epoch
		c.Model().StopTraining()
	}
	return nil
}

func (c *EarlyStoppingCallback) improves(current float64, reference *float64) bool {
	delta := c.MinDelta
	if delta < 0 {
		delta = -delta
	}
	return reference == nil || c.mon.better(current, *reference, delta)
}

func (c *EarlyStoppingCallback) saveWeights(epoch int) error {
	ws, err := c.Model().GetWeights()
	c.bestWeights, c.BestEpoch = ws, epoch
	return err
}

// OnTrainEnd implements Callback: it reports the stop and restores the
// best weights when asked to.
func (c *EarlyStoppingCallback) OnTrainEnd(Logs) error {
	if c.StoppedEpoch > 0 && c.Verbose > 0 {
		c.printf("Epoch %d: early stopping\n", c.StoppedEpoch+1)
	}
	if !c.RestoreBestWeights || c.bestWeights == nil {
		return nil
	}
	if c.Verbose > 0 {
		c.printf("Restoring model weights from the end of the best epoch: %d.\n", c.BestEpoch+1)
	}
	return c.Model().SetWeights(c.bestWeights)
}
