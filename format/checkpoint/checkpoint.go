// Package checkpoint is the on-disk layout of an Anvil training
// checkpoint: a folder of data files (architecture-NNNNNN.json,
// weights-NNNNNN.safetensors, optimizer-NNNNNN.safetensors and, when
// callbacks kept state, callbacks-NNNNNN.safetensors) and the
// manifest checkpoint.json, which names the generation of data files that
// belong together with each one's size and SHA-256, and records the
// compile settings and the training progress.
//
// Write switches a folder atomically from one checkpoint to the next: new
// data files get a generation number of their own, each is written
// atomically, and only then is the manifest replaced; a crash at any
// moment leaves the old checkpoint or the new one. Read checks every file
// against the manifest, so a damaged checkpoint is an error, never half
// loaded. The package knows bytes, not models: package nn encodes and
// decodes what the files hold.
package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"

	"github.com/anvil-ml/anvil/format/atomicfile"
)

// ManifestFile is the manifest that makes a checkpoint folder consistent:
// it is written last, atomically, and names the data files.
const ManifestFile = "checkpoint.json"

// format identifies a checkpoint manifest.
const format = "anvil-checkpoint"

// Kinds are the data files of a checkpoint, in the order Write writes
// them: the model's to_json architecture, its weights and the optimizer's
// slots (both safetensors).
var Kinds = []string{"architecture", "weights", "optimizer"}

// OptionalKinds are data files a checkpoint may hold or not: the state of
// Fit's callbacks (safetensors). Write writes one only when given it, and
// Read reads it only when the manifest names it, so checkpoints without
// one (all older ones) read as before.
var OptionalKinds = []string{"callbacks"}

// allKinds is Kinds then OptionalKinds.
func allKinds() []string { return slices.Concat(Kinds, OptionalKinds) }

// optional reports whether kind is one of OptionalKinds.
func optional(kind string) bool { return slices.Contains(OptionalKinds, kind) }

// dataFilePattern matches the data files of any generation, so that stale
// generations and interrupted temporary files can be cleaned up.
var dataFilePattern = regexp.MustCompile(`^\.?(architecture|weights|optimizer|callbacks)-(\d+)\.(json|safetensors)(\.tmp-\d+)?$`)

// FileRef names one data file of a checkpoint with its size and hash, so
// a damaged or swapped file is detected before it is used.
type FileRef struct {
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Manifest is checkpoint.json.
type Manifest struct {
	Format     string             `json:"format"`
	Version    string             `json:"version"`
	Generation int                `json:"generation"`
	Epoch      int                `json:"epoch"`
	Seed       uint64             `json:"seed"`
	Step       int                `json:"step_in_epoch"`
	Sums       []Float            `json:"sums_in_epoch"`
	Compile    Compile            `json:"compile"`
	History    History            `json:"history"`
	Meta       map[string]string  `json:"meta"`
	Files      map[string]FileRef `json:"files"`
}

// Compile is what the model was compiled with, and the optimizer's step
// count.
type Compile struct {
	Optimizer Optimizer `json:"optimizer"`
	Loss      string    `json:"loss"`
	Metrics   []string  `json:"metrics"`
	// Step is Keras's optimizer.iterations. Adam's bias correction and the
	// dropout masks depend on it, so a resumed run must continue from it.
	Step uint64 `json:"optimizer_step"`
	// LossScale is the dynamic loss scale of a model compiled with mixed
	// precision (absent otherwise), so a resumed run continues with it.
	LossScale *LossScale `json:"loss_scale,omitempty"`
}

// LossScale is a mixed-precision model's dynamic loss scale: Keras's
// LossScaleOptimizer state.
type LossScale struct {
	Scale Float `json:"scale"`
	// GoodSteps counts the finite steps since the scale last changed.
	GoodSteps int `json:"good_steps"`
	// GrowthSteps is how many finite steps double the scale.
	GrowthSteps int `json:"dynamic_growth_steps"`
}

// Optimizer is an optimizer in Keras's serialized form; Read decodes its
// numbers as json.Number, so float32 settings parse back exactly.
type Optimizer struct {
	ClassName string         `json:"class_name"`
	Config    map[string]any `json:"config"`
}

// History is the metrics and wall time of the completed epochs.
type History struct {
	Epoch   []int              `json:"epoch"`
	Metrics map[string][]Float `json:"metrics"`
	Seconds []Float            `json:"seconds"`
}

// Write writes a checkpoint into dir (created if needed): files holds the
// contents of each of Kinds, and of those OptionalKinds it has; man's
// Format, Generation and Files are filled in here. Data files of other generations are removed once the new
// manifest is in place; a user's own files are never touched.
func Write(dir string, man *Manifest, files map[string][]byte) error {
	if err := atomicfile.MkdirAll(dir); err != nil {
		return err
	}
	man.Format, man.Generation, man.Files = format, nextGeneration(dir), map[string]FileRef{}
	for _, kind := range allKinds() {
		if _, ok := files[kind]; !ok && optional(kind) {
			continue
		}
		name := dataFileName(kind, man.Generation)
		if err := atomicfile.WriteFile(filepath.Join(dir, name), files[kind]); err != nil {
			return err
		}
		man.Files[kind] = FileRef{Name: name, Bytes: int64(len(files[kind])), SHA256: sha256Hex(files[kind])}
	}
	data, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, ManifestFile), data); err != nil {
		return err
	}
	return removeStale(dir, man)
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
func removeStale(dir string, man *Manifest) error {
	keep := map[string]bool{}
	for _, f := range man.Files {
		keep[f.Name] = true
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if keep[name] || !(dataFilePattern.MatchString(name) || manifestTempPattern.MatchString(name)) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// manifestTempPattern matches the temporary file an interrupted write of
// the manifest leaves behind.
var manifestTempPattern = regexp.MustCompile(`^\.` + regexp.QuoteMeta(ManifestFile) + `\.tmp-\d+$`)

// IsCheckpointFile reports whether name is a file Write creates in a
// checkpoint folder: the manifest, a data file of any generation, or the
// temporary file of an interrupted write. Callers that clean up damaged
// or incomplete checkpoint folders use it to touch nothing else.
func IsCheckpointFile(name string) bool {
	return name == ManifestFile || dataFilePattern.MatchString(name) || manifestTempPattern.MatchString(name)
}
