package selftest

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Family is the result of one kernel family (or one whole model).
type Family struct {
	Name string
	// Shapes describes each case tried.
	Shapes []string
	// MaxDiff is the largest |tested − reference| over every compared
	// value.
	MaxDiff float64
	// WorstDiff and WorstTol are the difference and the tolerance of the
	// value that came closest to (or went furthest past) its tolerance;
	// Ratio is WorstDiff/WorstTol (0 when every value matched exactly).
	WorstDiff, WorstTol, Ratio float64
	Pass                       bool
	// Failure says what went wrong when Pass is false: the worst value
	// (case, buffer, element) or the error a backend returned.
	Failure string
	Elapsed time.Duration
}

// Report is the result of a whole self-test.
type Report struct {
	// Device and Reference describe the backend under test and the one it
	// was compared with.
	Device, Reference string
	Families          []Family
	Elapsed           time.Duration
}

// Pass reports whether every family passed.
func (r *Report) Pass() bool {
	for _, f := range r.Families {
		if !f.Pass {
			return false
		}
	}
	return len(r.Families) > 0
}

// Failed lists the names of the families that failed.
func (r *Report) Failed() []string {
	var names []string
	for _, f := range r.Families {
		if !f.Pass {
			names = append(names, f.Name)
		}
	}
	return names
}

// WriteLine writes f as one line: name, cases tried, the worst value
// against its tolerance, the verdict and the time taken, then the failure
// on a second line.
func (f Family) WriteLine(w io.Writer) {
	verdict := "PASS"
	if !f.Pass {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "%-24s %3d shapes  max |Δ| %-9.3g worst %.3g vs tol %-9.3g %s  %5.2fs\n",
		f.Name, len(f.Shapes), f.MaxDiff, f.WorstDiff, f.WorstTol, verdict, f.Elapsed.Seconds())
	if f.Failure != "" {
		fmt.Fprintf(w, "    %s\n", f.Failure)
	}
}

// WriteSummary writes the closing lines: the device and the verdict.
func (r *Report) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "device: %s\nreference: %s\n", r.Device, r.Reference)
	if r.Pass() {
		fmt.Fprintf(w, "verdict: PASS, %d families in %.1fs: Anvil computes correctly on this device\n",
			len(r.Families), r.Elapsed.Seconds())
		return
	}
	fmt.Fprintf(w, "verdict: FAIL in %s (%d of %d families): do not trust this device's results; please report the lines above\n",
		strings.Join(r.Failed(), ", "), len(r.Failed()), len(r.Families))
}
