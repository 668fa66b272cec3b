package main

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/anvil-ml/anvil/nn"
)

// point is one value of a curve: x in epochs (1.5 is half way through the
// second epoch), y the metric.
type point struct{ x, y float64 }

// curves are the train and validation values of one metric.
type curves struct {
	train, val []point
}

// runState is what the live log has said so far about a run: the pure
// model the window draws.
type runState struct {
	start    *nn.LiveRecord // the latest start record
	progress *nn.LiveRecord // the latest progress record
	end      *nn.LiveRecord // the end record, once the run has ended
	metrics  []string       // metric names in the order the run gave them
	curves   map[string]*curves
	// predicted are the sample's classes after predictedEpoch.
	predicted      []int
	predictedEpoch int
	// notes are messages about the input (resumed runs, garbled lines).
	notes []string
}

func newRunState() *runState { return &runState{curves: map[string]*curves{}} }

// apply adds one record.
func (s *runState) apply(rec nn.LiveRecord) {
	switch rec.Kind {
	case nn.LiveStart:
		s.applyStart(rec)
	case nn.LiveProgress:
		r := rec
		s.progress = &r
		x := float64(rec.Epoch-1) + float64(rec.Step)/float64(max(rec.Steps, 1))
		for name, v := range rec.Logs {
			s.curve(name).train = append(s.curve(name).train, point{x, v})
		}
	case nn.LiveEpoch:
		for name, v := range rec.Logs {
			if base, ok := strings.CutPrefix(name, "val_"); ok {
				s.curve(base).val = append(s.curve(base).val, point{float64(rec.Epoch), v})
			}
		}
		if rec.Predicted != nil {
			s.predicted, s.predictedEpoch = rec.Predicted, rec.Epoch
		}
	case nn.LiveEnd:
		r := rec
		s.end = &r
	default:
		s.note(fmt.Sprintf("unknown record kind %q; skipped", rec.Kind))
	}
}

// applyStart begins a run, or continues it when the start record says the
// run was resumed: what was logged past the resume point is dropped, as the
// resumed run redoes it.
func (s *runState) applyStart(rec nn.LiveRecord) {
	r := rec
	if s.start != nil && rec.Resumed {
		at := float64(rec.Epoch-1) + float64(rec.Step)/float64(max(rec.Steps, 1))
		for _, c := range s.curves {
			c.train = keepUpTo(c.train, at)
			c.val = keepUpTo(c.val, at)
		}
		if s.predictedEpoch > rec.Epoch-1 {
			s.predicted, s.predictedEpoch = nil, 0
		}
		s.note(fmt.Sprintf("the run was resumed at epoch %d step %d", rec.Epoch, rec.Step))
	} else {
		if s.start != nil {
			s.note("a new run started in this folder; showing it")
		}
		s.curves, s.predicted, s.predictedEpoch = map[string]*curves{}, nil, 0
		if rec.Resumed {
			s.note(fmt.Sprintf("resumed at epoch %d step %d; the log holds no earlier records", rec.Epoch, rec.Step))
		}
	}
	s.start, s.progress, s.end = &r, nil, nil
	s.metrics = append([]string(nil), rec.Metrics...)
}

// curve returns the curves of a metric, adding it when new.
func (s *runState) curve(name string) *curves {
	c := s.curves[name]
	if c == nil {
		c = &curves{}
		s.curves[name] = c
		if !slices.Contains(s.metrics, name) {
			s.metrics = append(s.metrics, name)
		}
	}
	return c
}

// note keeps a message for the window, dropping the oldest beyond a few.
func (s *runState) note(msg string) {
	s.notes = append(s.notes, msg)
	if len(s.notes) > 3 {
		s.notes = s.notes[len(s.notes)-3:]
	}
}

// plotted lists the metrics that have values, in the run's order.
func (s *runState) plotted() []string {
	var out []string
	for _, m := range s.metrics {
		if c := s.curves[m]; c != nil && len(c.train)+len(c.val) > 0 {
			out = append(out, m)
		}
	}
	extra := []string{}
	for m := range s.curves {
		if !slices.Contains(out, m) && len(s.curves[m].train)+len(s.curves[m].val) > 0 {
			extra = append(extra, m)
		}
	}
	sort.Strings(extra)
	return append(out, extra...)
}

// eta estimates the seconds left from the latest throughput; false when
// there is no estimate (no progress yet, or the run ended).
func (s *runState) eta() (float64, bool) {
	p := s.progress
	if p == nil || s.end != nil || p.ImagesPerSec <= 0 || s.start == nil {
		return 0, false
	}
	batch, err := strconv.Atoi(s.start.Settings["batch-size"])
	if err != nil || batch <= 0 {
		return 0, false
	}
	steps := (p.Epochs-p.Epoch)*p.Steps + p.Steps - p.Step
	return float64(steps*batch) / p.ImagesPerSec, true
}

func keepUpTo(ps []point, x float64) []point {
	n := 0
	for n < len(ps) && ps[n].x <= x+1e-9 {
		n++
	}
	return ps[:n]
}
