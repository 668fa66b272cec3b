package cpuref

import "github.com/anvil-ml/anvil/tensor"

// bindWeightedLoss binds a tensor.WeightedLoss: the loss kernel of
// loss.go, which scales each sample's loss and gradient by its weight when
// it has weights.
func (p *program) bindWeightedLoss(o tensor.WeightedLoss) (kernel, error) {
	k, err := p.newLoss(o.Loss)
	if err != nil {
		return nil, err
	}
	bs, err := p.need(idRole{o.Weight, "Weight"})
	if err != nil {
		return nil, err
	}
	k.weight = bs[0]
	return k, nil
}
