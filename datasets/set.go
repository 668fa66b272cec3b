package datasets

import (
	"strconv"

	"github.com/anvil-ml/anvil/tensor"
)

// Set is a loaded data set: features, and either class labels or regression
// targets.
type Set struct {
	// X holds float features: CSV features are [N, F]. It is nil for
	// image sets, which keep Images instead (see Features).
	X *tensor.Tensor
	// Images holds image sets as loaded, NHWC, one byte per value
	// standing for float32(b)/255 (tensor.ByteScale): a quarter of the
	// memory of float32, and what nn.Data takes to train with the images
	// resident on the backend.
	Images *tensor.Bytes
	// Labels holds one class index per example; nil for regression data.
	Labels []int
	// Targets holds regression targets, [N, 1]; nil for classification data.
	Targets *tensor.Tensor
	// ClassNames names the classes in label order; nil when unknown.
	ClassNames []string
	// Standardizer is the scaling that was applied to X (CSV with
	// Standardize); nil when X is unscaled. Apply it to other sets so that
	// they match this one.
	Standardizer *Standardizer
	// Source is the file or folder the set was read from.
	Source string
}

// Len is the number of examples.
func (s *Set) Len() int {
	switch {
	case s == nil:
		return 0
	case s.X != nil:
		return s.X.Rows()
	case s.Images != nil:
		return s.Images.Rows()
	case s.Targets != nil:
		return s.Targets.Rows()
	default:
		return len(s.Labels)
	}
}

// Subset returns the first n examples, sharing memory with s. An n that is
// negative or not less than Len returns all of s.
func (s *Set) Subset(n int) *Set {
	if n < 0 || n >= s.Len() {
		n = s.Len()
	}
	out := *s
	out.X = headRows(s.X, n)
	out.Images = s.Images.Head(n)
	out.Targets = headRows(s.Targets, n)
	if s.Labels != nil {
		k := min(n, len(s.Labels))
		out.Labels = s.Labels[:k:k]
	}
	return &out
}

// Features returns the features as float32: X, or Images scaled to 0..1
// (a new tensor four times the size of Images, made on each call).
func (s *Set) Features() *tensor.Tensor {
	if s.X == nil && s.Images != nil {
		return s.Images.Float()
	}
	return s.X
}

// FeatureShape is the shape of the features, [N, per-sample shape...],
// without expanding Images.
func (s *Set) FeatureShape() tensor.Shape {
	if s.X == nil && s.Images != nil {
		return s.Images.Shape
	}
	if s.X == nil {
		return nil
	}
	return s.X.Shape
}

// headRows returns the first n rows of t (all of them when it has fewer) as
// a tensor sharing its memory.
func headRows(t *tensor.Tensor, n int) *tensor.Tensor {
	if t == nil || len(t.Shape) == 0 {
		return t
	}
	n = min(n, t.Rows())
	shape := t.Shape.Clone()
	shape[0] = n
	end := n * t.RowSize()
	return &tensor.Tensor{Shape: shape, Data: t.Data[:end:end]}
}

// NumClasses is the number of classes: the number of class names, or one more
// than the largest label when that is larger. It is 0 for regression data.
func (s *Set) NumClasses() int {
	k := len(s.ClassNames)
	for _, l := range s.Labels {
		if l >= k {
			k = l + 1
		}
	}
	return k
}

// OneHot returns the labels as a [N, NumClasses] tensor of 0s and 1s, like
// Keras's to_categorical. It returns nil when s has no labels. A negative
// label gives a row of zeros.
func (s *Set) OneHot() *tensor.Tensor {
	if s.Labels == nil {
		return nil
	}
	k := s.NumClasses()
	out := tensor.New(len(s.Labels), k)
	for i, l := range s.Labels {
		if l >= 0 {
			out.Data[i*k+l] = 1
		}
	}
	return out
}

// ClassName returns the name of class label, or the label as a number when
// the set has no name for it.
func (s *Set) ClassName(label int) string {
	if label >= 0 && label < len(s.ClassNames) {
		return s.ClassNames[label]
	}
	return strconv.Itoa(label)
}
