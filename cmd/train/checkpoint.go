package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
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
// stands. The folder appears under its name only once complete (see
// writeCheckpointDir), so a crash leaves the previous checkpoints as they
// were and -resume finds the newest complete one.
func (r *trainRun) saveCheckpoint(epoch, step int, sums []float64) error {
	c := nn.Checkpoint{Epoch: epoch, Step: step, Sums: sums, Seed: r.o.seed, History: r.history, Meta: r.o.settings(),
		Callbacks: r.stateful.saved()}
	return writeCheckpointDir(filepath.Join(r.o.out, checkpointsDir), checkpointName(epoch, step),
		func(dir string) error { return r.model.SaveCheckpoint(dir, c) })
}

// checkpoint is a run restored from disk.
type checkpoint struct {
	model   *nn.Model
	start   fitStart
	history *nn.History
	saved   *nn.Checkpoint // for its callbacks' state
}

// runSettings are the flags a checkpoint remembers, so that
// "train -resume DIR" continues the same run. A flag given again on the
// command line wins (for example -epochs to train longer) where it may
// change (see checkResumeFlags).
var runSettings = []string{"model", "data", "data-dir", "csv-label", "csv-classes", "csv-test", "epochs", "batch-size",
	"optimizer", "lr", "seed", "validation", "limit-train", "limit-test", "backend", "device",
	"class-weight",
	"sync-bn",
	"early-stopping", "save-best", "lr-schedule"}

// settings returns the values of runSettings, to store in a checkpoint.
func (o *options) settings() map[string]string {
	vals := map[string]string{"model": o.model, "data": o.data, "data-dir": o.dataDir, "csv-label": o.csvLabel,
		"csv-classes": fmt.Sprint(o.csvClasses), "csv-test": o.csvTest, "epochs": fmt.Sprint(o.epochs), "batch-size": fmt.Sprint(o.batchSize),
		"optimizer": o.optimizer, "lr": strconv.FormatFloat(o.lr, 'g', -1, 32), "seed": fmt.Sprint(o.seed), "validation": fmt.Sprint(o.validation),
		"limit-train": fmt.Sprint(o.limitTrain), "limit-test": fmt.Sprint(o.limitTest), "backend": o.backend, "device": o.device,
		"run-id": o.runID}
	o.lossSettings(vals)
	o.syncBNSettings(vals)
	o.callbackSettings(vals)
	return vals
}

// openCheckpoint loads the newest complete checkpoint of the run in -resume and
// returns it with the run's settings: those saved in the checkpoint,
// overridden by the flags given now (args).
func openCheckpoint(o *options, args []string, log io.Writer) (*checkpoint, *options, error) {
	if leader() { // only the leader writes the folder
		if err := cleanCheckpoints(o.resume, log); err != nil {
			return nil, nil, fmt.Errorf("-resume %s: cleaning up interrupted saves: %w", o.resume, err)
		}
	}
	dir, m, c, err := loadNewestCheckpoint(o.resume, o.runID, log)
	if err != nil {
		return nil, nil, err
	}
	runID, given := o.runID, o.given
	var saved []string
	for _, name := range runSettings {
		if v, ok := c.Meta[name]; ok && !(name == "lr" && v == "0") { // "0": the default, before rates were recorded
			saved = append(saved, "-"+name+"="+v)
		}
	}
	// -out: the folder, which the saved settings lack, but -save-best needs.
	before, err := parseFlags(append(saved, "-out="+o.resume), io.Discard)
	if err == nil {
		o, err = parseFlags(append(saved, args...), io.Discard)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("-resume %s: its saved settings do not parse (%w); give them as flags", dir, err)
	}
	o.runID, o.given = runID, given
	if err := checkResumeFlags(before, o, c, dir); err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(log, "resuming from %s: epoch %d, step %d\n", dir, c.Epoch+1, c.Step)
	return &checkpoint{model: m, start: fitStart{epoch: c.Epoch, step: c.Step, sums: c.Sums}, history: c.History, saved: c}, o, nil
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
