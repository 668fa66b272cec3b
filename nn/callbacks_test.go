package nn

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tinyModel is a compiled one-weight model for driving callbacks.
func tinyModel(t *testing.T, opt Optimizer) *Model {
	t.Helper()
	ClearSession()
	m, err := NewSequential(Dense(1, WithInputShape(1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(opt, "mse"); err != nil {
		t.Fatal(err)
	}
	return m
}

// setKernel makes the model's single kernel weight k, so a test can tell
// which epoch's weights a callback kept.
func setKernel(t *testing.T, m *Model, k float32) {
	t.Helper()
	ws, err := m.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	ws[0].Data[0] = k
	if err := m.SetWeights(ws); err != nil {
		t.Fatal(err)
	}
}

func kernel(t *testing.T, m *Model) float32 {
	t.Helper()
	ws, err := m.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	return ws[0].Data[0]
}

// drive runs the epoch hooks of c over a sequence of monitored values,
// setting the kernel to the epoch number first, and reports the epoch
// after which the model asked to stop (-1: never).
func drive(t *testing.T, m *Model, c Callback, key string, vals []float64) int {
	t.Helper()
	m.stopTraining = false
	c.SetModel(m)
	c.SetParams(Params{Epochs: len(vals)})
	if err := c.OnTrainBegin(Logs{}); err != nil {
		t.Fatal(err)
	}
	stopped := -1
	for epoch, v := range vals {
		setKernel(t, m, float32(epoch))
		if err := c.OnEpochEnd(epoch, Logs{key: v, "loss": 1}); err != nil {
			t.Fatal(err)
		}
		if m.StopRequested() {
			stopped = epoch
			break
		}
	}
	if err := c.OnTrainEnd(Logs{}); err != nil {
		t.Fatal(err)
	}
	return stopped
}

// TestEarlyStopping follows Keras's on_epoch_end by hand for each case.
func TestEarlyStopping(t *testing.T) {
	m := tinyModel(t, SGD())
	base := 0.5
	cases := []struct {
		name      string
		setup     func(c *EarlyStoppingCallback)
		key       string
		vals      []float64
		wantStop  int
		wantBest  int
		wantFinal float32 // kernel after training ends
	}{
		// best at epoch 1; epochs 2 and 3 wait 1 and 2 = patience.
		{"patience", func(c *EarlyStoppingCallback) { c.Patience = 2 }, "val_loss", []float64{1, 0.9, 0.95, 0.96, 0.97}, 3, 1, 3},
		// 0.9 is not 0.2 better than 1: waits from epoch 1.
		{"min_delta", func(c *EarlyStoppingCallback) { c.Patience = 2; c.MinDelta = 0.2 }, "val_loss", []float64{1, 0.9, 0.95, 0.96}, 2, 0, 2},
		// Improving but never below the baseline: waiting never restarts.
		{"baseline", func(c *EarlyStoppingCallback) { c.Patience = 2; c.Baseline = &base }, "val_loss", []float64{1, 0.9, 0.95}, 2, 1, 2},
		// accuracy is maximized in auto mode.
		{"max", func(c *EarlyStoppingCallback) { c.Monitor = "val_accuracy"; c.Patience = 1 }, "val_accuracy", []float64{0.5, 0.7, 0.6}, 2, 1, 2},
		// Restores the best epoch's weights (kernel = epoch number).
		{"restore", func(c *EarlyStoppingCallback) { c.Patience = 1; c.RestoreBestWeights = true }, "val_loss", []float64{1, 0.5, 0.7, 0.8}, 2, 1, 1},
		{"never", func(c *EarlyStoppingCallback) { c.Patience = 1 }, "val_loss", []float64{3, 2, 1}, -1, 2, 2},
		// Patience 0 still never stops at epoch 0 (Keras's epoch > 0).
		{"start", func(c *EarlyStoppingCallback) { c.StartFromEpoch = 2 }, "val_loss", []float64{1, 2, 3, 4}, 3, 2, 3},
	}
	for _, tc := range cases {
		c := EarlyStopping()
		tc.setup(c)
		stop := drive(t, m, c, tc.key, tc.vals)
		if stop != tc.wantStop || c.BestEpoch != tc.wantBest || kernel(t, m) != tc.wantFinal {
			t.Errorf("%s: stopped after epoch %d, best %d, final kernel %v; want %d, %d, %v",
				tc.name, stop, c.BestEpoch, kernel(t, m), tc.wantStop, tc.wantBest, tc.wantFinal)
		}
	}
	c := EarlyStopping()
	c.Monitor = "val_loss"
	c.SetModel(m)
	c.OnTrainBegin(Logs{})
	wantErr(t, c.OnEpochEnd(0, Logs{"loss": 1}), `"val_loss"`, "validation data")
	c.Monitor, c.Mode = "f1", "auto"
	wantErr(t, c.OnTrainBegin(Logs{}), `"f1"`, `mode "max" or "min"`)
}

// TestModelCheckpointSaveBestOnly: only improving epochs are saved, and
// the file holds the best epoch's weights.
func TestModelCheckpointSaveBestOnly(t *testing.T) {
	m := tinyModel(t, SGD())
	dir := filepath.Join(t.TempDir(), "best")
	c := ModelCheckpoint(dir)
	c.SaveBestOnly = true
	drive(t, m, c, "val_loss", []float64{1, 0.5, 0.7})
	saved, err := LoadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	if k := kernel(t, saved); k != 1 {
		t.Errorf("saved kernel %v, want epoch 1's (1)", k)
	}

	every := ModelCheckpoint(filepath.Join(t.TempDir(), "ep{epoch:02d}-{val_loss:.2f}"))
	drive(t, m, every, "val_loss", []float64{1, 0.5})
	for _, name := range []string{"ep01-1.00", "ep02-0.50"} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(every.Filepath), name, ModelWeightsFile)); err != nil {
			t.Errorf("epoch checkpoint %s: %v", name, err)
		}
	}
}

