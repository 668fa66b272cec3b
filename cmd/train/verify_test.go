package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anvil-ml/anvil/backend"
	"github.com/anvil-ml/anvil/gpu"
	"github.com/anvil-ml/anvil/nn"
)

// requireVulkan skips a test where there is no Vulkan device, unless
// ANVIL_REQUIRE_VULKAN=1 makes that a failure.
func requireVulkan(t *testing.T) {
	t.Helper()
	b, err := backend.Select("vulkan", "", io.Discard)
	if errors.Is(err, gpu.ErrUnavailable) && os.Getenv("ANVIL_REQUIRE_VULKAN") != "1" {
		t.Skipf("no Vulkan (set ANVIL_REQUIRE_VULKAN=1 to fail instead): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := b.(io.Closer); ok {
		c.Close()
	}
}

// TestVerifyCPUOnVulkanAgrees: the reference CNN's first 20 steps on real
// CIFAR-10 agree on Vulkan and the CPU, the verdict is printed and
// recorded, and the run goes on to train.
func TestVerifyCPUOnVulkanAgrees(t *testing.T) {
	requireVulkan(t)
	dir := cifarDir(t)
	out := t.TempDir()
	nn.ClearSession()
	stdout, stderr, err := runTrain(t, context.Background(), "-verify-cpu", "20", "-model", "cnn", "-data", "cifar10",
		"-data-dir", dir, "-backend", "vulkan", "-limit-train", "320", "-batch-size", "16", "-limit-test", "32",
		"-validation=false", "-epochs", "1", "-verbose", "2", "-out", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	t.Log(stderr)
	if !strings.Contains(stderr, "verify-cpu: vulkan and the CPU agree: 20 steps") {
		t.Errorf("no agreement verdict in:\n%s", stderr)
	}
	if !strings.Contains(stdout, "test: loss") {
		t.Errorf("the run did not continue to the test:\n%s", stdout)
	}
	var m struct {
		VerifyCPU *verifyRecord `json:"verify_cpu"`
	}
	readJSON(t, filepath.Join(out, "metrics.json"), &m)
	v := m.VerifyCPU
	if v == nil || !v.Agree || v.Steps != 20 || v.Backend != "vulkan" || v.Reference != "cpu" || len(v.Layers) < 10 {
		t.Fatalf("metrics.json verify_cpu = %+v", v)
	}
}

func TestVerifyCPUFlagErrors(t *testing.T) {
	for want, args := range map[string][]string{
		"this run is on the CPU":  {"-verify-cpu", "5", "-backend", "cpu"},
		"-verify-cpu -1: must be": {"-verify-cpu", "-1"},
	} {
		_, _, err := runTrain(t, context.Background(), args...)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("args %v: error %v, want one containing %q", args, err, want)
		}
	}
}

// TestPrintVerifyDivergence: a divergence is printed with its step, layer,
// buffer and values, and one with a NaN still records as JSON.
func TestPrintVerifyDivergence(t *testing.T) {
	first := nn.Divergence{Step: 3, Layer: "conv2d_1", Buffer: "conv2d_1/y", Kind: "activation", Index: 7,
		Got: float32(math.NaN()), Want: 0.5, MaxAbs: math.Inf(1), Err: math.Inf(1), Tol: 3e-4, Forward: true}
	rep := &nn.VerifyReport{Backend: "vulkan", Reference: "cpu", Steps: 3, Buffers: 40, First: &first,
		Layers: []nn.LayerWorst{{Layer: "conv2d_1", Worst: first}}}
	var buf bytes.Buffer
	printVerify(&buf, rep, time.Second)
	for _, want := range []string{"DIVERGENCE at step 3 in layer conv2d_1, buffer conv2d_1/y", "element 7: vulkan NaN, cpu 0.5", "continues on vulkan"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, buf.String())
		}
	}
	data, err := json.Marshal(newVerifyRecord(rep))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"agree":false`) || !strings.Contains(string(data), `"got":null`) {
		t.Errorf("record %s", data)
	}
}
