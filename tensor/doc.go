// Package tensor holds Anvil's backend-neutral core: shapes, host tensors,
// the op set and the Plan that a model compiles to.
//
// A Plan is a static description of everything a model does: a list of
// numbered buffers whose sizes are fixed at compile time, and three routines
// (Train, Eval, Predict), each an ordered list of coarse ops over those
// buffers (plus, for data-parallel training, Train split into TrainGrad and
// TrainApply, and TrainGrad itself cut into segments where synchronized
// batch normalization needs the host: segments.go). A backend (cpuref, gpu) compiles a Plan once into a Program and then
// runs a routine step after step with no per-step allocation. That is what
// lets the Vulkan backend record a whole training step into one command buffer
// and replay it.
//
// Conventions every op follows:
//   - Activations are row-major with the batch as the leading dimension, and
//     images are NHWC. A buffer marked Batched holds up to Plan.Batch samples;
//     at run time only the first StepArgs.Rows samples are valid, and ops
//     touch only those.
//   - Sizes on an op that depend on the batch are given per sample; the
//     backend multiplies by the run-time row count.
//   - Backward ops overwrite their outputs; where a value fans out, the planner
//     sums the gradient contributions with an Add op.
//   - Losses average over the batch (Keras's sum-over-batch-size reduction),
//     so the gradients they write are already divided by the row count.
package tensor
