package nn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// resumeCallbacks are the callbacks the resume tests keep state of: an
// EarlyStopping that restores the best weights and a ModelCheckpoint that
// keeps the best model in dir.
func resumeCallbacks(dir string) (*EarlyStoppingCallback, *ModelCheckpointCallback) {
	es := EarlyStopping()
	es.Patience, es.RestoreBestWeights = 2, true
	mc := ModelCheckpoint(dir)
	mc.SaveBestOnly = true
	return es, mc
}

// saveAfter is a callback, placed after the others, that saves a
// checkpoint with their state after epoch stopAfter and then stops Fit
// with errStopped, as a killed run would stop.
type saveAfter struct {
	BaseCallback
	dir       string
	stopAfter int
	seed      uint64
	cbs       []Callback
}

var errStopped = errors.New("stopped on purpose")

func (s *saveAfter) OnEpochEnd(epoch int, _ Logs) error {
	if epoch+1 != s.stopAfter {
		return nil
	}
	if err := s.Model().SaveCheckpoint(s.dir, Checkpoint{Epoch: epoch + 1, Seed: s.seed, Callbacks: s.cbs}); err != nil {
		return err
	}
	return errStopped
}

// resumeRun is what a run ends with: its weights, EarlyStopping's verdict
// and the bytes of ModelCheckpoint's best model.
type resumeRun struct {
	weights                 []*tensor.Tensor
	bestEpoch, stoppedEpoch int
	best                    []byte
}

