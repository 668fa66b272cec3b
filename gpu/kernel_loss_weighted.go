package gpu

import "github.com/anvil-ml/anvil/tensor"

// bindWeightedLoss binds a tensor.WeightedLoss: the loss shader with its
// weight flag set, which scales each sample's loss and gradient by
// Weight[sample] (kernel_loss.go). The plan check has made Weight required.
func bindWeightedLoss(p *program, o tensor.WeightedLoss) (opKernel, error) {
	return bindLossWeighted(p, o.Loss, o.Weight)
}
