package datasets

import "github.com/anvil-ml/anvil/tensor"

// SparseLabels returns the labels as a [N, 1] tensor of class indices,
// the targets Keras's sparse_categorical_crossentropy takes (what
// keras.datasets loaders return as y), where OneHot gives
// categorical_crossentropy's. It returns nil when s has no labels.
//
// To train without either copy, give the labels as they are: nn.Data's
// Labels field takes s.Labels with any classification loss, and the
// backend gathers each batch's class indices (one-hot encoding them only
// for categorical_crossentropy).
func (s *Set) SparseLabels() *tensor.Tensor {
	if s.Labels == nil {
		return nil
	}
	out := tensor.New(len(s.Labels), 1)
	for i, l := range s.Labels {
		out.Data[i] = float32(l)
	}
	return out
}
