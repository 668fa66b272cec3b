package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/nn"
)

func TestLossFlagErrors(t *testing.T) {
	cases := map[string][]string{
		"-label-smoothing 2: must be in [0, 1]": {"-label-smoothing", "2"},
		`"x" is not CLASS:WEIGHT`:               {"-class-weight", "x"},
		`"-1:2" is not CLASS:WEIGHT`:            {"-class-weight", "-1:2"},
		`class 0, "-1", must be a finite`:       {"-class-weight", "0:-1"},
		`class 0, "inf", must be a finite`:      {"-class-weight", "0:inf"},
		"class 0 is given twice":                {"-class-weight", "0:1,0:2"},
		"need class labels":                     {"-model", "linreg", "-backend", "cpu", "-label-smoothing", "0.1"},
	}
	for want, args := range cases {
		_, _, err := runTrain(t, context.Background(), args...)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("args %v: error %v, want one containing %q", args, err, want)
		}
	}
}

// TestLossFlagsReachTheModel: -label-smoothing names the compiled loss,
// and -class-weight is recorded for a resume in a canonical order.
func TestLossFlagsReachTheModel(t *testing.T) {
	o, err := parseFlags([]string{"-label-smoothing", "0.1", "-class-weight", "3:0.5, 0:2"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	nn.ClearSession()
	m, err := nn.NewSequential(nn.Dense(3, nn.WithInputShape(2), nn.WithActivation("softmax")))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := classifierLoss(m, o), "categorical_crossentropy(label_smoothing=0.1)"; got != want {
		t.Errorf("loss %q, want %q", got, want)
	}
	if got := o.settings()["class-weight"]; got != "0:2,3:0.5" {
		t.Errorf("recorded class-weight %q", got)
	}
	if _, ok := (&options{}).settings()["class-weight"]; ok {
		t.Error("a run without -class-weight records one")
	}
}

// TestClassWeightFlagRun: with every class weighted 0 the training loss is
// exactly 0, while the validation loss, unweighted as in Keras, is not.
func TestClassWeightFlagRun(t *testing.T) {
	out := t.TempDir()
	nn.ClearSession()
	_, _, err := runTrain(t, context.Background(), "-model", "fnn", "-data", "cifar10", "-data-dir", cifarDir(t),
		"-epochs", "1", "-limit-train", "96", "-limit-test", "32", "-backend", "cpu", "-verbose", "0", "-out", out,
		"-label-smoothing", "0.1", "-class-weight", "0:0,1:0,2:0,3:0,4:0,5:0,6:0,7:0,8:0,9:0")
	if err != nil {
		t.Fatal(err)
	}
	var h []epochRecord
	readJSON(t, filepath.Join(out, "history.json"), &h)
	if len(h) != 1 || h[0].Loss != 0 || h[0].ValLoss == nil || *h[0].ValLoss <= 0 {
		t.Errorf("history %+v: want loss 0 and a positive val_loss", h)
	}
}
