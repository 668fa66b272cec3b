package tensor

// ProgramStats counts the traffic between the host and a program since it
// was compiled: what the end-to-end benchmarks report per epoch.
type ProgramStats struct {
	// Submissions is the number of Run and RunSteps calls: on a GPU each
	// is one queue submission the host may wait for.
	Submissions int64
	// BytesUploaded is the bytes Write and Upload copied to the program.
	BytesUploaded int64
}

// StatsReporter is implemented by programs that count their traffic.
type StatsReporter interface {
	Stats() ProgramStats
}

// BufferLimiter is implemented by backends that cannot hold a buffer of
// any size (a GPU's maxStorageBufferRange or heap): MaxBufferBytes is the
// largest one buffer may be. Fit streams a dataset that does not fit.
type BufferLimiter interface {
	MaxBufferBytes() int64
}
