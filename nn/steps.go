package nn

import (
	"time"

	"github.com/anvil-ml/anvil/tensor"
)

// Steps go to the backend in chunks of one RunSteps call: enough steps for
// about chunkWork of backend time, so a GPU's submission and wait cost is
// shared by many steps, yet few enough that a cancelled context stops soon
// and the progress bar (which reads the sums at most every monitorEvery)
// moves smoothly.
const (
	chunkWork = 4 * time.Millisecond
	maxChunk  = 1024
)

// monitorEvery is the least time between two reads of the sums during an
// epoch (a variable so tests can read them after every chunk).
var monitorEvery = 100 * time.Millisecond

// chunker sizes the chunks from the wall time the steps so far took: the
// first chunk is one step, and each later one holds chunkWork of steps at
// the average pace. The chunking never changes what a step computes.
type chunker struct {
	args  []tensor.StepArgs
	steps int
	limit int // the most steps a chunk holds
	began time.Time
}

// newChunker sizes chunks of at most limit steps (FitOptions.
// StepsPerExecution), maxChunk when limit is 0.
func newChunker(limit int) *chunker {
	if limit <= 0 || limit > maxChunk {
		limit = maxChunk
	}
	return &chunker{args: make([]tensor.StepArgs, 0, limit), limit: limit}
}

// next is the number of steps for the next chunk, at most left.
func (c *chunker) next(left int) int {
	if c.steps == 0 {
		c.began = time.Now()
		return min(1, left)
	}
	perStep := time.Since(c.began) / time.Duration(c.steps)
	k := maxChunk
	if perStep > 0 {
		k = int(min(int64(maxChunk), int64(chunkWork/perStep)))
	}
	return max(1, min(k, left, c.limit))
}

// ran records that a chunk of k steps was submitted.
func (c *chunker) ran(k int) { c.steps += k }

// monitor decides when the host reads the loss and metric sums during an
// epoch: at most every monitorEvery, to check the loss and redraw the bar.
type monitor struct{ last time.Time }

// due reports whether a read is due, and if so starts the next interval.
func (mo *monitor) due() bool {
	if time.Since(mo.last) < monitorEvery {
		return false
	}
	mo.last = time.Now()
	return true
}
