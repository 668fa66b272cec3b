package gpu

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// This file is the minimal form of the resident-data calls, so the
// package keeps implementing tensor.Program; the batched-submission
// version replaces it.

// Upload implements tensor.Program through the byte-write path.
func (p *program) Upload(id tensor.BufferID, off int, data []byte) error {
	if p.closed {
		return errClosed
	}
	if err := p.contract.CheckUpload(id, off, len(data)); err != nil {
		return fmt.Errorf("gpu: %w", err)
	}
	if err := p.bufs[id].Write(int64(off), data); err != nil {
		return fmt.Errorf("gpu: uploading to buffer %q: %w", p.plan.Buffers[id].Name, err)
	}
	return nil
}

// RunSteps implements tensor.Program as one Run per step.
func (p *program) RunSteps(r tensor.Routine, args []tensor.StepArgs) error {
	if err := p.contract.CheckRunSteps(r, args); err != nil {
		return fmt.Errorf("gpu: %w", err)
	}
	for i, a := range args {
		if err := p.Run(r, a); err != nil {
			return fmt.Errorf("step %d of %d: %w", i+1, len(args), err)
		}
	}
	return nil
}
