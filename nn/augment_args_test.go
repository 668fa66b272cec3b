package nn

import (
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestAugmentationArgumentErrors gives each augmentation layer arguments
// just outside and just inside what Keras accepts, and checks that the
// first are refused with an error naming them and the second build.
func TestAugmentationArgumentErrors(t *testing.T) {
	img := WithInputShape(8, 8, 3)
	for _, c := range []struct {
		name  string
		layer func() Layer
		want  string // "" when the layer must build
	}{
		{"flip unknown mode", func() Layer { return RandomFlip("diagonal", img) }, "diagonal"},
		{"flip unknown mode after a bad option", func() Layer { return RandomFlip("diagonal", WithMomentum(0.5), img) }, "does not take momentum"},
		{"flip vertical", func() Layer { return RandomFlip("vertical", img) }, ""},
		{"crop height 0", func() Layer { return RandomCrop(0, 3, img) }, "height 0 and width 3 must be positive"},
		{"crop width 0", func() Layer { return RandomCrop(3, 0, img) }, "height 3 and width 0 must be positive"},
		{"crop 1×1", func() Layer { return RandomCrop(1, 1, img) }, ""},
		{"translation height below -1", func() Layer { return RandomTranslation(Factor{-1.01, 0}, Factor{0}, img) }, "must lie in [-1, 1]"},
		{"translation width above 1", func() Layer { return RandomTranslation(Factor{0}, Factor{0, 1.01}, img) }, "must lie in [-1, 1]"},
		{"translation of a whole image", func() Layer { return RandomTranslation(Factor{-1, 1}, Factor{1}, img) }, ""},
		{"translation factor of three numbers", func() Layer { return RandomTranslation(Factor{0.1, 0.2, 0.3}, Factor{0}, img) }, "one number or a (lower, upper) pair"},
		{"translation without a width", func() Layer { return RandomTranslation(Factor{0.1}, nil, img) }, "one number or a (lower, upper) pair"},
		{"zoom without a height", func() Layer { return RandomZoom(nil, img) }, "one number or a (lower, upper) pair"},
		{"zoom to nothing", func() Layer { return RandomZoom(Factor{-1, 0}, img) }, "a zoom's lower bound above -1"},
		{"zoom width to nothing", func() Layer { return RandomZoom(Factor{0}, WithWidthFactor(Factor{-1, 0}), img) }, "a zoom's lower bound above -1"},
		{"zoom nearly to nothing", func() Layer { return RandomZoom(Factor{-0.99, 1}, img) }, ""},
		{"zoom factor after a bad option", func() Layer { return RandomZoom(Factor{-2}, WithMomentum(0.5), img) }, "does not take momentum"},
		{"contrast lower bound below 0", func() Layer { return RandomContrast(Factor{-0.1, 0.5}, img) }, "the lower bound must lie in [0, 1]"},
		{"contrast lower bound above 1", func() Layer { return RandomContrast(Factor{1.01}, img) }, "the lower bound must lie in [0, 1]"},
		{"contrast empty factor", func() Layer { return RandomContrast(Factor{}, img) }, "one number or a (lower, upper) pair"},
		{"contrast factor after a bad option", func() Layer { return RandomContrast(Factor{-1}, WithMomentum(0.5), img) }, "does not take momentum"},
		{"contrast bounds 0 and 1", func() Layer { return RandomContrast(Factor{0, 1}, img) }, ""},
		{"contrast factor 1", func() Layer { return RandomContrast(Factor{1}, img) }, ""},
		{"contrast empty value range", func() Layer { return RandomContrast(Factor{0.5}, WithValueRange(2, 2), img) }, ""},
		{"contrast reversed value range", func() Layer { return RandomContrast(Factor{0.5}, WithValueRange(2, 1.99), img) }, "must be ordered"},
		{"normalization variance 0", func() Layer { return Normalization(WithMeanVariance([]float32{1}, []float32{0}), img) }, ""},
		{"normalization negative variance", func() Layer { return Normalization(WithMeanVariance([]float32{1}, []float32{-1e-6}), img) }, "must not be negative"},
	} {
		t.Run(c.name, func(t *testing.T) { wantBuild(t, c.layer, c.want) })
	}
}

// trainOps compiles m with SGD and loss (mse when none is given), lowers
// it for a batch of 4 and returns its training routine's ops of type T.
func trainOps[T tensor.Op](t *testing.T, m *Model, loss ...string) []T {
	t.Helper()
	if err := m.Compile(SGD(), append(loss, "mse")[0]); err != nil {
		t.Fatal(err)
	}
	low := m.lower(4, m.defaultSpecs())
	if err := low.plan.Validate(); err != nil {
		t.Fatal(err)
	}
	var out []T
	for _, op := range low.plan.Routines[tensor.Train] {
		if o, ok := op.(T); ok {
			out = append(out, o)
		}
	}
	return out
}

// TestAugmentationOpRanges checks what each layer asks of the device in
// training, from Keras's documented meaning of its arguments: a flip mode
// names the axes flipped; a single factor f means [−f, f] and a pair
// (lower, upper) means that range; a zoom with no width factor keeps the
// aspect; a contrast factor (lower, upper) draws from [1−lower, 1+upper].
func TestAugmentationOpRanges(t *testing.T) {
	type ranges struct {
		kind                                 tensor.AugmentKind
		heightLo, heightHi, widthLo, widthHi float32
		sameZoom                             bool
	}
	for _, c := range []struct {
		name  string
		layer func(Option) Layer
		want  ranges
	}{
		{"flip horizontal", func(in Option) Layer { return RandomFlip("horizontal", in) }, ranges{kind: tensor.AugmentFlip, widthHi: 1}},
		{"flip vertical", func(in Option) Layer { return RandomFlip("vertical", in) }, ranges{kind: tensor.AugmentFlip, heightHi: 1}},
		{"flip both", func(in Option) Layer { return RandomFlip("horizontal_and_vertical", in) }, ranges{kind: tensor.AugmentFlip, heightHi: 1, widthHi: 1}},
		{"translation", func(in Option) Layer { return RandomTranslation(Factor{0.25}, Factor{-0.5, 0.125}, in) },
			ranges{tensor.AugmentTranslate, -0.25, 0.25, -0.5, 0.125, false}},
		{"translation by a negative number", func(in Option) Layer { return RandomTranslation(Factor{-0.25}, Factor{0.5, -0.125}, in) },
			ranges{tensor.AugmentTranslate, -0.25, 0.25, -0.125, 0.5, false}},
		{"zoom keeping the aspect", func(in Option) Layer { return RandomZoom(Factor{-0.25, 0.5}, in) }, ranges{tensor.AugmentZoom, -0.25, 0.5, 0, 0, true}},
		{"zoom with a width factor", func(in Option) Layer { return RandomZoom(Factor{0.25}, WithWidthFactor(Factor{0.5}), in) },
			ranges{tensor.AugmentZoom, -0.25, 0.25, -0.5, 0.5, false}},
		{"crop of a larger image", func(in Option) Layer { return RandomCrop(7, 7, in) }, ranges{kind: tensor.AugmentCrop}},
		{"crop as tall as the image", func(in Option) Layer { return RandomCrop(8, 7, in) }, ranges{kind: tensor.AugmentFixed}},
		{"crop as wide as the image", func(in Option) Layer { return RandomCrop(7, 8, in) }, ranges{kind: tensor.AugmentFixed}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ClearSession()
			m, err := NewSequential(c.layer(WithInputShape(8, 8, 3)))
			if err != nil {
				t.Fatal(err)
			}
			ops := trainOps[tensor.Transform2D](t, m)
			if len(ops) != 1 {
				t.Fatalf("%d Transform2D ops in training, want 1", len(ops))
			}
			o := ops[0]
			got := ranges{o.Kind, o.HeightLo, o.HeightHi, o.WidthLo, o.WidthHi, o.SameZoom}
			if got != c.want {
				t.Errorf("op %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestRandomContrastRange checks the contrast op's factor range and clip
// bounds in training: (lower, upper) = (0.25, 0.5) draws from
// [0.75, 1.5], and the values clip to the default [0, 255].
func TestRandomContrastRange(t *testing.T) {
	ClearSession()
	m, err := NewSequential(RandomContrast(Factor{0.25, 0.5}, WithInputShape(8, 8, 3)))
	if err != nil {
		t.Fatal(err)
	}
	ops := trainOps[tensor.RandomContrast2D](t, m)
	if len(ops) != 1 {
		t.Fatalf("%d RandomContrast2D ops in training, want 1", len(ops))
	}
	if o := ops[0]; o.Lo != 0.75 || o.Hi != 1.5 || o.Min != 0 || o.Max != 255 {
		t.Errorf("contrast op range [%v, %v] clip [%v, %v], want [0.75, 1.5] clip [0, 255]", o.Lo, o.Hi, o.Min, o.Max)
	}
}

// TestResizingCropAfterWeightsIsAnError checks that a RandomCrop that
// resizes (its window not smaller than the image in both dimensions) has
// no gradient, so Compile refuses it after a layer with weights, while a
// true crop there is accepted.
func TestResizingCropAfterWeightsIsAnError(t *testing.T) {
	for _, c := range []struct {
		h, w int
		want string
	}{
		{7, 7, ""},
		{8, 7, "computes no gradient through a random translation, zoom or resize"},
		{7, 8, "computes no gradient through a random translation, zoom or resize"},
	} {
		ClearSession()
		m, err := NewSequential(Conv2D(2, 1, WithInputShape(8, 8, 3)), RandomCrop(c.h, c.w))
		if err != nil {
			t.Fatal(err)
		}
		err = m.Compile(SGD(), "mse")
		if c.want == "" {
			if err != nil {
				t.Errorf("crop %d×%d: %v", c.h, c.w, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("crop %d×%d after a convolution compiled, want an error", c.h, c.w)
			continue
		}
		wantErr(t, err, c.want)
	}
}
