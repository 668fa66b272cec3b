package nn

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/anvil-ml/anvil/format/atomicfile"
	"github.com/anvil-ml/anvil/format/safetensors"
	"github.com/anvil-ml/anvil/tensor"
)

// The files SaveModel writes, and the metadata its weights carry.
const (
	// ModelJSONFile holds the architecture, in Keras's to_json layout.
	ModelJSONFile = "model.json"
	// ModelWeightsFile holds the weights, one safetensors tensor per
	// variable, named as Variable.Name ("dense/kernel").
	ModelWeightsFile = "model.safetensors"
	// FormatVersion is the version of Anvil's file layout, stored in every
	// safetensors file's metadata under "version" (with "format": "anvil").
	FormatVersion = "1"
)

// archHashKey is the weights metadata entry holding the SHA-256 of the
// model.json they were saved with: the two files are written one after
// the other, and the hash tells a torn pair from a matching one.
const archHashKey = "model_json_sha256"

// SaveModel writes the model's architecture to dir/model.json and its
// weights to dir/model.safetensors, creating dir if needed. Each file is
// replaced atomically; the weights go first and record a hash of the
// architecture, so LoadModel detects a pair torn by a crash between the two
// writes. The compile settings and optimizer state are not saved: use
// SaveCheckpoint to resume training.
func SaveModel(m *Model, dir string) error {
	if err := saveModel(m, dir); err != nil {
		return fmt.Errorf("save model %q to %s: %w", m.name, dir, err)
	}
	return nil
}

func saveModel(m *Model, dir string) error {
	arch, err := m.ToJSON()
	if err != nil {
		return err
	}
	weights, err := m.encodeWeights(map[string]string{archHashKey: sha256Hex(arch)})
	if err != nil {
		return err
	}
	if err := atomicfile.MkdirAll(dir); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, ModelWeightsFile), weights); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, ModelJSONFile), arch)
}

// LoadModel reads a model saved by SaveModel: the architecture from
// dir/model.json and the weights from dir/model.safetensors. Predictions
// of the loaded model are bit-identical to the saved one's. The model is
// not compiled.
func LoadModel(dir string) (*Model, error) {
	archPath, weightsPath := filepath.Join(dir, ModelJSONFile), filepath.Join(dir, ModelWeightsFile)
	arch, err := os.ReadFile(archPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("load model: no saved model in %s: %s does not exist (SaveModel writes it)", dir, archPath)
	}
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	m, err := ModelFromJSON(arch)
	if err != nil {
		return nil, fmt.Errorf("load model: %s: %w", archPath, err)
	}
	f, err := readSafetensors(weightsPath)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	if h, ok := f.Metadata[archHashKey]; ok && h != sha256Hex(arch) {
		return nil, fmt.Errorf("load model: %s was saved with a different %s (a save was interrupted, or one file was replaced or edited): save the model again",
			weightsPath, ModelJSONFile)
	}
	if err := m.setVariables(f.Tensors, weightsPath); err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	return m, nil
}

// readSafetensors reads and decodes a file; errors name it.
func readSafetensors(path string) (*safetensors.File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return decodeSafetensors(data, path)
}

func decodeSafetensors(data []byte, path string) (*safetensors.File, error) {
	f, err := safetensors.Decode(data)
	if errors.Is(err, safetensors.ErrInvalid) {
		return nil, fmt.Errorf("%s: %w: the file is damaged or not an Anvil weights file", path, err)
	}
	return f, err
}

// encodeWeights serialises every variable's host value (synced from the
// backend first) with Anvil's metadata plus extra.
func (m *Model) encodeWeights(extra map[string]string) ([]byte, error) {
	if err := m.syncHost(); err != nil {
		return nil, err
	}
	ts := map[string]*tensor.Tensor{}
	for _, v := range m.Variables() {
		if ts[v.Name] != nil {
			return nil, fmt.Errorf("two variables are named %q: give the layers distinct names with nn.WithName", v.Name)
		}
		ts[v.Name] = &tensor.Tensor{Shape: v.Shape, Data: v.data}
	}
	return encodeTensors(ts, extra)
}

// encodeTensors writes a safetensors file with Anvil's metadata.
func encodeTensors(ts map[string]*tensor.Tensor, extra map[string]string) ([]byte, error) {
	meta := map[string]string{"format": "anvil", "version": FormatVersion}
	for k, v := range extra {
		meta[k] = v
	}
	var buf bytes.Buffer
	if err := safetensors.Encode(&buf, ts, meta); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// setVariables copies each variable's value from ts, which must hold
// exactly the model's variables with their shapes. path names the file in
// errors.
func (m *Model) setVariables(ts map[string]*tensor.Tensor, path string) error {
	vars := m.Variables()
	known := map[string]bool{}
	for _, v := range vars {
		known[v.Name] = true
		t := ts[v.Name]
		if t == nil {
			return fmt.Errorf("%s has no tensor %q (shape %v), which the model needs: the weights belong to a different model; load them with the architecture they were saved with",
				path, v.Name, v.Shape)
		}
		if !t.Shape.Equal(v.Shape) {
			return fmt.Errorf("%s: tensor %q has shape %v, the model needs %v: the weights belong to a different model",
				path, v.Name, t.Shape, v.Shape)
		}
	}
	for name := range ts {
		if !known[name] {
			return fmt.Errorf("%s: tensor %q is not a weight of the model: the weights belong to a different model", path, name)
		}
	}
	for _, v := range vars {
		copy(v.data, ts[v.Name].Data)
	}
	if m.run != nil {
		return m.uploadVars()
	}
	return nil
}

func sha256Hex(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}
