package nn

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/anvil-ml/anvil/format/checkpoint"
	"github.com/anvil-ml/anvil/tensor"
)

// StatefulCallback is a Callback whose progress a checkpoint can keep
// (Checkpoint.Callbacks), so that a resumed Fit continues it exactly where
// the interrupted one stood: EarlyStopping's best value, wait count and
// best weights, ModelCheckpoint's best value, ReduceLROnPlateau's best
// value, wait and cooldown counts, CSVLogger's file length and columns.
// (LearningRateScheduler and TerminateOnNaN have no state of their own:
// the rate they set is the optimizer's, which the checkpoint keeps anyway.)
// Keras's callbacks start
// afresh in every fit (its BackupAndRestore keeps only the model and the
// epoch), which makes a resumed run differ from an unbroken one; these
// need not.
type StatefulCallback interface {
	Callback
	// CallbackState returns the callback's progress as of the last
	// completed epoch.
	CallbackState() (*CallbackState, error)
	// RestoreCallbackState checks s and keeps it for the next Fit, whose
	// OnTrainBegin continues from it instead of starting afresh.
	RestoreCallbackState(s *CallbackState) error
}

// CallbackState is a callback's progress: Values is JSON the callback
// reads back, Tensors its arrays (EarlyStopping's best weights), in order.
type CallbackState struct {
	Values  json.RawMessage
	Tensors []*tensor.Tensor
}

// savedCallback is one callback's entry in a checkpoint's callbacks file:
// its position among Checkpoint.Callbacks, its Go type, its values and how
// many tensors it has (named "callback-INDEX/J").
type savedCallback struct {
	Index   int             `json:"index"`
	Type    string          `json:"type"`
	Values  json.RawMessage `json:"values"`
	Tensors int             `json:"tensors"`
}

// callbacksMetaKey is the safetensors metadata entry that lists the
// saved callbacks.
const callbacksMetaKey = "callbacks"

func callbackTensorName(index, j int) string { return fmt.Sprintf("callback-%d/%d", index, j) }

func callbackType(cb Callback) string { return fmt.Sprintf("%T", cb) }

// encodeCallbacks is the callbacks file of a checkpoint: the state of each
// StatefulCallback among cbs. ok is false when none has state to keep.
func encodeCallbacks(cbs []Callback) (data []byte, ok bool, err error) {
	var saved []savedCallback
	ts := map[string]*tensor.Tensor{}
	for i, cb := range cbs {
		sc, stateful := cb.(StatefulCallback)
		if !stateful {
			continue
		}
		s, err := sc.CallbackState()
		if err != nil {
			return nil, false, fmt.Errorf("callback %d (%s): %w", i, callbackType(cb), err)
		}
		saved = append(saved, savedCallback{Index: i, Type: callbackType(cb), Values: s.Values, Tensors: len(s.Tensors)})
		for j, t := range s.Tensors {
			ts[callbackTensorName(i, j)] = t
		}
	}
	if len(saved) == 0 {
		return nil, false, nil
	}
	list, err := json.Marshal(saved)
	if err != nil {
		return nil, false, err
	}
	data, err = encodeTensors(ts, map[string]string{callbacksMetaKey: string(list)})
	return data, err == nil, err
}

// decodeCallbacks reads a checkpoint's callbacks file; path names it in
// errors.
func decodeCallbacks(data []byte, path string) ([]savedCallback, map[string]*tensor.Tensor, error) {
	f, err := decodeSafetensors(data, path)
	if err != nil {
		return nil, nil, err
	}
	var saved []savedCallback
	if err := json.Unmarshal([]byte(f.Metadata[callbacksMetaKey]), &saved); err != nil {
		return nil, nil, fmt.Errorf("%s: its %q metadata does not decode (%w): the checkpoint is damaged", path, callbacksMetaKey, err)
	}
	return saved, f.Tensors, nil
}

// RestoreCallbacks gives the callbacks of a resumed Fit the state the
// checkpoint kept for them: cbs must be the callbacks the checkpoint was
// saved with (Checkpoint.Callbacks), of the same types in the same order,
// freshly made with the same settings. A StatefulCallback the checkpoint
// kept nothing for is an error, so a resume never silently starts one
// afresh.
func (c *Checkpoint) RestoreCallbacks(cbs ...Callback) error {
	byIndex := map[int]savedCallback{}
	for _, s := range c.callbacks {
		byIndex[s.Index] = s
	}
	for i, cb := range cbs {
		s, saved := byIndex[i]
		sc, stateful := cb.(StatefulCallback)
		switch {
		case !saved && !stateful:
			continue
		case !saved || !stateful || s.Type != callbackType(cb):
			return fmt.Errorf("restore callbacks: callback %d is %s, but the checkpoint kept %s there: give the callbacks the interrupted run had, in its order",
				i, callbackType(cb), orNothing(s.Type))
		}
		delete(byIndex, i)
		state := &CallbackState{Values: s.Values}
		for j := range s.Tensors {
			t := c.callbackTensors[callbackTensorName(i, j)]
			if t == nil {
				return fmt.Errorf("restore callbacks: the checkpoint lacks tensor %q of callback %d (%s): it is damaged", callbackTensorName(i, j), i, s.Type)
			}
			state.Tensors = append(state.Tensors, t)
		}
		if err := sc.RestoreCallbackState(state); err != nil {
			return fmt.Errorf("restore callbacks: callback %d (%s): %w", i, s.Type, err)
		}
	}
	if len(byIndex) > 0 {
		return fmt.Errorf("restore callbacks: the checkpoint kept the state of %d more callbacks than the %d given: give the callbacks the interrupted run had, in its order",
			len(byIndex), len(cbs))
	}
	return nil
}

// KeptCallback returns the Go type of the callback at index i of the
// Callbacks the checkpoint was saved with, when it kept that callback's
// state, and "" when it kept none there (a checkpoint saved before
// callback state was kept has none at all). A caller whose callbacks may
// differ from the interrupted run's uses it to give RestoreCallbacks, in
// each kept place, a callback to take that state, and a nil elsewhere.
func (c *Checkpoint) KeptCallback(i int) string {
	for _, s := range c.callbacks {
		if s.Index == i {
			return s.Type
		}
	}
	return ""
}

func orNothing(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

// loadCallbacks decodes the checkpoint's callbacks file, when it has one,
// into c for RestoreCallbacks.
func (c *Checkpoint) loadCallbacks(dir string, man *checkpoint.Manifest, files map[string][]byte) error {
	data, ok := files["callbacks"]
	if !ok {
		return nil
	}
	saved, ts, err := decodeCallbacks(data, filepath.Join(dir, man.Files["callbacks"].Name))
	c.callbacks, c.callbackTensors = saved, ts
	return err
}

// floatPtr converts an optional best value for JSON, which cannot hold
// infinities or NaN as numbers (checkpoint.Float spells them out).
func floatPtr(v *float64) *checkpoint.Float {
	if v == nil {
		return nil
	}
	f := checkpoint.Float(*v)
	return &f
}

func plainPtr(f *checkpoint.Float) *float64 {
	if f == nil {
		return nil
	}
	v := float64(*f)
	return &v
}

// checkMonitor refuses a state saved while watching another quantity.
func checkMonitor(saved, now string) error {
	if saved != now {
		return fmt.Errorf("the state was saved monitoring %s, this callback monitors %s: give it the interrupted run's settings",
			strconv.Quote(saved), strconv.Quote(now))
	}
	return nil
}
