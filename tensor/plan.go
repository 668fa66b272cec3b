package tensor

import "fmt"

// BufferID numbers a buffer in a Plan. NoBuffer marks an absent optional
// operand (for example no gradient output in an evaluation routine).
type BufferID int

// NoBuffer is the BufferID of an operand that is not used.
const NoBuffer BufferID = -1

// BufferKind says who writes a buffer and how long its contents live.
type BufferKind int

// The buffer kinds. A backend may keep Activation and Gradient buffers in
// device-only memory; Input, Param, State and Accumulator buffers are read or
// written by the host.
const (
	InputBuffer       BufferKind = iota // written by the host before each step: features, targets
	OutputBuffer                        // read by the host after a step: predictions
	ParamBuffer                         // trainable weights, persistent
	StateBuffer                         // persistent non-trainable values: moving statistics, optimizer slots
	ActivationBuffer                    // transient, valid within one step
	GradientBuffer                      // transient gradients, valid within one step
	AccumulatorBuffer                   // loss and metric sums, persistent until the host resets them
	DataBuffer                          // a resident dataset or sample order, uploaded once (or per streamed chunk)
)

var kindNames = [...]string{"input", "output", "param", "state", "activation", "gradient", "accumulator", "data"}

func (k BufferKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("BufferKind(%d)", int(k))
}

// Buffer describes one preallocated buffer.
type Buffer struct {
	Name string
	Kind BufferKind
	// DType is the element type; the zero value is Float32. Only
	// DataBuffers hold other types.
	DType DType
	// Shape is the per-sample shape when Batched, else the whole shape.
	Shape Shape
	// Batched buffers hold Plan.Batch samples of Shape each.
	Batched bool
}

// Routine selects one of a Plan's op lists.
type Routine int

// The routines every Plan has.
const (
	Train   Routine = iota // forward, loss, backward, optimizer update, metric sums
	Eval                   // inference forward, loss and metric sums
	Predict                // inference forward only
	// TrainGrad and TrainApply split Train in two for data-parallel
	// training: TrainGrad is Train's forward, loss, metric sums and
	// backward; TrainApply its optimizer updates. Between the two the host
	// sums the gradients over the replicas. A plan lowered for one process
	// leaves both empty.
	TrainGrad
	TrainApply

	// NumRoutines is the number of routines a Plan holds.
	NumRoutines = iota
)

func (r Routine) String() string {
	switch r {
	case Train:
		return "train"
	case Eval:
		return "eval"
	case Predict:
		return "predict"
	case TrainGrad:
		return "train-grad"
	case TrainApply:
		return "train-apply"
	}
	return fmt.Sprintf("Routine(%d)", int(r))
}

// Plan is a model compiled to buffers and op lists. Every size is fixed;
// nothing is decided per step.
type Plan struct {
	// Batch is the most samples one step can hold.
	Batch   int
	Buffers []Buffer
	// Routines holds the op list of each routine, indexed by Routine: the
	// NumRoutines named ones, then the further segments of a TrainGrad
	// split at Exchanges (segments.go).
	Routines [][]Op
	// Exchanges are the host's steps between TrainGrad's segments; empty
	// unless the plan synchronizes batch normalization over replicas.
	Exchanges []Exchange
}

// NewPlan starts an empty plan for steps of up to batch samples.
func NewPlan(batch int) *Plan { return &Plan{Batch: batch, Routines: make([][]Op, NumRoutines)} }

// AddBuffer appends a buffer and returns its ID.
func (p *Plan) AddBuffer(name string, kind BufferKind, batched bool, shape Shape) BufferID {
	p.Buffers = append(p.Buffers, Buffer{Name: name, Kind: kind, Shape: shape.Clone(), Batched: batched})
	return BufferID(len(p.Buffers) - 1)
}

// Emit appends op to routine r.
func (p *Plan) Emit(r Routine, op Op) { p.Routines[r] = append(p.Routines[r], op) }

// AddDataBuffer appends a non-batched DataBuffer of the given element type
// and returns its ID.
func (p *Plan) AddDataBuffer(name string, dtype DType, shape Shape) BufferID {
	id := p.AddBuffer(name, DataBuffer, false, shape)
	p.Buffers[id].DType = dtype
	return id
}

// Elems is the number of elements buffer id holds at full batch.
func (p *Plan) Elems(id BufferID) int {
	b := p.Buffers[id]
	if b.Batched {
		return p.Batch * b.Shape.Size()
	}
	return b.Shape.Size()
}

// Bytes is the memory all buffers of the plan need.
func (p *Plan) Bytes() int64 {
	var n int64
	for i := range p.Buffers {
		n += int64(p.Elems(BufferID(i))) * int64(p.Buffers[i].DType.Size())
	}
	return n
}

// Validate is the whole contract between a Plan and the backends: it
// checks the batch size and every buffer's shape, then each op's own fields
// (Checker) and every buffer the op touches, which must exist and be large
// enough. A backend that compiles a valid plan only binds it. Ops of types
// from outside this package are checked only through their Accesses; a
// backend rejects them when it has no kernel.
func (p *Plan) Validate() error {
	if p.Batch <= 0 {
		return fmt.Errorf("plan: batch size %d must be positive", p.Batch)
	}
	for i, b := range p.Buffers {
		if p.Elems(BufferID(i)) < 0 {
			return fmt.Errorf("plan: buffer %d (%q) has negative shape %v", i, b.Name, b.Shape)
		}
		if b.DType > Float16 || (b.DType != Float32 && b.Kind != DataBuffer && !halfKindOK(b)) {
			return fmt.Errorf("plan: buffer %d (%q) is %v %v; only data buffers hold other types than float32", i, b.Name, b.Kind, b.DType)
		}
	}
	if err := p.checkSegments(); err != nil {
		return err
	}
	for r, ops := range p.Routines {
		for i, op := range ops {
			if op == nil {
				return fmt.Errorf("plan: %v op %d is nil", Routine(r), i)
			}
			if err := p.checkOp(op); err != nil {
				return fmt.Errorf("plan: %v op %d (%T): %w", Routine(r), i, op, err)
			}
		}
	}
	return nil
}

// checkOp checks op's fields before its accesses, which it may need to
// compute them (widths that Accesses divides by).
func (p *Plan) checkOp(op Op) error {
	if c, ok := op.(Checker); ok {
		if err := c.Check(p); err != nil {
			return err
		}
	}
	for _, a := range op.Accesses() {
		if err := p.checkAccess(a); err != nil {
			return err
		}
	}
	return p.checkHalfAccesses(op)
}

func (p *Plan) checkAccess(a Access) error {
	if a.Buf == NoBuffer {
		return nil
	}
	if a.Buf < 0 || int(a.Buf) >= len(p.Buffers) {
		return fmt.Errorf("buffer %d does not exist", a.Buf)
	}
	b := p.Buffers[a.Buf]
	if a.Batched != b.Batched {
		return fmt.Errorf("buffer %q: op treats it as batched=%v, plan says %v", b.Name, a.Batched, b.Batched)
	}
	if a.Elems > b.Shape.Size() {
		return fmt.Errorf("buffer %q holds %d elements per %s, op needs %d", b.Name, b.Shape.Size(), unit(b.Batched), a.Elems)
	}
	return nil
}

func unit(batched bool) string {
	if batched {
		return "sample"
	}
	return "buffer"
}
