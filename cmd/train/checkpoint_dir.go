package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/anvil-ml/anvil/format/atomicfile"
	ckpt "github.com/anvil-ml/anvil/format/checkpoint"
	"github.com/anvil-ml/anvil/nn"
)

// A checkpoint folder appears under its final name only once it is
// complete: it is written as .NAME.tmp-PID and renamed. A crash during a
// save therefore leaves a hidden temporary folder, never an epoch-NNNN
// folder that -resume would take for the newest checkpoint. Replacing a
// folder of the same name (a run resumed and stopped again at the same
// step) moves the old one aside as .NAME.old-PID first.
var (
	checkpointNamePattern = regexp.MustCompile(`^epoch-(\d{4,})(?:-step-(\d{6,}))?$`)
	checkpointTempPattern = regexp.MustCompile(`^\.(epoch-\d{4,}(?:-step-\d{6,})?)\.(tmp|old)-\d+$`)
)

// writeCheckpointDir writes a checkpoint into root/name through save,
// which writes a complete checkpoint into the folder it is given.
func writeCheckpointDir(root, name string, save func(dir string) error) error {
	if err := atomicfile.MkdirAll(root); err != nil {
		return err
	}
	final := filepath.Join(root, name)
	tmp := filepath.Join(root, fmt.Sprintf(".%s.tmp-%d", name, os.Getpid()))
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := save(tmp); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := replaceDir(tmp, final, fmt.Sprintf(".%s.old-%d", name, os.Getpid())); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	return atomicfile.SyncDir(root)
}

// replaceDir renames the folder tmp to final. An existing final is moved
// aside (to the sibling aside) first and removed after; a crash between
// the two renames leaves the aside copy, which cleanCheckpoints restores.
func replaceDir(tmp, final, aside string) error {
	aside = filepath.Join(filepath.Dir(final), aside)
	moved := false
	if _, err := os.Stat(final); err == nil {
		if err := os.Rename(final, aside); err != nil {
			return err
		}
		moved = true
	}
	if err := os.Rename(tmp, final); err != nil {
		if moved {
			os.Rename(aside, final)
		}
		return err
	}
	if moved {
		return os.RemoveAll(aside)
	}
	return nil
}

// checkpointNames lists the checkpoint folders in root, newest (most
// training done) first.
func checkpointNames(root string) ([]string, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	type named struct {
		name        string
		epoch, step int
	}
	var found []named
	for _, e := range entries {
		m := checkpointNamePattern.FindStringSubmatch(e.Name())
		if m == nil || !e.IsDir() {
			continue
		}
		epoch, _ := strconv.Atoi(m[1])
		step, _ := strconv.Atoi(m[2]) // "" (an epoch boundary) is step 0
		found = append(found, named{e.Name(), epoch, step})
	}
	sort.Slice(found, func(i, j int) bool {
		if found[i].epoch != found[j].epoch {
			return found[i].epoch > found[j].epoch
		}
		return found[i].step > found[j].step
	})
	names := make([]string, len(found))
	for i, f := range found {
		names[i] = f.name
	}
	return names, nil
}

// loadNewestCheckpoint loads the newest complete checkpoint of the run in
// out. A folder that does not load (an interrupted or damaged save) is
// skipped with a line to log saying why, and the next older one is tried;
// so is one of another run than runID ("": a folder from before run IDs).
func loadNewestCheckpoint(out, runID string, log io.Writer) (string, *nn.Model, *nn.Checkpoint, error) {
	root := filepath.Join(out, checkpointsDir)
	names, err := checkpointNames(root)
	if err != nil {
		return "", nil, nil, fmt.Errorf("-resume %s: no checkpoints there (%w); was it the -out folder of a run?", out, err)
	}
	var skipped []string
	for _, name := range names {
		dir := filepath.Join(root, name)
		m, c, err := nn.LoadCheckpoint(dir)
		if err == nil && runID != "" && c.Meta["run-id"] != runID {
			err = fmt.Errorf("it belongs to another run (run ID %q; %s names %q)", c.Meta["run-id"], runMarkerFile, runID)
		}
		if err == nil {
			return dir, m, c, nil
		}
		fmt.Fprintf(log, "skipping checkpoint %s: %v\n", name, err)
		skipped = append(skipped, name)
	}
	if len(skipped) > 0 {
		return "", nil, nil, fmt.Errorf("-resume %s: none of its %d checkpoints (%s) is complete: see the reasons above; start a new run",
			out, len(skipped), strings.Join(skipped, ", "))
	}
	return "", nil, nil, fmt.Errorf("-resume %s: %s holds no checkpoint", out, root)
}

// cleanCheckpoints removes what interrupted saves left in out's
// checkpoints folder: temporary folders, and checkpoint folders that
// have no manifest (the format before checkpoints were renamed into
// place left those). A folder is removed only when every file in it is
// one a checkpoint save writes, so a user's own files are never touched;
// an aside copy whose replacement never arrived is put back. The caller
// holds the output folder's lock, so no save is in progress.
func cleanCheckpoints(out string, log io.Writer) error {
	root := filepath.Join(out, checkpointsDir)
	entries, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(root, e.Name())
		if m := checkpointTempPattern.FindStringSubmatch(e.Name()); m != nil {
			if err := cleanTemp(root, dir, m[1], m[2], log); err != nil {
				return err
			}
			continue
		}
		if !checkpointNamePattern.MatchString(e.Name()) {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, ckpt.ManifestFile)); errors.Is(err, fs.ErrNotExist) {
			if ok, err := removeCheckpointDir(dir); err != nil {
				return err
			} else if ok {
				fmt.Fprintf(log, "removed incomplete checkpoint %s (it has no %s: a save was interrupted)\n", e.Name(), ckpt.ManifestFile)
			}
		}
	}
	return nil
}

// cleanTemp removes an interrupted save's temporary folder, or restores
// an aside copy (kind "old") whose replacement never arrived.
func cleanTemp(root, dir, name, kind string, log io.Writer) error {
	if kind == "old" {
		if _, err := os.Stat(filepath.Join(root, name)); errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(log, "restored checkpoint %s (its replacement was interrupted)\n", name)
			return os.Rename(dir, filepath.Join(root, name))
		}
	}
	_, err := removeCheckpointDir(dir)
	return err
}

// removeCheckpointDir removes dir if it holds only files a checkpoint
// save writes, and reports whether it did.
func removeCheckpointDir(dir string) (bool, error) {
	owned, err := onlyCheckpointFiles(dir)
	if err != nil || !owned {
		return false, err
	}
	return true, os.RemoveAll(dir)
}

// onlyCheckpointFiles reports whether dir holds nothing but files a
// checkpoint save writes.
func onlyCheckpointFiles(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !ckpt.IsCheckpointFile(e.Name()) {
			return false, nil
		}
	}
	return true, nil
}
