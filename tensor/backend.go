package tensor

// StepArgs are the values that change from one step to the next. The Vulkan
// backend writes them to a small host-visible buffer that every shader
// reads, so a recorded command buffer replays unchanged (push constants
// would be baked in at recording time).
type StepArgs struct {
	// Rows is how many samples of the batched buffers are valid, 1..Plan.Batch.
	Rows int
	// Step counts optimizer updates from 1. Adam's bias correction and the
	// dropout masks depend on it.
	Step uint64
	// LearningRate is the optimizer's rate for this step.
	LearningRate float32
	// Seed keys the counter-based random generator (dropout masks).
	Seed uint64
}

// Backend turns a Plan into something it can run.
type Backend interface {
	// Name is a short identifier: "cpu", "vulkan".
	Name() string
	// Device describes the hardware the backend runs on.
	Device() string
	// Compile validates the plan, allocates every buffer once and prepares
	// every routine. Running the result allocates nothing per step.
	Compile(p *Plan) (Program, error)
}

// Program is a compiled Plan bound to one backend's memory.
type Program interface {
	// Write copies data into buffer id, starting at element 0.
	Write(id BufferID, data []float32) error
	// Read copies the first len(dst) elements of buffer id into dst.
	Read(id BufferID, dst []float32) error
	// Run executes routine r once.
	Run(r Routine, args StepArgs) error
	// Close releases the program's memory.
	Close() error
}

// Access describes how an op touches one buffer: used to validate plans and
// to place barriers between dependent GPU dispatches.
type Access struct {
	Buf BufferID
	// Elems is how many elements the op touches, per sample when Batched.
	Elems   int
	Batched bool
	Write   bool
}

// Op is one coarse operation in a Plan. Backends switch on the concrete
// type; the fields of each type are its whole contract.
type Op interface {
	Accesses() []Access
}

func rd(b BufferID, n int, batched bool) Access { return Access{Buf: b, Elems: n, Batched: batched} }
func wr(b BufferID, n int, batched bool) Access {
	return Access{Buf: b, Elems: n, Batched: batched, Write: true}
}
