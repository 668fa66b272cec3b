package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// suite is one run of the benchmark: the options, what it found and what
// it measured.
type suite struct {
	opts     *options
	scale    scale
	images   int // images the end-to-end section loads
	disc     discovery
	out, log io.Writer
	targets  []target
	rep      report
	data     *images
	python   string // the interpreter with torch, when -pytorch found one
	torchErr error  // the first failure of the PyTorch script
}

func newSuite(o *options, args []string, out, log io.Writer) *suite {
	s := &suite{opts: o, scale: fullScale(), images: maxImages, disc: newDiscovery(o.Lavapipe), out: out, log: log}
	if o.Quick {
		s.scale, s.images = quickScale(), 4096
	}
	s.rep.Machine = describeMachine(args)
	s.rep.Settings = settings{Quick: o.Quick, Seconds: o.Seconds, Repeats: o.Repeats}
	return s
}

// run measures every section asked for, prints the tables and writes the
// files. A backend that cannot run a case gets an error in that row, not
// a failed run.
func (s *suite) run() error {
	if err := s.findBackends(); err != nil {
		return err
	}
	defer s.closeBackends()
	s.findPyTorch()
	s.rep.printHeader(s.out)
	if s.opts.Kernels {
		s.rep.Kernels = s.runKernels()
		if err := printKernels(s.out, s.rep.Kernels); err != nil {
			return err
		}
	}
	if s.opts.EndToEnd {
		s.rep.EndToEnd = s.runEndToEnd()
		if err := printEndToEnd(s.out, s.rep.EndToEnd); err != nil {
			return err
		}
	}
	if s.rep.PyTorch != nil {
		if err := printComparison(s.out, s.rep.PyTorch, s.rep.EndToEnd); err != nil {
			return err
		}
	}
	s.rep.Machine.LoadEnd = loadAverage()
	fmt.Fprintf(s.out, "load average at the end: %s\n", s.rep.Machine.LoadEnd)
	if err := s.writeFiles(); err != nil {
		return err
	}
	return s.torchErr
}

func (s *suite) findBackends() error {
	targets, notes, err := s.disc.run(s.log)
	if err != nil {
		return err
	}
	s.targets = targets
	s.rep.Notes = append(s.rep.Notes, notes...)
	for _, t := range targets {
		s.rep.Backends = append(s.rep.Backends, backendInfo{Label: t.Label, Kind: t.Kind, Device: t.Device})
	}
	return nil
}

// closeBackends releases the backends that hold a device.
func (s *suite) closeBackends() {
	for _, t := range s.targets {
		if c, ok := t.Backend.(io.Closer); ok {
			if err := c.Close(); err != nil {
				fmt.Fprintf(s.log, "close %s: %v\n", t.Label, err)
			}
		}
	}
}

// runKernels times every selected kernel on each backend in turn, so
// that a kernel's rows are measured close together.
func (s *suite) runKernels() []kernelResult {
	tm := kernelTiming(s.opts.Seconds, s.opts.Quick)
	var rs []kernelResult
	tooSlow := map[string]string{} // backend → why it skips bigger square products
	for _, c := range kernelCases(s.scale) {
		if !s.opts.selected(c.Name) {
			continue
		}
		for _, t := range s.targets {
			if why := tooSlow[t.Label]; why != "" && isSquare(c) {
				rs = append(rs, kernelResult{Group: c.Group, Name: c.Name, Shape: c.Shape, Backend: t.Label, Note: why})
				continue
			}
			r := runKernel(t, c, tm)
			if r.MedianMS > 2*ms(tm.MaxTime) && isSquare(c) {
				tooSlow[t.Label] = fmt.Sprintf("skipped: %s took %s", c.Name, fmtMS(r.MedianMS))
			}
			fmt.Fprintf(s.log, "kernel %-36s %-16s %10s  %s\n", c.Name, t.Label, fmtMS(r.MedianMS), kernelRate(r))
			rs = append(rs, r)
			if u, ok := runUntuned(t, c, tm); ok {
				fmt.Fprintf(s.log, "kernel %-36s %-16s %10s  %s\n", c.Name, u.Backend, fmtMS(u.MedianMS), kernelRate(u))
				rs = append(rs, u)
			}
		}
	}
	setRatios(rs)
	return rs
}

