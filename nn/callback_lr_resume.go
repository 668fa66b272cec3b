package nn

import (
	"encoding/json"
	"fmt"

	"github.com/anvil-ml/anvil/format/checkpoint"
)

// ReduceLROnPlateau is a StatefulCallback: a checkpoint keeps its wait and
// cooldown counts and the best value seen, so that a resumed Fit reduces
// the learning rate at the very epochs an unbroken one would. The
// learning rate itself needs no keeping here: it is the optimizer's, which
// the checkpoint saves with its config.

// plateauState is ReduceLROnPlateau's progress, named as Keras's
// attributes are.
type plateauState struct {
	Monitor         string           `json:"monitor"`
	Best            checkpoint.Float `json:"best"` // ±Inf until an epoch was watched
	Wait            int              `json:"wait"`
	CooldownCounter int              `json:"cooldown_counter"`
}

// CallbackState implements StatefulCallback.
func (c *ReduceLROnPlateauCallback) CallbackState() (*CallbackState, error) {
	values, err := json.Marshal(plateauState{Monitor: c.Monitor, Best: checkpoint.Float(c.best), Wait: c.wait, CooldownCounter: c.cooldownN})
	return &CallbackState{Values: values}, err
}

// RestoreCallbackState implements StatefulCallback.
func (c *ReduceLROnPlateauCallback) RestoreCallbackState(s *CallbackState) error {
	var r plateauState
	if err := decodeStrict(s.Values, &r); err != nil {
		return fmt.Errorf("ReduceLROnPlateau state: %w", err)
	}
	if r.Wait < 0 || r.CooldownCounter < 0 {
		return fmt.Errorf("ReduceLROnPlateau state: wait %d, cooldown_counter %d: neither may be negative", r.Wait, r.CooldownCounter)
	}
	if len(s.Tensors) > 0 {
		return fmt.Errorf("ReduceLROnPlateau state: %d tensors, it has none", len(s.Tensors))
	}
	c.restored = &r
	return nil
}

// continueRestored takes up a restored state once OnTrainBegin has reset
// the callback.
func (c *ReduceLROnPlateauCallback) continueRestored() error {
	r := c.restored
	if r == nil {
		return nil
	}
	c.restored = nil
	if err := checkMonitor(r.Monitor, c.Monitor); err != nil {
		return fmt.Errorf("ReduceLROnPlateau: %w", err)
	}
	c.best, c.wait, c.cooldownN = float64(r.Best), r.Wait, r.CooldownCounter
	return nil
}
