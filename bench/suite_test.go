package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSuiteSmoke runs every section of the suite at tiny sizes on the CPU
// backend and a fake GPU, and checks the table, the JSON and the PNG.
func TestSuiteSmoke(t *testing.T) {
	dir := t.TempDir()
	jsonPath, pngPath := filepath.Join(dir, "out.json"), filepath.Join(dir, "out.png")
	o, err := parseOptions([]string{"-quick", "-synthetic", "-batches", "4", "-seconds", "0.001",
		"-json", jsonPath, "-png", pngPath}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	var out, log bytes.Buffer
	s := newSuite(o, nil, &out, &log)
	s.scale, s.images, s.disc = tinyScale(), 16, fakeDiscovery()
	if err := s.run(); err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	for _, want := range []string{"KERNELS", "matmul/square/16", "conv2d/conv4.dw/b2", "adam/1000",
		"Training (Fit):", "Inference (Predict):", "vulkan:Fake-GPU", "device"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	rep := readReport(t, jsonPath)
	checkKernels(t, rep.Kernels, len(kernelCases(tinyScale())))
	checkEndToEnd(t, rep.EndToEnd)
	png, err := os.ReadFile(pngPath)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("-png did not write a PNG: %v", err)
	}
}

func readReport(t *testing.T, path string) report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("-json output does not parse: %v", err)
	}
	if rep.Machine.Go == "" || rep.Machine.Cores == 0 || len(rep.Backends) != 2 {
		t.Errorf("machine or backends missing: %+v %+v", rep.Machine, rep.Backends)
	}
	return rep
}

func checkKernels(t *testing.T, rs []kernelResult, cases int) {
	t.Helper()
	if len(rs) != 2*cases {
		t.Fatalf("%d kernel rows, want %d (two backends)", len(rs), 2*cases)
	}
	for _, r := range rs {
		switch {
		case r.Error != "":
			t.Errorf("%s on %s: %s", r.Name, r.Backend, r.Error)
		case r.MedianMS <= 0 || r.GBps <= 0 || r.Reps < 1:
			t.Errorf("%s on %s: no figures: %+v", r.Name, r.Backend, r)
		case r.Backend != "cpu" && (r.VsCPU <= 0 || r.DeviceMedianMS <= 0):
			t.Errorf("%s on %s: no ratio or device time: %+v", r.Name, r.Backend, r)
		case r.Group == "matmul" && r.GFLOPS <= 0:
			t.Errorf("%s: no GFLOP/s", r.Name)
		}
	}
}

func checkEndToEnd(t *testing.T, rs []e2eResult) {
	t.Helper()
	if len(rs) != 2*2*2 { // fnn and cnn, train and infer, two backends
		t.Fatalf("%d end-to-end rows, want 8", len(rs))
	}
	for _, r := range rs {
		if r.Error != "" || r.ImagesPerSec <= 0 || r.Steps < 1 || r.ExecMS <= 0 || r.UploadMS <= 0 {
			t.Errorf("%s on %s: %+v", r.name(), r.Backend, r)
		}
		if r.Mode == "train" && r.EpochSeconds <= 0 {
			t.Errorf("%s on %s: no epoch time", r.name(), r.Backend)
		}
		if r.Backend != "cpu" && (r.VsCPU <= 0 || r.DeviceMS <= 0) {
			t.Errorf("%s on %s: no ratio or device time", r.name(), r.Backend)
		}
	}
}

// TestNoVulkanBackendIsANote: a build without the Vulkan backend gives CPU
// rows and a note, not an error; CPU drivers need -lavapipe.
func TestNoVulkanBackendIsANote(t *testing.T) {
	for _, lavapipe := range []bool{false, true} {
		targets, notes, err := noVulkanDiscovery(lavapipe).run(os.Stderr)
		if err != nil {
			t.Fatal(err)
		}
		if len(targets) != 1 || targets[0].Label != "cpu" || len(notes) != 1 {
			t.Fatalf("lavapipe=%v: targets %v, notes %q", lavapipe, targets, notes)
		}
		want := "pass -lavapipe"
		if lavapipe {
			want = "this build has no Vulkan backend"
		}
		if !strings.Contains(notes[0], want) {
			t.Errorf("lavapipe=%v: note %q lacks %q", lavapipe, notes[0], want)
		}
	}
}

// TestRealDiscovery runs discovery on this machine: whatever it finds, the
// CPU backend comes first and nothing fails.
func TestRealDiscovery(t *testing.T) {
	targets, notes, err := newDiscovery(true).run(os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) == 0 || targets[0].Kind != "cpu" {
		t.Fatalf("targets %v", targets)
	}
	t.Logf("targets %d, notes %q", len(targets), notes)
}

func TestHelpIsNotAnError(t *testing.T) {
	var out, log bytes.Buffer
	if err := run([]string{"-h"}, &out, &log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "-quick") {
		t.Errorf("usage lacks -quick:\n%s", log.String())
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-sections", "gpu"}, {"-models", "resnet"}, {"-batches", "0"}, {"-run", "("}, {"extra"}} {
		if _, err := parseOptions(args, &bytes.Buffer{}); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}