func endOf(t *testing.T, m *Model, es *EarlyStoppingCallback, dir string) resumeRun {
	t.Helper()
	best, err := os.ReadFile(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	return resumeRun{weightsOf(t, m), es.BestEpoch, es.StoppedEpoch, best}
}

// TestCallbackStateSurvivesResume: a run interrupted after any epoch k
// and resumed from its checkpoint, with the callbacks' state restored,
// ends exactly as the unbroken run: the same best and stopping epochs,
// the same weights (the best ones, restored) and the same best model on
// disk. Interrupted at the stopping epoch, the resumed run trains no
// further. Without the callbacks' state some resume ends differently, so
// the test can tell.
func TestCallbackStateSurvivesResume(t *testing.T) {
	x, y := spiral(64)
	opts := FitOptions{Verbose: Silent, Epochs: 12, BatchSize: 8, Seed: 5, ValidationSplit: 0.25}
	tmp := t.TempDir()
	whole := checkpointModel(t)
	es, mc := resumeCallbacks(filepath.Join(tmp, "whole"))
	o := opts
	o.Callbacks = []Callback{es, mc}
	h, err := whole.Fit(context.Background(), x, y, o)
	if err != nil {
		t.Fatal(err)
	}
	want := endOf(t, whole, es, mc.Filepath)
	t.Logf("unbroken: val_loss %.4f, best epoch %d, stopped %d", h.Metrics["val_loss"], want.bestEpoch+1, want.stoppedEpoch+1)
	if want.stoppedEpoch == 0 || want.bestEpoch+1 >= want.stoppedEpoch {
		t.Fatalf("the unbroken run must stop early some epochs after its best one to test anything: best %d, stopped %d",
			want.bestEpoch+1, want.stoppedEpoch+1)
	}
	careless := 0
	for k := 1; k <= want.stoppedEpoch+1; k++ {
		for _, restore := range []bool{true, false} {
			got := interruptAndResume(t, x, y, opts, filepath.Join(tmp, fmt.Sprintf("after%d-restore-%v", k, restore)), k, restore)
			same := sameWeights(got.weights, want.weights) && got.bestEpoch == want.bestEpoch &&
				got.stoppedEpoch == want.stoppedEpoch && bytes.Equal(got.best, want.best)
			switch {
			case restore && !same:
				t.Errorf("interrupted after epoch %d: resumed run ends with best epoch %d, stopped %d, same weights %v, same best model %v; want %d, %d",
					k, got.bestEpoch+1, got.stoppedEpoch+1, sameWeights(got.weights, want.weights), bytes.Equal(got.best, want.best),
					want.bestEpoch+1, want.stoppedEpoch+1)
			case !restore && !same:
				careless++
			}
		}
	}
	if careless == 0 {
		t.Error("resuming without the callbacks' state ended as the unbroken run every time: the test is not sensitive")
	}
}

// interruptAndResume trains with opts until the checkpoint after epoch
// stopAfter, then resumes from it, restoring the callbacks' state or not.
func interruptAndResume(t *testing.T, x, y *tensor.Tensor, opts FitOptions, dir string, stopAfter int, restore bool) resumeRun {
	t.Helper()
	first := checkpointModel(t)
	es, mc := resumeCallbacks(filepath.Join(dir, "best"))
	saver := &saveAfter{dir: filepath.Join(dir, "ckpt"), stopAfter: stopAfter, seed: opts.Seed, cbs: []Callback{es, mc}}
	o := opts
	o.Callbacks = []Callback{es, mc, saver}
	if _, err := first.Fit(context.Background(), x, y, o); !errors.Is(err, errStopped) {
		t.Fatalf("Fit = %v, want the stop after epoch %d", err, stopAfter)
	}
	resumed, c, err := LoadCheckpoint(saver.dir)
	if err != nil {
		t.Fatal(err)
	}
	es, mc = resumeCallbacks(filepath.Join(dir, "best"))
	if restore {
		if err := c.RestoreCallbacks(es, mc); err != nil {
			t.Fatal(err)
		}
	}
	o = opts
	o.InitialEpoch, o.Callbacks = c.Epoch, []Callback{es, mc}
	if _, err := resumed.Fit(context.Background(), x, y, o); err != nil {
		t.Fatal(err)
	}
	return endOf(t, resumed, es, mc.Filepath)
}

// TestRestoreCallbacksRefusesOtherCallbacks: state is handed only to the
// callbacks it was saved from, in their order and with their monitor.
func TestRestoreCallbacksRefusesOtherCallbacks(t *testing.T) {
	m := checkpointModel(t)
	dir := t.TempDir()
	es, mc := resumeCallbacks(filepath.Join(dir, "best"))
	if err := m.SaveCheckpoint(filepath.Join(dir, "ckpt"), Checkpoint{Callbacks: []Callback{es, &BaseCallback{}, mc}}); err != nil {
		t.Fatal(err)
	}
	_, c, err := LoadCheckpoint(filepath.Join(dir, "ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	es, mc = resumeCallbacks(filepath.Join(dir, "best"))
	wantErr(t, c.RestoreCallbacks(mc, &BaseCallback{}, es), "callback 0 is *nn.ModelCheckpointCallback", "*nn.EarlyStoppingCallback there")
	wantErr(t, c.RestoreCallbacks(es), "1 more callbacks than the 1 given")
	wantErr(t, c.RestoreCallbacks(es, mc), "callback 1 is *nn.ModelCheckpointCallback", "kept nothing there")
	if err := c.RestoreCallbacks(es, &BaseCallback{}, mc); err != nil {
		t.Fatal(err)
	}
	es.Monitor = "loss"
	es.SetModel(m)
	wantErr(t, es.OnTrainBegin(Logs{}), `saved monitoring "val_loss"`, `monitors "loss"`)
	_, bare, err := LoadCheckpoint(filepath.Join(dir, "ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	bare.callbacks = nil
	wantErr(t, bare.RestoreCallbacks(EarlyStopping()), "kept nothing there")
	wantErr(t, EarlyStopping().RestoreCallbackState(&CallbackState{Values: []byte(`{"wait":-1}`)}), "may be negative")
	wantErr(t, EarlyStopping().RestoreCallbackState(&CallbackState{Values: []byte(`{"patience":3}`)}), "unknown field")
}

// TestEarlyStoppingStateWeightsMustFit: a restored EarlyStopping state
// without best weights (RestoreBestWeights off) continues on its model,
// and one whose best weights belong to another model is refused when
// the next Fit begins.
func TestEarlyStoppingStateWeightsMustFit(t *testing.T) {
	stateOf := func(m *Model, restoreBest bool) *CallbackState {
		es := EarlyStopping()
		es.Patience, es.RestoreBestWeights = 5, restoreBest
		drive(t, m, es, "val_loss", []float64{0.5, 0.4})
		s, err := es.CallbackState()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	begin := func(m *Model, s *CallbackState) error {
		es := EarlyStopping()
		es.Patience = 5
		if err := es.RestoreCallbackState(s); err != nil {
			t.Fatal(err)
		}
		es.SetModel(m)
		es.SetParams(Params{Epochs: 4})
		return es.OnTrainBegin(Logs{})
	}
	m := tinyModel(t, SGD())
	if err := begin(m, stateOf(m, false)); err != nil {
		t.Errorf("a state without best weights: %v", err)
	}
	withWeights := stateOf(m, true)
	ClearSession()
	other, err := NewSequential(Dense(2, WithInputShape(1)))
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, begin(other, withWeights), "the restored best weights", "belongs to another model")
}
