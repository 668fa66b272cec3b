package oracle

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "github.com/anvil-ml/anvil/backend" // the CPU backend is the default
	"github.com/anvil-ml/anvil/models"
	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/tensor"
)

const (
	steps = 20
	batch = 8
	seed  = 11 // Fit's seed: the dropout draws
	lr    = 0.001
)

// small is the images the oracle trains on: 8×8 keeps the run short, and
// its stride-2 "same" convolutions still pad an odd total (one extra row
// and column), which TensorFlow puts at the bottom and right.
var small = models.Image{H: 8, W: 8, C: 3, Classes: 10}

// oracleCase is one model trained by Anvil and replayed by replay.py.
type oracleCase struct {
	model   string // replay.py's name for it
	build   func(models.Image) (*nn.Model, error)
	loss    string
	targets func(r *rand.Rand, n int) *tensor.Tensor
	// noise names the biases that feed BatchNormalization directly. BN
	// subtracts the batch mean, so their exact gradient is zero and what
	// any float32 implementation computes is rounding noise, which Adam
	// normalises into steps of up to about lr in either direction. The
	// replay adopts Anvil's values of them after each step (they do not
	// affect the loss, but they do shift BN's moving mean), and the test
	// only bounds them (see noiseBound).
	noise []string
}

var cases = map[string]oracleCase{
	"fnn":        {"fnn", models.FNNFor, "categorical_crossentropy", oneHot, nil},
	"simple-cnn": {"simple-cnn", models.SimpleCNNFor, nn.FromLogits("categorical_crossentropy"), oneHot, nil},
	"cnn": {"cnn", models.CNNFor, "categorical_crossentropy", oneHot,
		[]string{"conv2d/bias", "conv2d_1/bias", "conv2d_2/bias", "conv2d_3/bias", "dense/bias"}},
	"shared": {"shared", sharedModel, "binary_crossentropy", binaryPairs, []string{"shared_conv/bias"}},
}

// sharedModel calls a Conv2D, a BatchNormalization, a Dense and a sigmoid
// head on two branches each, with a Dropout of rate 0.2 on one (a rate
// other than 0.5, so rate and 1−rate differ). Its output concatenates two
// probabilities, so binary cross-entropy runs on probabilities, with
// Keras's clipping and epsilon, rather than fused with the sigmoid.
// replay.py's shared() mirrors it.
func sharedModel(im models.Image) (*nn.Model, error) {
	in := nn.Input(im.H, im.W, im.C)
	conv := nn.Conv2D(4, 3, nn.WithStrides(2), nn.WithPadding("same"), nn.WithName("shared_conv"))
	bn := nn.BatchNormalization(nn.WithName("shared_bn"))
	dense := nn.Dense(16, nn.WithActivation("relu"), nn.WithName("shared_dense"))
	head := nn.Dense(1, nn.WithActivation("sigmoid"), nn.WithName("head"))
	a := nn.Flatten().Call(nn.LeakyReLU().Call(bn.Call(conv.Call(in))))
	pre := nn.Conv2D(3, 1, nn.WithName("pre")).Call(in)
	b := nn.Flatten().Call(nn.LeakyReLU().Call(bn.Call(conv.Call(pre))))
	ha := nn.Dropout(0.2).Call(dense.Call(a))
	hb := dense.Call(b)
	out := nn.Concatenate().Call(head.Call(ha), head.Call(hb))
	return nn.NewModel([]*nn.Symbol{in}, out)
}

func oneHot(r *rand.Rand, n int) *tensor.Tensor {
	y := tensor.New(n, small.Classes)
	for i := 0; i < n; i++ {
		y.Data[i*small.Classes+r.IntN(small.Classes)] = 1
	}
	return y
}

func binaryPairs(r *rand.Rand, n int) *tensor.Tensor {
	y := tensor.New(n, 2)
	for i := range y.Data {
		y.Data[i] = float32(r.IntN(2))
	}
	return y
}

