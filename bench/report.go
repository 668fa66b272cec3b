package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// report is everything one run measured; it is also the -json document.
type report struct {
	Machine  machine        `json:"machine"`
	Settings settings       `json:"settings"`
	Backends []backendInfo  `json:"backends"`
	Notes    []string       `json:"notes,omitempty"`
	Data     string         `json:"data,omitempty"`
	Kernels  []kernelResult `json:"kernels,omitempty"`
	EndToEnd []e2eResult    `json:"end_to_end,omitempty"`
	PyTorch  *torchReport   `json:"pytorch,omitempty"`
}

// settings are the options that shape the figures.
type settings struct {
	Quick   bool    `json:"quick"`
	Seconds float64 `json:"seconds"`
	Repeats int     `json:"repeats"`
}

// backendInfo names a backend the run used.
type backendInfo struct {
	Label  string `json:"label"`
	Kind   string `json:"kind"`
	Device string `json:"device"`
}

// printHeader writes the machine, the backends and the notes.
func (r *report) printHeader(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "Anvil bench  %s  commit %s%s  %s\n", m.Date, short(m.Commit), dirtyMark(m.Dirty), m.Go)
	fmt.Fprintf(w, "machine: %s, %d cores (GOMAXPROCS %d), %.1f GiB, load average %s\n",
		m.CPU, m.Cores, m.GoMaxProc, m.MemoryGiB, m.LoadStart)
	for _, b := range r.Backends {
		fmt.Fprintf(w, "backend %-20s %s\n", b.Label, b.Device)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	if commit == "" {
		return "unknown"
	}
	return commit
}

func dirtyMark(dirty bool) string {
	if dirty {
		return " (+ uncommitted changes)"
	}
	return ""
}

// printKernels writes the kernel table.
func printKernels(w io.Writer, rs []kernelResult) error {
	fmt.Fprintln(w, "\nKERNELS: median wall time of Program.Run after warm-up; GFLOP/s from 2·M·N·K (conv: per pass, padding")
	fmt.Fprintln(w, "included); GB/s from each operand read or written once; vs cpu = CPU time / this time")
	withDevice, withConfig := false, false
	for _, r := range rs {
		withDevice = withDevice || r.DeviceMedianMS > 0
		withConfig = withConfig || r.Config != ""
	}
	head := []string{"kernel", "shape", "backend", "median", "rate", "vs cpu"}
	if withDevice {
		head = append(head, "device")
	}
	if withConfig {
		head = append(head, "config")
	}
	t := newTable(w, append(head, "note")...)
	for _, r := range rs {
		cells := []string{r.Name, r.Shape, r.Backend, fmtMS(r.MedianMS), kernelRate(r), fmtRatio(r.VsCPU)}
		if withDevice {
			cells = append(cells, fmtMS(r.DeviceMedianMS))
		}
		if withConfig {
			cells = append(cells, shortConfig(r.Config))
		}
		t.row(append(cells, noteOrError(r.Note, r.Error))...)
	}
	return t.flush()
}

// shortConfig drops the op type names from a kernel's GEMM configurations
// ("tensor.MatMul: 64x64x16/4x4/shared (tuned)" → "64x64x16/4x4/shared
// (tuned)") and folds repeats (the stride phases of a data gradient).
func shortConfig(config string) string {
	var out []string
	for _, part := range strings.Split(config, "; ") {
		if i := strings.Index(part, ": "); i >= 0 {
			part = part[i+2:]
		}
		if len(out) == 0 || out[len(out)-1] != part {
			out = append(out, part)
		}
	}
	return strings.Join(out, "; ")
}

func kernelRate(r kernelResult) string {
	switch {
	case r.Error != "":
		return "-"
	case r.GFLOPS > 0:
		return sig3(r.GFLOPS) + " GFLOP/s"
	}
	return sig3(r.GBps) + " GB/s"
}

// noteOrError is the note column: an error wins, shortened to its last
// two parts ("gpu: no kernel for op tensor.Conv2D"); -json keeps it whole.
func noteOrError(note, err string) string {
	if err == "" {
		return note
	}
	parts := strings.Split(err, ": ")
	if len(parts) > 2 {
		parts = parts[len(parts)-2:]
	}
	return "ERROR: " + strings.Join(parts, ": ")
}

// printEndToEnd writes the training and the inference tables.
func printEndToEnd(w io.Writer, rs []e2eResult) error {
	fmt.Fprintln(w, "\nEND TO END: images/s over whole Fit / Predict calls (median of repeats) after a warm-up call;")
	fmt.Fprintln(w, "img/cpu-s: images per second of this process's CPU time (all threads); per step: upload =")
	fmt.Fprintln(w, "Program.Write, exec = Program.Run, read = Program.Read, host = the rest")
	withDevice := false
	for _, r := range rs {
		withDevice = withDevice || r.DeviceMS > 0
	}
	for _, mode := range []string{"train", "infer"} {
		if !slices.ContainsFunc(rs, func(r e2eResult) bool { return r.Mode == mode }) {
			continue
		}
		fmt.Fprintf(w, "\n%s\n", map[string]string{"train": "Training (Fit):", "infer": "Inference (Predict):"}[mode])
		t := newTable(w, e2eHeader(mode, withDevice)...)
		for _, r := range rs {
			if r.Mode == mode {
				t.row(e2eCells(r, withDevice)...)
			}
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	return nil
}

func e2eHeader(mode string, withDevice bool) []string {
	head := []string{"model", "batch", "backend", "images/s", "vs cpu", "img/cpu-s", "step", "upload", "exec", "read", "host",
		"host µs/step", "host/exec", "subs/epoch", "uploaded/epoch"}
	if withDevice {
		head = append(head, "device")
	}
	if mode == "train" {
		head = append(head, "50k epoch")
	}
	return append(head, "note")
}

func e2eCells(r e2eResult, withDevice bool) []string {
	cells := []string{modelCell(r), fmt.Sprint(r.Batch), r.Backend, fmtCount(r.ImagesPerSec), fmtRatio(r.VsCPU),
		fmtCount(r.ImagesPerCPUSec), fmtMS(r.StepMS), fmtMS(r.UploadMS), fmtMS(r.ExecMS), fmtMS(r.ReadMS), fmtMS(r.HostMS),
		fmt.Sprintf("%.0f", r.HostUS), fmt.Sprintf("%.1f%%", 100*r.HostShare), fmt.Sprint(r.Submissions), fmtBytes(r.UploadBytes)}
	if withDevice {
		cells = append(cells, fmtMS(r.DeviceMS))
	}
	if r.Mode == "train" {
		epoch := "-"
		if r.EpochSeconds > 0 {
			epoch = fmt.Sprintf("%.0f s", r.EpochSeconds)
		}
		cells = append(cells, epoch)
	}
	return append(cells, noteOrError("", r.Error))
}
