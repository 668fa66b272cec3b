package nn

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// LoadCheckpoint reads the checkpoint SaveCheckpoint wrote to dir and
// returns a compiled model, with its weights, optimizer step count and
// optimizer slots restored, and the saved training progress. Resuming
// with Fit(..., FitOptions{InitialEpoch: c.Epoch, Seed: c.Seed, Epochs: N})
// on the same data and batch size gives, on the CPU backend, bit-identical
// weights to an unbroken N-epoch run.
//
// Every file is checked against the size and SHA-256 the manifest
// recorded, so a damaged checkpoint is reported, never half-loaded.
func LoadCheckpoint(dir string) (*Model, *Checkpoint, error) {
	m, c, err := loadCheckpoint(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("load checkpoint %s: %w", dir, err)
	}
	return m, c, nil
}

func loadCheckpoint(dir string) (*Model, *Checkpoint, error) {
	man, err := readManifest(dir)
	if err != nil {
		return nil, nil, err
	}
	files := map[string][]byte{}
	for _, kind := range []string{"architecture", "weights", "optimizer"} {
		if files[kind], err = readChecked(dir, man.Files[kind]); err != nil {
			return nil, nil, err
		}
	}
	m, err := ModelFromJSON(files["architecture"])
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", filepath.Join(dir, man.Files["architecture"].Name), err)
	}
	if err := m.restoreTraining(dir, man, files); err != nil {
		return nil, nil, err
	}
	c := &Checkpoint{Epoch: man.Epoch, Seed: man.Seed, Step: man.Step, Sums: plainFloats(man.Sums),
		History: man.History.history(), Meta: man.Meta}
	if c.Meta == nil {
		c.Meta = map[string]string{}
	}
	return m, c, nil
}

// restoreTraining sets the weights, compiles the model as it was and
// restores the optimizer's step count and slots.
func (m *Model) restoreTraining(dir string, man *manifest, files map[string][]byte) error {
	path := filepath.Join(dir, man.Files["weights"].Name)
	w, err := decodeSafetensors(files["weights"], path)
	if err != nil {
		return err
	}
	if err := m.setVariables(w.Tensors, path); err != nil {
		return err
	}
	opt, err := optimizerFromJSON(man.Compile.Optimizer)
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(dir, CheckpointFile), err)
	}
	if err := m.Compile(opt, man.Compile.Loss, man.Compile.Metrics...); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(dir, CheckpointFile), err)
	}
	m.compiled.step = man.Compile.Step
	path = filepath.Join(dir, man.Files["optimizer"].Name)
	s, err := decodeSafetensors(files["optimizer"], path)
	if err != nil {
		return err
	}
	return m.setSlots(s.Tensors, path)
}

// readManifest reads and checks checkpoint.json.
func readManifest(dir string) (*manifest, error) {
	path := filepath.Join(dir, CheckpointFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no checkpoint here: %s does not exist (SaveCheckpoint writes it)", path)
	}
	if err != nil {
		return nil, err
	}
	var man manifest
	if err := decodeJSON(data, &man); err != nil {
		return nil, fmt.Errorf("%s is not valid JSON (%w): the checkpoint is damaged; restore it from a backup or train afresh", path, err)
	}
	if man.Format != checkpointFormat {
		return nil, fmt.Errorf("%s is not an Anvil checkpoint manifest (format %q)", path, man.Format)
	}
	if man.Version != FormatVersion {
		return nil, fmt.Errorf("%s has format version %q; this Anvil reads version %s: use a matching Anvil release", path, man.Version, FormatVersion)
	}
	for _, kind := range []string{"architecture", "weights", "optimizer"} {
		name := man.Files[kind].Name
		// Only names this package writes: a manifest must not point
		// outside its directory.
		if !dataFilePattern.MatchString(name) || name[0] == '.' {
			return nil, fmt.Errorf("%s: the %s file name %q is missing or not one Anvil writes: the checkpoint is damaged", path, kind, name)
		}
	}
	return &man, nil
}

// readChecked reads one data file and checks its size and hash.
func readChecked(dir string, ref fileRef) ([]byte, error) {
	path := filepath.Join(dir, ref.Name)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s is missing, but %s names it: the checkpoint is damaged; restore it from a backup or train afresh",
			path, CheckpointFile)
	}
	if err != nil {
		return nil, err
	}
	if int64(len(data)) != ref.Bytes {
		return nil, fmt.Errorf("%s is %d bytes, but the checkpoint recorded %d: the file was truncated or replaced; restore it from a backup or train afresh",
			path, len(data), ref.Bytes)
	}
	if h := sha256Hex(data); h != ref.SHA256 {
		return nil, fmt.Errorf("%s has SHA-256 %s, but the checkpoint recorded %s: the file is corrupt; restore it from a backup or train afresh",
			path, h, ref.SHA256)
	}
	return data, nil
}
