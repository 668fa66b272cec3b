package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/anvil-ml/anvil/nn"
)

// liveFile is the log train writes into its -out folder.
const liveFile = "live.jsonl"

// maxPending bounds a line still waiting for its newline: a live record is
// a few kilobytes, so anything far larger is not one.
const maxPending = 1 << 20

// follower reads the records appended to a run's live.jsonl since its last
// poll. It keeps an incomplete last line until its newline arrives, and
// starts over when the file shrinks (replaced by a new run).
type follower struct {
	path    string
	offset  int64
	pending []byte
	line    int // lines consumed so far, for messages
}

func newFollower(dir string) *follower {
	return &follower{path: filepath.Join(dir, liveFile)}
}

// pollResult is what one poll found.
type pollResult struct {
	records []nn.LiveRecord
	// problems are the lines that could not be read, one message each.
	problems []string
	// missing says why there is nothing to read yet ("" when the file exists).
	missing string
	// restarted is set when the file shrank and is read from the start.
	restarted bool
}

// poll reads what was appended since the previous poll.
func (f *follower) poll() pollResult {
	var res pollResult
	file, err := os.Open(f.path)
	if err != nil {
		res.missing = f.whyMissing(err)
		return res
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		res.missing = fmt.Sprintf("%s: %v", f.path, err)
		return res
	}
	if st.Size() < f.offset {
		f.offset, f.pending, f.line = 0, nil, 0
		res.restarted = true
	}
	if _, err := file.Seek(f.offset, io.SeekStart); err != nil {
		res.missing = fmt.Sprintf("%s: %v", f.path, err)
		return res
	}
	data, err := io.ReadAll(io.LimitReader(file, st.Size()-f.offset))
	if err != nil {
		res.problems = append(res.problems, fmt.Sprintf("%s: %v", f.path, err))
	}
	f.offset += int64(len(data))
	f.consume(data, &res)
	return res
}

// consume splits the pending bytes plus data into whole lines and decodes
// them.
func (f *follower) consume(data []byte, res *pollResult) {
	buf := append(f.pending, data...)
	for {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			break
		}
		f.line++
		f.decode(buf[:i], res)
		buf = buf[i+1:]
	}
	if len(buf) > maxPending {
		res.problems = append(res.problems, fmt.Sprintf("%s line %d: over %d bytes without a newline: not a live log; skipped", f.path, f.line+1, maxPending))
		buf = nil
	}
	f.pending = append([]byte(nil), buf...)
}

func (f *follower) decode(line []byte, res *pollResult) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return
	}
	var rec nn.LiveRecord
	err := json.Unmarshal(line, &rec)
	if err == nil && rec.Kind == "" {
		err = errors.New(`no "kind"`)
	}
	if err != nil {
		res.problems = append(res.problems, fmt.Sprintf("%s line %d is garbled (%v); skipped", filepath.Base(f.path), f.line, err))
		return
	}
	res.records = append(res.records, rec)
}

// partial reports the bytes of an incomplete last line, if any.
func (f *follower) partial() int { return len(f.pending) }

// whyMissing explains a live log that cannot be opened.
func (f *follower) whyMissing(err error) string {
	dir := filepath.Dir(f.path)
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Sprintf("cannot read %s: %v", f.path, err)
	}
	if st, derr := os.Stat(dir); derr != nil || !st.IsDir() {
		return fmt.Sprintf("no folder %s: give the -out folder of a run (train -out DIR)", dir)
	}
	return fmt.Sprintf("no run in %s yet (no %s): waiting for train -out %s", dir, liveFile, dir)
}
