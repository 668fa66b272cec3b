package nn

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"
)

// progressBar prints Keras's per-epoch progress line:
// 1563/1563 [==============================] - 41s 26ms/step - loss: 1.8472 - accuracy: 0.3341
type progressBar struct {
	out         io.Writer
	total       int
	verbose     int
	interactive bool // redraw in place with \r
	start       time.Time
	lastDraw    time.Time
}

func newProgressBar(out io.Writer, total, verbose int) *progressBar {
	return &progressBar{out: out, total: total, verbose: verbose, interactive: isTerminal(out), start: time.Now()}
}

// isTerminal reports whether w is a character device, where a bar that
// redraws itself reads well; logs get only the final line.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// wantsUpdate says whether a redraw is due, so the caller reads the
// accumulators from the device only when the line will show them.
func (p *progressBar) wantsUpdate(step int) bool {
	return p.verbose == 1 && p.interactive && (p.total <= 0 || step < p.total) && time.Since(p.lastDraw) > 200*time.Millisecond
}

// update redraws the bar after step of total steps. While the total is
// unknown (0: the first pass over a Source) it shows the steps so far, as
// Keras does: "  120/Unknown - 3s 25ms/step - loss: ...".
func (p *progressBar) update(step int, names []string, values []float64) {
	p.lastDraw = time.Now()
	elapsed := time.Since(p.start).Seconds()
	if p.total <= 0 {
		fmt.Fprintf(p.out, "\r%7d/Unknown - %.0fs %s%s", step, elapsed, formatPerStep(elapsed/float64(step)), formatLogs(names, values))
		return
	}
	eta := elapsed / float64(step) * float64(p.total-step)
	fmt.Fprintf(p.out, "\r%s - ETA: %s%s", bar(step, p.total), formatETA(eta), formatLogs(names, values))
}

// finish prints the epoch's final line.
func (p *progressBar) finish(names []string, values []float64) {
	elapsed := time.Since(p.start).Seconds()
	perStep := formatPerStep(elapsed / float64(p.total))
	switch p.verbose {
	case 1:
		if p.interactive {
			fmt.Fprint(p.out, "\r")
		}
		fmt.Fprintf(p.out, "%s - %.0fs %s%s\n", bar(p.total, p.total), elapsed, perStep, formatLogs(names, values))
	case 2:
		fmt.Fprintf(p.out, "%d/%d - %.0fs - %s%s\n", p.total, p.total, elapsed, perStep, formatLogs(names, values))
	}
}

// bar draws "  12/1563 [>.............................]" as Keras does.
func bar(step, total int) string {
	digits := len(fmt.Sprint(total))
	width := 30
	filled := int(float64(width) * float64(step) / float64(total))
	var b strings.Builder
	fmt.Fprintf(&b, "%*d/%d [", digits, step, total)
	if filled > 0 {
		b.WriteString(strings.Repeat("=", filled-1))
		if step < total {
			b.WriteByte('>')
		} else {
			b.WriteByte('=')
		}
	}
	b.WriteString(strings.Repeat(".", width-filled))
	b.WriteByte(']')
	return b.String()
}

func formatETA(s float64) string {
	t := int(s)
	switch {
	case t > 3600:
		return fmt.Sprintf("%d:%02d:%02d", t/3600, t%3600/60, t%60)
	case t > 60:
		return fmt.Sprintf("%d:%02d", t/60, t%60)
	}
	return fmt.Sprintf("%ds", t)
}

func formatPerStep(s float64) string {
	switch {
	case s >= 1:
		return fmt.Sprintf("%.0fs/step", s)
	case s >= 1e-3:
		return fmt.Sprintf("%.0fms/step", s*1e3)
	}
	return fmt.Sprintf("%.0fus/step", s*1e6)
}

// formatLogs renders " - loss: 1.8472 - accuracy: 0.3341"; tiny values use
// exponent notation, as Keras does.
func formatLogs(names []string, values []float64) string {
	var b strings.Builder
	for i, n := range names {
		if math.Abs(values[i]) > 1e-3 {
			fmt.Fprintf(&b, " - %s: %.4f", n, values[i])
		} else {
			fmt.Fprintf(&b, " - %s: %.4e", n, values[i])
		}
	}
	return b.String()
}
