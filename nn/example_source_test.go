package nn_test

import (
	"context"
	"fmt"
	"iter"

	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/tensor"
)

// FitSource trains on data read batch by batch, for data sets that do not
// fit in memory. Here each pass makes its batches on the fly, as a reader
// of files would; any batch size will do, since Fit regroups the samples
// into batches of BatchSize. The shuffle buffer mixes samples across
// batches, seeded, so the run can be repeated.
func ExampleModel_FitSource() {
	m := linearModel()
	points := nn.SourceFunc(func(ctx context.Context) iter.Seq2[nn.Data, error] {
		return func(yield func(nn.Data, error) bool) {
			for b := range 10 { // 10 batches of 20 points on y = 2x - 1
				x, y := tensor.New(20, 1), tensor.New(20, 1)
				for i := range 20 {
					v := float32(b*20+i)/50 - 2
					x.Data[i], y.Data[i] = v, 2*v-1
				}
				if !yield(nn.XY(x, y), nil) {
					return // Fit stopped early
				}
			}
		}
	})
	ctx := context.Background()
	h, err := m.FitSource(ctx, points, nn.FitOptions{Epochs: 40, ShuffleBuffer: 100, Verbose: nn.Silent})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := m.EvaluateSource(ctx, points, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	mse, _ := res.Get("loss")
	fmt.Printf("%d epochs, mse below 0.001: %v\n", len(h.Epoch), mse < 0.001)
	// Output: 40 epochs, mse below 0.001: true
}
