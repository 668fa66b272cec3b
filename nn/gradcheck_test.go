package nn

import (
	"math"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// trainLoss runs one training step with learning rate 0, which computes
// the loss and every gradient in training mode (batch statistics, the
// dropout mask of the fixed step) without changing the trainable weights.
func trainLoss(t *testing.T, m *Model, r *runner, x, y *tensor.Tensor) float64 {
	t.Helper()
	n := x.Rows()
	if err := r.resetSums(); err != nil {
		t.Fatal(err)
	}
	d, err := m.checkData(XY(x, y), "gradcheck", true)
	if err != nil {
		t.Fatal(err)
	}
	f, err := newFeeder(r, trainSet, d, n, 0)
	if err == nil {
		err = f.setOrder(identity(n))
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := r.prog.Run(tensor.Train, tensor.StepArgs{Rows: n, Step: 7, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	sums, err := r.sums()
	if err != nil {
		t.Fatal(err)
	}
	return sums[0] / float64(n)
}

// trainProgram is m's program with room in the training set for n float
// samples of one input, as trainLoss needs.
func trainProgram(m *Model, n int) (*runner, error) {
	return m.program(n, dataSpecs{trainSet: {rows: n, inputs: []tensor.DType{tensor.Float32}}})
}

// checkModelGradients compares every weight gradient the planner's backward
// ops produce, element by element, with central differences of the loss.
// The backend computes in float32, so the difference quotient carries
// rounding error of about 6e-8·|loss|/(2h), ~1.5e-5 with h = 2e-3 and
// losses near 1, plus the truncation error h²·f”'/6. The small h also
// makes it unlikely that a step crosses a kink of LeakyReLU or max
// pooling. Over all 365 weights of the models below the largest
// difference seen was 1.4e-4, and none used more than a quarter of
// gradTolAbs + gradTolRel·|fd|; a gradient off by a missing term (a wrong
// sign, a dropped branch of a fan-out) misses it by far more.
// The tolerance of checkModelGradients: |backward − fd| ≤ gradTolAbs +
// gradTolRel·|fd|.
const (
	gradTolAbs = 3e-4
	gradTolRel = 2e-3
)

func checkModelGradients(t *testing.T, m *Model, loss string, x, y *tensor.Tensor) {
	t.Helper()
	if err := m.Compile(SGD(), loss); err != nil {
		t.Fatal(err)
	}
	r, err := trainProgram(m, x.Rows())
	if err != nil {
		t.Fatal(err)
	}
	const h = 2e-3
	for _, v := range m.Variables() {
		if !v.Trainable {
			continue
		}
		trainLoss(t, m, r, x, y) // gradients at the unperturbed weights
		grad := make([]float32, v.Shape.Size())
		if err := r.prog.Read(r.low.grads[v], grad); err != nil {
			t.Fatal(err)
		}
		param := make([]float32, v.Shape.Size())
		if err := r.prog.Read(r.low.vars[v], param); err != nil {
			t.Fatal(err)
		}
		for i := range param {
			orig := param[i]
			param[i] = orig + h
			r.prog.Write(r.low.vars[v], param)
			up := trainLoss(t, m, r, x, y)
			param[i] = orig - h
			r.prog.Write(r.low.vars[v], param)
			down := trainLoss(t, m, r, x, y)
			param[i] = orig
			r.prog.Write(r.low.vars[v], param)
			fd := (up - down) / (2 * h)
			if diff := math.Abs(fd - float64(grad[i])); !(diff <= gradTolAbs+gradTolRel*math.Abs(fd)) {
				t.Errorf("%s[%d]: backward %.6f, finite difference %.6f", v.Name, i, grad[i], fd)
			}
		}
	}
}

func randomTensor(seed uint64, scale float32, shape ...int) *tensor.Tensor {
	x := tensor.New(shape...)
	rng := tensor.NewStream(seed, 1)
	for i := range x.Data {
		x.Data[i] = scale * float32(2*rng.Float64()-1)
	}
	return x
}

func oneHotRandom(seed uint64, n, classes int) *tensor.Tensor {
	y := tensor.New(n, classes)
	rng := tensor.NewStream(seed, 2)
	for i := 0; i < n; i++ {
		y.Data[i*classes+rng.Intn(classes)] = 1
	}
	return y
}

func TestGradientsOfConvBatchNormPoolDropoutModel(t *testing.T) {
	ClearSession()
	in := Input(7, 6, 2)
	x := Conv2D(3, 3, WithStrides(2), WithPadding("same"), WithActivation("tanh")).Call(in)
	x = BatchNormalization().Call(x)
	x = Conv2D(4, 2, WithActivation("sigmoid")).Call(x)
	x = AveragePooling2D(WithPadding("same")).Call(x)
	x = Flatten().Call(x)
	x = Dense(5, WithActivation("tanh")).Call(x)
	x = Dropout(0.3).Call(x)
	out := Dense(3, WithActivation("softmax")).Call(x)
	m, err := NewModel([]*Symbol{in}, out)
	if err != nil {
		t.Fatal(err)
	}
	checkModelGradients(t, m, "categorical_crossentropy", randomTensor(1, 1, 5, 7, 6, 2), oneHotRandom(2, 5, 3))
}

func TestGradientsOfMaxPoolModel(t *testing.T) {
	ClearSession()
	m, err := NewSequential(
		Conv2D(2, 3, WithInputShape(6, 6, 1), WithActivation("tanh")),
		MaxPooling2D(),
		GlobalAveragePooling2D(),
		Dense(1, WithActivation("sigmoid")))
	if err != nil {
		t.Fatal(err)
	}
	y := mustTensor(t, []float32{1, 0, 1, 0}, 4, 1)
	checkModelGradients(t, m, "binary_crossentropy", randomTensor(3, 1, 4, 6, 6, 1), y)
}

func TestGradientsThroughFanOutAddAndConcatenate(t *testing.T) {
	ClearSession()
	in := Input(4)
	h := Dense(6, WithActivation("tanh")).Call(in)
	a := Dense(6, WithActivation("sigmoid")).Call(h)
	b := Dense(6).Call(h)
	sum := Add().Call(a, b, h)
	cat := Concatenate().Call(sum, a)
	bn := BatchNormalization().Call(cat)
	lr := LeakyReLU().Call(bn)
	out := Dense(2).Call(lr)
	m, err := NewModel([]*Symbol{in}, out)
	if err != nil {
		t.Fatal(err)
	}
	checkModelGradients(t, m, "mse", randomTensor(4, 1, 6, 4), randomTensor(5, 1, 6, 2))
}
