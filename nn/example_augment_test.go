package nn_test

import (
	"fmt"

	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/tensor"
)

// Augmentation at the model's input: the random layers act only in Fit;
// Predict sees the images unchanged. Normalization learns its statistics
// from data with Adapt.
func ExampleRandomFlip() {
	norm := nn.Normalization()
	data := tensor.New(4, 8, 8, 3)
	for i := range data.Data {
		data.Data[i] = float32(i%3) + float32(i%7)/7 // channel c around c
	}
	if err := norm.Adapt(data); err != nil {
		fmt.Println(err)
		return
	}
	m, err := nn.NewSequential(
		nn.RandomFlip("horizontal", nn.WithInputShape(8, 8, 3)),
		nn.RandomTranslation(nn.Factor{0.1}, nn.Factor{0.1}),
		nn.RandomZoom(nn.Factor{0.1}),
		norm,
		nn.Conv2D(4, 3, nn.WithActivation("relu")),
		nn.Flatten(),
		nn.Dense(10, nn.WithActivation("softmax")),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	trainable, frozen := m.CountParams()
	fmt.Println(trainable, frozen)
	// Output: 1562 6
}
