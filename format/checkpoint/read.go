package checkpoint

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/anvil-ml/anvil/format/kerasjson"
)

// Read reads the checkpoint in dir: its manifest, which must have format
// version version, and the contents of each of Kinds and of the
// OptionalKinds the manifest names, each checked against
// the size and SHA-256 the manifest recorded. Errors say what is damaged
// and what to do.
func Read(dir, version string) (*Manifest, map[string][]byte, error) {
	man, err := readManifest(dir, version)
	if err != nil {
		return nil, nil, err
	}
	files := map[string][]byte{}
	for _, kind := range allKinds() {
		if _, ok := man.Files[kind]; !ok && optional(kind) {
			continue
		}
		if files[kind], err = readChecked(dir, man.Files[kind]); err != nil {
			return nil, nil, err
		}
	}
	return man, files, nil
}

// readManifest reads and checks checkpoint.json.
func readManifest(dir, version string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no checkpoint here: %s does not exist (SaveCheckpoint writes it)", path)
	}
	if err != nil {
		return nil, err
	}
	var man Manifest
	// The optimizer's settings are Keras JSON, decoded with exact numbers.
	if err := kerasjson.Decode(data, &man); err != nil {
		return nil, fmt.Errorf("%s is not valid JSON (%w): the checkpoint is damaged; restore it from a backup or train afresh", path, err)
	}
	if man.Format != format {
		return nil, fmt.Errorf("%s is not an Anvil checkpoint manifest (format %q)", path, man.Format)
	}
	if man.Version != version {
		return nil, fmt.Errorf("%s has format version %q; this Anvil reads version %s: use a matching Anvil release", path, man.Version, version)
	}
	for _, kind := range allKinds() {
		ref, ok := man.Files[kind]
		if !ok && optional(kind) {
			continue
		}
		name := ref.Name
		// Only names this package writes: a manifest must not point
		// outside its directory.
		if !dataFilePattern.MatchString(name) || name[0] == '.' {
			return nil, fmt.Errorf("%s: the %s file name %q is missing or not one Anvil writes: the checkpoint is damaged", path, kind, name)
		}
	}
	return &man, nil
}

// readChecked reads one data file and checks its size and hash.
func readChecked(dir string, ref FileRef) ([]byte, error) {
	path := filepath.Join(dir, ref.Name)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s is missing, but %s names it: the checkpoint is damaged; restore it from a backup or train afresh",
			path, ManifestFile)
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

// sha256Hex is the hash a FileRef records.
func sha256Hex(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}
