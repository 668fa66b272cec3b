package cpuref

import (
	"errors"
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// kernel is one op bound to its buffers and scratch. run must not allocate.
type kernel interface {
	run(a *tensor.StepArgs)
}

// program is a compiled Plan. It is not safe for concurrent use: Run,
// RunSteps, Write, Upload and Read must not overlap on one program.
type program struct {
	plan     *tensor.Plan
	contract *tensor.Contract
	bufs     [][]float32
	// routines holds the bound kernels of each routine, in plan order,
	// and origins the op each came from (the first, where ops were fused).
	routines [][]kernel
	origins  [][]tensor.Op
	// workerArena is scratch for each worker of the pool (im2col panel
	// blocks), sized for the largest need: kernels run one at a time.
	workerArena     [][]float32
	workerArenaSize int
	// pack is scratch shared by every gemm for its packed operands, and
	// scratch holds each worker's packed A block.
	pack     []float32
	packSize int
	scratch  []gemmScratch
	// args lives in the program so that passing it to kernels by pointer
	// does not make each Run allocate a copy on the heap.
	args   tensor.StepArgs
	closed bool
	// data holds the uint8 and int32 buffers and the counters, and
	// gathers each routine's gathers, whose order entries Run checks.
	data    dataMem
	gathers [][]gatherRef
}

var errClosed = errors.New("cpuref: program is closed")

func compile(plan *tensor.Plan) (*program, error) {
	contract, err := tensor.NewContract(plan)
	if err != nil {
		return nil, fmt.Errorf("cpuref: %w", err)
	}
	if err := checkMemory(plan, fixedScratchBytes()); err != nil {
		return nil, err
	}
	p := &program{plan: plan, contract: contract, bufs: make([][]float32, len(plan.Buffers)),
		routines: make([][]kernel, len(plan.Routines)), origins: make([][]tensor.Op, len(plan.Routines)),
		gathers: make([][]gatherRef, len(plan.Routines))}
	p.allocData()
	for r, ops := range plan.Routines {
		for i, op := range ops {
			p.noteGather(r, op)
			k, err := p.bind(op)
			if err != nil {
				return nil, fmt.Errorf("cpuref: %v op %d (%T): %w", tensor.Routine(r), i, op, err)
			}
			if i > 0 && p.fuse(ops[i-1], op, p.routines[r]) {
				continue
			}
			p.routines[r] = append(p.routines[r], k)
			p.origins[r] = append(p.origins[r], op)
		}
	}
	// Binding sized the kernels' scratch: check the whole before allocating it.
	if err := checkMemory(plan, p.scratchBytes()); err != nil {
		return nil, err
	}
	p.allocScratch()
	return p, nil
}

// fuse reports whether op, bound and checked, was folded into the kernel
// bound last for prev (the last of bound), which then does its work.
func (p *program) fuse(prev, op tensor.Op, bound []kernel) bool {
	b, ok := op.(tensor.BiasAdd)
	conv, ok2 := prev.(tensor.Conv2D)
	if !ok || !ok2 || len(bound) == 0 {
		return false
	}
	k, ok := bound[len(bound)-1].(*conv2D)
	return ok && k.fuseBias(conv, b, p.bufs[b.Bias])
}

// allocScratch allocates the scratch the kernels reserved. Starting the
// pool here also keeps it from starting inside a step.
func (p *program) allocScratch() {
	p.pack = make([]float32, p.packSize)
	p.workerArena = make([][]float32, workers().size())
	for i := range p.workerArena {
		p.workerArena[i] = make([]float32, p.workerArenaSize)
	}
	p.scratch = make([]gemmScratch, workers().size())
	for i := range p.scratch {
		s := make([]float32, workerScratch)
		p.scratch[i] = gemmScratch{a: s[:mcMax*kcMax*mr], edge: s[mcMax*kcMax*mr:]}
	}
}

// bind turns one op into a kernel over this program's buffers.
func (p *program) bind(op tensor.Op) (kernel, error) {
	b := binder(op)
	if b == nil {
		return nil, fmt.Errorf("the cpu backend does not implement op type %T", op)
	}
	return b(p)
}

// binder returns the function that binds op, or nil when the backend has
// no kernel for op's type (TestEveryOpHasAKernel asks it of every op in
// tensor.AllOps).
func binder(op tensor.Op) func(p *program) (kernel, error) {
	switch o := op.(type) {
	case tensor.MatMul:
		return func(p *program) (kernel, error) { return p.bindMatMul(o) }
	case tensor.BiasAdd:
		return func(p *program) (kernel, error) { return p.bindBiasAdd(o) }
	case tensor.BiasGrad:
		return func(p *program) (kernel, error) { return p.bindBiasGrad(o) }
	case tensor.Add:
		return func(p *program) (kernel, error) { return p.bindAdd(o) }
	case tensor.Concat:
		return func(p *program) (kernel, error) { return p.bindConcat(o) }
	case tensor.Split:
		return func(p *program) (kernel, error) { return p.bindSplit(o) }
	case tensor.Conv2D:
		return func(p *program) (kernel, error) { return p.bindConv2D(o) }
	case tensor.Conv2DBackwardData:
		return func(p *program) (kernel, error) { return p.bindConvBackData(o) }
	case tensor.Conv2DBackwardFilter:
		return func(p *program) (kernel, error) { return p.bindConvBackFilter(o) }
	case tensor.Pool2D:
		return func(p *program) (kernel, error) { return p.bindPool(o) }
	case tensor.Pool2DBackward:
		return func(p *program) (kernel, error) { return p.bindPoolBackward(o) }
	case tensor.BatchNormTrain:
		return func(p *program) (kernel, error) { return p.bindBNTrain(o) }
	case tensor.BatchNormInfer:
		return func(p *program) (kernel, error) { return p.bindBNInfer(o) }
	case tensor.BatchNormBackward:
		return func(p *program) (kernel, error) { return p.bindBNBackward(o) }
	case tensor.Activation:
		return func(p *program) (kernel, error) { return p.bindActivation(o) }
	case tensor.ActivationBackward:
		return func(p *program) (kernel, error) { return p.bindActivationBackward(o) }
	case tensor.Dropout:
		return func(p *program) (kernel, error) { return p.bindDropout(o) }
	case tensor.DropoutBackward:
		return func(p *program) (kernel, error) { return p.bindDropoutBackward(o) }
	case tensor.Loss:
		return func(p *program) (kernel, error) { return p.bindLoss(o) }
	case tensor.Metric:
		return func(p *program) (kernel, error) { return p.bindMetric(o) }
	case tensor.SGDUpdate:
		return func(p *program) (kernel, error) { return p.bindSGD(o) }
	case tensor.AdamUpdate:
		return func(p *program) (kernel, error) { return p.bindAdam(o) }
	case tensor.RMSpropUpdate:
		return func(p *program) (kernel, error) { return p.bindRMSprop(o) }
	case tensor.GatherRows:
		return func(p *program) (kernel, error) { return p.bindGatherRows(o) }
	case tensor.GatherLabels:
		return func(p *program) (kernel, error) { return p.bindGatherLabels(o) }
	case tensor.EmbeddingLookup:
		return func(p *program) (kernel, error) { return p.bindEmbeddingLookup(o) }
	case tensor.EmbeddingBackward:
		return func(p *program) (kernel, error) { return p.bindEmbeddingBackward(o) }
	case tensor.LayerNorm:
		return func(p *program) (kernel, error) { return p.bindLayerNorm(o) }
	case tensor.LayerNormBackward:
		return func(p *program) (kernel, error) { return p.bindLayerNormBackward(o) }
	case tensor.LayerNormParamGrad:
		return func(p *program) (kernel, error) { return p.bindLayerNormParamGrad(o) }
	case tensor.UpSample2D:
		return func(p *program) (kernel, error) { return p.bindUpSample(o) }
	case tensor.UpSample2DBackward:
		return func(p *program) (kernel, error) { return p.bindUpSampleBackward(o) }
	case tensor.Transform2D:
		return func(p *program) (kernel, error) { return p.bindTransform2D(o) }
	case tensor.RandomContrast2D:
		return func(p *program) (kernel, error) { return p.bindRandomContrast2D(o) }
	case tensor.Rescale:
		return func(p *program) (kernel, error) { return p.bindRescale(o) }
	case tensor.Normalize:
		return func(p *program) (kernel, error) { return p.bindNormalize(o) }
	case tensor.NormalizeBackward:
		return func(p *program) (kernel, error) { return p.bindNormalizeBackward(o) }
	case tensor.Transform2DBackward:
		return func(p *program) (kernel, error) { return p.bindTransform2DBackward(o) }
	case tensor.RandomContrast2DBackward:
		return func(p *program) (kernel, error) { return p.bindRandomContrast2DBackward(o) }
	case tensor.ScatterRows:
		return func(p *program) (kernel, error) { return p.bindScatterRows(o) }
	case tensor.DepthwiseConv2D:
		return func(p *program) (kernel, error) { return p.bindDepthwiseConv2D(o) }
	case tensor.DepthwiseConv2DBackwardData:
		return func(p *program) (kernel, error) { return p.bindDepthwiseBackData(o) }
	case tensor.DepthwiseConv2DBackwardFilter:
		return func(p *program) (kernel, error) { return p.bindDepthwiseBackFilter(o) }
	case tensor.NadamUpdate:
		return func(p *program) (kernel, error) { return p.bindNadam(o) }
	case tensor.SumSquares:
		return func(p *program) (kernel, error) { return p.bindSumSquares(o) }
	case tensor.ClipGradient:
		return func(p *program) (kernel, error) { return p.bindClipGradient(o) }
	case tensor.Regularize:
		return func(p *program) (kernel, error) { return p.bindRegularize(o) }
	case tensor.WeightedLoss:
		return func(p *program) (kernel, error) { return p.bindWeightedLoss(o) }
	case tensor.ConfusionCounts:
		return func(p *program) (kernel, error) { return p.bindConfusion(o) }
	case tensor.Cast:
		return func(p *program) (kernel, error) { return p.bindCast(o) }
	case tensor.ApplyLossScale:
		return func(p *program) (kernel, error) { return p.bindApplyLossScale(o) }
	case tensor.UnscaleGrad:
		return func(p *program) (kernel, error) { return p.bindUnscaleGrad(o) }
	case tensor.CopyBuffer:
		return func(p *program) (kernel, error) { return p.bindCopyBuffer(o) }
	case tensor.RevertIfFound:
		return func(p *program) (kernel, error) { return p.bindRevertIfFound(o) }
	case tensor.UpdateLossScale:
		return func(p *program) (kernel, error) { return p.bindUpdateLossScale(o) }
	case tensor.BatchNormMoments:
		return func(p *program) (kernel, error) { return p.bindBNMoments(o) }
	case tensor.BatchNormApply:
		return func(p *program) (kernel, error) { return p.bindBNApply(o) }
	case tensor.BatchNormBackSums:
		return func(p *program) (kernel, error) { return p.bindBNBackSums(o) }
	case tensor.BatchNormBackApply:
		return func(p *program) (kernel, error) { return p.bindBNBackApply(o) }
	}
	return nil
}

// buf returns the memory of a required operand; role names it in errors.
func (p *program) buf(id tensor.BufferID, role string) ([]float32, error) {
	if id == tensor.NoBuffer {
		return nil, fmt.Errorf("operand %s is required but is NoBuffer", role)
	}
	return p.bufs[id], nil
}

// optBuf returns the memory of an optional operand, nil for NoBuffer.
func (p *program) optBuf(id tensor.BufferID) []float32 {
	if id == tensor.NoBuffer {
		return nil
	}
	return p.bufs[id]
}

// need returns the memory of several required operands at once.
func (p *program) need(ids ...idRole) ([][]float32, error) {
	out := make([][]float32, len(ids))
	for i, ir := range ids {
		b, err := p.buf(ir.id, ir.role)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// idRole names an operand for need's error messages.
type idRole struct {
	id   tensor.BufferID
	role string
}

// reserveWorkerArena records that a kernel needs n floats of scratch for
// each worker.
func (p *program) reserveWorkerArena(n int) { p.workerArenaSize = max(p.workerArenaSize, n) }

// Write implements tensor.Program.
func (p *program) Write(id tensor.BufferID, data []float32) error {
	if p.closed {
		return errClosed
	}
	if err := p.contract.CheckWrite(id, len(data)); err != nil {
		return fmt.Errorf("cpuref: %w", err)
	}
	copy(p.bufs[id], data)
	p.data.stats.BytesUploaded += 4 * int64(len(data))
	return nil
}

// Read implements tensor.Program.
func (p *program) Read(id tensor.BufferID, dst []float32) error {
	if p.closed {
		return errClosed
	}
	if err := p.contract.CheckRead(id, len(dst)); err != nil {
		return fmt.Errorf("cpuref: %w", err)
	}
	copy(dst, p.bufs[id])
	return nil
}

// Run implements tensor.Program.
func (p *program) Run(r tensor.Routine, args tensor.StepArgs) error {
	if p.closed {
		return errClosed
	}
	if err := p.contract.CheckRun(r, args); err != nil {
		return fmt.Errorf("cpuref: %w", err)
	}
	p.data.stats.Submissions++
	return p.step(r, args)
}

// RunSteps implements tensor.Program: the steps run one after another,
// synchronously, exactly as that many calls of Run.
func (p *program) RunSteps(r tensor.Routine, args []tensor.StepArgs) error {
	if p.closed {
		return errClosed
	}
	if err := p.contract.CheckRunSteps(r, args); err != nil {
		return fmt.Errorf("cpuref: %w", err)
	}
	p.data.stats.Submissions++
	for i := range args {
		if err := p.step(r, args[i]); err != nil {
			return fmt.Errorf("step %d of %d: %w", i+1, len(args), err)
		}
	}
	return nil
}

// step runs routine r once with checked args.
func (p *program) step(r tensor.Routine, args tensor.StepArgs) error {
	p.args = args
	if len(p.gathers[r]) > 0 {
		if err := p.checkOrders(r, &p.args); err != nil {
			return fmt.Errorf("cpuref: %w", err)
		}
	}
	for _, k := range p.routines[r] {
		k.run(&p.args)
	}
	return nil
}

// Close implements tensor.Program. The program's memory becomes garbage;
// later calls return an error.
func (p *program) Close() error {
	p.closed = true
	p.bufs, p.pack, p.scratch, p.workerArena, p.routines = nil, nil, nil, nil, nil
	p.data = dataMem{}
	return nil
}
