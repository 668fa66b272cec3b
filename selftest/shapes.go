package selftest

import (
	"fmt"
	"math/rand/v2"
)

// between returns a random integer in [lo, hi].
func between(r *rand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }

// batchRows draws an odd batch of 3 to 7 samples and the row counts to run
// it with: all of them, and a short batch (Rows < Batch) as the last step
// of an epoch has.
func batchRows(r *rand.Rand) (batch int, rows []int) {
	batch = 2*between(r, 1, 3) + 1
	return batch, []int{batch, between(r, 1, batch-1)}
}

// batchName describes a case's batch and row counts.
func batchName(batch int, rows []int) string {
	return fmt.Sprintf("batch %d rows %v", batch, rows)
}
