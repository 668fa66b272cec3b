package nn

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// plateauForResume is a ReduceLROnPlateau that acts often on a short run:
// an improvement must beat the best by 0.02, and two epochs without one
// halve the rate, after which it rests two epochs (a cooldown of one
// would end in the epoch after the reduction, where a lost count is not
// seen).
func plateauForResume() *ReduceLROnPlateauCallback {
	p := ReduceLROnPlateau()
	p.Factor, p.Patience, p.MinDelta, p.Cooldown = 0.5, 2, 0.02, 2
	return p
}

// epochRates records the learning rate at the end of every epoch, after the
// callbacks before it ran.
type epochRates struct {
	BaseCallback
	rates []float32
}

func (r *epochRates) OnEpochEnd(int, Logs) error {
	r.rates = append(r.rates, r.Model().Optimizer().LearningRate())
	return nil
}

// TestPlateauStateSurvivesResume: a run interrupted after any epoch k and
// resumed with ReduceLROnPlateau's state restored reduces the rate at the
// same epochs and ends with the same weights as the unbroken run; the
// reduced rate itself comes back with the optimizer. Started afresh
// instead, some resume reduces at other epochs, so the test can tell.
func TestPlateauStateSurvivesResume(t *testing.T) {
	x, y := spiral(64)
	opts := FitOptions{Verbose: Silent, Epochs: 10, BatchSize: 8, Seed: 3, ValidationSplit: 0.25}
	whole := checkpointModel(t)
	log := &epochRates{}
	o := opts
	o.Callbacks = []Callback{plateauForResume(), log}
	if _, err := whole.Fit(context.Background(), x, y, o); err != nil {
		t.Fatal(err)
	}
	want, wantW := log.rates, weightsOf(t, whole)
	t.Logf("unbroken run's rates by epoch: %v", want)
	if n := distinct(want); n < 3 {
		t.Fatalf("the unbroken run's rates %v change %d times: the plateau must act at least twice to test anything", want, n-1)
	}
	careless := 0
	for k := 1; k < opts.Epochs; k++ {
		for _, restore := range []bool{true, false} {
			rates, ws := interruptPlateau(t, x, y, opts, filepath.Join(t.TempDir(), fmt.Sprint(k)), k, restore)
			same := slices.Equal(rates, want[k:]) && sameWeights(ws, wantW)
			switch {
			case restore && !same:
				t.Errorf("interrupted after epoch %d: resumed rates %v, same weights %v; want rates %v", k, rates, sameWeights(ws, wantW), want[k:])
			case !restore && !same:
				careless++
			}
		}
	}
	if careless == 0 {
		t.Error("resuming without the plateau's state ended as the unbroken run every time: the test is not sensitive")
	}
}

func distinct(rates []float32) int {
	n := 0
	for i, r := range rates {
		if i == 0 || r != rates[i-1] {
			n++
		}
	}
	return n
}

// interruptPlateau trains until the checkpoint after epoch stopAfter, then
// resumes from it with the plateau's state restored or not, and returns
// the rates of the resumed epochs and the final weights.
func interruptPlateau(t *testing.T, x, y *tensor.Tensor, opts FitOptions, dir string, stopAfter int, restore bool) ([]float32, []*tensor.Tensor) {
	t.Helper()
	first, p := checkpointModel(t), plateauForResume()
	saver := &saveAfter{dir: dir, stopAfter: stopAfter, seed: opts.Seed, cbs: []Callback{p}}
	o := opts
	o.Callbacks = []Callback{p, saver}
	if _, err := first.Fit(context.Background(), x, y, o); !errors.Is(err, errStopped) {
		t.Fatalf("Fit = %v, want the stop after epoch %d", err, stopAfter)
	}
	resumed, c, err := LoadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	p = plateauForResume()
	if restore {
		if err := c.RestoreCallbacks(p); err != nil {
			t.Fatal(err)
		}
	}
	log := &epochRates{}
	o = opts
	o.InitialEpoch, o.Callbacks = c.Epoch, []Callback{p, log}
	if _, err := resumed.Fit(context.Background(), x, y, o); err != nil {
		t.Fatal(err)
	}
	return log.rates, weightsOf(t, resumed)
}

// TestPlateauStateChecks: a state is refused when damaged or saved with
// another monitor.
func TestPlateauStateChecks(t *testing.T) {
	p := plateauForResume()
	wantErr(t, p.RestoreCallbackState(&CallbackState{Values: []byte(`{"wait":-1}`)}), "may be negative")
	wantErr(t, p.RestoreCallbackState(&CallbackState{Values: []byte(`{"factor":0.5}`)}), "unknown field")
	if err := p.RestoreCallbackState(&CallbackState{Values: []byte(`{"monitor":"loss","best":"Infinity","wait":1,"cooldown_counter":0}`)}); err != nil {
		t.Fatal(err)
	}
	p.SetModel(checkpointModel(t))
	wantErr(t, p.OnTrainBegin(Logs{}), `saved monitoring "loss"`, `monitors "val_loss"`)
}

// TestKeptCallback: a checkpoint says which places of its Callbacks it
// kept state for (nil places and stateless callbacks have none), and
// RestoreCallbacks takes nil in the places without.
func TestKeptCallback(t *testing.T) {
	m, dir := checkpointModel(t), t.TempDir()
	es, mc := resumeCallbacks(filepath.Join(dir, "best"))
	cbs := []Callback{es, nil, &BaseCallback{}, plateauForResume(), mc}
	if err := m.SaveCheckpoint(filepath.Join(dir, "ckpt"), Checkpoint{Callbacks: cbs}); err != nil {
		t.Fatal(err)
	}
	_, c, err := LoadCheckpoint(filepath.Join(dir, "ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"*nn.EarlyStoppingCallback", "", "", "*nn.ReduceLROnPlateauCallback", "*nn.ModelCheckpointCallback", ""}
	for i, w := range want {
		if got := c.KeptCallback(i); got != w {
			t.Errorf("KeptCallback(%d) = %q, want %q", i, got, w)
		}
	}
	es, mc = resumeCallbacks(filepath.Join(dir, "best"))
	if err := c.RestoreCallbacks(es, nil, nil, plateauForResume(), mc); err != nil {
		t.Fatal(err)
	}
	wantErr(t, c.RestoreCallbacks(es, nil, nil, nil, mc), "callback 3 is <nil>", "*nn.ReduceLROnPlateauCallback there")
}
