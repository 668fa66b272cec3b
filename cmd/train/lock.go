package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// lockFile is the file a run locks in its -out folder for its whole life,
// so that two processes never write one folder. It stays behind after the
// run (removing it could race with a process that has just opened it);
// holding the lock, not the file's existence, is what counts, except on
// systems without flock (see lock_other.go).
const lockFile = ".train.lock"

// lockedError says that another process holds an -out folder.
type lockedError struct {
	dir string
	pid int // 0: unknown
}

func (e *lockedError) Error() string {
	who := "another train process"
	if e.pid > 0 {
		who = fmt.Sprintf("another train process (PID %d)", e.pid)
	}
	return fmt.Sprintf("-out %s is in use by %s, which holds %s: wait for it to finish, or use another -out folder%s",
		e.dir, who, filepath.Join(e.dir, lockFile), staleHint)
}

// readLockPID reads the PID the holder of a lock wrote into it; 0 when
// there is none yet.
func readLockPID(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return pid
}
