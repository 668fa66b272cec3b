package nn

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

func regModel(t *testing.T, reg *Regularizer) *Model {
	t.Helper()
	ClearSession()
	opts := []Option{WithInputShape(3), WithActivation("tanh")}
	if reg != nil {
		opts = append(opts, WithKernelRegularizer(*reg))
	}
	m, err := NewSequential(Dense(4, opts...), Dense(1))
	if err != nil {
		t.Fatal(err)
	}
	opt := SGD()
	opt.LR = 0.1
	if err := m.Compile(opt, "mse"); err != nil {
		t.Fatal(err)
	}
	return m
}

func regData() (x, y *tensor.Tensor) {
	x, y = tensor.New(6, 3), tensor.New(6, 1)
	for i := range x.Data {
		x.Data[i] = float32(math.Sin(float64(3 * i)))
	}
	for i := range y.Data {
		y.Data[i] = float32(math.Cos(float64(i)))
	}
	return x, y
}

// TestRegularizerLossAndGradient: with a kernel regularizer the loss
// Evaluate reports gains exactly the penalty l1·Σ|W| + l2·ΣW² (computed
// here in float64 from the weights), and one SGD step moves the kernel by
// an extra −lr·(l1·sign(W) + 2·l2·W) against the unregularized model from
// the same weights, leaving the other variables as they were.
func TestRegularizerLossAndGradient(t *testing.T) {
	x, y := regData()
	for _, reg := range []Regularizer{L2(DefaultRegularization), L1(DefaultRegularization), L1L2(0.05, 0.2)} {
		plain, withReg := regModel(t, nil), regModel(t, &reg)
		w0 := weightsOf(t, plain)
		if err := withReg.SetWeights(w0); err != nil {
			t.Fatal(err)
		}
		penalty := 0.0
		for _, v := range w0[0].Data {
			penalty += float64(reg.L1)*math.Abs(float64(v)) + float64(reg.L2)*float64(v)*float64(v)
		}
		rp, err := plain.Evaluate(x, y, 4)
		if err != nil {
			t.Fatal(err)
		}
		rr, err := withReg.Evaluate(x, y, 4)
		if err != nil {
			t.Fatal(err)
		}
		if d := rr.Loss() - rp.Loss() - penalty; math.Abs(d) > 1e-6*math.Max(1, rr.Loss()) {
			t.Errorf("%+v: loss %v with the penalty, %v without, penalty %v", reg, rr.Loss(), rp.Loss(), penalty)
		}
		for _, m := range []*Model{plain, withReg} {
			if _, err := m.Fit(context.Background(), x, y, FitOptions{Verbose: Silent, Epochs: 1, BatchSize: 6, Seed: 1}); err != nil {
				t.Fatal(err)
			}
		}
		wp, wr := weightsOf(t, plain), weightsOf(t, withReg)
		for i, v := range w0[0].Data {
			s := 0.0
			if v > 0 {
				s = 1
			} else if v < 0 {
				s = -1
			}
			want := -0.1 * (float64(reg.L1)*s + 2*float64(reg.L2)*float64(v))
			if d := float64(wr[0].Data[i]) - float64(wp[0].Data[i]) - want; math.Abs(d) > 2e-7 {
				t.Fatalf("%+v: kernel[%d] moved %g more than without the regularizer, want %g", reg, i,
					float64(wr[0].Data[i])-float64(wp[0].Data[i]), want)
			}
		}
		if !sameWeights(wp[1:], wr[1:]) {
			t.Errorf("%+v: the regularizer of the first kernel changed other variables", reg)
		}
	}
}

// TestRegularizerJSON: kernel_regularizer and embeddings_regularizer
// export in Keras's form and import back (also from Keras's shorthands and
// with the module keys Keras 3 writes); a bad factor or an unsupported
// regularizer is a clear error.
func TestRegularizerJSON(t *testing.T) {
	ClearSession()
	m, err := NewSequential(Embedding(10, 4, WithInputShape(3), WithEmbeddingsRegularizer(L1L2(0.001, 0.002))),
		Conv1D(2, 2, WithKernelRegularizer(L1(0.01))), Flatten(), Dense(1, WithKernelRegularizer(L2(0.01))))
	if err != nil {
		t.Fatal(err)
	}
	js, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"kernel_regularizer":{"class_name":"L2","config":{"l2":0.01}}`,
		`"kernel_regularizer":{"class_name":"L1","config":{"l1":0.01}}`,
		`"embeddings_regularizer":{"class_name":"L1L2","config":{"l1":0.001,"l2":0.002}}`} {
		if !strings.Contains(strings.ReplaceAll(string(js), " ", ""), want) {
			t.Errorf("model JSON lacks %s:\n%s", want, js)
		}
	}
	back, err := ModelFromJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	js2, _ := back.ToJSON()
	if string(js2) != string(js) {
		t.Errorf("JSON round trip changed the model:\n%s\n%s", js, js2)
	}
	keras := strings.Replace(string(js), `{"class_name":"L2","config":{"l2":0.01}}`,
		`{"module":"keras.regularizers","class_name":"L2","config":{"l2":0.009999999776482582},"registered_name":null}`, 1)
	keras = strings.Replace(keras, `{"class_name":"L1","config":{"l1":0.01}}`, `"l1_l2"`, 1)
	if keras == string(js) {
		t.Fatal("the JSON is not written as the test expects")
	}
	k, err := ModelFromJSON([]byte(keras))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range k.Layers() {
		for _, v := range l.Weights() {
			if v.reg != nil {
				t.Logf("%s: %+v", v.Name, *v.reg)
			}
		}
	}
	if r := k.Layers()[1].Weights()[0].reg; r == nil || r.L1 != 0.01 || r.L2 != 0.01 {
		t.Errorf("\"l1_l2\" gave %+v, want l1 = l2 = 0.01", r)
	}
	for bad, want := range map[string]string{
		`{"class_name":"L2","config":{"l2":-1}}`:                          "l2 -1 must be a finite number",
		`{"class_name":"OrthogonalRegularizer","config":{"factor":0.01}}`: "not supported (Anvil has L1, L2 and L1L2)",
		`{"class_name":"L2","config":{"l2":0.01,"l3":1}}`:                 `unknown setting "l3"`,
	} {
		_, err := ModelFromJSON([]byte(strings.Replace(string(js), `{"class_name":"L2","config":{"l2":0.01}}`, bad, 1)))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "kernel_regularizer") {
			t.Errorf("%s: error %v, want one naming kernel_regularizer and containing %q", bad, err, want)
		}
	}
	if _, err := NewSequential(Dense(1, WithInputShape(1), WithKernelRegularizer(L2(float32(math.NaN()))))); err == nil {
		t.Error("a NaN factor was accepted")
	}
}
