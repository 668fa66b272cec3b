package datasets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// CacheDir returns the folder Fetch downloads data sets into: $ANVIL_DATA
// when set, else anvil/datasets in the user's cache folder
// (os.UserCacheDir, such as ~/.cache on Linux).
func CacheDir() (string, error) {
	if env := os.Getenv(EnvDataDir); env != "" {
		return env, nil
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("datasets: no folder to keep downloads in (set %s): %w", EnvDataDir, err)
	}
	return filepath.Join(c, "anvil", "datasets"), nil
}

// Fetch makes sure the named data set is in CacheDir, downloading it from
// its official source as keras.datasets does when it is not, and returns
// its folder. progress, when not nil, receives a progress bar. Every file is
// checked against the SHA-256 the package pins, and the data set appears
// atomically: it is downloaded and unpacked in a temporary folder beside
// its final one and renamed into place, so a failed or interrupted download
// leaves nothing behind and the next call starts afresh.
func Fetch(ctx context.Context, name string, progress io.Writer) (string, error) {
	l, err := lookupLayout(name)
	if err != nil {
		return "", err
	}
	root, err := CacheDir()
	if err != nil {
		return "", err
	}
	dest := filepath.Join(root, l.folders[0])
	why := checkFolder(dest, l.files)
	switch why {
	case "":
		return dest, nil
	case "no such folder":
	default:
		return "", fmt.Errorf("datasets: %s exists but is not a complete %s folder (%s): remove it and run again to download it",
			dest, l.name, why)
	}
	r := remotes[l.name]
	if err := fetchInto(ctx, r, root, dest, progress); err != nil {
		return "", fmt.Errorf("datasets: downloading %s: %w\n%s", r.title, err, r.manualSteps(dest))
	}
	return dest, nil
}

// fetchInto downloads r into a temporary folder in root and renames the
// result to dest.
func fetchInto(ctx context.Context, r remote, root, dest string, progress io.Writer) error {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(root, "."+filepath.Base(dest)+".partial-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if progress != nil {
		fmt.Fprintf(progress, "Downloading %s from %s into %s\n", r.title, r.base, dest)
	}
	for _, f := range r.files {
		if err := downloadFile(ctx, r.url(f), tmp, f, progress); err != nil {
			return fmt.Errorf("%s: %w", r.url(f), err)
		}
	}
	ready := tmp
	if r.archive != "" {
		ready = filepath.Join(tmp, r.archive)
		if err := unpack(filepath.Join(tmp, r.files[0].name), r, ready); err != nil {
			return err
		}
	}
	if err := os.Rename(ready, dest); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s appeared while downloading (another download?): %w", dest, err)
		}
		return err
	}
	return nil
}

// unpack extracts r's archive folder into dir and checks the pinned members.
func unpack(archive string, r remote, dir string) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	if _, err := extractFolder(archive, r.archive, dir); err != nil {
		return err
	}
	for name, want := range r.extracted {
		got, err := fileSHA256(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("%s lacks %s/%s: %w", filepath.Base(archive), r.archive, name, err)
		}
		if got != want {
			return fmt.Errorf("%s/%s from %s has SHA-256 %s, want %s", r.archive, name, filepath.Base(archive), got, want)
		}
	}
	return nil
}

// manualSteps says how to put the data set in place by hand.
func (r remote) manualSteps(dest string) string {
	urls := make([]string, len(r.files))
	for i, f := range r.files {
		urls[i] = r.url(f)
	}
	what := "put the files in " + dest
	if r.archive != "" {
		what = fmt.Sprintf("unpack it so that its %s folder is %s", r.archive, dest)
	}
	return fmt.Sprintf("To fix without network: download %s; %s (or set %s to the folder that holds %s)",
		strings.Join(urls, ", "), what, EnvDataDir, filepath.Base(dest))
}
