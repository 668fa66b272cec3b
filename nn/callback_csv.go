package nn

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
)

// CSVLoggerCallback is Keras's CSVLogger: it writes one row per epoch to
// Filename: the epoch (from 0) and every logs entry, columns sorted by
// name after "epoch", values as Python prints them. The file is reopened
// for each row, so every finished epoch is on disk even if Fit fails.
type CSVLoggerCallback struct {
	BaseCallback
	Filename  string
	Separator string // default ","
	// Append adds to an existing file (writing the header only if the file
	// is empty) instead of replacing it.
	Append bool

	keys       []string
	needHeader bool

	restored *csvLoggerState // for the next OnTrainBegin (RestoreCallbackState)
}

// CSVLogger returns Keras's CSVLogger(filename) defaults: separator ",",
// no append.
func CSVLogger(filename string) *CSVLoggerCallback {
	return &CSVLoggerCallback{Filename: filename, Separator: ","}
}

// OnTrainBegin implements Callback: it creates (or, without Append,
// empties) the file, so a bad path fails before the first epoch. A
// logger given a checkpoint's state continues the file instead (see
// RestoreCallbackState).
func (c *CSVLoggerCallback) OnTrainBegin(Logs) error {
	if c.Separator == "" {
		c.Separator = ","
	}
	c.keys, c.needHeader = nil, true
	if c.restored != nil {
		return c.continueRestored()
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if c.Append {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, size, err := openCSV(c.Filename, flags)
	if err != nil {
		return err
	}
	defer f.Close()
	c.needHeader = size == 0
	return nil
}

// openCSV opens the log file with flags and returns its size.
func openCSV(name string, flags int) (*os.File, int64, error) {
	f, err := os.OpenFile(name, flags, 0o644)
	if err != nil {
		return nil, 0, fmt.Errorf("CSVLogger: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("CSVLogger: %w", err)
	}
	return f, st.Size(), nil
}

// OnEpochEnd implements Callback.
func (c *CSVLoggerCallback) OnEpochEnd(epoch int, logs Logs) error {
	if c.keys == nil {
		for k := range logs {
			c.keys = append(c.keys, k)
		}
		sort.Strings(c.keys)
	}
	var b strings.Builder
	if c.needHeader {
		b.WriteString(strings.Join(append([]string{"epoch"}, c.keys...), c.Separator) + "\r\n")
		c.needHeader = false
	}
	row := []string{strconv.Itoa(epoch)}
	for _, k := range c.keys {
		v, ok := logs[k]
		if !ok {
			row = append(row, "NA")
			continue
		}
		row = append(row, pythonFloat(v))
	}
	b.WriteString(strings.Join(row, c.Separator) + "\r\n")
	f, err := os.OpenFile(c.Filename, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("CSVLogger: %w", err)
	}
	w := bufio.NewWriter(f)
	w.WriteString(b.String())
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("CSVLogger: %w", err)
	}
	return f.Close()
}

// pythonFloat formats v as Python's repr does: the shortest digits that
// round-trip, a ".0" on integral values, exponent form below 1e-4 and from
// 1e16 on.
func pythonFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	if a := math.Abs(v); a != 0 && (a < 1e-4 || a >= 1e16) {
		return strconv.FormatFloat(v, 'e', -1, 64)
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
