package main

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/nn"
)

func TestCallbackFlagErrors(t *testing.T) {
	cases := map[string][]string{
		"-early-stopping -1":    {"-early-stopping", "-1"},
		`-lr-schedule "linear"`: {"-lr-schedule", "linear"},
		"give -out DIR":         {"-save-best"},
		"drop -validation":      {"-save-best", "-out", t.TempDir(), "-validation=false"},
	}
	for want, args := range cases {
		_, _, err := runTrain(t, context.Background(), args...)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("args %v: error %v, want one containing %q", args, err, want)
		}
	}
}

// TestScheduleFlags: each -lr-schedule starts at the optimizer's rate and
// reaches what its help text says by the run's end.
func TestScheduleFlags(t *testing.T) {
	const steps = 100
	lr := float64(float32(0.01))   // SGD's default, as the float32 the optimizer holds
	want := map[string][3]float64{ // rate at steps 0, 60 and 99
		"cosine":      {lr, lr * 0.5 * (1 + math.Cos(math.Pi*0.6)), lr * 0.5 * (1 + math.Cos(math.Pi*0.99))},
		"exponential": {lr, lr * math.Pow(0.1, 0.6), lr * math.Pow(0.1, 0.99)},
		"step":        {lr, lr / 10, lr / 100},
	}
	for name, w := range want {
		opt := nn.SGD()
		if err := setSchedule(opt, name, steps); err != nil {
			t.Fatal(err)
		}
		for i, step := range []uint64{0, 60, 99} {
			if got := opt.Schedule.At(step); math.Abs(got-w[i]) > 1e-12 {
				t.Errorf("%s at step %d: %v, want %v", name, step, got, w[i])
			}
		}
	}
}

// TestCallbackFlagsRun: runs with every callback flag train and keep the
// best model under -out/best beside the final one.
func TestCallbackFlagsRun(t *testing.T) {
	out := t.TempDir()
	nn.ClearSession()
	_, _, err := runTrain(t, context.Background(), "-model", "linreg", "-optimizer", "sgd", "-epochs", "5", "-backend", "cpu",
		"-verbose", "0", "-early-stopping", "2", "-save-best", "-lr-schedule", "cosine", "-out", out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nn.LoadModel(filepath.Join(out, bestDir)); err != nil {
		t.Errorf("best model: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "model.safetensors")); err != nil {
		t.Errorf("final model: %v", err)
	}
	nn.ClearSession()
	_, _, err = runTrain(t, context.Background(), "-model", "linreg", "-epochs", "2", "-backend", "cpu",
		"-verbose", "0", "-lr-schedule", "plateau", "-validation=false")
	if err != nil {
		t.Fatal(err)
	}
}

// TestSaveBestResumes: after a resume, -save-best must beat the best
// val_loss recorded before the interruption, not start from +Inf.
func TestSaveBestResumes(t *testing.T) {
	o := &options{validation: true, out: t.TempDir(), callbackFlags: callbackFlags{saveBest: true}}
	r := &trainRun{o: o, history: &nn.History{Metrics: map[string][]float64{"val_loss": {0.5, 0.3, 0.4}}}}
	var fit nn.FitOptions
	if err := r.useCallbacks(&fit); err != nil {
		t.Fatal(err)
	}
	mc, ok := fit.Callbacks[0].(*nn.ModelCheckpointCallback)
	if !ok || mc.InitialValueThreshold == nil || *mc.InitialValueThreshold != 0.3 {
		t.Errorf("callbacks %v: want a ModelCheckpoint starting from 0.3", fit.Callbacks)
	}
}
