package nn

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// saveThenStop saves a checkpoint with the state of cbs after epoch
// saveAt, and stops Fit with errStopped after epoch stopAt: a run killed
// after the epochs between had written their rows, before they were
// checkpointed.
type saveThenStop struct {
	BaseCallback
	dir            string
	saveAt, stopAt int
	cbs            []Callback
}

func (s *saveThenStop) OnEpochEnd(epoch int, _ Logs) error {
	if epoch+1 == s.saveAt {
		if err := s.Model().SaveCheckpoint(s.dir, Checkpoint{Epoch: epoch + 1, Seed: 2, Callbacks: s.cbs}); err != nil {
			return err
		}
	}
	if epoch+1 == s.stopAt {
		return errStopped
	}
	return nil
}

// TestCSVLoggerContinuesOnResume: a CSVLogger given its checkpoint state
// continues the file, cut back to the checkpoint, so that it ends as the
// unbroken run's does: with every row once and one header, also when
// the run stopped right after the checkpoint (the file exactly as long
// as the checkpoint saw it). Keras's
// defaults (a new file) lose the earlier rows, and appending without the
// state repeats the rows written after the checkpoint.
func TestCSVLoggerContinuesOnResume(t *testing.T) {
	x, y := spiral(32)
	opts := FitOptions{Verbose: Silent, Epochs: 5, BatchSize: 8, Seed: 2, ValidationSplit: 0.25}
	dir := t.TempDir()
	whole := CSVLogger(filepath.Join(dir, "whole.csv"))
	o := opts
	o.Callbacks = []Callback{whole}
	if _, err := checkpointModel(t).Fit(context.Background(), x, y, o); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(whole.Filename)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name           string
		restore, apend bool
		stopAt         int
	}{{"restored", true, false, 3}, {"restored at the checkpoint", true, false, 2}, {"afresh", false, false, 3}, {"appended", false, true, 3}} {
		file := filepath.Join(dir, c.name+".csv")
		logger := CSVLogger(file)
		stop := &saveThenStop{dir: filepath.Join(dir, c.name), saveAt: 2, stopAt: c.stopAt, cbs: []Callback{logger}}
		o = opts
		o.Callbacks = []Callback{logger, stop}
		if _, err := checkpointModel(t).Fit(context.Background(), x, y, o); !errors.Is(err, errStopped) {
			t.Fatalf("%s: Fit = %v, want the stop after epoch %d", c.name, err, c.stopAt)
		}
		m, ckpt, err := LoadCheckpoint(stop.dir)
		if err != nil {
			t.Fatal(err)
		}
		logger = CSVLogger(file)
		logger.Append = c.apend
		if c.restore {
			if err := ckpt.RestoreCallbacks(logger); err != nil {
				t.Fatal(err)
			}
		}
		o = opts
		o.InitialEpoch, o.Callbacks = ckpt.Epoch, []Callback{logger}
		if _, err := m.Fit(context.Background(), x, y, o); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if same := bytes.Equal(got, want); same != c.restore {
			t.Errorf("%s: the resumed file equals the unbroken run's: %v, want %v\n%s\nunbroken:\n%s", c.name, same, c.restore, got, want)
		}
	}
}

// TestCSVLoggerStateChecks: a state is refused when damaged, saved for
// another file, or longer than the file now is.
func TestCSVLoggerStateChecks(t *testing.T) {
	file := filepath.Join(t.TempDir(), "log.csv")
	if err := os.WriteFile(file, []byte("epoch,loss\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := CSVLogger(file)
	wantErr(t, c.RestoreCallbackState(&CallbackState{Values: []byte(`{"size":-1}`)}), "may not be negative")
	wantErr(t, c.RestoreCallbackState(&CallbackState{Values: []byte(`{"append":true}`)}), "unknown field")
	for state, want := range map[string]string{
		`{"filename":"other.csv","size":0}`:                               `saved writing "other.csv"`,
		`{"filename":` + strconv.Quote(file) + `,"size":100,"keys":null}`: "has 12 bytes, fewer than the 100",
	} {
		if err := c.RestoreCallbackState(&CallbackState{Values: []byte(state)}); err != nil {
			t.Fatal(err)
		}
		wantErr(t, c.OnTrainBegin(Logs{}), want)
	}
}
