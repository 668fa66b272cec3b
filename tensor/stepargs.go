package tensor

import (
	"encoding/binary"
	"math"
)

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
	// Start is where this step's rows begin in the sample order that
	// GatherRows and GatherLabels read (the epoch's permutation, resident
	// on the device); Start+Rows must not pass the order's end.
	Start int
	// RowOffset is the position of this step's first row in the global
	// batch when data-parallel replicas each run a slice of it: dropout
	// draws the mask of row n at element index (RowOffset+n)·Size+i, so N
	// replicas draw the masks one process running the whole batch draws.
	// It is 0 in a one-process run.
	RowOffset int
}

// The binary encoding of StepArgs: little-endian 32-bit words at these
// byte offsets, as the std430 block StepArgs in shaders/common.glsl
// declares them (TestStepArgsMatchesGLSL keeps the two in step). The
// 64-bit step and seed are split into low and high words because GLSL
// has no 64-bit integers without an extension.
const (
	StepArgsRows      = 0  // uint rows
	StepArgsStepLo    = 4  // uint step_lo
	StepArgsStepHi    = 8  // uint step_hi
	StepArgsSeedLo    = 12 // uint seed_lo
	StepArgsSeedHi    = 16 // uint seed_hi
	StepArgsLR        = 20 // float lr
	StepArgsStart     = 24 // uint start
	StepArgsRowOffset = 28 // uint row_offset
	// StepArgsSize is the size of the encoding, rounded up to 32 bytes.
	StepArgsSize = 32
)

// StepArgsField is one word of the encoding, named and typed as in the
// GLSL block.
type StepArgsField struct {
	Name, GLSLType string
	Offset         int
}

// StepArgsLayout lists the words of the encoding in order.
var StepArgsLayout = []StepArgsField{
	{"rows", "uint", StepArgsRows},
	{"step_lo", "uint", StepArgsStepLo},
	{"step_hi", "uint", StepArgsStepHi},
	{"seed_lo", "uint", StepArgsSeedLo},
	{"seed_hi", "uint", StepArgsSeedHi},
	{"lr", "float", StepArgsLR},
	{"start", "uint", StepArgsStart},
	{"row_offset", "uint", StepArgsRowOffset},
}

// Encode writes a to dst[:StepArgsSize] in the layout above. It does not
// allocate.
func (a StepArgs) Encode(dst []byte) {
	dst = dst[:StepArgsSize]
	le := binary.LittleEndian
	le.PutUint32(dst[StepArgsRows:], uint32(a.Rows))
	le.PutUint32(dst[StepArgsStepLo:], uint32(a.Step))
	le.PutUint32(dst[StepArgsStepHi:], uint32(a.Step>>32))
	le.PutUint32(dst[StepArgsSeedLo:], uint32(a.Seed))
	le.PutUint32(dst[StepArgsSeedHi:], uint32(a.Seed>>32))
	le.PutUint32(dst[StepArgsLR:], math.Float32bits(a.LearningRate))
	le.PutUint32(dst[StepArgsStart:], uint32(a.Start))
	le.PutUint32(dst[StepArgsRowOffset:], uint32(a.RowOffset))
}
