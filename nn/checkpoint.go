package nn

import (
	"errors"
	"fmt"

	"github.com/anvil-ml/anvil/format/checkpoint"
	"github.com/anvil-ml/anvil/tensor"
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
	// Callbacks are Fit's callbacks: SaveCheckpoint keeps the state of
	// those that are StatefulCallbacks (EarlyStopping, ModelCheckpoint,
	// ReduceLROnPlateau, CSVLogger; nil entries are skipped), so
	// save after they ran (from a callback placed after them). After
	// LoadCheckpoint, RestoreCallbacks hands it to the resumed Fit's
	// callbacks.
	Callbacks []Callback

	callbacks       []savedCallback // as LoadCheckpoint read them
	callbackTensors map[string]*tensor.Tensor
}

// CheckpointFile is the manifest that makes a checkpoint directory
// consistent: it is written last, atomically, and names the generation of
// data files that belong together (see format/checkpoint).
const CheckpointFile = checkpoint.ManifestFile

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
	if data, ok, err := encodeCallbacks(c.Callbacks); err != nil {
		return err
	} else if ok {
		files["callbacks"] = data
	}
	return checkpoint.Write(dir, m.newManifest(c), files)
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
	if err := m.syncLossScale(); err != nil { // for newManifest
		return nil, err
	}
	return map[string][]byte{"architecture": arch, "weights": weights, "optimizer": slots}, nil
}

func (m *Model) newManifest(c Checkpoint) *checkpoint.Manifest {
	return &checkpoint.Manifest{Version: FormatVersion, Epoch: c.Epoch, Seed: c.Seed, Step: c.Step,
		Sums: checkpoint.Floats(c.Sums), Compile: m.compileJSON(), History: newHistoryJSON(c.History), Meta: c.Meta}
}
