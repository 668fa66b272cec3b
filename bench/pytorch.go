package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed pytorch_compare.py
var pytorchScript []byte

// torchReport is what pytorch_compare.py prints.
type torchReport struct {
	Torch      string `json:"torch"`
	Device     string `json:"device"` // "cpu" or "cuda"
	DeviceName string `json:"device_name"`
	Threads    int    `json:"threads"`
	BLAS       string `json:"blas"` // the BLAS library torch loaded
	// Env holds the variables that change PyTorch's CPU speed, as set.
	Env     map[string]string `json:"env,omitempty"`
	Data    string            `json:"data"`
	Python  string            `json:"python"`
	Results []torchResult     `json:"results"`
	// TF32 says whether PyTorch let cuDNN and matmuls use TF32, which
	// trades precision for speed on NVIDIA GPUs.
	TF32 struct {
		CuDNN  bool `json:"cudnn"`
		Matmul bool `json:"matmul"`
	} `json:"tf32"`
}

// torchResult is one model at one batch size in PyTorch.
type torchResult struct {
	Model        string  `json:"model"`
	Batch        int     `json:"batch"`
	TrainPerSec  float64 `json:"train_images_per_s"`
	TrainPerCPU  float64 `json:"train_images_per_cpu_s"`
	TrainSteps   int     `json:"train_steps"`
	EpochSeconds float64 `json:"epoch_s"`
	InferPerSec  float64 `json:"infer_images_per_s"`
	InferPerCPU  float64 `json:"infer_images_per_cpu_s"`
	InferSteps   int     `json:"infer_steps"`
	Params       int     `json:"params"`
	// GraphPerSec is training with the whole step in a CUDA graph (CUDA
	// only); CompiledPerSec training with torch.compile. Each is 0 where
	// the mode failed, with the reason in GraphError or CompileError.
	GraphPerSec    float64 `json:"train_graph_images_per_s,omitempty"`
	CompiledPerSec float64 `json:"train_compiled_images_per_s,omitempty"`
	GraphError     string  `json:"graph_error,omitempty"`
	CompileError   string  `json:"compile_error,omitempty"`
}

// torchRun is how the suite calls the script.
type torchRun struct {
	python  string // an interpreter that imports torch (findPython)
	models  []string
	batches []int
	seconds float64
	repeats int
	dataDir string // "" for synthetic images
}

// findPython returns the first interpreter that can import torch. Debian's
// /usr/bin/python3 comes first: python3 on PATH may be a pyenv build
// without Debian's python3-torch.
func findPython(explicit string) (string, error) {
	candidates := []string{"/usr/bin/python3", "python3"}
	if explicit != "" {
		candidates = []string{explicit}
	}
	var errs []error
	for _, py := range candidates {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		out, err := exec.CommandContext(ctx, py, "-c", "import torch").CombinedOutput()
		cancel()
		if err == nil {
			return py, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w: %s", py, err, lastLine(out)))
	}
	return "", fmt.Errorf("no Python with torch (install python3-torch): %w", errors.Join(errs...))
}

// run writes the embedded script to a temporary file and runs it,
// passing its progress lines to log.
func (t torchRun) run(log io.Writer) (*torchReport, error) {
	py := t.python
	dir, err := os.MkdirTemp("", "anvil-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "pytorch_compare.py")
	if err := os.WriteFile(script, pytorchScript, 0o644); err != nil {
		return nil, err
	}
	var stdout bytes.Buffer
	cmd := exec.Command(py, append([]string{script}, t.args()...)...)
	cmd.Stdout, cmd.Stderr = &stdout, log
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s pytorch_compare.py: %w", py, err)
	}
	var rep torchReport
	if err := json.Unmarshal([]byte(lastLine(stdout.Bytes())), &rep); err != nil {
		return nil, fmt.Errorf("pytorch_compare.py output: %w", err)
	}
	rep.Python = py
	return &rep, nil
}

func (t torchRun) args() []string {
	batches := make([]string, len(t.batches))
	for i, b := range t.batches {
		batches[i] = strconv.Itoa(b)
	}
	return []string{"--models", strings.Join(t.models, ","), "--batches", strings.Join(batches, ","),
		"--seconds", strconv.FormatFloat(t.seconds, 'g', -1, 64), "--repeats", strconv.Itoa(t.repeats),
		"--threads", strconv.Itoa(runtime.GOMAXPROCS(0)), "--data-dir", t.dataDir}
}

// envString prints the variables as K=V pairs in a stable order.
func envString(env map[string]string) string {
	if len(env) == 0 {
		return "default"
	}
	var kv []string
	for k, v := range env {
		kv = append(kv, k+"="+v)
	}
	slices.Sort(kv)
	return strings.Join(kv, " ")
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// printComparison sets Anvil's rows beside PyTorch's: every backend of the
// kind PyTorch ran on (the CPU backend against PyTorch on the CPU, Vulkan
// devices against PyTorch on CUDA). Ratios above 1 mean Anvil is faster.
func printComparison(w io.Writer, tr *torchReport, rs []e2eResult) error {
	fmt.Fprintf(w, "\nANVIL vs PYTORCH %s on %s, %d threads, BLAS %s, environment %s\n",
		tr.Torch, tr.DeviceName, tr.Threads, tr.BLAS, envString(tr.Env))
	fmt.Fprintln(w, "images/s, same models, PyTorch run right after Anvil at each batch size; cpu-s: ratio of images per CPU second")
	fmt.Fprintf(w, "PyTorch TF32: cuDNN %v, matmul %v; graph: the whole step in a CUDA graph; compiled: torch.compile\n",
		tr.TF32.CuDNN, tr.TF32.Matmul)
	t := newTable(w, "model", "batch", "anvil backend", "train anvil", "train torch", "anvil/torch", "cpu-s",
		"torch graph", "torch compiled", "infer anvil", "infer torch", "anvil/torch", "cpu-s")
	for _, p := range tr.Results {
		for _, tr2 := range rs {
			if tr2.Mode != "train" || tr2.Model != p.Model || tr2.Batch != p.Batch || !sameDevice(tr2.Backend, tr.Device) {
				continue
			}
			inf := findE2E(rs, p.Model, "infer", p.Batch, tr2.Backend)
			t.row(p.Model, fmt.Sprint(p.Batch), tr2.Backend,
				fmtCount(tr2.ImagesPerSec), fmtCount(p.TrainPerSec), fmtRatio(ratio(tr2.ImagesPerSec, p.TrainPerSec)),
				fmtRatio(ratio(tr2.ImagesPerCPUSec, p.TrainPerCPU)),
				fmtCount(p.GraphPerSec), fmtCount(p.CompiledPerSec),
				fmtCount(inf.ImagesPerSec), fmtCount(p.InferPerSec), fmtRatio(ratio(inf.ImagesPerSec, p.InferPerSec)),
				fmtRatio(ratio(inf.ImagesPerCPUSec, p.InferPerCPU)))
		}
	}
	return t.flush()
}

// sameDevice pairs an Anvil backend label with PyTorch's device.
func sameDevice(label, torchDevice string) bool {
	if torchDevice == "cpu" {
		return label == "cpu"
	}
	return strings.HasPrefix(label, "vulkan:")
}

func findE2E(rs []e2eResult, model, mode string, batch int, backend string) e2eResult {
	for _, r := range rs {
		if r.Model == model && r.Mode == mode && r.Batch == batch && r.Backend == backend {
			return r
		}
	}
	return e2eResult{}
}

func ratio(a, b float64) float64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	return a / b
}
