package nn

import (
	"context"
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// VerifyOptions are VerifyAgainst's settings. BatchSize, Seed and NoShuffle
// mean what they mean in FitOptions and should be the run's own, so the
// verified steps are the run's first steps.
type VerifyOptions struct {
	// Steps is how many training steps to run on both backends, at most
	// one epoch (longer requests are cut to the epoch).
	Steps     int
	BatchSize int // default 32
	Seed      uint64
	NoShuffle bool
}

// VerifyReport is the outcome of VerifyAgainst.
type VerifyReport struct {
	Backend, Reference string // the backends' names
	Steps              int    // steps run on both
	Buffers            int    // buffers compared after every step
	// First is the first buffer, in the order the training step writes
	// them, of the first step where the backends part beyond tolerance;
	// nil when they agree throughout.
	First *Divergence
	// Layers holds, for each layer in plan order, its worst comparison
	// over the steps run (they stop at the first that diverges).
	Layers []LayerWorst
}

// Agree reports whether no buffer parted beyond tolerance.
func (r *VerifyReport) Agree() bool { return r.First == nil }

// Divergence is one buffer's comparison after one step.
type Divergence struct {
	Step   int    // 1-based step
	Layer  string // the layer the buffer belongs to ("" for the loss sums)
	Buffer string // the plan's buffer name
	Kind   string // activation, gradient, param, state, output, accumulator
	// Index is the element with the largest difference; Got is the
	// backend's value there, Want the reference's.
	Index     int
	Got, Want float32
	MaxAbs    float64 // largest |got − want|
	RMSDiff   float64 // root-mean-square difference
	// Scale is the magnitude the difference is measured against: the
	// buffer's root mean square, or for a variable's value, gradient or
	// optimizer slot the largest of its layer's (see forwardTolerance).
	Scale float64
	// Forward buffers are held to Err = MaxAbs/Scale, the others to
	// Err = RMSDiff/Scale (see forwardTolerance).
	Forward bool
	Err     float64
	Tol     float64 // the tolerance Err was held to
}

// Ratio is Err/Tol: above 1 is a divergence.
func (d Divergence) Ratio() float64 {
	if d.Tol == 0 {
		return 0
	}
	return d.Err / d.Tol
}

// LayerWorst is one layer's worst comparison over the verified steps.
type LayerWorst struct {
	Layer string
	Worst Divergence
}

// VerifyAgainst runs the first opts.Steps training steps of Fit (epoch 0's
// batches, in Fit's order) on the model's backend and on ref together, from
// the same weights and optimizer state and with the same dropout masks
// (they are drawn from the seed and step, so both backends draw the same).
// After every step it reads every activation, gradient, weight, state and
// output buffer of the training plan from both and compares them (see
// forwardTolerance); it stops at the first step where one parts beyond
// tolerance. It needs no per-layer code: the plan's buffers are the
// layers' outputs and gradients. Before each step ref is given the model
// backend's weights and state, so each step is checked on its own and
// differences do not compound: a fault is found at the step it happens.
//
// Afterwards the model is as it was before the call: its weights, optimizer
// state and step count are restored, so the real run that follows is the
// run it would have been without verification, bit for bit (it repeats the
// verified steps, which costs little next to running them on ref).
func (m *Model) VerifyAgainst(ctx context.Context, ref tensor.Backend, d Data, opts VerifyOptions) (*VerifyReport, error) {
	if m.compiled == nil {
		return nil, fmt.Errorf("verify %q: call Compile first", m.name)
	}
	if ref == nil {
		return nil, fmt.Errorf("verify %q: no reference backend", m.name)
	}
	if opts.Steps <= 0 {
		return nil, fmt.Errorf("verify %q: %d steps: must be at least 1", m.name, opts.Steps)
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 32
	}
	if opts.Seed == 0 {
		opts.Seed = globalSeed.Load()
	}
	data, err := m.checkData(d, "verify", true)
	if err != nil {
		return nil, err
	}
	opts.BatchSize = min(opts.BatchSize, data.n)
	hold, err := m.newFitHold(data, nil, opts.BatchSize)
	if err != nil {
		return nil, err
	}
	defer hold.close()
	saved, err := readKinds(hold.r.prog, hold.r.low.plan, persistentKinds)
	if err != nil {
		return nil, fmt.Errorf("verify %q: %w", m.name, err)
	}
	rep, runErr := m.verifySteps(ctx, hold, ref, opts, saved)
	if err := writeBuffers(hold.r.prog, saved); err != nil && runErr == nil {
		runErr = fmt.Errorf("verify %q: restoring the weights: %w", m.name, err)
	}
	return rep, runErr
}

// persistentKinds are the buffers that carry a run from step to step.
var persistentKinds = []tensor.BufferKind{tensor.ParamBuffer, tensor.StateBuffer, tensor.AccumulatorBuffer}

// verifySteps compiles the plan on ref, gives it the model's state and
// data, and runs both step by step until the steps are done or a buffer
// diverges.
func (m *Model) verifySteps(ctx context.Context, hold *fitHold, ref tensor.Backend, opts VerifyOptions, start []bufferData) (*VerifyReport, error) {
	r := hold.r
	refRun, refFeed, err := openReference(hold, ref, start)
	if err != nil {
		return nil, fmt.Errorf("verify %q on %s: %w", m.name, ref.Name(), err)
	}
	defer refRun.prog.Close()
	defer refFeed.close()
	cmp := newComparer(r.low.plan)
	rep := &VerifyReport{Backend: m.Backend().Name(), Reference: ref.Name(), Buffers: len(cmp.order)}
	n := hold.train.n
	all := (n + opts.BatchSize - 1) / opts.BatchSize
	steps := min(opts.Steps, all)
	order := epochOrder(n, opts.Seed, 0, !opts.NoShuffle)
	feeds := []*feeder{hold.f, refFeed}
	for _, f := range feeds {
		if err := f.setOrder(order); err != nil {
			return nil, fmt.Errorf("verify %q: %w", m.name, err)
		}
	}
	for s := 0; s < steps && cmp.first == nil; s++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("verify %q: %w", m.name, err)
		}
		rows := min((s+1)*opts.BatchSize, n) - s*opts.BatchSize
		if err := m.verifyStep(r, refRun, feeds, cmp, s, all, rows, opts.Seed); err != nil {
			return nil, fmt.Errorf("verify %q: step %d: %w", m.name, s+1, err)
		}
		rep.Steps = s + 1
	}
	rep.First, rep.Layers = cmp.first, cmp.layers()
	return rep, nil
}

