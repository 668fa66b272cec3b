package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/anvil-ml/anvil/format/atomicfile"
)

// runMarkerFile identifies the run an -out folder holds. Its run ID is
// also in every checkpoint's metadata, so -resume never restores a
// checkpoint of another run.
const runMarkerFile = "run.json"

// runFiles are the names a run writes in its -out folder: what makes a
// folder hold a run, and all that -overwrite removes.
var runFiles = []string{checkpointsDir, runMarkerFile, "history.json", "metrics.json", "model.json", "model.safetensors",
	"history.png", "predictions.png", "live.jsonl"}

// trashPattern matches the folder -overwrite moves an old run into before
// deleting it; one left by a crash is deleted at the next start.
var trashPattern = regexp.MustCompile(`^\.anvil-trash-\d+$`)

// runMarker is run.json.
type runMarker struct {
	Format  string `json:"format"`
	RunID   string `json:"run_id"`
	Started string `json:"started"`
}

// openOut readies the -out folder before anything slow runs. It locks
// the folder for the life of the run (release unlocks it); then, for a
// new run, it refuses a folder that holds another one (see startRun), and
// for -resume it learns the folder's run ID.
func openOut(o *options, log io.Writer) (release func(), err error) {
	if o.resume != "" {
		if _, err := os.Stat(o.resume); err != nil {
			return nil, fmt.Errorf("-resume: %w", err)
		}
	} else if err := atomicfile.MkdirAll(o.out); err != nil {
		return nil, fmt.Errorf("-out: %w", err)
	}
	if release, err = lockDir(o.out); err != nil {
		return nil, err
	}
	if err = prepareLocked(o, log); err != nil {
		release()
		return nil, err
	}
	return release, nil
}

// prepareLocked is openOut's work once the folder is locked.
func prepareLocked(o *options, log io.Writer) error {
	if err := removeLeftovers(o.out); err != nil {
		return fmt.Errorf("-out %s: removing what an interrupted run left: %w", o.out, err)
	}
	if o.resume != "" {
		var err error
		o.runID, err = readRunID(o.out)
		return err
	}
	return startRun(o, log)
}

// priorRun lists the run files already in out. run.json alone is a run
// that failed before saving anything (bad data, say): nothing to keep, so
// a new run may take the folder.
func priorRun(out string) []string {
	var found []string
	for _, name := range runFiles {
		if _, err := os.Lstat(filepath.Join(out, name)); err == nil {
			found = append(found, name)
		}
	}
	if len(found) == 1 && found[0] == runMarkerFile {
		return nil
	}
	return found
}

// startRun makes out ready for a new run: it refuses a folder that holds
// another run unless -overwrite is given, in which case it clears that
// run's files first, and it writes run.json with a new run ID.
func startRun(o *options, log io.Writer) error {
	if prior := priorRun(o.out); len(prior) > 0 {
		if !o.overwrite {
			return fmt.Errorf("-out %s already holds a run (%s): train into a new folder, continue that run with -resume %s, "+
				"or pass -overwrite to delete its files first", o.out, strings.Join(prior, ", "), o.out)
		}
		if err := clearRun(o.out); err != nil {
			return fmt.Errorf("-overwrite %s: %w", o.out, err)
		}
		fmt.Fprintf(log, "-overwrite: removed the earlier run's %s from %s\n", strings.Join(prior, ", "), o.out)
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return err
	}
	o.runID = hex.EncodeToString(id)
	data, err := json.MarshalIndent(runMarker{Format: "anvil-run", RunID: o.runID, Started: time.Now().UTC().Format(time.RFC3339)}, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(o.out, runMarkerFile), append(data, '\n'))
}

// readRunID returns the run ID in out's run.json, or "" for a folder
// written before run IDs existed.
func readRunID(out string) (string, error) {
	data, err := os.ReadFile(filepath.Join(out, runMarkerFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var m runMarker
	if err := json.Unmarshal(data, &m); err != nil || m.RunID == "" {
		return "", fmt.Errorf("%s is damaged (%v): it names the run this folder holds", filepath.Join(out, runMarkerFile), err)
	}
	return m.RunID, nil
}

// clearRun deletes the run files in out, and nothing else. The
// checkpoints go first, in one rename, so a crash part-way leaves no
// checkpoint that -resume could mix with a new run; everything is moved
// into a trash folder before any of it is deleted, and the new run writes
// nothing until the clear is complete.
func clearRun(out string) error {
	if err := checkOwnedCheckpoints(filepath.Join(out, checkpointsDir)); err != nil {
		return err
	}
	trash := filepath.Join(out, fmt.Sprintf(".anvil-trash-%d", os.Getpid()))
	if err := os.Mkdir(trash, 0o755); err != nil {
		return err
	}
	for _, name := range runFiles {
		err := os.Rename(filepath.Join(out, name), filepath.Join(trash, name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := atomicfile.SyncDir(out); err != nil {
		return err
	}
	return os.RemoveAll(trash)
}

// checkOwnedCheckpoints makes sure root holds only checkpoint folders
// that hold only checkpoint files, so clearing it deletes nothing of the
// user's.
func checkOwnedCheckpoints(root string) error {
	entries, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		path := filepath.Join(root, e.Name())
		if !e.IsDir() || !(checkpointNamePattern.MatchString(e.Name()) || checkpointTempPattern.MatchString(e.Name())) {
			return fmt.Errorf("%s was not written by train: move it out of the way first", path)
		}
		if owned, err := onlyCheckpointFiles(path); err != nil {
			return err
		} else if !owned {
			return fmt.Errorf("%s holds files train did not write: move them out of the way first", path)
		}
	}
	return nil
}

// removeLeftovers deletes what a crash left in out: the trash folder of
// an interrupted -overwrite, and the temporary files of interrupted
// atomic writes of run files (.metrics.json.tmp-123).
func removeLeftovers(out string) error {
	entries, err := os.ReadDir(out)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if (e.IsDir() && trashPattern.MatchString(e.Name())) || (e.Type().IsRegular() && isRunFileTemp(e.Name())) {
			if err := os.RemoveAll(filepath.Join(out, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// isRunFileTemp reports whether name is the temporary file atomicfile
// writes for one of runFiles.
func isRunFileTemp(name string) bool {
	base, suffix, ok := strings.Cut(strings.TrimPrefix(name, "."), ".tmp-")
	if !ok || !strings.HasPrefix(name, ".") || suffix == "" || strings.Trim(suffix, "0123456789") != "" {
		return false
	}
	for _, f := range runFiles {
		if f == base && f != checkpointsDir {
			return true
		}
	}
	return false
}
