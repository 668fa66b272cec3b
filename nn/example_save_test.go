package nn_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/tensor"
)

// The data of y = 2x - 1, the first reference program.
func line() (x, y *tensor.Tensor) {
	x, _ = tensor.FromData([]float32{-1, 0, 1, 2, 3, 4}, 6, 1)
	y, _ = tensor.FromData([]float32{-3, -1, 1, 3, 5, 7}, 6, 1)
	return x, y
}

func ExampleSaveModel() {
	dir, _ := os.MkdirTemp("", "anvil")
	defer os.RemoveAll(dir)

	m, _ := nn.NewSequential(nn.Dense(1, nn.WithInputShape(1)))
	if err := nn.SaveModel(m, filepath.Join(dir, "linear")); err != nil {
		fmt.Println(err)
		return
	}
	loaded, err := nn.LoadModel(filepath.Join(dir, "linear"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(loaded.Layers()[0].ClassName(), loaded.OutputShape())
	// Output: Dense (1,)
}

// Training saves a checkpoint after every epoch; a later run picks up
// where the last checkpoint left off and continues exactly as an unbroken
// run would have.
func ExampleLoadCheckpoint() {
	dir, _ := os.MkdirTemp("", "anvil")
	defer os.RemoveAll(dir)
	x, y := line()

	m, _ := nn.NewSequential(nn.Dense(1, nn.WithInputShape(1)))
	m.Compile(nn.SGD(), "mse")
	history := &nn.History{Metrics: map[string][]float64{}}
	save := func(e nn.EpochEnd) error {
		history.Epoch = append(history.Epoch, e.Epoch)
		history.Metrics["loss"] = append(history.Metrics["loss"], e.Logs["loss"])
		history.Seconds = append(history.Seconds, e.Seconds)
		return m.SaveCheckpoint(dir, nn.Checkpoint{Epoch: e.Epoch + 1, Seed: 7, History: history})
	}
	m.Fit(context.Background(), x, y, nn.FitOptions{Epochs: 3, Seed: 7, OnEpochEnd: save})

	// Later, perhaps in another process:
	resumed, c, err := nn.LoadCheckpoint(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	h, _ := resumed.Fit(context.Background(), x, y, nn.FitOptions{InitialEpoch: c.Epoch, Epochs: 5, Seed: c.Seed})
	c.History.Append(h)
	fmt.Println("resumed after epoch", c.Epoch, "- epochs recorded:", c.History.Epoch)
	// Output: resumed after epoch 3 - epochs recorded: [0 1 2 3 4]
}