// isSquare reports whether c is one of the square products, which grow
// eightfold per size: a backend that found one slow skips the bigger ones.
func isSquare(c kernelCase) bool { return strings.HasPrefix(c.Name, "matmul/square/") }

// runEndToEnd trains and runs each selected model at each batch size on
// each backend.
func (s *suite) runEndToEnd() []e2eResult {
	data, note := loadImages(s.opts.DataDir, s.opts.Synthetic, s.images)
	s.data = data
	s.rep.Data = data.Source
	if note != "" {
		s.rep.Notes = append(s.rep.Notes, note)
		fmt.Fprintf(s.out, "note: %s\n", note)
	}
	var rs []e2eResult
	for _, model := range s.opts.Models {
		for _, b := range s.opts.Batches {
			modes := s.e2eModes(model, b)
			if len(modes) == 0 {
				continue
			}
			for _, t := range s.targets {
				run := e2eRun{model: model, batch: b, target: t, data: data, seconds: s.opts.Seconds,
					repeats: s.opts.Repeats, modes: modes, precision: s.opts.Precision}
				for _, r := range run.run() {
					fmt.Fprintf(s.log, "%-22s %-16s %10s images/s\n", r.name(), t.Label, fmtCount(r.ImagesPerSec))
					rs = append(rs, r)
				}
			}
			s.runPyTorch(model, b)
		}
	}
	setE2ERatios(rs)
	return rs
}

// e2eModes are the modes of a model and batch that -run selects.
func (s *suite) e2eModes(model string, batch int) []string {
	var modes []string
	for _, mode := range []string{"train", "infer"} {
		if s.opts.selected(e2eResult{Model: model, Mode: mode, Batch: batch}.name()) {
			modes = append(modes, mode)
		}
	}
	return modes
}

// findPyTorch looks for a Python with torch when -pytorch asks for the
// comparison. A machine without one gets a note, not an error.
func (s *suite) findPyTorch() {
	if !s.opts.PyTorch {
		return
	}
	if !s.opts.EndToEnd {
		s.rep.Notes = append(s.rep.Notes, "PyTorch comparison skipped: it needs the e2e section")
		return
	}
	py, err := findPython(s.opts.Python)
	if err != nil {
		s.rep.Notes = append(s.rep.Notes, fmt.Sprintf("PyTorch comparison skipped: %v", err))
		return
	}
	s.python = py
}

// runPyTorch trains one model at one batch size in PyTorch, right after
// Anvil did, so that both see the same machine load. A failing script is
// remembered as the run's error and stops further PyTorch runs.
func (s *suite) runPyTorch(model string, batch int) {
	if s.python == "" || s.torchErr != nil {
		return
	}
	dataDir := ""
	if s.data.Source != "synthetic" {
		dataDir = filepath.Dir(s.data.Source)
	}
	tr := torchRun{python: s.python, models: []string{model}, batches: []int{batch},
		seconds: s.opts.Seconds, repeats: s.opts.Repeats, dataDir: dataDir}
	rep, err := tr.run(s.log)
	if err != nil {
		s.torchErr = fmt.Errorf("pytorch: %w", err)
		return
	}
	if s.rep.PyTorch == nil {
		s.rep.PyTorch = rep
		return
	}
	s.rep.PyTorch.Results = append(s.rep.PyTorch.Results, rep.Results...)
}

// writeFiles writes -json and -png.
func (s *suite) writeFiles() error {
	if s.opts.JSON != "" {
		b, err := json.MarshalIndent(&s.rep, "", "  ")
		if err != nil {
			return fmt.Errorf("-json: %w", err)
		}
		if err := os.WriteFile(s.opts.JSON, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("-json: %w", err)
		}
	}
	if s.opts.PNG != "" {
		return writeChart(s.opts.PNG, s.rep.EndToEnd, s.rep.PyTorch)
	}
	return nil
}
