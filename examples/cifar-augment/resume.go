package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/anvil-ml/anvil/nn"
)

// checkpointDir is the folder under -out that holds the run's checkpoint:
// nn.SaveCheckpoint replaces it atomically after every epoch (and when the
// run is interrupted), and the run removes it once it completes, as
// Keras's BackupAndRestore does.
const checkpointDir = "checkpoint"

// fixedFlags are the flags a resumed run must repeat: they decide the
// data, the batches, the schedule and the random draws. The others
// (-verbose, -backend, -device, -data-dir) may change between sittings.
var fixedFlags = []string{"epochs", "batch-size", "seed", "lr", "limit-train", "limit-test"}

// meta is what a checkpoint records of the flags, to check a resume by.
func (s *settings) meta() map[string]string {
	return map[string]string{"example": "cifar-augment", "epochs": strconv.Itoa(s.epochs), "batch-size": strconv.Itoa(s.batch),
		"seed": strconv.FormatUint(s.seed, 10), "lr": strconv.FormatFloat(s.lr, 'g', -1, 64),
		"limit-train": strconv.Itoa(s.limitTrain), "limit-test": strconv.Itoa(s.limitTest)}
}

// resumed is a run continued from its checkpoint.
type resumed struct {
	model *nn.Model
	*nn.Checkpoint
}

// openCheckpoint returns the run to continue with -resume, nil for a new
// run. fresh is the model a new run trains, to check the checkpoint's
// against. A new run is refused where a checkpoint is waiting, so that an
// interrupted run is never overwritten by mistake.
func openCheckpoint(s *settings, fresh *nn.Model) (*resumed, error) {
	dir := filepath.Join(s.out, checkpointDir)
	_, err := os.Stat(filepath.Join(dir, nn.CheckpointFile))
	exists := err == nil
	switch {
	case !s.resume && exists:
		return nil, fmt.Errorf("%s holds the checkpoint of an interrupted run: continue it by adding -resume, "+
			"or start afresh with another -out (or after deleting %s)", s.out, dir)
	case !s.resume:
		return nil, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("-resume: no checkpoint in %s: a run saves one there after every epoch and removes it once it completes; "+
			"start a new run without -resume", dir)
	}
	m, c, err := nn.LoadCheckpoint(dir)
	if err != nil {
		return nil, fmt.Errorf("-resume: %w", err)
	}
	if err := checkSameRun(s, c, dir); err != nil {
		return nil, err
	}
	if err := checkSameModel(fresh, m, dir); err != nil {
		return nil, err
	}
	return &resumed{model: m, Checkpoint: c}, nil
}

// checkSameRun refuses to resume with flags other than the run's.
func checkSameRun(s *settings, c *nn.Checkpoint, dir string) error {
	if c.Meta["example"] != "cifar-augment" {
		return fmt.Errorf("-resume: the checkpoint in %s was not saved by cifar-augment: give the -out of a cifar-augment run", dir)
	}
	now := s.meta()
	var was, given []string
	for _, name := range fixedFlags {
		if c.Meta[name] != now[name] {
			was = append(was, "-"+name+" "+c.Meta[name])
			given = append(given, "-"+name+" "+now[name])
		}
	}
	if len(was) > 0 {
		return fmt.Errorf("-resume: the run in %s has %s, not %s as given: resume it with its own flags, "+
			"or start a new run with these in another -out", dir, strings.Join(was, " "), strings.Join(given, " "))
	}
	return nil
}

// checkSameModel refuses a checkpoint of another architecture (one saved
// by another version of this program).
func checkSameModel(fresh, saved *nn.Model, dir string) error {
	a, err := fresh.ToJSON()
	if err != nil {
		return err
	}
	b, err := saved.ToJSON()
	if err != nil {
		return err
	}
	if string(a) != string(b) {
		return fmt.Errorf("-resume: the checkpoint in %s holds another model than this program trains: start a new run in another -out", dir)
	}
	return nil
}

// epochSaver keeps the run's checkpoint current. Its OnEpochEnd saves
// after every epoch; it must be the last callback, so that the callbacks
// before it (whose state the checkpoint keeps) have seen the epoch. Its
// record method, Fit's OnEpochEnd hook, keeps the history.
type epochSaver struct {
	nn.BaseCallback
	dir     string
	seed    uint64
	meta    map[string]string
	history *nn.History
	keep    []nn.Callback // the callbacks whose state is saved
}

// record adds an epoch to the history.
func (e *epochSaver) record(end nn.EpochEnd) error {
	h := e.history
	h.Epoch = append(h.Epoch, end.Epoch)
	h.Seconds = append(h.Seconds, end.Seconds)
	for k, v := range end.Logs {
		h.Metrics[k] = append(h.Metrics[k], v)
	}
	return nil
}

// OnEpochEnd implements nn.Callback.
func (e *epochSaver) OnEpochEnd(epoch int, _ nn.Logs) error {
	return e.save(epoch+1, 0, nil)
}

// save writes the checkpoint of a run that has completed epoch epochs and
// step steps (with loss and metric sums sums) of the next.
func (e *epochSaver) save(epoch, step int, sums []float64) error {
	return e.Model().SaveCheckpoint(e.dir, nn.Checkpoint{Epoch: epoch, Step: step, Sums: sums, Seed: e.seed,
		History: e.history, Meta: e.meta, Callbacks: e.keep})
}
