package gpu

import (
	"fmt"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// The shader convention every op kernel follows:
//
//   - Binding 0 is the step-arguments buffer (tensor.StepArgs.Encode),
//     which the host rewrites before each replay; the op's buffers follow
//     from binding 1 in the order its kernel passes them to program.bind.
//   - Push constants carry only values fixed when the plan compiles (sizes,
//     flags), because push constants are baked into a recorded command
//     buffer.
//   - Dispatches cover the plan's full batch; shaders read the valid row
//     count from the step arguments and leave rows beyond it untouched.

// opKernel is one op of a plan, bound to its pipelines and descriptor sets.
type opKernel interface {
	// record appends the op's dispatches. A kernel of several dispatches
	// places its own barriers between them; the program places the
	// barriers between ops.
	record(c *vk.Commands) error
}

// binder returns the function that binds op to its kernel, or nil when
// this backend has no kernel for op's type. One switch names every op
// type the backend implements, as cpuref's program.bind does.
func binder(op tensor.Op) func(p *program) (opKernel, error) {
	switch o := op.(type) {
	case tensor.MatMul:
		return func(p *program) (opKernel, error) { return bindMatMul(p, o) }
	case tensor.BiasAdd:
		return func(p *program) (opKernel, error) { return bindBiasAdd(p, o) }
	case tensor.BiasGrad:
		return func(p *program) (opKernel, error) { return bindBiasGrad(p, o) }
	case tensor.Add:
		return func(p *program) (opKernel, error) { return bindAdd(p, o) }
	case tensor.Concat:
		return func(p *program) (opKernel, error) { return bindConcat(p, o) }
	case tensor.Split:
		return func(p *program) (opKernel, error) { return bindSplit(p, o) }
	case tensor.Conv2D:
		return func(p *program) (opKernel, error) { return bindConv2D(p, o) }
	case tensor.Conv2DBackwardData:
		return func(p *program) (opKernel, error) { return bindConvBackData(p, o) }
	case tensor.Conv2DBackwardFilter:
		return func(p *program) (opKernel, error) { return bindConvBackFilter(p, o) }
	case tensor.Pool2D:
		return func(p *program) (opKernel, error) { return bindPool2D(p, o) }
	case tensor.Pool2DBackward:
		return func(p *program) (opKernel, error) { return bindPool2DBackward(p, o) }
	case tensor.BatchNormTrain:
		return func(p *program) (opKernel, error) { return bindBNTrain(p, o) }
	case tensor.BatchNormInfer:
		return func(p *program) (opKernel, error) { return bindBNInfer(p, o) }
	case tensor.BatchNormBackward:
		return func(p *program) (opKernel, error) { return bindBNBackward(p, o) }
	case tensor.Activation:
		return func(p *program) (opKernel, error) { return bindActivation(p, o) }
	case tensor.ActivationBackward:
		return func(p *program) (opKernel, error) { return bindActivationBackward(p, o) }
	case tensor.Dropout:
		return func(p *program) (opKernel, error) { return bindDropout(p, o) }
	case tensor.DropoutBackward:
		return func(p *program) (opKernel, error) { return bindDropoutBackward(p, o) }
	case tensor.Loss:
		return func(p *program) (opKernel, error) { return bindLoss(p, o) }
	case tensor.Metric:
		return func(p *program) (opKernel, error) { return bindMetric(p, o) }
	case tensor.SGDUpdate, tensor.AdamUpdate, tensor.RMSpropUpdate:
		return func(p *program) (opKernel, error) { return bindOneUpdate(p, o) }
	case bnAct:
		return func(p *program) (opKernel, error) { return bindBNAct(p, o) }
	case actBNBackward:
		return func(p *program) (opKernel, error) { return bindActBNBackward(p, &o.act, o.bn) }
	case updateGroup:
		return func(p *program) (opKernel, error) { return bindUpdateGroup(p, o) }
	case tensor.GatherRows:
		return func(p *program) (opKernel, error) { return bindGatherRows(p, o) }
	case tensor.GatherLabels:
		return func(p *program) (opKernel, error) { return bindGatherLabels(p, o) }
	case tensor.EmbeddingLookup:
		return func(p *program) (opKernel, error) { return bindEmbeddingLookup(p, o) }
	case tensor.EmbeddingBackward:
		return func(p *program) (opKernel, error) { return bindEmbeddingBackward(p, o) }
	case tensor.LayerNorm:
		return func(p *program) (opKernel, error) { return bindLayerNorm(p, o) }
	case tensor.LayerNormBackward:
		return func(p *program) (opKernel, error) { return bindLayerNormBackward(p, o) }
	case tensor.LayerNormParamGrad:
		return func(p *program) (opKernel, error) { return bindLayerNormParamGrad(p, o) }
	case tensor.UpSample2D:
		return func(p *program) (opKernel, error) { return bindUpSample(p, o.X, o.Y, o.H, o.W, o.C, o.SH, o.SW, false) }
	case tensor.UpSample2DBackward:
		return func(p *program) (opKernel, error) {
			return bindUpSample(p, o.DX, o.DY, o.H, o.W, o.C, o.SH, o.SW, true)
		}
	case tensor.Transform2D:
		return func(p *program) (opKernel, error) { return bindTransform2D(p, o) }
	case tensor.RandomContrast2D:
		return func(p *program) (opKernel, error) { return bindRandomContrast2D(p, o) }
	case tensor.Rescale:
		return func(p *program) (opKernel, error) { return bindRescale(p, o) }
	case tensor.Normalize:
		return func(p *program) (opKernel, error) {
			return bindNormalize(p, o.X, o.Y, o.Mean, o.Variance, o.Size, o.Width, o.Inner)
		}
	case tensor.NormalizeBackward:
		return func(p *program) (opKernel, error) {
			return bindNormalize(p, o.DY, o.DX, tensor.NoBuffer, o.Variance, o.Size, o.Width, o.Inner)
		}
	case tensor.Transform2DBackward:
		return func(p *program) (opKernel, error) { return bindTransform2DBackward(p, o) }
	case tensor.RandomContrast2DBackward:
		return func(p *program) (opKernel, error) { return bindRandomContrast2DBackward(p, o) }
	case tensor.ScatterRows:
		return func(p *program) (opKernel, error) { return bindScatterRows(p, o) }
	case tensor.DepthwiseConv2D:
		return func(p *program) (opKernel, error) { return bindDepthwiseConv2D(p, o) }
	case tensor.DepthwiseConv2DBackwardData:
		return func(p *program) (opKernel, error) { return bindDepthwiseBackData(p, o) }
	case tensor.DepthwiseConv2DBackwardFilter:
		return func(p *program) (opKernel, error) { return bindDepthwiseBackFilter(p, o) }
	case tensor.NadamUpdate:
		return func(p *program) (opKernel, error) { return bindNadam(p, o) }
	case tensor.SumSquares:
		return func(p *program) (opKernel, error) { return bindSumSquares(p, o) }
	case tensor.ClipGradient:
		return func(p *program) (opKernel, error) { return bindClipGradient(p, o) }
	case tensor.Regularize:
		return func(p *program) (opKernel, error) { return bindRegularize(p, o) }
	case tensor.WeightedLoss:
		return func(p *program) (opKernel, error) { return bindWeightedLoss(p, o) }
	case tensor.ConfusionCounts:
		return func(p *program) (opKernel, error) { return bindConfusion(p, o) }
	case gemmEpi:
		return func(p *program) (opKernel, error) { return bindGemmEpi(p, o) }
	case tensor.Cast:
		return func(p *program) (opKernel, error) { return bindCast(p, o) }
	case tensor.ApplyLossScale:
		return func(p *program) (opKernel, error) { return bindApplyLossScale(p, o) }
	case tensor.UnscaleGrad:
		return func(p *program) (opKernel, error) { return bindUnscaleGrad(p, o) }
	case tensor.CopyBuffer:
		return func(p *program) (opKernel, error) { return bindCopyBuffer(p, o) }
	case tensor.RevertIfFound:
		return func(p *program) (opKernel, error) { return bindRevertIfFound(p, o) }
	case tensor.UpdateLossScale:
		return func(p *program) (opKernel, error) { return bindUpdateLossScale(p, o) }
	case tensor.BatchNormMoments:
		return func(p *program) (opKernel, error) { return bindBNMoments(p, o) }
	case tensor.BatchNormApply:
		return func(p *program) (opKernel, error) { return bindBNApply(p, o) }
	case tensor.BatchNormBackSums:
		return func(p *program) (opKernel, error) { return bindBNBackSums(p, o) }
	case tensor.BatchNormBackApply:
		return func(p *program) (opKernel, error) { return bindBNBackApply(p, o) }
	}
	return nil
}

// hasKernel reports whether the backend has a kernel for op's type.
func hasKernel(op tensor.Op) bool { return binder(op) != nil }

// bindOp binds op to its kernel.
func (p *program) bindOp(op tensor.Op) (opKernel, error) {
	bind := binder(op)
	if bind == nil {
		return nil, fmt.Errorf("gpu: no kernel for op %T: the vulkan backend does not implement this op type", op)
	}
	return bind(p)
}
