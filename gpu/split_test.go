package gpu_test

import (
	"context"
	"testing"

	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/tensor"
)

// soloComm is a data-parallel world of one replica: the collectives leave
// the buffers as they are.
type soloComm struct{}

func (soloComm) Rank() int                           { return 0 }
func (soloComm) Size() int                           { return 1 }
func (soloComm) AllreduceSumFloat32([]float32) error { return nil }
func (soloComm) AllreduceSumFloat64([]float64) error { return nil }
func (soloComm) BcastFloat32([]float32, int) error   { return nil }

// TestSplitTrainRoutines trains on Vulkan through the data-parallel path
// (TrainGrad, the gradients read back and written again, TrainApply) and
// through the one Train routine: the same ops on the same data, so the
// weights must agree bit for bit.
func TestSplitTrainRoutines(t *testing.T) {
	checkSplitTrain(t)
}

// TestSplitTrainRoutinesMixed is TestSplitTrainRoutines under mixed
// precision, from a loss scale that overflows float16 at first: the
// gradient half scales the loss gradient by the loss scale times the
// replica's share of the batch (1 here, so exactly the loss scale).
func TestSplitTrainRoutinesMixed(t *testing.T) {
	checkSplitTrain(t, nn.WithLossScale(1<<24, 3))
}

// checkSplitTrain is TestSplitTrainRoutines compiled with opts.
func checkSplitTrain(t *testing.T, opts ...nn.CompileOption) {
	t.Helper()
	b := openModelBackend(t)
	x, y := tensor.New(40, 6), tensor.New(40, 2)
	rng := tensor.NewStream(8, 0)
	for i := range x.Data {
		x.Data[i] = float32(rng.Float64()*2 - 1)
	}
	for i := 0; i < 40; i++ {
		y.Data[i*2+i%2] = 1
	}
	var ws [2][]*tensor.Tensor
	var init []*tensor.Tensor
	for k, par := range []nn.Parallel{nil, soloComm{}} {
		nn.ClearSession()
		m, err := nn.NewSequential(nn.Dense(12, nn.WithActivation("relu"), nn.WithInputShape(6)), nn.Dropout(0.25),
			nn.Dense(2, nn.WithActivation("softmax")))
		mustOK(t, err)
		mustOK(t, m.CompileWith(nn.Adam(0.01), "categorical_crossentropy", []string{"accuracy"}, opts...))
		if init == nil {
			init, err = m.GetWeights()
			mustOK(t, err)
		}
		mustOK(t, m.SetWeights(init))
		mustOK(t, m.SetBackend(b))
		_, err = m.Fit(context.Background(), x, y, nn.FitOptions{BatchSize: 16, Epochs: 2, Seed: 5, Parallel: par})
		mustOK(t, err)
		ws[k], err = m.GetWeights()
		mustOK(t, err)
		mustOK(t, m.Close())
	}
	for i := range ws[0] {
		for j := range ws[0][i].Data {
			if ws[0][i].Data[j] != ws[1][i].Data[j] {
				t.Fatalf("weight %d[%d]: Train %v, TrainGrad+TrainApply %v", i, j, ws[0][i].Data[j], ws[1][i].Data[j])
			}
		}
	}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