// anvilRun is what Anvil did: its initial and final weights, the loss of
// each step and, per step, the dropout draws of each Dropout call.
type anvilRun struct {
	vars        []*nn.Variable
	w0, w1      []*tensor.Tensor
	losses      []float64
	draws       [][][]float32
	pinned      []float32 // per step, the noise biases' values after it
	x, y        *tensor.Tensor
	dropoutSize []int
}

// train runs Anvil: one Fit per step on that step's batch, in order, so
// each step's loss is reported and the batch order is explicit (step s
// trains on samples s·batch … (s+1)·batch−1). Fit's step counter runs on
// across the calls, as Adam's and the dropout draws' step.
func train(t *testing.T, c oracleCase) anvilRun {
	t.Helper()
	nn.ClearSession()
	nn.SetRandomSeed(7)
	m, err := c.build(small)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Compile(nn.Adam(lr), c.loss); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	n := steps * batch
	run := anvilRun{vars: m.Variables(), x: tensor.New(n, small.H, small.W, small.C), y: c.targets(r, n)}
	for i := range run.x.Data {
		run.x.Data[i] = r.Float32()
	}
	if run.w0, err = m.GetWeights(); err != nil {
		t.Fatal(err)
	}
	for s := 0; s < steps; s++ {
		xb, yb := rows(run.x, s*batch, batch), rows(run.y, s*batch, batch)
		h, err := m.Fit(context.Background(), xb, yb, nn.FitOptions{Verbose: nn.Silent, BatchSize: batch, NoShuffle: true, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		run.losses = append(run.losses, h.Metrics["loss"][0])
		d, err := m.DropoutDraws(seed, uint64(s+1), batch)
		if err != nil {
			t.Fatal(err)
		}
		run.draws = append(run.draws, d)
		w, err := m.GetWeights()
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range run.vars {
			if slices.Contains(c.noise, v.Name) {
				run.pinned = append(run.pinned, w[i].Data...)
			}
		}
	}
	for _, d := range run.draws[0] {
		run.dropoutSize = append(run.dropoutSize, len(d)/batch)
	}
	if run.w1, err = m.GetWeights(); err != nil {
		t.Fatal(err)
	}
	return run
}

// rows returns count samples of x from first on.
func rows(x *tensor.Tensor, first, count int) *tensor.Tensor {
	shape := append([]int{count}, x.Shape[1:]...)
	out := tensor.New(shape...)
	per := len(x.Data) / x.Shape[0]
	copy(out.Data, x.Data[first*per:(first+count)*per])
	return out
}

// torchRun is what replay.py did.
type torchRun struct {
	Losses  []float64   `json:"losses"`
	Weights [][]float64 `json:"weights"`
}

// replay writes run's inputs for replay.py, runs it and reads its result.
func replay(t *testing.T, python string, c oracleCase, run anvilRun) torchRun {
	t.Helper()
	dir := t.TempDir()
	type weight struct {
		Name      string `json:"name"`
		Shape     []int  `json:"shape"`
		Trainable bool   `json:"trainable"`
	}
	meta := map[string]any{"model": c.model, "pinned": c.noise, "steps": steps, "batch": batch, "learning_rate": lr,
		"input": []int{small.H, small.W, small.C}, "targets": run.y.Shape[1], "dropout_sizes": run.dropoutSize}
	var ws []weight
	for _, v := range run.vars {
		ws = append(ws, weight{v.Name, v.Shape, v.Trainable})
	}
	meta["weights"] = ws
	writeJSON(t, filepath.Join(dir, "meta.json"), meta)
	writeFloats(t, filepath.Join(dir, "x.bin"), run.x.Data)
	writeFloats(t, filepath.Join(dir, "y.bin"), run.y.Data)
	var w0, u []float32
	for _, w := range run.w0 {
		w0 = append(w0, w.Data...)
	}
	for _, step := range run.draws {
		for _, d := range step {
			u = append(u, d...)
		}
	}
	writeFloats(t, filepath.Join(dir, "w0.bin"), w0)
	writeFloats(t, filepath.Join(dir, "u.bin"), u)
	writeFloats(t, filepath.Join(dir, "pinned.bin"), run.pinned)
	cmd := exec.Command(python, "replay.py", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("replay.py: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "torch.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tr torchRun
	if err := json.Unmarshal(raw, &tr); err != nil {
		t.Fatalf("torch.json: %v", err)
	}
	return tr
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err == nil {
		err = os.WriteFile(path, b, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func writeFloats(t *testing.T, path string, data []float32) {
	t.Helper()
	b := make([]byte, 4*len(data))
	for i, f := range data {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// findTorch returns a python3 that imports torch: the one on PATH, else
// Debian's /usr/bin/python3 (a PATH python such as pyenv's does not see
// Debian's python3-torch). Without one the test skips, or fails when
// ANVIL_REQUIRE_TORCH=1.
func findTorch(t *testing.T) string {
	t.Helper()
	var tried []string
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(py)
		if err != nil {
			tried = append(tried, fmt.Sprintf("%s: %v", py, err))
			continue
		}
		out, err := exec.Command(path, "-c", "import torch, numpy").CombinedOutput()
		if err == nil {
			return path
		}
		tried = append(tried, fmt.Sprintf("%s: %v: %s", path, err, lastLine(out)))
	}
	msg := "no python3 with torch and numpy (apt-get install python3-torch; .ci/setup.sh does): " + strings.Join(tried, "; ")
	if os.Getenv("ANVIL_REQUIRE_TORCH") == "" {
		t.Skip(msg + " (set ANVIL_REQUIRE_TORCH=1 to fail instead)")
	}
	t.Fatal(msg)
	return ""
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

// TestTrainingMatchesPyTorchWithKerasRules trains each case 20 steps in
// Anvil (on the CPU reference backend) and in replay.py, and compares the
// loss of every step and every final weight, BatchNormalization's moving
// statistics included.
func TestTrainingMatchesPyTorchWithKerasRules(t *testing.T) {
	python := findTorch(t)
	for _, name := range []string{"fnn", "simple-cnn", "cnn", "shared"} {
		t.Run(name, func(t *testing.T) {
			c := cases[name]
			run := train(t, c)
			tr := replay(t, python, c, run)
			compareRuns(t, c, run, tr)
		})
	}
}

func compareRuns(t *testing.T, c oracleCase, run anvilRun, tr torchRun) {
	t.Helper()
	if len(tr.Losses) != steps || len(tr.Weights) != len(run.w1) {
		t.Fatalf("replay.py returned %d losses and %d weight arrays, want %d and %d", len(tr.Losses), len(tr.Weights), steps, len(run.w1))
	}
	worstLoss := 0.0
	for s, want := range tr.Losses {
		d := math.Abs(run.losses[s] - want)
		worstLoss = max(worstLoss, d/(1+math.Abs(want)))
		if !(d <= lossTol*(1+math.Abs(want))) {
			t.Errorf("step %d: loss %.7f in Anvil, %.7f in PyTorch (limit %.2g)", s+1, run.losses[s], want, lossTol*(1+math.Abs(want)))
		}
	}
	worstW, where := 0.0, ""
	for i, v := range run.vars {
		if slices.Contains(c.noise, v.Name) {
			checkNoise(t, v.Name, run.w0[i].Data, run.w1[i].Data)
			continue
		}
		bad := 0
		for j, got := range run.w1[i].Data {
			want := tr.Weights[i][j]
			d := math.Abs(float64(got) - want)
			if r := d / (weightAbs + weightRel*math.Abs(want)); r > worstW || math.IsNaN(r) {
				worstW, where = r, fmt.Sprintf("%s[%d]: anvil %.8g, torch %.8g", v.Name, j, got, want)
			}
			if !(d <= weightAbs+weightRel*math.Abs(want)) {
				if bad++; bad <= 3 {
					t.Errorf("%s[%d]: %.8g in Anvil, %.8g in PyTorch (initially %.8g)", v.Name, j, got, want, run.w0[i].Data[j])
				}
			}
		}
		if bad > 3 {
			t.Errorf("%s: %d of %d values differ", v.Name, bad, len(run.w1[i].Data))
		}
	}
	t.Logf("worst loss difference %.3g of the limit's scale; worst weight difference %.3g of its limit (%s)", worstLoss, worstW, where)
}

// The tolerances. Both sides compute in float32 (Anvil's CPU reference
// backend, PyTorch's CPU kernels), in different orders, so each result
// carries rounding of ~6e-8 relative per operation, and sums over n terms
// up to ~n·6e-8 (a conv or matmul here sums ≤ 3072 terms: ≤ 2e-4 worst
// case, ~3e-6 typically).
//
//   - Loss: each step's loss is a smooth function of the weights, which
//     differ by the amounts below, plus its own float32 mean: 1e-5
//     relative (measured: ≤ 1.1e-6).
//   - Weights: Adam moves a weight by lr·m̂/(sqrt(v̂)+ε), whatever the
//     gradient's scale, so a relative gradient error δ moves a weight by
//     about lr·δ per step, and 20 steps by 20·lr·δ = 0.02·δ. Gradients that
//     are differences of larger terms (batch normalisation over 8 samples,
//     a mean over a small batch) carry relative errors δ up to ~1e-3, so
//     weightAbs = 3e-5 (0.02·1.5e-3), and weightRel = 3e-4 covers the
//     relative rounding of the weights' own sums and of BN's moving
//     statistics (an average of 20 float32 batch moments). Measured: the
//     worst weight is at 0.3 of this limit (a CNN dense kernel whose
//     gradient goes through 2-D batch normalisation), the others ≤ 0.03.
//
// The mistakes the test is for move far more. Planted one at a time, each
// failed it: BN momentum 0.99 → 0.01 (cnn, shared: moving means off by
// 3e-2), dropout rate → 1−rate (shared; the CNN's 0.5 cannot show it),
// LeakyReLU's slope 0.3 → 0.01 (cnn, shared: step-1 loss off by 0.25),
// the clipping epsilon 1e-7 → 1e-4 (shared, the one loss on
// probabilities: step-1 loss off by 2e-4), "same" padding's extra row at
// the top (simple-cnn, cnn, shared: step-1 loss off by 0.2), and Adam's
// epsilon 1e-7 → 1e-8 (every case: weights whose gradients are often
// exactly zero, behind dead ReLU units or in the simple CNN's kernels, have
// a tiny v̂ that epsilon dominates); epsilon 0 gives NaN at once.
const (
	lossTol   = 1e-5
	weightAbs = 3e-5
	weightRel = 3e-4
)

// noiseBound is how far Adam can move a weight in steps: each update is
// lr·m̂/(sqrt(v̂)+ε), and |m̂|/sqrt(v̂) ≤ (1−β1)/sqrt(1−β2)·(1−β2^t)^½/(1−β1^t)
// ≤ 1 for Keras's β1 = 0.9, β2 = 0.999 over these 20 steps (|m̂| is a
// weighted mean of |g|, sqrt(v̂) a weighted root-mean-square of g with
// weights no more concentrated), so lr per step.
const noiseBound = lr * steps

// checkNoise bounds a bias whose exact gradient is zero (see
// oracleCase.noise): Adam moved it no further than noiseBound.
func checkNoise(t *testing.T, name string, w0, w1 []float32) {
	t.Helper()
	for j := range w1 {
		if d := math.Abs(float64(w1[j]) - float64(w0[j])); !(d <= noiseBound*(1+1e-6)) {
			t.Errorf("%s[%d] moved %g in %d steps, more than Adam's bound %g", name, j, d, steps, noiseBound)
		}
	}
}
