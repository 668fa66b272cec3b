package gpu

import (
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// unknownOp is an op type no backend implements.
type unknownOp struct{}

func (unknownOp) Accesses() []tensor.Access { return nil }

// TestBinderCoversOps checks the dispatch switch: every op type the plan IR
// defines today has a kernel, and an unknown type has none and is named in
// the error. The cross-backend test over tensor's list of ops supersedes
// the list here once both exist.
func TestBinderCoversOps(t *testing.T) {
	ops := []tensor.Op{tensor.MatMul{}, tensor.BiasAdd{}, tensor.BiasGrad{}, tensor.Add{}, tensor.Concat{},
		tensor.Split{}, tensor.Conv2D{}, tensor.Conv2DBackwardData{}, tensor.Conv2DBackwardFilter{},
		tensor.Pool2D{}, tensor.Pool2DBackward{}, tensor.BatchNormTrain{}, tensor.BatchNormInfer{},
		tensor.BatchNormBackward{}, tensor.Activation{}, tensor.ActivationBackward{}, tensor.Dropout{},
		tensor.DropoutBackward{}, tensor.Loss{}, tensor.Metric{}, tensor.SGDUpdate{}, tensor.AdamUpdate{},
		tensor.RMSpropUpdate{}, tensor.GatherRows{}, tensor.GatherLabels{},
		tensor.EmbeddingLookup{}, tensor.EmbeddingBackward{}, tensor.LayerNorm{}, tensor.LayerNormBackward{},
		tensor.LayerNormParamGrad{}, tensor.UpSample2D{}, tensor.UpSample2DBackward{},
		tensor.DepthwiseConv2D{}, tensor.DepthwiseConv2DBackwardData{}, tensor.DepthwiseConv2DBackwardFilter{},
		tensor.NadamUpdate{}, tensor.SumSquares{}, tensor.ClipGradient{},
		tensor.Regularize{},
		tensor.WeightedLoss{},
		tensor.ConfusionCounts{},
		tensor.Transform2D{}, tensor.RandomContrast2D{}, tensor.Rescale{}, tensor.Normalize{}, tensor.NormalizeBackward{},
		tensor.Transform2DBackward{}, tensor.RandomContrast2DBackward{},
		tensor.BatchNormMoments{}, tensor.BatchNormApply{}, tensor.BatchNormBackSums{}, tensor.BatchNormBackApply{}}
	for _, op := range ops {
		if !hasKernel(op) {
			t.Errorf("no kernel for %T", op)
		}
	}
	if hasKernel(unknownOp{}) {
		t.Error("hasKernel(unknownOp{}) = true")
	}
	_, err := (&program{}).bindOp(unknownOp{})
	if err == nil || !strings.Contains(err.Error(), "gpu.unknownOp") {
		t.Errorf("bindOp(unknownOp{}) = %v, want an error naming the op type", err)
	}
}
