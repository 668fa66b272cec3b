package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/anvil-ml/anvil/nn"
)

// The callbacks the flags make (EarlyStopping, ModelCheckpoint and
// ReduceLROnPlateau) learn as a run goes: patience counts, best values,
// the epochs since the rate was cut. Every checkpoint keeps that state
// (nn.Checkpoint.Callbacks), and -resume gives it back, so that an
// interrupted run stops, saves its best model and cuts its rate at the
// epochs an unbroken one would. Each callback has a fixed place in the
// checkpoint's Callbacks, whatever flags are on, so that the state lines
// up with the callbacks of a resume that turns one on or off.
const (
	slotEarlyStopping = iota
	slotSaveBest
	slotPlateau
	numSlots
)

// slotFlags name the places' flags in messages.
var slotFlags = [numSlots]string{"-early-stopping", "-save-best", "-lr-schedule plateau"}

// statefulCallbacks holds one callback per place, made with the flags'
// settings whether its flag is on or not: one that is off trains nothing
// and only takes a resumed state that this run then drops.
type statefulCallbacks struct {
	cbs [numSlots]nn.Callback
	on  [numSlots]bool
}

// set puts cb in place slot, on or off.
func (s *statefulCallbacks) set(slot int, cb nn.Callback, on bool) {
	s.cbs[slot], s.on[slot] = cb, on
}

// active returns the callbacks that are on, in their places' order.
func (s *statefulCallbacks) active() []nn.Callback {
	var cbs []nn.Callback
	for i, cb := range s.cbs {
		if s.on[i] {
			cbs = append(cbs, cb)
		}
	}
	return cbs
}

// saved returns the Callbacks a checkpoint keeps the state of: those
// that are on, in their places, nil in the others.
func (s *statefulCallbacks) saved() []nn.Callback {
	cbs := make([]nn.Callback, numSlots)
	for i, cb := range s.cbs {
		if s.on[i] {
			cbs[i] = cb
		}
	}
	return cbs
}

// restore gives the callbacks the state the checkpoint c kept, and says
// on log which start afresh (c kept nothing for them: an older train
// saved it, or the run did not use them) and whose kept state goes
// unused (turned off with -resume).
func (s *statefulCallbacks) restore(c *nn.Checkpoint, log io.Writer) error {
	cbs := make([]nn.Callback, numSlots)
	var afresh, dropped []string
	for i := range cbs {
		switch {
		case c.KeptCallback(i) != "":
			cbs[i] = s.cbs[i]
			if !s.on[i] {
				dropped = append(dropped, slotFlags[i])
			}
		case s.on[i]:
			afresh = append(afresh, slotFlags[i])
		}
	}
	if err := c.RestoreCallbacks(cbs...); err != nil {
		return fmt.Errorf("-resume: %w", err)
	}
	if len(afresh) > 0 {
		fmt.Fprintf(log, "resume: the checkpoint keeps no state of %s (an older train saved it, or the run did not use it): it starts afresh\n",
			strings.Join(afresh, ", "))
	}
	if len(dropped) > 0 {
		fmt.Fprintf(log, "resume: %s is off now: the state the checkpoint keeps of it goes unused\n", strings.Join(dropped, ", "))
	}
	return nil
}

// epochSaver writes the checkpoint of each epoch, as the last of Fit's
// callbacks: the checkpoint keeps the callbacks' state, so they must have
// seen the epoch first (Fit's own OnEpochEnd hook runs before them).
type epochSaver struct {
	nn.BaseCallback
	r *trainRun
}

// OnEpochEnd implements nn.Callback.
func (s *epochSaver) OnEpochEnd(epoch int, _ nn.Logs) error { return s.r.saveEpoch(epoch) }

// keepCallbackState restores a resumed run's callback state and, when
// fit has callbacks, moves the per-epoch checkpoint behind them.
func (r *trainRun) keepCallbackState(fit *nn.FitOptions) error {
	if r.resumedFrom != nil {
		if err := r.stateful.restore(r.resumedFrom, r.stderr); err != nil {
			return err
		}
	}
	if len(fit.Callbacks) > 0 {
		r.saveAfterCallbacks = true
		fit.Callbacks = append(fit.Callbacks, &epochSaver{r: r})
	}
	return nil
}
