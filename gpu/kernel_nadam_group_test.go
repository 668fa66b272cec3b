package gpu

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"math"
	"testing"

	"github.com/anvil-ml/anvil/models"
	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

// TestNadamReferenceCNN trains the reference CNN (CIFAR-10 size) with
// Nadam for three steps of batch 16 on the GPU, once with its 22 updates
// in one nadam_bda dispatch and once with noBufferAddress (a nadam.comp
// dispatch per update, as before Nadam was grouped): the weights must
// agree bit for bit. It logs their SHA-256, so that a change to the Nadam
// shaders can be checked against the hash of the commit before, and the
// training step's dispatches both ways.
func TestNadamReferenceCNN(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	b := openBackend(t)
	const batch, steps = 16, 3
	x, y, err := selftest.RandomImages(models.CIFAR10, batch*steps)
	must(t, err)
	var init []*tensor.Tensor
	train := func() ([]*tensor.Tensor, int) {
		nn.ClearSession()
		nn.SetRandomSeed(7) // the same dropout masks both times
		m, err := models.Build("cnn", models.CIFAR10)
		must(t, err)
		defer m.Close()
		if init == nil {
			init, err = m.GetWeights()
		} else {
			err = m.SetWeights(init)
		}
		must(t, err)
		k := &planKeeper{Backend: b}
		must(t, m.SetBackend(k))
		must(t, m.Compile(nn.Nadam(0.001), "categorical_crossentropy", "accuracy"))
		_, err = m.Fit(context.Background(), x, y, nn.FitOptions{BatchSize: batch, Epochs: 1, Seed: 1, Out: io.Discard})
		must(t, err)
		w, err := m.GetWeights()
		must(t, err)
		return w, compileGPU(t, b, k.plans[0]).cmds[tensor.Train].Counts().Dispatches
	}
	grouped, n := train()
	noBufferAddress = true
	defer func() { noBufferAddress = false }()
	single, nSingle := train()
	h := sha256.New()
	for i := range single {
		for j, v := range single[i].Data {
			if math.Float32bits(v) != math.Float32bits(grouped[i].Data[j]) {
				t.Fatalf("weight %d element %d: nadam_bda %v, a dispatch per update %v", i, j, grouped[i].Data[j], v)
			}
			h.Write(binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)))
		}
	}
	if d, _, _ := selftest.WeightDiffs(init, single); d == 0 {
		t.Error("training did not move the weights")
	}
	t.Logf("weights after %d Nadam steps: sha256 %x", steps, h.Sum(nil))
	t.Logf("train step: %d dispatches with buffer addresses (%v), %d with a dispatch per update",
		n, b.dev.Info().BufferAddress, nSingle)
	if want := nSingle - 21; b.dev.Info().BufferAddress && n != want {
		t.Errorf("%d dispatches with buffer addresses, want %d: the 22 updates in one", n, want)
	}
}