func TestFormatFilepath(t *testing.T) {
	logs := Logs{"val_loss": 0.123456, "accuracy": 0.5}
	for in, want := range map[string]string{
		"w.{epoch:02d}-{val_loss:.2f}": "w.03-0.12",
		"{epoch}_{accuracy}":           "3_0.5",
		"plain":                        "plain",
		"e{epoch:03}":                  "e003",
	} {
		got, err := formatFilepath(in, 2, logs)
		if err != nil || got != want {
			t.Errorf("formatFilepath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := formatFilepath("{nope}", 0, logs)
	wantErr(t, err, "{nope}")
	_, err = formatFilepath("{val_loss:03d}", 0, logs)
	wantErr(t, err, "integer")
	_, err = formatFilepath("{val_loss:>9s}", 0, logs)
	wantErr(t, err, "unsupported format")
}

// TestReduceLROnPlateau follows Keras's on_epoch_end by hand on a flat
// loss: patience 2, factor 0.5, cooldown 1, min_lr 0.02.
func TestReduceLROnPlateau(t *testing.T) {
	opt := &SGDOptimizer{LR: 0.1}
	m := tinyModel(t, opt)
	c := ReduceLROnPlateau()
	c.Patience, c.Factor, c.Cooldown, c.MinLR = 2, 0.5, 1, 0.02
	c.SetModel(m)
	if err := c.OnTrainBegin(Logs{}); err != nil {
		t.Fatal(err)
	}
	want := []float32{0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02, 0.02}
	for epoch, w := range want {
		if err := c.OnEpochEnd(epoch, Logs{"val_loss": 1}); err != nil {
			t.Fatal(err)
		}
		if got := opt.LearningRate(); math.Abs(float64(got-w)) > 1e-9 {
			t.Errorf("after epoch %d: rate %v, want %v", epoch, got, w)
		}
	}
	c.Factor = 1
	wantErr(t, c.OnTrainBegin(Logs{}), "factor 1")
}

// TestLearningRateSchedulerInFit: the function sets each epoch's rate
// before its first step, and the steps use it.
func TestLearningRateSchedulerInFit(t *testing.T) {
	opt := &SGDOptimizer{LR: 0.1}
	m := tinyModel(t, opt)
	rec := &recorder{}
	sched := LearningRateScheduler(func(epoch int, lr float32) float32 {
		if epoch == 0 {
			return lr
		}
		return lr / 2
	})
	x := mustTensor(t, []float32{1, 2, 3, 4}, 4, 1)
	if _, err := m.Fit(context.Background(), x, x, FitOptions{Verbose: Silent, Epochs: 3, BatchSize: 2,
		Callbacks: []Callback{sched, rec}}); err != nil {
		t.Fatal(err)
	}
	want := []float32{0.1, 0.05, 0.025}
	for i, w := range want {
		if rec.rates[i] != w {
			t.Errorf("epoch %d ran at %v, want %v", i, rec.rates[i], w)
		}
	}
	bad := LearningRateScheduler(func(int, float32) float32 { return -1 })
	_, err := m.Fit(context.Background(), x, x, FitOptions{Verbose: Silent, Callbacks: []Callback{bad}})
	wantErr(t, err, "learning rate -1", "positive")
}

// recorder logs every hook call.
type recorder struct {
	BaseCallback
	calls     []string
	rates     []float32
	stopAt    int // batch of epoch 0 after which to stop; 0: never
	batchLogs []Logs
}

func (r *recorder) OnTrainBegin(Logs) error { r.calls = append(r.calls, "train_begin"); return nil }
func (r *recorder) OnTrainEnd(Logs) error   { r.calls = append(r.calls, "train_end"); return nil }
func (r *recorder) OnEpochBegin(e int, _ Logs) error {
	r.calls = append(r.calls, "epoch_begin")
	r.rates = append(r.rates, r.Model().Optimizer().LearningRate())
	return nil
}
func (r *recorder) OnEpochEnd(e int, _ Logs) error {
	r.calls = append(r.calls, "epoch_end")
	return nil
}
func (r *recorder) OnTrainBatchBegin(b int, _ Logs) error {
	r.calls = append(r.calls, "batch_begin")
	return nil
}
func (r *recorder) OnTrainBatchEnd(b int, logs Logs) error {
	r.calls = append(r.calls, "batch_end")
	r.batchLogs = append(r.batchLogs, logs)
	if r.stopAt > 0 && b+1 == r.stopAt {
		r.Model().StopTraining()
	}
	return nil
}

// TestStopTrainingEndsFitNormally: a callback's StopTraining ends the
// epoch after that step; its epoch-end hooks and OnTrainEnd still run and
// Fit returns no error.
func TestStopTrainingEndsFitNormally(t *testing.T) {
	m := tinyModel(t, SGD())
	rec := &recorder{stopAt: 2}
	x := mustTensor(t, []float32{1, 2, 3, 4, 5, 6, 7, 8}, 8, 1)
	var legacy int
	// One chunk could hold all 4 steps: the stop must end it at step 2.
	h, err := m.Fit(context.Background(), x, x, FitOptions{Verbose: Silent, Epochs: 5, BatchSize: 2, Callbacks: []Callback{rec},
		OnEpochEnd: func(EpochEnd) error { legacy++; return nil }, StepsPerExecution: 4})
	if err != nil {
		t.Fatal(err)
	}
	if m.compiled.step != 2 {
		t.Errorf("the optimizer took %d steps, want 2", m.compiled.step)
	}
	want := "train_begin epoch_begin batch_begin batch_end batch_begin batch_end epoch_end train_end"
	if got := strings.Join(rec.calls, " "); got != want {
		t.Errorf("hooks ran %s\nwant %s", got, want)
	}
	if len(h.Epoch) != 1 || legacy != 1 {
		t.Errorf("history has %d epochs, OnEpochEnd ran %d times; want 1 and 1", len(h.Epoch), legacy)
	}
	// The epoch's loss averages the 4 samples trained on, not all 8: it is
	// finite and the batch logs (no progress reads when silent) are empty.
	if l := h.Metrics["loss"][0]; math.IsNaN(l) || l <= 0 {
		t.Errorf("loss %v", l)
	}
	if len(rec.batchLogs[0]) != 0 {
		t.Errorf("batch logs %v before any progress read, want empty", rec.batchLogs[0])
	}
	// The next Fit starts with the flag cleared.
	h, err = m.Fit(context.Background(), x, x, FitOptions{Verbose: Silent, Epochs: 2, BatchSize: 4})
	if err != nil || len(h.Epoch) != 2 {
		t.Errorf("second Fit: %d epochs, %v", len(h.Epoch), err)
	}
}

// TestTerminateOnNaN: a diverging fit, which otherwise fails, ends
// normally at the first NaN epoch.
func TestTerminateOnNaN(t *testing.T) {
	m := tinyModel(t, &SGDOptimizer{LR: 10})
	x := mustTensor(t, []float32{1, 2, 3, 4}, 4, 1)
	var out strings.Builder
	h, err := m.Fit(context.Background(), x, x, FitOptions{Verbose: Silent, Out: &out, Epochs: 50, Callbacks: []Callback{TerminateOnNaN()}})
	if err != nil {
		t.Fatal(err)
	}
	last, _ := h.Last("loss")
	if len(h.Epoch) == 50 || !(math.IsNaN(last) || math.IsInf(last, 0)) {
		t.Errorf("ran %d epochs, last loss %v; want a stop at the first non-finite loss", len(h.Epoch), last)
	}
	if !strings.Contains(out.String(), "Invalid loss, terminating training") {
		t.Errorf("output %q lacks Keras's message", out.String())
	}
}

// TestCSVLogger: Keras's layout (epoch, then sorted keys), Python's float
// text, and append mode writing the header once.
func TestCSVLogger(t *testing.T) {
	m := tinyModel(t, SGD())
	x := mustTensor(t, []float32{1, 2, 3, 4}, 4, 1)
	path := filepath.Join(t.TempDir(), "log.csv")
	c := CSVLogger(path)
	fit := func() *History {
		h, err := m.Fit(context.Background(), x, x, FitOptions{Verbose: Silent, Epochs: 2, ValidationX: x, ValidationY: x, Callbacks: []Callback{c}})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	h := fit()
	data, _ := os.ReadFile(path)
	want := "epoch,loss,val_loss\r\n"
	for i := range 2 {
		want += strings.Join([]string{string(rune('0' + i)), pythonFloat(h.Metrics["loss"][i]), pythonFloat(h.Metrics["val_loss"][i])}, ",") + "\r\n"
	}
	if string(data) != want {
		t.Errorf("CSV:\n%q\nwant\n%q", data, want)
	}
	c.Append = true
	fit()
	data, _ = os.ReadFile(path)
	if n := strings.Count(string(data), "\r\n"); n != 5 || strings.Count(string(data), "epoch") != 1 {
		t.Errorf("after appending: %d lines, %d headers; want 5 and 1", n, strings.Count(string(data), "epoch"))
	}
	bad := CSVLogger(filepath.Join(t.TempDir(), "no", "such", "dir.csv"))
	_, err := m.Fit(context.Background(), x, x, FitOptions{Verbose: Silent, Callbacks: []Callback{bad}})
	wantErr(t, err, "CSVLogger", "no such file")
}

// TestPythonFloat: values as Python's repr writes them.
func TestPythonFloat(t *testing.T) {
	for v, want := range map[float64]string{1: "1.0", 0.1: "0.1", 1e-05: "1e-05", 0.0001: "0.0001", 1.5e-07: "1.5e-07",
		1e16: "1e+16", 123.25: "123.25", -2: "-2.0", 0: "0.0", math.Inf(1): "inf"} {
		if got := pythonFloat(v); got != want {
			t.Errorf("pythonFloat(%v) = %q, want %q", v, got, want)
		}
	}
	if got := pythonFloat(math.NaN()); got != "nan" {
		t.Errorf("NaN gives %q", got)
	}
}

// failAt is a callback whose OnEpochBegin or OnEpochEnd (with batch,
// OnTrainBatchBegin or OnTrainBatchEnd) fails at epoch or step (0-based)
// at.
type failAt struct {
	BaseCallback
	at           int
	begin, batch bool
}

var errHook = errors.New("the hook failed")

func (f *failAt) fails(begin, batch bool, i int) error {
	if f.begin == begin && f.batch == batch && i == f.at {
		return errHook
	}
	return nil
}

func (f *failAt) OnEpochBegin(epoch int, _ Logs) error  { return f.fails(true, false, epoch) }
func (f *failAt) OnEpochEnd(epoch int, _ Logs) error    { return f.fails(false, false, epoch) }
func (f *failAt) OnTrainBatchBegin(b int, _ Logs) error { return f.fails(true, true, b) }
func (f *failAt) OnTrainBatchEnd(b int, _ Logs) error   { return f.fails(false, true, b) }

// TestEpochHookErrorsNameTheEpoch: a failing epoch or batch hook ends Fit
// with its error, naming the epoch or step 1-based as the progress bar
// counts them.
func TestEpochHookErrorsNameTheEpoch(t *testing.T) {
	x, y := spiral(64) // 8 steps an epoch, queued several at a time
	for _, c := range []struct {
		begin, batch bool
		at           int
		want         string
	}{{true, false, 1, "before epoch 2"}, {false, false, 1, "after epoch 2"}, {true, true, 6, "step 7"}, {false, true, 6, "step 7"}} {
		m := checkpointModel(t)
		_, err := m.Fit(context.Background(), x, y, FitOptions{Verbose: Silent, Epochs: 3, BatchSize: 8,
			StepsPerExecution: 8, Callbacks: []Callback{&failAt{at: c.at, begin: c.begin, batch: c.batch}}})
		if !errors.Is(err, errHook) {
			t.Fatalf("Fit = %v, want the hook's error", err)
		}
		wantErr(t, err, c.want)
	}
}
