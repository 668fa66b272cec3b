package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// table writes rows of cells as aligned columns.
type table struct {
	w *tabwriter.Writer
}

func newTable(out io.Writer, header ...string) *table {
	t := &table{w: tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cells ...string) { fmt.Fprintln(t.w, strings.Join(cells, "\t")) }

func (t *table) flush() error { return t.w.Flush() }

// fmtDuration prints milliseconds with three significant digits in the
// unit that suits them.
func fmtMS(v float64) string {
	if v <= 0 {
		return "-"
	}
	d := time.Duration(v * float64(time.Millisecond))
	switch {
	case d < time.Millisecond:
		return sig3(float64(d)/float64(time.Microsecond)) + " µs"
	case d < time.Second:
		return sig3(v) + " ms"
	}
	return sig3(d.Seconds()) + " s"
}

// sig3 prints v with about three significant digits.
func sig3(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// fmtRatio prints a speed-up such as "3.1x", or "" when there is none.
func fmtRatio(v float64) string {
	if v <= 0 {
		return ""
	}
	return sig3(v) + "x"
}

// fmtCount prints a rate such as images per second with thousands grouped.
func fmtCount(v float64) string {
	if v <= 0 {
		return "-"
	}
	if v < 100 {
		return sig3(v)
	}
	s := fmt.Sprintf("%.0f", v)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// fmtBytes renders a byte count with a binary unit, "-" for none.
func fmtBytes(n int64) string {
	switch {
	case n <= 0:
		return "-"
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
