package gpu

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// Counts is what the recorded command buffer of one routine holds: its
// dispatches and its barriers (the one every recording starts with
// included). On a discrete GPU each dispatch costs several microseconds of
// device time however little it does, and each barrier drains the device,
// so these counts are the measure kernel fusion works on; on a machine
// without a GPU they are the proxy for a step's fixed cost.
type Counts struct {
	Dispatches, Barriers int
}

// RecordedCounts returns the counts of routine r of prog, a program this
// backend compiled.
func RecordedCounts(prog tensor.Program, r tensor.Routine) (Counts, error) {
	p, ok := prog.(*program)
	if !ok {
		return Counts{}, fmt.Errorf("gpu: RecordedCounts of a %T, not a program of the vulkan backend", prog)
	}
	if p.closed {
		return Counts{}, errClosed
	}
	if r < 0 || int(r) >= len(p.cmds) || p.cmds[r] == nil {
		return Counts{}, fmt.Errorf("gpu: RecordedCounts: routine %v does not exist", r)
	}
	c := p.cmds[r].Counts()
	return Counts{Dispatches: c.Dispatches, Barriers: c.Barriers}, nil
}
