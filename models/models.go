// Package models builds the four reference models of the Keras
// tutorial Anvil reproduces, layer for layer, with Keras's defaults.
package models

import (
	"fmt"
	"sort"

	"github.com/anvil-ml/anvil/nn"
)

// LinReg is the one-neuron linear regression: Dense(1) on input shape [1].
func LinReg() (*nn.Model, error) {
	return nn.NewSequential(nn.Dense(1, nn.WithInputShape(1)))
}

// Image is the input of the image models: height, width, channels, and
// the number of classes.
type Image struct{ H, W, C, Classes int }

// CIFAR10 is the input the tutorial's models are built for.
var CIFAR10 = Image{32, 32, 3, 10}

// FNN is the CIFAR-10 feed-forward net: Flatten → Dense(200, relu) →
// Dense(150, relu) → Dense(10, softmax), 646,260 parameters.
func FNN() (*nn.Model, error) { return FNNFor(CIFAR10) }

// FNNFor is FNN for another image size and class count.
func FNNFor(im Image) (*nn.Model, error) {
	in := nn.Input(im.H, im.W, im.C)
	x := nn.Flatten().Call(in)
	x = nn.Dense(200, nn.WithActivation("relu")).Call(x)
	x = nn.Dense(150, nn.WithActivation("relu")).Call(x)
	out := nn.Dense(im.Classes, nn.WithActivation("softmax")).Call(x)
	return nn.NewModel([]*nn.Symbol{in}, out)
}

// SimpleCNN is the tutorial's shape demonstration: two strided Conv2D
// layers, Flatten and Dense(10), 15,120 parameters. Its output is logits.
func SimpleCNN() (*nn.Model, error) { return SimpleCNNFor(CIFAR10) }

// SimpleCNNFor is SimpleCNN for another image size and class count.
func SimpleCNNFor(im Image) (*nn.Model, error) {
	in := nn.Input(im.H, im.W, im.C)
	x := nn.Conv2D(10, 4, nn.WithStrides(2), nn.WithPadding("same")).Call(in)
	x = nn.Conv2D(20, 3, nn.WithStrides(2), nn.WithPadding("same")).Call(x)
	x = nn.Flatten().Call(x)
	out := nn.Dense(im.Classes).Call(x)
	return nn.NewModel([]*nn.Symbol{in}, out)
}

// CNN is the CIFAR-10 convolutional net with batch normalisation and
// dropout: 592,554 parameters, 640 of them non-trainable.
func CNN() (*nn.Model, error) { return CNNFor(CIFAR10) }

// CNNFor is CNN for another image size and class count.
func CNNFor(im Image) (*nn.Model, error) {
	in := nn.Input(im.H, im.W, im.C)
	x := in
	for _, b := range []struct{ filters, stride int }{{32, 1}, {32, 2}, {64, 1}, {64, 2}} {
		x = nn.Conv2D(b.filters, 3, nn.WithStrides(b.stride), nn.WithPadding("same")).Call(x)
		x = nn.BatchNormalization().Call(x)
		x = nn.LeakyReLU().Call(x)
	}
	x = nn.Flatten().Call(x)
	x = nn.Dense(128).Call(x)
	x = nn.BatchNormalization().Call(x)
	x = nn.LeakyReLU().Call(x)
	x = nn.Dropout(0.5).Call(x)
	x = nn.Dense(im.Classes).Call(x)
	out := nn.Activation("softmax").Call(x)
	return nn.NewModel([]*nn.Symbol{in}, out)
}

// imageBuilders maps the image models' CLI names to their builders.
var imageBuilders = map[string]func(Image) (*nn.Model, error){
	"fnn": FNNFor, "simple-cnn": SimpleCNNFor, "cnn": CNNFor,
}

// Build returns the reference model called name for images of im (linreg
// ignores im).
func Build(name string, im Image) (*nn.Model, error) {
	if name == "linreg" {
		return LinReg()
	}
	b, ok := imageBuilders[name]
	if !ok {
		return nil, fmt.Errorf("unknown model %q (known: %v)", name, Names())
	}
	return b(im)
}

// Names lists the reference model names, sorted.
func Names() []string {
	names := []string{"linreg"}
	for k := range imageBuilders {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
