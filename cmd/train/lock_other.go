//go:build !unix

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Without flock the lock is the lock file's existence, which a crash
// leaves behind: the error says how to recover.
const staleHint = "; if no such process is running (it crashed), delete that file"

// lockDir takes the lock of dir by creating the lock file exclusively,
// holding this process's PID; release deletes it.
func lockDir(dir string) (release func(), err error) {
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil, &lockedError{dir: dir, pid: readLockPID(path)}
	}
	if err != nil {
		return nil, fmt.Errorf("lock -out folder: %w", err)
	}
	fmt.Fprintf(f, "%d\n", os.Getpid())
	f.Close()
	return func() { os.Remove(path) }, nil
}
