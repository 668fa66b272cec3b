package tensor

// AllOps returns the zero value of every op type this package declares.
// It is the list backends' tests use to prove they have a kernel for every
// op, and TestAllOpsListsEveryOp fails when an op type is added to tensor
// without being added here.
func AllOps() []Op {
	return []Op{
		MatMul{}, BiasAdd{}, BiasGrad{}, Add{}, Concat{}, Split{},
		Conv2D{}, Conv2DBackwardData{}, Conv2DBackwardFilter{},
		Pool2D{}, Pool2DBackward{},
		BatchNormTrain{}, BatchNormInfer{}, BatchNormBackward{},
		Activation{}, ActivationBackward{},
		Dropout{}, DropoutBackward{},
		Loss{}, Metric{},
		SGDUpdate{}, AdamUpdate{}, RMSpropUpdate{},
		GatherRows{}, GatherLabels{}, ScatterRows{},
		EmbeddingLookup{}, EmbeddingBackward{},
		LayerNorm{}, LayerNormBackward{}, LayerNormParamGrad{},
		UpSample2D{}, UpSample2DBackward{},
		DepthwiseConv2D{}, DepthwiseConv2DBackwardData{}, DepthwiseConv2DBackwardFilter{},
		NadamUpdate{},
		SumSquares{}, ClipGradient{},
		Regularize{},
		WeightedLoss{},
		ConfusionCounts{},
		Transform2D{}, RandomContrast2D{}, Rescale{}, Normalize{}, NormalizeBackward{},
		Transform2DBackward{}, RandomContrast2DBackward{},
		Cast{}, ApplyLossScale{}, UnscaleGrad{}, CopyBuffer{}, RevertIfFound{}, UpdateLossScale{},
		BatchNormMoments{}, BatchNormApply{}, BatchNormBackSums{}, BatchNormBackApply{},
	}
}