// openReference compiles the hold's plan on ref, writes the starting state
// and the byte scale, and uploads the training data as the hold did.
func openReference(hold *fitHold, ref tensor.Backend, start []bufferData) (*runner, *feeder, error) {
	r := hold.r
	prog, err := ref.Compile(r.low.plan)
	if err != nil {
		return nil, nil, err
	}
	rr := &runner{prog: prog, low: r.low, batch: r.batch, train: true, scalar: make([]float32, 1)}
	err = writeBuffers(prog, start)
	if err == nil {
		err = prog.Write(r.low.table, tensor.ByteScale[:])
	}
	var f *feeder
	if err == nil {
		f, err = newFeeder(rr, trainSet, hold.train, hold.batch, hold.chunk[0])
	}
	if err != nil {
		prog.Close()
		return nil, nil, err
	}
	return rr, f, nil
}

// verifyStep runs step s (0-based, of steps in the epoch) on both
// programs, the reference starting from the model's weights and state,
// and compares them.
func (m *Model) verifyStep(r, ref *runner, feeds []*feeder, cmp *comparer, s, steps, rows int, seed uint64) error {
	if s > 0 {
		if err := copyKinds(r.prog, ref.prog, r.low.plan, stepStateKinds); err != nil {
			return err
		}
	}
	args := tensor.StepArgs{Rows: rows, Step: m.compiled.step + uint64(s) + 1,
		LearningRate: m.compiled.opt.LearningRate(), Seed: seed}
	for i, rr := range []*runner{r, ref} {
		start, _, err := feeds[i].window(s, steps)
		if err != nil {
			return err
		}
		args.Start = start
		if err := rr.prog.Run(tensor.Train, args); err != nil {
			return err
		}
	}
	return cmp.step(r.prog, ref.prog, s+1, rows)
}

// stepStateKinds are the buffers one step hands the next: weights,
// moving statistics and optimizer slots.
var stepStateKinds = []tensor.BufferKind{tensor.ParamBuffer, tensor.StateBuffer}

// copyKinds copies every buffer of the given kinds from one program to
// another.
func copyKinds(from, to tensor.Program, plan *tensor.Plan, kinds []tensor.BufferKind) error {
	bufs, err := readKinds(from, plan, kinds)
	if err != nil {
		return err
	}
	return writeBuffers(to, bufs)
}

// bufferData is one buffer's contents.
type bufferData struct {
	id   tensor.BufferID
	data []float32
}

// readKinds reads every buffer of the given kinds.
func readKinds(p tensor.Program, plan *tensor.Plan, kinds []tensor.BufferKind) ([]bufferData, error) {
	var out []bufferData
	for i, b := range plan.Buffers {
		for _, k := range kinds {
			if b.Kind != k {
				continue
			}
			id := tensor.BufferID(i)
			d := bufferData{id: id, data: make([]float32, plan.Elems(id))}
			if err := p.Read(id, d.data); err != nil {
				return nil, fmt.Errorf("reading %s: %w", b.Name, err)
			}
			out = append(out, d)
		}
	}
	return out, nil
}

// writeBuffers writes buffers back.
func writeBuffers(p tensor.Program, bufs []bufferData) error {
	for _, b := range bufs {
		if err := p.Write(b.id, b.data); err != nil {
			return err
		}
	}
	return nil
}
