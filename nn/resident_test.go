package nn

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/anvil-ml/anvil/tensor"
)

// byteImages makes n 4×4×1 byte images whose class (of 3) is the brightest
// quarter, with labels.
func byteImages(n int) (*tensor.Bytes, []int) {
	rng := tensor.NewStream(21, 0)
	b := &tensor.Bytes{Shape: tensor.Shape{n, 4, 4, 1}, Data: make([]uint8, n*16)}
	labels := make([]int, n)
	for i := range n {
		labels[i] = i % 3
		for k := range 16 {
			v := rng.Float64() * 120
			if k/4 == labels[i] {
				v += 120
			}
			b.Data[i*16+k] = uint8(v)
		}
	}
	return b, labels
}

func imageModel(t *testing.T, loss string) *Model {
	t.Helper()
	ClearSession()
	m, err := NewSequential(Conv2D(2, 3, WithInputShape(4, 4, 1), WithActivation("relu")), Flatten(),
		Dropout(0.2), Dense(3, WithActivation("softmax")))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(Adam(0.01), loss, "accuracy"); err != nil {
		t.Fatal(err)
	}
	return m
}

// fitBoth trains two fresh models, one on a and one on b (the second with
// the data budget and, when given, its own validation data), and fails
// unless their histories, weights, evaluations and predictions are
// bit-identical.
func fitBoth(t *testing.T, loss string, budget int64, a, b Data, o FitOptions, bVal ...*Data) {
	t.Helper()
	ma, mb := imageModel(t, loss), imageModel(t, loss)
	mb.SetDataBudget(budget)
	ha, err := ma.FitData(context.Background(), a, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(bVal) > 0 {
		o.ValidationData = bVal[0]
	}
	hb, err := mb.FitData(context.Background(), b, o)
	if err != nil {
		t.Fatal(err)
	}
	for name, vals := range ha.Metrics {
		for i, v := range vals {
			if hb.Metrics[name][i] != v {
				t.Errorf("%s epoch %d: %v vs %v", name, i+1, v, hb.Metrics[name][i])
			}
		}
	}
	if !sameWeights(weightsOf(t, ma), weightsOf(t, mb)) {
		t.Error("the weights differ")
	}
	ea, err := ma.EvaluateData(a, 7)
	if err != nil {
		t.Fatal(err)
	}
	eb, err := mb.EvaluateData(b, 7)
	if err != nil {
		t.Fatal(err)
	}
	if ea.Values[0] != eb.Values[0] || ea.Values[1] != eb.Values[1] {
		t.Errorf("Evaluate %v vs %v", ea, eb)
	}
	pa, err := ma.PredictData(a, 5)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := mb.PredictData(b, 5)
	if err != nil {
		t.Fatal(err)
	}
	if !sameWeights([]*tensor.Tensor{pa}, []*tensor.Tensor{pb}) {
		t.Error("Predict differs")
	}
}

// TestBytesAndLabelsMatchFloats: byte images scaled on the backend and
// labels encoded there train exactly as the float images and targets the
// host would make, for one-hot and sparse losses.
func TestBytesAndLabelsMatchFloats(t *testing.T) {
	b, labels := byteImages(90)
	vb, vl := byteImages(20)
	o := FitOptions{Verbose: Silent, Epochs: 2, BatchSize: 16, Seed: 3}
	oneHot, _ := ToCategorical(labels, 3)
	vOneHot, _ := ToCategorical(vl, 3)
	compact := Data{Bytes: []*tensor.Bytes{b}, Labels: labels}
	o.ValidationData = &Data{Bytes: []*tensor.Bytes{vb}, Labels: vl}
	t.Run("one-hot", func(t *testing.T) {
		fitBoth(t, "categorical_crossentropy", 0, XY(b.Float(), oneHot), compact, o)
	})
	// Validation on float data and on bytes agree too.
	t.Run("one-hot validation", func(t *testing.T) {
		ov := o
		ov.ValidationData = &Data{X: []*tensor.Tensor{vb.Float()}, Y: vOneHot}
		fitBoth(t, "categorical_crossentropy", 0, XY(b.Float(), oneHot), compact, ov, o.ValidationData)
	})
	sparse := tensor.New(len(labels), 1)
	for i, l := range labels {
		sparse.Data[i] = float32(l)
	}
	t.Run("sparse", func(t *testing.T) {
		fitBoth(t, "sparse_categorical_crossentropy", 0, XY(b.Float(), sparse), compact, o)
	})
}

// TestStreamedDataMatchesResident: a data budget smaller than the set
// streams it in chunks, with the same results bit for bit.
func TestStreamedDataMatchesResident(t *testing.T) {
	b, labels := byteImages(100)
	vb, vl := byteImages(30)
	o := FitOptions{Verbose: Silent, Epochs: 2, BatchSize: 8, Seed: 5, ValidationData: &Data{Bytes: []*tensor.Bytes{vb}, Labels: vl}}
	d := Data{Bytes: []*tensor.Bytes{b}, Labels: labels}
	// 24 bytes a sample: two chunks of 16 samples fit 800 bytes.
	fitBoth(t, "categorical_crossentropy", 800, d, d, o)
	oneHot, _ := ToCategorical(labels, 3)
	f := XY(b.Float(), oneHot)
	o.ValidationData = nil
	fitBoth(t, "categorical_crossentropy", 2000, f, f, o)
}

func TestPlacement(t *testing.T) {
	m := imageModel(t, "categorical_crossentropy")
	b, labels := byteImages(100)
	d, err := m.checkData(Data{Bytes: []*tensor.Bytes{b}, Labels: labels}, "test", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		budget      int64
		rows, chunk int
	}{{0, 100, 0}, {2400, 100, 0}, {2399, 96, 48}, {800, 32, 16}, {10, 16, 8}} {
		m.SetDataBudget(c.budget)
		spec, chunk, err := m.placement(d, 8)
		if err != nil {
			t.Fatal(err)
		}
		if spec.rows != c.rows || chunk != c.chunk || !spec.labels || spec.inputs[0] != tensor.Uint8 {
			t.Errorf("budget %d: rows %d chunk %d spec %+v, want rows %d chunk %d", c.budget, spec.rows, chunk, spec, c.rows, c.chunk)
		}
	}
}

// TestStreamedResume: an interrupted streamed run resumes bit for bit.
func TestStreamedResume(t *testing.T) {
	b, labels := byteImages(100)
	d := Data{Bytes: []*tensor.Bytes{b}, Labels: labels}
	o := FitOptions{Verbose: Silent, Epochs: 2, BatchSize: 8, Seed: 6}
	whole := imageModel(t, "categorical_crossentropy")
	whole.SetDataBudget(800)
	if _, err := whole.FitData(context.Background(), d, o); err != nil {
		t.Fatal(err)
	}
	// Chunks of 16 samples, two steps each: step 2 resumes at the start of
	// the second chunk (slot 1, which still holds the first epoch's
	// samples), step 5 inside the third (slot 0 again).
	for _, step := range []int{2, 5} {
		m := imageModel(t, "categorical_crossentropy")
		m.SetDataBudget(800)
		o := o
		o.StepsPerExecution = 1
		_, err := m.FitData(&stepContext{Context: context.Background(), n: 13 + step + 1}, d, o)
		var stop *Interrupted
		if !errors.As(err, &stop) || stop.Epoch != 1 || stop.Step != step {
			t.Fatalf("Fit = %v, want an Interrupted at epoch 2 step %d", err, step)
		}
		o.InitialEpoch, o.InitialStep, o.InitialSums = stop.Epoch, stop.Step, stop.Sums
		if _, err := m.FitData(context.Background(), d, o); err != nil {
			t.Fatal(err)
		}
		if !sameWeights(weightsOf(t, whole), weightsOf(t, m)) {
			t.Errorf("resuming a streamed run at step %d did not reproduce the unbroken run", step)
		}
	}
}

// TestResidentUploadInPieces predicts a resident set of 6 MiB, which goes
// up in pieces of at most uploadPiece (4 MiB) bytes: each piece must land
// at its own rows, and the staging must stay within one piece.
func TestResidentUploadInPieces(t *testing.T) {
	const n, width = 1536, 1024 // 4 KiB a row: 1,024 rows a piece
	ClearSession()
	m, err := NewSequential(Dense(1, WithInputShape(width)))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(SGD(), "mse"); err != nil {
		t.Fatal(err)
	}
	x := tensor.New(n, width)
	rng := tensor.NewStream(3, 0)
	for i := range x.Data {
		x.Data[i] = float32(rng.Float64()*2 - 1)
	}
	got, err := m.Predict(x, 512)
	if err != nil {
		t.Fatal(err)
	}
	if c := cap(m.run.scratch); c > uploadPiece+64<<10 {
		t.Errorf("staging grew to %d bytes, more than a piece of %d", c, uploadPiece)
	}
	ws, err := m.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	kernel, bias := ws[0].Data, float64(ws[1].Data[0])
	for i := range n {
		want := bias
		for j, v := range x.Data[i*width : (i+1)*width] {
			want += float64(v) * float64(kernel[j])
		}
		// 1,024 float32 products summed: error well under 1e-4 here.
		if math.Abs(float64(got.Data[i])-want) > 1e-4 {
			t.Fatalf("row %d predicted %v, want %v", i, got.Data[i], want)
		}
	}
}

// TestFitStopsWhenTheLossDiverges: the loss is checked while the epoch
// runs, and the error says where it went.
func TestFitStopsWhenTheLossDiverges(t *testing.T) {
	monitorEvery = 0
	defer func() { monitorEvery = 100 * time.Millisecond }()
	x, y := spiral(200)
	y.Data[37] = 1e30 // a regression target far out of range
	ClearSession()
	m, err := NewSequential(Dense(4, WithInputShape(2)), Dense(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(SGD(), "mse"); err != nil {
		t.Fatal(err)
	}
	_, err = m.Fit(context.Background(), x, y, FitOptions{Verbose: Silent, BatchSize: 10, Epochs: 3, NoShuffle: true, StepsPerExecution: 1})
	var nf *LossNotFinite
	if !errors.As(err, &nf) || nf.Epoch != 0 || nf.Step != 4 || nf.Steps != 20 || !strings.Contains(err.Error(), "in epoch 1 at step 4/20") {
		t.Fatalf("Fit = %v, want a LossNotFinite in epoch 1 at step 4/20", err)
	}
	if m.compiled.step != 4 {
		t.Errorf("training went on to step %d", m.compiled.step)
	}
}

func TestDataErrors(t *testing.T) {
	m := imageModel(t, "categorical_crossentropy")
	b, labels := byteImages(10)
	f := b.Float()
	bad := append([]int(nil), labels...)
	bad[4] = 3
	checks := []struct {
		name string
		d    Data
		want string
	}{
		{"both feature forms", Data{X: []*tensor.Tensor{f}, Bytes: []*tensor.Bytes{b}, Labels: labels}, "not both"},
		{"both target forms", Data{Bytes: []*tensor.Bytes{b}, Labels: labels, Y: tensor.New(10, 3)}, "not both"},
		{"label out of range", Data{Bytes: []*tensor.Bytes{b}, Labels: bad}, "label 3 of sample 4"},
		{"too few labels", Data{Bytes: []*tensor.Bytes{b}, Labels: labels[:9]}, "10 samples but 9 labels"},
		{"wrong byte shape", Data{Bytes: []*tensor.Bytes{{Shape: tensor.Shape{8, 20}, Data: b.Data[:160]}}, Labels: labels}, "shape"},
		{"short byte data", Data{Bytes: []*tensor.Bytes{{Shape: tensor.Shape{10, 4, 4, 1}, Data: b.Data[:100]}}, Labels: labels}, "shape"},
		{"no inputs", Data{Labels: labels}, "inputs"},
	}
	for _, c := range checks {
		_, err := m.FitData(context.Background(), c.d, FitOptions{Verbose: Silent})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.want)
		}
	}
	t.Setenv("ANVIL_DATA_BUDGET", "lots")
	if _, err := m.EvaluateData(Data{Bytes: []*tensor.Bytes{b}, Labels: labels}, 4); err == nil || !strings.Contains(err.Error(), "ANVIL_DATA_BUDGET") {
		t.Errorf("a bad budget: %v", err)
	}
}

// limitedBackend is the CPU backend claiming a small largest buffer, as a
// GPU's maxStorageBufferRange does.
type limitedBackend struct {
	tensor.Backend
	limit int64
}

func (b limitedBackend) MaxBufferBytes() int64 { return b.limit }

// TestBufferLimitStreams: a set whose buffer would pass the backend's
// largest buffer is streamed, with the same results.
func TestBufferLimitStreams(t *testing.T) {
	b, labels := byteImages(100)
	d := Data{Bytes: []*tensor.Bytes{b}, Labels: labels}
	m := imageModel(t, "categorical_crossentropy")
	if err := m.SetBackend(limitedBackend{m.Backend(), 16 * 16 * 2}); err != nil {
		t.Fatal(err)
	}
	cd, err := m.checkData(d, "test", true)
	if err != nil {
		t.Fatal(err)
	}
	spec, chunk, err := m.placement(cd, 8)
	if err != nil || chunk != 16 || spec.rows != 32 {
		t.Fatalf("placement: rows %d chunk %d err %v, want two chunks of 16", spec.rows, chunk, err)
	}
	whole := imageModel(t, "categorical_crossentropy")
	o := FitOptions{Verbose: Silent, Epochs: 2, BatchSize: 8, Seed: 8}
	if _, err := whole.FitData(context.Background(), d, o); err != nil {
		t.Fatal(err)
	}
	if _, err := m.FitData(context.Background(), d, o); err != nil {
		t.Fatal(err)
	}
	if !sameWeights(weightsOf(t, whole), weightsOf(t, m)) {
		t.Error("streaming under a buffer limit changed the weights")
	}
}

// TestCallbacksMayUseTheModel: an OnEpochEnd that predicts and evaluates
// on other data (which rebuilds the program or takes its sets) leaves
// training and validation exactly as without it.
func TestCallbacksMayUseTheModel(t *testing.T) {
	b, labels := byteImages(60)
	vb, vl := byteImages(20)
	d := Data{Bytes: []*tensor.Bytes{b}, Labels: labels}
	o := FitOptions{Verbose: Silent, Epochs: 3, BatchSize: 8, Seed: 2, ValidationData: &Data{Bytes: []*tensor.Bytes{vb}, Labels: vl}}
	plain := imageModel(t, "categorical_crossentropy")
	hPlain, err := plain.FitData(context.Background(), d, o)
	if err != nil {
		t.Fatal(err)
	}
	m := imageModel(t, "categorical_crossentropy")
	other := vb.Float()
	oneHot, _ := ToCategorical(vl, 3)
	// A progress report (at least one at each epoch's end, before the
	// epoch's sums are read) that rebuilds the program with a larger
	// prediction set each time.
	reports := 0
	o.OnProgress = func(p Progress) error {
		reports++
		rows := tensor.New(append(tensor.Shape{20 + reports}, other.Shape[1:]...)...)
		_, err := m.Predict(rows, 3)
		return err
	}
	o.OnEpochEnd = func(e EpochEnd) error {
		if _, err := m.Predict(other, 1); err != nil {
			return err
		}
		// Float data of more rows than the validation set: a rebuild.
		big := tensor.New(append(tensor.Shape{3 * other.Rows()}, other.Shape[1:]...)...)
		bigY := tensor.New(3*other.Rows(), 3)
		for k := range 3 {
			copy(big.Data[k*len(other.Data):], other.Data)
			copy(bigY.Data[k*len(oneHot.Data):], oneHot.Data)
		}
		_, err := m.Evaluate(big, bigY, 4+e.Epoch)
		return err
	}
	h, err := m.FitData(context.Background(), d, o)
	if err != nil {
		t.Fatal(err)
	}
	for name, vals := range hPlain.Metrics {
		for i, v := range vals {
			if h.Metrics[name][i] != v {
				t.Errorf("%s epoch %d: %v with the callback, %v without", name, i+1, h.Metrics[name][i], v)
			}
		}
	}
	if !sameWeights(weightsOf(t, plain), weightsOf(t, m)) {
		t.Error("a callback that used the model changed the training")
	}
	if reports < 3 {
		t.Errorf("%d progress reports, want one per epoch at least", reports)
	}
}
