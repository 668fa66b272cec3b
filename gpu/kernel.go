package gpu

import (
	"fmt"
	"reflect"

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
	record(c *Commands) error
}

// kernelFactory binds one op of a concrete tensor op type.
type kernelFactory func(p *program, op tensor.Op) (opKernel, error)

var kernelFactories = map[reflect.Type]kernelFactory{}

// registerKernel declares how ops of the same type as example are bound.
// Each op family's file calls it from init.
func registerKernel(example tensor.Op, f kernelFactory) {
	kernelFactories[reflect.TypeOf(example)] = f
}

// bindOp finds the factory for op's type and binds it.
func (p *program) bindOp(op tensor.Op) (opKernel, error) {
	f, ok := kernelFactories[reflect.TypeOf(op)]
	if !ok {
		return nil, fmt.Errorf("gpu: no kernel for op %T", op)
	}
	return f(p, op)
}
