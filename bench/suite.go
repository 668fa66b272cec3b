package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	torchErr := s.runPyTorch()
	s.rep.Machine.LoadEnd = loadAverage()
	fmt.Fprintf(s.out, "load average at the end: %s\n", s.rep.Machine.LoadEnd)
	if err := s.writeFiles(); err != nil {
		return err
	}
	return torchErr
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
	for _, c := range kernelCases(s.scale) {
		if !s.opts.selected(c.Name) {
			continue
		}
		for _, t := range s.targets {
			r := runKernel(t, c, tm)
			fmt.Fprintf(s.log, "kernel %-36s %-16s %10s  %s\n", c.Name, t.Label, fmtMS(r.MedianMS), kernelRate(r))
			rs = append(rs, r)
		}
	}
	setRatios(rs)
	return rs
}

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
					repeats: s.opts.Repeats, modes: modes}
				for _, r := range run.run() {
					fmt.Fprintf(s.log, "%-22s %-16s %10s images/s\n", r.name(), t.Label, fmtCount(r.ImagesPerSec))
					rs = append(rs, r)
				}
			}
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

// runPyTorch runs the peer comparison when asked. A machine without
// PyTorch gets a note; a script that fails is an error.
func (s *suite) runPyTorch() error {
	if !s.opts.PyTorch {
		return nil
	}
	dataDir := ""
	if s.data != nil && s.data.Source != "synthetic" {
		dataDir = filepath.Dir(s.data.Source)
	}
	tr := torchRun{python: s.opts.Python, models: s.opts.Models, batches: s.opts.Batches,
		seconds: s.opts.Seconds, repeats: s.opts.Repeats, dataDir: dataDir}
	if _, err := findPython(tr.python); err != nil {
		note := fmt.Sprintf("PyTorch comparison skipped: %v", err)
		s.rep.Notes = append(s.rep.Notes, note)
		fmt.Fprintf(s.out, "\nnote: %s\n", note)
		return nil
	}
	rep, err := tr.run(s.log)
	if err != nil {
		return fmt.Errorf("pytorch: %w", err)
	}
	s.rep.PyTorch = rep
	return printComparison(s.out, rep, s.rep.EndToEnd)
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
