package nn

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/anvil-ml/anvil/format/checkpoint"
	"github.com/anvil-ml/anvil/tensor"
)

// EarlyStopping and ModelCheckpoint are StatefulCallbacks: a checkpoint
// keeps what they learned in earlier epochs, so that a resumed Fit stops,
// restores and saves at the very epochs an unbroken one would.

// earlyStoppingState is EarlyStopping's progress; its best weights travel
// as the state's tensors.
type earlyStoppingState struct {
	Monitor      string            `json:"monitor"`
	Wait         int               `json:"wait"`
	Best         *checkpoint.Float `json:"best"` // null until an epoch was watched
	BestEpoch    int               `json:"best_epoch"`
	StoppedEpoch int               `json:"stopped_epoch"`

	weights []*tensor.Tensor
}

// CallbackState implements StatefulCallback.
func (c *EarlyStoppingCallback) CallbackState() (*CallbackState, error) {
	values, err := json.Marshal(earlyStoppingState{Monitor: c.Monitor, Wait: c.wait, Best: floatPtr(c.best),
		BestEpoch: c.BestEpoch, StoppedEpoch: c.StoppedEpoch})
	return &CallbackState{Values: values, Tensors: c.bestWeights}, err
}

// RestoreCallbackState implements StatefulCallback. A restored
// EarlyStopping that had stopped training keeps it stopped: the resumed
// Fit runs no further epoch, and restores the best weights as it ends.
func (c *EarlyStoppingCallback) RestoreCallbackState(s *CallbackState) error {
	var r earlyStoppingState
	if err := decodeStrict(s.Values, &r); err != nil {
		return fmt.Errorf("EarlyStopping state: %w", err)
	}
	if r.Wait < 0 || r.BestEpoch < 0 || r.StoppedEpoch < 0 {
		return fmt.Errorf("EarlyStopping state: wait %d, best_epoch %d, stopped_epoch %d: none may be negative", r.Wait, r.BestEpoch, r.StoppedEpoch)
	}
	r.weights = s.Tensors
	c.restored = &r
	return nil
}

// continueRestored takes up a restored state once OnTrainBegin has reset
// the callback, after checking it fits the callback and the model.
func (c *EarlyStoppingCallback) continueRestored() error {
	r := c.restored
	if r == nil {
		return nil
	}
	c.restored = nil
	if err := checkMonitor(r.Monitor, c.Monitor); err != nil {
		return fmt.Errorf("EarlyStopping: %w", err)
	}
	if len(r.weights) > 0 {
		if err := checkWeightShapes(c.Model(), r.weights); err != nil {
			return fmt.Errorf("EarlyStopping: the restored best weights: %w", err)
		}
	}
	c.wait, c.best, c.BestEpoch, c.StoppedEpoch = r.Wait, plainPtr(r.Best), r.BestEpoch, r.StoppedEpoch
	c.bestWeights = r.weights // nil until an epoch was watched
	if c.StoppedEpoch > 0 {
		c.Model().StopTraining()
	}
	return nil
}

// modelCheckpointState is ModelCheckpoint's progress: the best value seen.
type modelCheckpointState struct {
	Monitor string           `json:"monitor"`
	Best    checkpoint.Float `json:"best"`
}

// CallbackState implements StatefulCallback.
func (c *ModelCheckpointCallback) CallbackState() (*CallbackState, error) {
	values, err := json.Marshal(modelCheckpointState{Monitor: c.Monitor, Best: checkpoint.Float(c.best)})
	return &CallbackState{Values: values}, err
}

// RestoreCallbackState implements StatefulCallback: the resumed Fit saves
// only what beats the best value of the interrupted one (it replaces
// InitialValueThreshold).
func (c *ModelCheckpointCallback) RestoreCallbackState(s *CallbackState) error {
	var r modelCheckpointState
	if err := decodeStrict(s.Values, &r); err != nil {
		return fmt.Errorf("ModelCheckpoint state: %w", err)
	}
	if len(s.Tensors) > 0 {
		return fmt.Errorf("ModelCheckpoint state: %d tensors, it has none", len(s.Tensors))
	}
	c.restored = &r
	return nil
}

func (c *ModelCheckpointCallback) continueRestored() error {
	r := c.restored
	if r == nil {
		return nil
	}
	c.restored = nil
	if err := checkMonitor(r.Monitor, c.Monitor); err != nil {
		return fmt.Errorf("ModelCheckpoint: %w", err)
	}
	c.best = float64(r.Best)
	return nil
}

// decodeStrict decodes JSON into v, refusing fields v does not have.
func decodeStrict(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// checkWeightShapes checks that ws could be m's weights (SetWeights
// order), before a callback holds on to them.
func checkWeightShapes(m *Model, ws []*tensor.Tensor) error {
	vars := m.Variables()
	if len(ws) != len(vars) {
		return fmt.Errorf("%d arrays, the model has %d weights: the state belongs to another model", len(ws), len(vars))
	}
	for i, v := range vars {
		if !ws[i].Shape.Equal(v.Shape) || len(ws[i].Data) != v.Shape.Size() {
			return fmt.Errorf("array %d has shape %v, weight %s has %v: the state belongs to another model", i, ws[i].Shape, v.Name, v.Shape)
		}
	}
	return nil
}
