package main

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strings"
)

// view is what the window shows besides the run itself: its size, the
// axis mode, the cursor, and messages about the input.
type view struct {
	dir           string
	width, height float32
	logY          bool
	cursorX       float32
	cursorY       float32
	missing       string // why there is no run to show, "" when there is
	partial       int    // bytes of an incomplete last line
	problems      []string
	samples       *samples
}

// imageSize is the pixel size of the sample images, known once loaded
// (32×32 until then, CIFAR-10's size).
func (v *view) imageSize() (float32, float32) {
	if v.samples != nil && len(v.samples.images) > 0 {
		b := v.samples.images[0].Bounds()
		return float32(b.Dx()), float32(b.Dy())
	}
	return 32, 32
}

// layoutFor lays out the window for the run as it stands.
func (v *view) layoutFor(s *runState) layout {
	n := 0
	if s.start != nil {
		n = len(s.start.SampleIndices)
	}
	w, h := v.imageSize()
	return computeLayout(v.width, v.height, len(s.plotted()), n, w, h)
}

// buildScene draws the whole window for state s.
func buildScene(v *view, s *runState) *scene {
	sc := &scene{background: colBackground}
	l := v.layoutFor(s)
	v.drawHeader(sc, s, l.header)
	for i, name := range s.plotted() {
		v.drawPlot(sc, s, name, l.plots[i])
	}
	if len(l.tiles) > 0 {
		v.drawSamples(sc, s, l)
	}
	return sc
}

// drawHeader writes the run's identity, progress, status and notes.
func (v *view) drawHeader(sc *scene, s *runState, r rect) {
	line := func(i int) float32 { return r.y + float32(i)*lineH }
	title := "anvil watch  " + v.dir
	if st := s.start; st != nil {
		title += fmt.Sprintf("  -  %s on %s  -  %s: %s", st.Settings["model"], st.Settings["data"], st.Backend, st.Device)
	}
	sc.text(title, r.x, line(0), colText)
	sc.text(progressLine(s), r.x, line(1), colText)
	status, col := statusLine(v, s)
	sc.text(status, r.x, line(2), col)
	if msg := v.noteLine(s); msg != "" {
		sc.text(msg, r.x, line(3), colNote)
	}
	hint := "L: log/linear axes"
	sc.text(hint, r.x+r.w-textWidth(hint), line(0), colDim)
}

// progressLine says where the run is: epoch, step, throughput, ETA, rate.
func progressLine(s *runState) string {
	p := s.progress
	if p == nil {
		if s.start != nil {
			return fmt.Sprintf("epoch %d/%d  starting", s.start.Epoch, s.start.Epochs)
		}
		return ""
	}
	out := fmt.Sprintf("epoch %d/%d  step %d/%d  %.0f images/s  lr %.3g", p.Epoch, p.Epochs, p.Step, p.Steps, p.ImagesPerSec, p.LearningRate)
	if eta, ok := s.eta(); ok {
		out += "  ETA " + formatDuration(eta)
	}
	return out
}

// statusLine says whether the run is running, finished or stopped, and
// with what values it ended.
func statusLine(v *view, s *runState) (string, color.RGBA) {
	switch {
	case v.missing != "":
		return v.missing, colNote
	case s.start == nil:
		return "waiting for the run's first record", colDim
	case s.end == nil:
		return "running", colGood
	}
	out := s.end.Status + formatLogs(s.end.Logs)
	if s.end.Message != "" {
		out += ": " + s.end.Message
	}
	if s.end.Status == "finished" {
		return out, colGood
	}
	return out, colBad
}

// noteLine is the latest message about the input.
func (v *view) noteLine(s *runState) string {
	var msgs []string
	msgs = append(msgs, s.notes...)
	msgs = append(msgs, v.problems...)
	if v.samples != nil && v.samples.err != nil {
		msgs = append(msgs, v.samples.err.Error())
	}
	if v.partial > 0 {
		msgs = append(msgs, incompleteLine(v.partial))
	}
	if len(msgs) == 0 {
		return ""
	}
	return msgs[len(msgs)-1]
}

// incompleteLine explains a last line that has no newline: a writer cut
// off mid-line (train writes each line at once).
func incompleteLine(n int) string {
	return fmt.Sprintf("the log ends in an incomplete line (%d bytes): shown without it until it is completed", n)
}

// formatLogs renders "  loss 1.2345  accuracy 0.5000" in name order.
func formatLogs(logs map[string]float64) string {
	names := make([]string, 0, len(logs))
	for n := range logs {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "  %s %s", n, formatValue(logs[n]))
	}
	return b.String()
}

// formatValue shows a metric with four significant decimals, or in
// exponent notation when tiny or huge.
func formatValue(v float64) string {
	if a := math.Abs(v); a != 0 && (a < 1e-3 || a >= 1e5) {
		return fmt.Sprintf("%.3e", v)
	}
	return fmt.Sprintf("%.4f", v)
}

// formatDuration renders seconds as 1:02:03, 2:03 or 3s.
func formatDuration(secs float64) string {
	t := int(math.Round(secs))
	switch {
	case t >= 3600:
		return fmt.Sprintf("%d:%02d:%02d", t/3600, t%3600/60, t%60)
	case t >= 60:
		return fmt.Sprintf("%d:%02d", t/60, t%60)
	}
	return fmt.Sprintf("%ds", t)
}
