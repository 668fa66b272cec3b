package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/anvil-ml/anvil/format/atomicfile"
	"github.com/anvil-ml/anvil/nn"
)

// Checkpoints live in OUT/checkpoints/, one folder per save, named so that
// sorting the names sorts them by progress: epoch-0003 after three whole
// epochs, epoch-0003-step-000120 when stopped inside the fourth.
const checkpointsDir = "checkpoints"

func checkpointName(epoch, step int) string {
	if step == 0 {
		return fmt.Sprintf("epoch-%04d", epoch)
	}
	return fmt.Sprintf("epoch-%04d-step-%06d", epoch, step)
}

// saveCheckpoint writes the model, its optimizer state and where training
// stands. nn writes each checkpoint atomically, so a crash leaves the
// previous one intact.
func (r *trainRun) saveCheckpoint(epoch, step int, sums []float64) error {
	dir := filepath.Join(r.o.out, checkpointsDir, checkpointName(epoch, step))
	c := nn.Checkpoint{Epoch: epoch, Step: step, Sums: sums, Seed: r.o.seed, History: r.history, Meta: r.o.settings()}
	return r.model.SaveCheckpoint(dir, c)
}

// latestCheckpoint finds the newest checkpoint under an output folder.
func latestCheckpoint(out string) (string, error) {
	root := filepath.Join(out, checkpointsDir)
	entries, err := os.ReadDir(root)
	if err != nil {
		return "", fmt.Errorf("-resume %s: no checkpoints there (%w); was it the -out folder of a run?", out, err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "epoch-") {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return "", fmt.Errorf("-resume %s: %s holds no checkpoint", out, root)
	}
	sort.Strings(names)
	return filepath.Join(root, names[len(names)-1]), nil
}

// checkpoint is a run restored from disk.
type checkpoint struct {
	model   *nn.Model
	start   fitStart
	history *nn.History
}

// runSettings are the flags a checkpoint remembers, so that
// "train -resume DIR" continues the same run. A flag given again on the
// command line wins (for example -epochs to train longer).
var runSettings = []string{"model", "data", "data-dir", "csv-label", "csv-classes", "epochs", "batch-size",
	"optimizer", "lr", "seed", "validation", "limit-train", "limit-test", "backend", "device"}

// settings returns the values of runSettings, to store in a checkpoint.
func (o *options) settings() map[string]string {
	vals := map[string]string{"model": o.model, "data": o.data, "data-dir": o.dataDir, "csv-label": o.csvLabel,
		"csv-classes": fmt.Sprint(o.csvClasses), "epochs": fmt.Sprint(o.epochs), "batch-size": fmt.Sprint(o.batchSize),
		"optimizer": o.optimizer, "lr": fmt.Sprint(o.lr), "seed": fmt.Sprint(o.seed), "validation": fmt.Sprint(o.validation),
		"limit-train": fmt.Sprint(o.limitTrain), "limit-test": fmt.Sprint(o.limitTest), "backend": o.backend, "device": o.device}
	return vals
}

// openCheckpoint loads the newest checkpoint of the run in -resume and
// returns it with the run's settings: those saved in the checkpoint,
// overridden by the flags given now (args).
func openCheckpoint(o *options, args []string, log io.Writer) (*checkpoint, *options, error) {
	dir, err := latestCheckpoint(o.resume)
	if err != nil {
		return nil, nil, err
	}
	m, c, err := nn.LoadCheckpoint(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("-resume: %w", err)
	}
	var saved []string
	for _, name := range runSettings {
		if v, ok := c.Meta[name]; ok {
			saved = append(saved, "-"+name+"="+v)
		}
	}
	merged, err := parseFlags(append(saved, args...), io.Discard)
	if err != nil {
		return nil, nil, fmt.Errorf("-resume %s: its saved settings do not parse (%w); give them as flags", dir, err)
	}
	fmt.Fprintf(log, "resuming from %s: epoch %d, step %d\n", dir, c.Epoch+1, c.Step)
	return &checkpoint{model: m, start: fitStart{epoch: c.Epoch, step: c.Step, sums: c.Sums}, history: c.History}, merged, nil
}

// isModelPath reports whether -model names a file or folder, not a
// reference model.
func isModelPath(s string) bool {
	return strings.ContainsAny(s, "/.") || strings.HasSuffix(s, ".json")
}

// loadModelFile loads a model saved by Anvil (a folder with model.json and
// model.safetensors) or an architecture JSON file (fresh weights).
func loadModelFile(path string) (*nn.Model, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("-model %s: %w", path, err)
	}
	if st.IsDir() {
		return nn.LoadModel(path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("-model: %w", err)
	}
	m, err := nn.ModelFromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("-model %s: %w", path, err)
	}
	return m, nil
}

// writeAtomicTo writes what write produces to path, atomically.
func writeAtomicTo(path string, write func(io.Writer) (int64, error)) error {
	var b bytes.Buffer
	if _, err := write(&b); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.WriteFile(path, b.Bytes())
}
