package tensor

// Backend turns a Plan into something it can run.
type Backend interface {
	// Name is a short identifier: "cpu", "vulkan".
	Name() string
	// Device describes the hardware the backend runs on.
	Device() string
	// Compile validates the plan (NewContract), allocates every buffer
	// once and prepares every routine. Running the result allocates
	// nothing per step.
	Compile(p *Plan) (Program, error)
}

// Program is a compiled Plan bound to one backend's memory.
type Program interface {
	// Write copies data into buffer id, starting at element 0.
	Write(id BufferID, data []float32) error
	// Read copies the first len(dst) elements of buffer id into dst.
	Read(id BufferID, dst []float32) error
	// Upload copies raw little-endian bytes into buffer id from byte
	// offset off: the way datasets (uint8 images, int32 labels and orders)
	// reach DataBuffers, whole or one streamed chunk at a time.
	Upload(id BufferID, off int, data []byte) error
	// Run executes routine r once.
	Run(r Routine, args StepArgs) error
	// RunSteps executes routine r once per element of args, in order, as
	// if Run were called for each: the way Fit replays many steps in one
	// submission. It may return before the device has finished (at most
	// two calls in flight); Write, Upload, Read and Close wait for the work
	// they depend on, and an error of a step still in flight is returned by
	// the next call. After an error, which steps ran is unknown.
	RunSteps(r Routine, args []StepArgs) error
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
