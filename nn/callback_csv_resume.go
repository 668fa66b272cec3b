package nn

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
)

// CSVLogger is a StatefulCallback: a checkpoint keeps how long its file
// was and its columns, and a resumed Fit continues that file, whatever
// Append says, rather than emptying it as Keras's CSVLogger does by
// default (append=False), which loses the rows of the epochs before the
// interruption. The file is first cut back to the length the checkpoint
// saw, so rows written after it (of epochs the resumed Fit trains again)
// are not repeated: the file ends as an unbroken run's does.

// csvLoggerState is CSVLogger's progress: the file, its length in bytes
// and its columns after "epoch" (none before the first row).
type csvLoggerState struct {
	Filename string   `json:"filename"`
	Size     int64    `json:"size"`
	Keys     []string `json:"keys"`
}

// CallbackState implements StatefulCallback.
func (c *CSVLoggerCallback) CallbackState() (*CallbackState, error) {
	var size int64
	st, err := os.Stat(c.Filename)
	switch {
	case err == nil:
		size = st.Size()
	case !os.IsNotExist(err): // not yet created: no Fit began
		return nil, fmt.Errorf("CSVLogger: %w", err)
	}
	values, err := json.Marshal(csvLoggerState{Filename: c.Filename, Size: size, Keys: c.keys})
	return &CallbackState{Values: values}, err
}

// RestoreCallbackState implements StatefulCallback.
func (c *CSVLoggerCallback) RestoreCallbackState(s *CallbackState) error {
	var r csvLoggerState
	if err := decodeStrict(s.Values, &r); err != nil {
		return fmt.Errorf("CSVLogger state: %w", err)
	}
	if r.Size < 0 {
		return fmt.Errorf("CSVLogger state: size %d may not be negative", r.Size)
	}
	if len(s.Tensors) > 0 {
		return fmt.Errorf("CSVLogger state: %d tensors, it has none", len(s.Tensors))
	}
	c.restored = &r
	return nil
}

// continueRestored cuts the file back to the length the checkpoint saw and
// takes up its columns.
func (c *CSVLoggerCallback) continueRestored() error {
	r := c.restored
	c.restored = nil
	if r.Filename != c.Filename {
		return fmt.Errorf("CSVLogger: the state was saved writing %s, this logger writes %s: give it the interrupted run's file",
			strconv.Quote(r.Filename), strconv.Quote(c.Filename))
	}
	f, size, err := openCSV(c.Filename, os.O_CREATE|os.O_WRONLY)
	if err != nil {
		return err
	}
	defer f.Close()
	if size < r.Size {
		return fmt.Errorf("CSVLogger: %s has %d bytes, fewer than the %d it had at the checkpoint: it was changed since; "+
			"restore it, or give the logger another file", c.Filename, size, r.Size)
	}
	if err := f.Truncate(r.Size); err != nil {
		return fmt.Errorf("CSVLogger: %w", err)
	}
	c.keys, c.needHeader = r.Keys, r.Size == 0
	return f.Close()
}
