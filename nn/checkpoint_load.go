package nn

import (
	"fmt"
	"path/filepath"

	"github.com/anvil-ml/anvil/format/checkpoint"
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
	man, files, err := checkpoint.Read(dir, FormatVersion)
	if err != nil {
		return nil, nil, err
	}
	m, err := ModelFromJSON(files["architecture"])
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", filepath.Join(dir, man.Files["architecture"].Name), err)
	}
	if err := m.restoreTraining(dir, man, files); err != nil {
		return nil, nil, err
	}
	c := &Checkpoint{Epoch: man.Epoch, Seed: man.Seed, Step: man.Step, Sums: checkpoint.Plain(man.Sums),
		History: historyFromJSON(man.History), Meta: man.Meta}
	if c.Meta == nil {
		c.Meta = map[string]string{}
	}
	if err := c.loadCallbacks(dir, man, files); err != nil {
		return nil, nil, err
	}
	return m, c, nil
}

// restoreTraining sets the weights, compiles the model as it was and
// restores the optimizer's step count and slots.
func (m *Model) restoreTraining(dir string, man *checkpoint.Manifest, files map[string][]byte) error {
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
	if err := m.restoreLossScale(man.Compile.LossScale); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(dir, CheckpointFile), err)
	}
	path = filepath.Join(dir, man.Files["optimizer"].Name)
	s, err := decodeSafetensors(files["optimizer"], path)
	if err != nil {
		return err
	}
	return m.setSlots(s.Tensors, path)
}
