package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/anvil-ml/anvil/cpuref"
	"github.com/anvil-ml/anvil/tensor"
)

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	if got := median([]time.Duration{3, 1, 2}); got != 2 {
		t.Errorf("median of durations = %v", got)
	}
}

// TestMeasureCounts checks the repeat rules with a run that takes no time.
func TestMeasureCounts(t *testing.T) {
	calls := 0
	s, err := measure(func() error { calls++; return nil }, nil, timing{Warmup: 2, MinReps: 4, MaxReps: 4, MinTime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Wall) != 4 || calls != 6 {
		t.Errorf("%d timed runs and %d calls, want 4 and 6", len(s.Wall), calls)
	}
}

// TestKernelPlansValidate builds every kernel of the full suite and checks
// its plan, so a wrong shape shows without running the big sizes.
func TestKernelPlansValidate(t *testing.T) {
	names := map[string]bool{}
	for _, c := range kernelCases(fullScale()) {
		if names[c.Name] {
			t.Errorf("duplicate kernel name %s", c.Name)
		}
		names[c.Name] = true
		if err := c.Build().Validate(); err != nil {
			t.Errorf("%s: %v", c.Name, err)
		}
		if strings.ContainsAny(c.Name, " \t") || c.Bytes <= 0 {
			t.Errorf("%s: bad name or no counted bytes", c.Name)
		}
	}
}

func TestConvFlopsMatchReferenceCNN(t *testing.T) {
	var total float64
	for _, l := range convLayers {
		total += convCases(l, 1)[0].Flops
	}
	// 2·(32·32·32·27 + 16·16·32·288 + 16·16·64·288 + 8·8·64·576) per image.
	if want := 2.0 * (884736 + 2359296 + 4718592 + 2359296); total != want {
		t.Errorf("forward conv FLOPs per image %v, want %v", total, want)
	}
}

func TestComparisonTable(t *testing.T) {
	var tr torchReport
	canned := `{"torch": "1.13.1", "device": "cpu", "device_name": "cpu", "threads": 2, "data": "synthetic",
		"results": [{"model": "fnn", "batch": 32, "train_images_per_s": 1000, "infer_images_per_s": 4000}]}`
	if err := json.Unmarshal([]byte(canned), &tr); err != nil {
		t.Fatal(err)
	}
	rs := []e2eResult{
		{Model: "fnn", Mode: "train", Batch: 32, Backend: "cpu", ImagesPerSec: 2000},
		{Model: "fnn", Mode: "infer", Batch: 32, Backend: "cpu", ImagesPerSec: 2000},
		{Model: "fnn", Mode: "train", Batch: 32, Backend: "vulkan:X", ImagesPerSec: 9000},
	}
	var out bytes.Buffer
	if err := printComparison(&out, &tr, rs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "2.00x") || !strings.Contains(out.String(), "0.50x") || strings.Contains(out.String(), "vulkan") {
		t.Errorf("comparison table:\n%s", out.String())
	}
}

func TestFormat(t *testing.T) {
	for in, want := range map[float64]string{0.0123: "12.3 µs", 1.5: "1.50 ms", 250: "250 ms", 1500: "1.50 s"} {
		if got := fmtMS(in); got != want {
			t.Errorf("fmtMS(%v) = %q, want %q", in, got, want)
		}
	}
	if got := fmtCount(1234567); got != "1,234,567" {
		t.Errorf("fmtCount = %q", got)
	}
}

func TestQuickIncludesLavapipe(t *testing.T) {
	for _, c := range []struct {
		args []string
		want bool
	}{{nil, false}, {[]string{"-quick"}, true}, {[]string{"-quick", "-lavapipe=false"}, false}, {[]string{"-lavapipe"}, true}} {
		o, err := parseOptions(c.args, &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		if o.Lavapipe != c.want {
			t.Errorf("%q: lavapipe %v, want %v", c.args, o.Lavapipe, c.want)
		}
	}
}

// tuningGPU is a fake GPU with a tuning switch, whose programs say which
// setting compiled them.
type tuningGPU struct {
	fakeGPU
	on *bool
}

func (g tuningGPU) SetTuning(on bool) bool {
	was := *g.on
	*g.on = on
	return was
}

func (g tuningGPU) Compile(p *tensor.Plan) (tensor.Program, error) {
	prog, err := g.fakeGPU.Compile(p)
	if err != nil {
		return nil, err
	}
	config := "tensor.MatMul: 16x16x1/16x2/subgroup (heuristic)"
	if *g.on {
		config = "tensor.MatMul: 32x32x1/4x4 (tuned)"
	}
	return configProgram{prog.(fakeProgram), config}, nil
}

type configProgram struct {
	fakeProgram
	config string
}

func (c configProgram) GEMMConfigs() []string { return []string{c.config, c.config} }

// TestUntunedRow checks the tuned/untuned pair of a GEMM row: the tuned
// row carries the tuned configuration, the untuned one is measured with
// tuning off and says so, the switch is restored, and kernels outside the
// GEMM family, or a backend already untuned, get no second row.
func TestUntunedRow(t *testing.T) {
	on := true
	tg := target{Label: "vulkan:Fake", Kind: "vulkan", Backend: tuningGPU{fakeGPU{cpuref.New()}, &on}}
	tm := kernelTiming(0.001, true)
	c := squareCase(16)
	if r := runKernel(tg, c, tm); r.Error != "" || r.Config == "" || shortConfig(r.Config) != "32x32x1/4x4 (tuned)" {
		t.Errorf("tuned row: %+v (short config %q)", r, shortConfig(r.Config))
	}
	u, ok := runUntuned(tg, c, tm)
	if !ok || u.Backend != "vulkan:Fake untuned" || shortConfig(u.Config) != "16x16x1/16x2/subgroup (heuristic)" || u.MedianMS <= 0 {
		t.Errorf("untuned row: %v, %+v", ok, u)
	}
	if !on {
		t.Error("runUntuned left tuning off")
	}
	if _, ok := runUntuned(tg, adamCase(100), tm); ok {
		t.Error("an untuned row for Adam, which is not a GEMM")
	}
	on = false
	if _, ok := runUntuned(tg, c, tm); ok || on {
		t.Errorf("an untuned row where tuning was off already (or tuning turned on: %v)", on)
	}
	if _, ok := runUntuned(target{Label: "cpu", Backend: cpuref.New()}, c, tm); ok {
		t.Error("an untuned row for the CPU backend")
	}
}
