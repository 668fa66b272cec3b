package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/nn"
)

// -optimizer adamw|nadam and -clipnorm reach the compiled optimizer, and
// its checkpoint records them; a -clipnorm given with -resume is refused.
func TestOptimizerAndClipnormFlags(t *testing.T) {
	for _, name := range []string{"adamw", "nadam"} {
		out := t.TempDir()
		nn.ClearSession()
		if _, _, err := runTrain(t, context.Background(), linregArgs(out, "-optimizer", name, "-clipnorm", "0.5", "-epochs", "2")...); err != nil {
			t.Fatalf("-optimizer %s: %v", name, err)
		}
		model, _, err := nn.LoadCheckpoint(filepath.Join(out, checkpointsDir, checkpointName(2, 0)))
		if err != nil {
			t.Fatal(err)
		}
		opt := model.Optimizer()
		if !strings.EqualFold(opt.Name(), name) || opt.Config()["clipnorm"] != float32(0.5) {
			t.Errorf("-optimizer %s -clipnorm 0.5: the checkpoint holds %s %v", name, opt.Name(), opt.Config())
		}
		_, _, err = runTrain(t, context.Background(), "-resume", out, "-clipnorm", "1", "-epochs", "3", "-verbose", "0")
		if err == nil || !strings.Contains(err.Error(), "-clipnorm applies to a new run") {
			t.Errorf("-resume with -clipnorm: %v", err)
		}
	}
	for _, v := range []string{"-1", "NaN", "Inf"} {
		_, _, err := runTrain(t, context.Background(), "-clipnorm", v, "-summary")
		if err == nil || !strings.Contains(err.Error(), "-clipnorm") {
			t.Errorf("-clipnorm %s: error %v, want one naming -clipnorm", v, err)
		}
	}
}
