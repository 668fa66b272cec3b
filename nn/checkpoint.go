package nn

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
)

// Checkpoint is the training progress SaveCheckpoint stores beside the
// model's own state (architecture, weights, compile settings, optimizer
// step and slots), and LoadCheckpoint returns.
type Checkpoint struct {
	// Epoch counts the epochs completed: resume with
	// FitOptions{InitialEpoch: Epoch, InitialStep: Step, InitialSums: Sums,
	// Seed: Seed}.
	Epoch int
	// Seed is the Fit seed of the run. Shuffling and dropout masks are pure
	// functions of the seed, the epoch and the optimizer step, so resuming
	// with it replays exactly the batches and masks of an unbroken run.
	Seed uint64
	// Step is how many steps of epoch Epoch were done when training stopped
	// inside an epoch, and Sums their loss and metric sums (MetricNames
	// order), as Interrupted reports them; both are zero at an epoch
	// boundary.
	Step int
	Sums []float64
	// History holds the metrics of the completed epochs.
	History *History
	// Meta is free-form training configuration for the caller (command
	// line flags, data set, batch size); Anvil stores it unread.
	Meta map[string]string
}

// CheckpointFile is the manifest that makes a checkpoint directory
// consistent: it is written last, atomically, and names the generation of
// data files that belong together.
const CheckpointFile = "checkpoint.json"

// checkpointFormat identifies a checkpoint manifest.
const checkpointFormat = "anvil-checkpoint"

// dataFilePattern matches the data files of any generation, so that stale
// generations and interrupted temporary files can be cleaned up.
var dataFilePattern = regexp.MustCompile(`^\.?(architecture|weights|optimizer)-(\d+)\.(json|safetensors)(\.tmp-\d+)?$`)

// fileRef names one data file of a checkpoint with its size and hash, so
// a damaged or swapped file is detected before it is used.
type fileRef struct {
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// manifest is checkpoint.json.
type manifest struct {
	Format     string             `json:"format"`
	Version    string             `json:"version"`
	Generation int                `json:"generation"`
	Epoch      int                `json:"epoch"`
	Seed       uint64             `json:"seed"`
	Step       int                `json:"step_in_epoch"`
	Sums       []looseFloat       `json:"sums_in_epoch"`
	Compile    compileJSON        `json:"compile"`
	History    historyJSON        `json:"history"`
	Meta       map[string]string  `json:"meta"`
	Files      map[string]fileRef `json:"files"`
}

// SaveCheckpoint writes everything needed to resume training into dir:
// the architecture, the weights (BatchNormalization's moving statistics
// included), the compile settings, the optimizer's step count and every
// optimizer slot, and c. Call it from FitOptions.OnEpochEnd with
// Epoch = epoch+1, or after Fit returns.
//
// The directory switches atomically from the previous checkpoint to the
// new one: the new data files get names of their own (a generation
// number), each is written atomically, and only then is checkpoint.json,
// which names them, atomically replaced. A crash at any moment therefore
// leaves the old checkpoint or the new one, never a mix; files of other
// generations are removed once the new manifest is in place.
func (m *Model) SaveCheckpoint(dir string, c Checkpoint) error {
	if err := m.saveCheckpoint(dir, c); err != nil {
		return fmt.Errorf("save checkpoint of %q to %s: %w", m.name, dir, err)
	}
	return nil
}

func (m *Model) saveCheckpoint(dir string, c Checkpoint) error {
	if m.compiled == nil {
		return errors.New("the model is not compiled: call Compile first (SaveModel saves an uncompiled model)")
	}
	files, err := m.checkpointFiles()
	if err != nil {
		return err
	}
	if err := makeDir(dir); err != nil {
		return err
	}
	gen := nextGeneration(dir)
	man := m.newManifest(gen, c)
	for _, kind := range []string{"architecture", "weights", "optimizer"} {
		name := dataFileName(kind, gen)
		if err := writeFileAtomic(filepath.Join(dir, name), files[kind]); err != nil {
			return err
		}
		man.Files[kind] = fileRef{Name: name, Bytes: int64(len(files[kind])), SHA256: sha256Hex(files[kind])}
	}
	data, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, CheckpointFile), data); err != nil {
		return err
	}
	return removeStale(dir, man)
}

// checkpointFiles encodes the data files' contents.
func (m *Model) checkpointFiles() (map[string][]byte, error) {
	arch, err := m.ToJSON()
	if err != nil {
		return nil, err
	}
	weights, err := m.encodeWeights(nil) // syncs the host copy of weights and slots
	if err != nil {
		return nil, err
	}
	slots, err := m.encodeSlots()
	if err != nil {
		return nil, err
	}
	return map[string][]byte{"architecture": arch, "weights": weights, "optimizer": slots}, nil
}

func (m *Model) newManifest(gen int, c Checkpoint) *manifest {
	sums := make([]looseFloat, len(c.Sums))
	for i, s := range c.Sums {
		sums[i] = looseFloat(s)
	}
	return &manifest{Format: checkpointFormat, Version: FormatVersion, Generation: gen,
		Epoch: c.Epoch, Seed: c.Seed, Step: c.Step, Sums: sums,
		Compile: m.compileJSON(), History: newHistoryJSON(c.History), Meta: c.Meta,
		Files: map[string]fileRef{}}
}

func dataFileName(kind string, gen int) string {
	ext := ".safetensors"
	if kind == "architecture" {
		ext = ".json"
	}
	return fmt.Sprintf("%s-%06d%s", kind, gen, ext)
}

// nextGeneration is one past the highest generation of any data file in
// dir, so a new save never overwrites a file the current manifest names,
// even when that manifest is unreadable.
func nextGeneration(dir string) int {
	entries, _ := os.ReadDir(dir)
	gen := 0
	for _, e := range entries {
		if g := dataFilePattern.FindStringSubmatch(e.Name()); g != nil {
			if n, err := strconv.Atoi(g[2]); err == nil && n > gen {
				gen = n
			}
		}
	}
	return gen + 1
}

// removeStale deletes the data files (and interrupted temporary files) of
// other generations and of the manifest. It touches only names Anvil
// writes, never a user's own files.
func removeStale(dir string, man *manifest) error {
	keep := map[string]bool{}
	for _, f := range man.Files {
		keep[f.Name] = true
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	manifestTemp := regexp.MustCompile(`^\.` + regexp.QuoteMeta(CheckpointFile) + `\.tmp-\d+$`)
	for _, e := range entries {
		name := e.Name()
		if keep[name] || !(dataFilePattern.MatchString(name) || manifestTemp.MatchString(name)) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}
