package gpu_test

import (
	"testing"

	"github.com/anvil-ml/anvil/models"
	"github.com/anvil-ml/anvil/nn"
)

// augmentedModel puts every random layer and both preprocessing layers in
// front of a small CNN.
func augmentedModel(im models.Image) (*nn.Model, error) {
	return nn.NewSequential(nn.RandomFlip("horizontal_and_vertical", nn.WithInputShape(im.H, im.W, im.C)),
		nn.RandomTranslation(nn.Factor{0.2}, nn.Factor{-0.1, 0.2}, nn.WithFillMode("constant")),
		nn.RandomZoom(nn.Factor{0.25}, nn.WithInterpolation("nearest"), nn.WithFillMode("wrap")),
		nn.RandomContrast(nn.Factor{0.3}, nn.WithValueRange(-0.8, 0.8)), nn.RandomCrop(im.H-2, im.W-2),
		nn.Rescaling(2, nn.WithOffset(-0.5)), nn.Normalization(nn.WithMeanVariance([]float32{0.1}, []float32{2})),
		nn.Conv2D(4, 3, nn.WithActivation("relu")), nn.Flatten(), nn.Dense(im.Classes, nn.WithActivation("softmax")))
}

// TestAugmentedModelParity: the augmentation draws the same parameters on
// both backends (the ops match bit for bit in the self-test), so training
// through it holds the whole-model bounds of the other models.
func TestAugmentedModelParity(t *testing.T) {
	b := openModelBackend(t)
	small := models.Image{H: 8, W: 8, C: 3, Classes: 10}
	c := modelCase{build: augmentedModel, im: small, samples: 12, batch: 8, epochs: 10, wantSteps: 20}
	hist, weights := trainBoth(t, b, c)
	checkModelParity(t, c, hist, weights)
}

// augmentAfterConv runs the random layers that have a gradient behind a
// Conv2D, so their backward ops run in the training step.
func augmentAfterConv(im models.Image) (*nn.Model, error) {
	return nn.NewSequential(nn.Conv2D(4, 3, nn.WithInputShape(im.H, im.W, im.C), nn.WithActivation("tanh")),
		nn.RandomFlip("horizontal"), nn.RandomCrop(im.H-3, im.W-3),
		nn.RandomContrast(nn.Factor{0.2}, nn.WithValueRange(-0.9, 0.9)),
		nn.Flatten(), nn.Dense(im.Classes, nn.WithActivation("softmax")))
}

// TestAugmentationGradientParity is the whole-model parity run through
// the flip, crop and contrast gradients.
func TestAugmentationGradientParity(t *testing.T) {
	b := openModelBackend(t)
	small := models.Image{H: 8, W: 8, C: 3, Classes: 10}
	c := modelCase{build: augmentAfterConv, im: small, samples: 12, batch: 8, epochs: 10, wantSteps: 20}
	hist, weights := trainBoth(t, b, c)
	checkModelParity(t, c, hist, weights)
}
