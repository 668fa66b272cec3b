package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// runner is a model's compiled program with its host-side staging.
type runner struct {
	prog   tensor.Program
	low    *lowered
	batch  int
	train  bool      // whether the plan has Train and Eval routines
	split  bool      // whether it also has TrainGrad and TrainApply
	scalar []float32 // one accumulator value
	// scratch is staging for uploads, kept between calls.
	scratch []byte
	// gen counts the feeders made for each set: a feeder whose set has
	// had a newer one since no longer owns what the buffers hold.
	gen [numSets]int
	// sync is which batch normalizations the split TrainGrad synchronizes.
	sync bnSync
	// syncedState holds the moving statistics of the synchronized layers.
	syncedState map[tensor.BufferID]bool
}

// program returns a runner whose plan holds at least batch samples and
// data buffers that can take what need asks of each set (a set whose
// rows are 0 asks nothing), rebuilding it (and carrying the weights over)
// when needed.
func (m *Model) program(batch int, need dataSpecs) (*runner, error) {
	return m.programFor(batch, need, false, bnSyncLayers)
}

// programFor is program that, with split, also asks for the TrainGrad and
// TrainApply routines of data-parallel training (a split program serves
// every other use too, and a rebuild keeps them), TrainGrad synchronizing
// the batch normalizations sync selects.
func (m *Model) programFor(batch int, need dataSpecs, split bool, sync bnSync) (*runner, error) {
	wantTrain := m.compiled != nil
	specs := m.defaultSpecs()
	if r := m.run; r != nil {
		for i := range specs {
			specs[i] = r.low.sets[i].spec
		}
	}
	fits := true
	for i, want := range need {
		if want.rows > 0 && !specs[i].holds(want) {
			fits = false
			if specs[i].holds(dataSpec{inputs: want.inputs, labels: want.labels, weights: want.weights}) {
				want.rows = max(want.rows, specs[i].rows) // same types: only grow
			}
			specs[i] = want
		}
	}
	if r := m.run; r != nil && r.batch >= batch && r.train == wantTrain && fits && (r.split && r.sync == sync || !split) {
		return r, nil
	}
	if r := m.run; r != nil && r.train == wantTrain {
		if !split {
			sync = r.sync
		}
		batch, split = max(batch, r.batch), split || r.split
	}
	if err := m.closeRunner(); err != nil {
		return nil, err
	}
	if m.Backend() == nil {
		return nil, fmt.Errorf("model %q: %w", m.name, ErrNoBackend)
	}
	low := m.lower(batch, specs)
	var synced map[tensor.BufferID]bool
	split = split && wantTrain
	if split {
		train := low.plan.Routines[tensor.Train]
		grad := train[:low.applyStart:low.applyStart]
		if m.compiled.mixed != nil {
			grad = splitMixed(low, grad)
		}
		synced = splitSyncBN(low.plan, grad, m.syncBNLayers(low, sync))
		low.plan.Routines[tensor.TrainApply] = train[low.applyStart:]
	}
	prog, err := m.Backend().Compile(low.plan)
	if err != nil {
		return nil, fmt.Errorf("model %q on %s: %w", m.name, m.Backend().Name(), err)
	}
	r := &runner{prog: prog, low: low, batch: batch, train: wantTrain, split: split, sync: sync, syncedState: synced,
		scalar: make([]float32, 1)}
	m.run = r
	if err := m.uploadState(); err != nil {
		m.closeRunner()
		return nil, err
	}
	if err := prog.Write(low.table, tensor.ByteScale[:]); err != nil {
		m.closeRunner()
		return nil, fmt.Errorf("model %q: writing the byte scale: %w", m.name, err)
	}
	return r, nil
}

// uploadState copies the host weights and optimizer slots to the program.
func (m *Model) uploadState() error {
	if err := m.uploadVars(); err != nil {
		return err
	}
	r := m.run
	if m.compiled == nil {
		return nil
	}
	if err := m.uploadLossScale(); err != nil {
		return err
	}
	for v, ids := range r.low.slots {
		saved := m.compiled.slots[v]
		for i, id := range ids {
			if i < len(saved) {
				if err := r.prog.Write(id, saved[i]); err != nil {
					return fmt.Errorf("upload optimizer state of %s: %w", v.Name, err)
				}
			}
		}
	}
	return nil
}

// uploadVars copies the host weights to the program.
func (m *Model) uploadVars() error {
	r := m.run
	for v, id := range r.low.vars {
		if err := r.prog.Write(id, v.data); err != nil {
			return fmt.Errorf("upload %s: %w", v.Name, err)
		}
	}
	return nil
}

// syncHost copies weights and optimizer slots from the program to the
// host, so they survive a rebuild and can be read or saved.
func (m *Model) syncHost() error {
	r := m.run
	if r == nil {
		return nil
	}
	for v, id := range r.low.vars {
		if err := r.prog.Read(id, v.data); err != nil {
			return fmt.Errorf("download %s: %w", v.Name, err)
		}
	}
	if m.compiled == nil {
		return nil
	}
	if err := m.syncLossScale(); err != nil {
		return err
	}
	for v, ids := range r.low.slots {
		saved := make([][]float32, len(ids))
		for i, id := range ids {
			saved[i] = make([]float32, r.low.plan.Elems(id))
			if err := r.prog.Read(id, saved[i]); err != nil {
				return fmt.Errorf("download optimizer state of %s: %w", v.Name, err)
			}
		}
		m.compiled.slots[v] = saved
	}
	return nil
}

// closeRunner saves the program's state to the host and releases it.
func (m *Model) closeRunner() error {
	if m.run == nil {
		return nil
	}
	err := m.syncHost()
	if cerr := m.run.prog.Close(); err == nil {
		err = cerr
	}
	m.run = nil
	return err
}

// Close releases the model's backend memory, keeping its weights on the
// host. The model stays usable.
func (m *Model) Close() error { return m.closeRunner() }

// resetSums zeroes the loss and metric accumulators.
func (r *runner) resetSums() error { return r.setSums(nil) }

// accumulators lists the loss and metric accumulators in MetricNames
// order. Each holds one sum, except a confusion metric's, which holds its
// counts (see metricSpec.stateSize); sums lays them end to end.
func (r *runner) accumulators() []tensor.BufferID {
	return append([]tensor.BufferID{r.low.lossSum}, r.low.metricSums...)
}

// setSums sets the loss and metric accumulators, to zero where sums is
// short or nil.
func (r *runner) setSums(sums []float64) error {
	off := 0
	for _, id := range r.accumulators() {
		vals := r.accBuffer(id)
		for j := range vals {
			vals[j] = 0
			if off < len(sums) {
				vals[j] = float32(sums[off])
			}
			off++
		}
		if err := r.prog.Write(id, vals); err != nil {
			return err
		}
	}
	return nil
}

// sums returns the values of the loss and metric accumulators, end to end
// in MetricNames order.
func (r *runner) sums() ([]float64, error) {
	var out []float64
	for _, id := range r.accumulators() {
		vals := r.accBuffer(id)
		if err := r.prog.Read(id, vals); err != nil {
			return nil, err
		}
		for _, v := range vals {
			out = append(out, float64(v))
		}
	}
	return out, nil
}

// accBuffer is host staging for accumulator id: the shared one-value
// slice for a sum, a new slice for counts.
func (r *runner) accBuffer(id tensor.BufferID) []float32 {
	n := r.low.plan.Buffers[id].Shape.Size()
	if n == 1 {
		return r.scalar
	}
	return make([]float32, n)
}
