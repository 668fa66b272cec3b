package gpu_test

import (
	"context"
	"math"
	"testing"

	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/tensor"
)

// streamImages is n 6×6×1 byte images labelled by their brightest third.
func streamImages(n int) nn.Data {
	rng := tensor.NewStream(17, 0)
	b := &tensor.Bytes{Shape: tensor.Shape{n, 6, 6, 1}, Data: make([]uint8, n*36)}
	labels := make([]int, n)
	for i := range n {
		labels[i] = i % 3
		for k := range 36 {
			v := rng.Float64() * 120
			if k/12 == labels[i] {
				v += 120
			}
			b.Data[i*36+k] = uint8(v)
		}
	}
	return nn.Data{Bytes: []*tensor.Bytes{b}, Labels: labels}
}

// TestFitSourceMatchesFitOnVulkan: on the Vulkan backend too, training
// from a Source (chunks uploaded between submissions, taking turns in two
// slots) equals training on the same data held resident, bit for bit: the
// steps read the same samples, and the kernels reduce in a fixed order (no
// float atomics), so equal inputs give equal bits.
func TestFitSourceMatchesFitOnVulkan(t *testing.T) {
	b := openModelBackend(t)
	d := streamImages(70) // batches of 16: the last one has 6 samples
	build := func() *nn.Model {
		nn.ClearSession()
		nn.SetRandomSeed(3)
		m, err := nn.NewSequential(nn.Conv2D(4, 3, nn.WithInputShape(6, 6, 1), nn.WithActivation("relu")), nn.Flatten(),
			nn.Dropout(0.25), nn.Dense(3, nn.WithActivation("softmax")))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.SetBackend(b); err != nil {
			t.Fatal(err)
		}
		if err := m.Compile(nn.Adam(0.01), "categorical_crossentropy", "accuracy"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		return m
	}
	for _, o := range []nn.FitOptions{{NoShuffle: true}, {ShuffleBuffer: 70}} {
		o.Verbose, o.Epochs, o.BatchSize, o.Seed = nn.Silent, 2, 16, 5
		resident, streamed := build(), build()
		streamed.SetDataBudget(2 * 32 * (36 + 4 + 4)) // chunks of two batches
		ha, err := resident.FitData(context.Background(), d, o)
		if err != nil {
			t.Fatal(err)
		}
		hb, err := streamed.FitSource(context.Background(), nn.DataSource(d, 11), o)
		if err != nil {
			t.Fatal(err)
		}
		for name, vals := range ha.Metrics {
			for i, v := range vals {
				if hb.Metrics[name][i] != v {
					t.Errorf("shuffle buffer %d: %s epoch %d: %v from the Source, %v resident", o.ShuffleBuffer, name, i+1, hb.Metrics[name][i], v)
				}
			}
		}
		wa, _ := resident.GetWeights()
		wb, _ := streamed.GetWeights()
		for i := range wa {
			for j, v := range wa[i].Data {
				if math.Float32bits(wb[i].Data[j]) != math.Float32bits(v) {
					t.Fatalf("shuffle buffer %d: weight %d[%d]: %v from the Source, %v resident", o.ShuffleBuffer, i, j, wb[i].Data[j], v)
				}
			}
		}
		ea, err := resident.EvaluateData(d, 16)
		if err != nil {
			t.Fatal(err)
		}
		eb, err := streamed.EvaluateSource(context.Background(), nn.DataSource(d, 9), 16)
		if err != nil {
			t.Fatal(err)
		}
		if ea.Values[0] != eb.Values[0] || ea.Values[1] != eb.Values[1] {
			t.Errorf("EvaluateSource %v, EvaluateData %v", eb, ea)
		}
	}
}
