package nn

import (
	"context"
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// defaultShuffleBuffer is FitOptions.ShuffleBuffer's default.
const defaultShuffleBuffer = 1024

// FitSource is Fit for data read from a Source, batch by batch, for data
// that does not fit in memory. A goroutine reads the Source ahead of the
// steps and hands them chunks of whole batches, which are uploaded as they
// come; the steps are Fit's own, so the options, callbacks, cancellation
// and resumption work as in Fit. Each epoch is one pass over the Source,
// shuffled through a buffer of o.ShuffleBuffer samples (seeded by o.Seed
// and the epoch, so a run can be repeated) unless o.NoShuffle. The first
// epoch's length is unknown until its pass ends: the progress bar shows
// "Unknown" steps, later epochs the first one's count.
//
// With o.NoShuffle, or a shuffle buffer at least as large as the data set,
// FitSource over DataSource(d, ...) trains exactly as FitData(d) does.
// ValidationSplit is not available (hold validation data out of the Source
// yourself), nor is Parallel.
func (m *Model) FitSource(ctx context.Context, src Source, o FitOptions) (*History, error) {
	o.defaults()
	if m.compiled == nil {
		return nil, fmt.Errorf("fit %q: call Compile before Fit", m.name)
	}
	switch {
	case o.ValidationSplit != 0:
		return nil, fmt.Errorf("fit %q: ValidationSplit needs in-memory data; with a Source give ValidationSource or ValidationData", m.name)
	case o.Parallel != nil:
		return nil, fmt.Errorf("fit %q: data-parallel training (Parallel) needs in-memory data, not a Source", m.name)
	}
	shuffle := o.ShuffleBuffer
	switch {
	case o.NoShuffle:
		shuffle = 0
	case shuffle <= 0:
		shuffle = defaultShuffleBuffer
	}
	val, err := m.validationData(&o)
	if err != nil {
		return nil, err
	}
	hold := &fitHold{m: m, batch: o.BatchSize, val: val}
	defer hold.release()
	if hold.stream, err = m.newStream(ctx, src, o.BatchSize, shuffle, o.Seed, true, true); err != nil {
		return nil, fmt.Errorf("fit %q: %w", m.name, err)
	}
	hold.stream.begin(o.InitialEpoch)
	if err := hold.stream.peek(); err != nil {
		return nil, fmt.Errorf("fit %q: %w", m.name, err)
	}
	if err := m.placeFit(ctx, hold, &o); err != nil {
		return nil, err
	}
	return m.fitEpochs(ctx, hold, &o)
}

// placeFit opens o's ValidationSource, when set, and places h's data.
func (m *Model) placeFit(ctx context.Context, h *fitHold, o *FitOptions) error {
	if o.ValidationSource != nil {
		vs, err := m.openStream(ctx, o.ValidationSource, o.BatchSize)
		if err != nil {
			return fmt.Errorf("fit %q: validation source: %w", m.name, err)
		}
		h.vstream = vs
	}
	_, err := m.place(h)
	return err
}

// release ends h's hold: it waits for the feeders' background staging
// and stops the Sources' goroutines.
func (h *fitHold) release() {
	h.close()
	for _, st := range []*stream{h.stream, h.vstream} {
		if st != nil {
			st.stop()
		}
	}
}

// openStream prepares an unshuffled, evaluated Source and reads its first
// chunk, which fixes the form of its samples.
func (m *Model) openStream(ctx context.Context, src Source, batch int) (*stream, error) {
	return m.openStreamFor(ctx, src, batch, true)
}

// openStreamFor is openStream whose batches need targets only with
// targets (Predict ignores them).
func (m *Model) openStreamFor(ctx context.Context, src Source, batch int, targets bool) (*stream, error) {
	st, err := m.newStream(ctx, src, batch, 0, 0, targets, false)
	if err != nil {
		return nil, err
	}
	st.begin(0)
	if err := st.peek(); err != nil {
		st.stop()
		return nil, err
	}
	return st, nil
}

// EvaluateSource is Evaluate for data read from a Source (see FitSource),
// in one pass, in order. Cancelling ctx stops it with ctx's error.
func (m *Model) EvaluateSource(ctx context.Context, src Source, batchSize int) (Results, error) {
	if m.compiled == nil {
		return Results{}, fmt.Errorf("evaluate %q: call Compile first", m.name)
	}
	if batchSize <= 0 {
		batchSize = 32
	}
	st, r, f, err := m.streamSet(ctx, src, evalSet, batchSize)
	if err != nil {
		return Results{}, fmt.Errorf("evaluate %q: %w", m.name, err)
	}
	defer st.stop()
	vals, err := m.evaluate(r, f, batchSize)
	if err != nil {
		return Results{}, fmt.Errorf("evaluate %q: %w", m.name, err)
	}
	return Results{Names: m.MetricNames(), Values: vals}, nil
}

// PredictSource is Predict for features read from a Source (see
// FitSource; targets in its batches are ignored), in one pass, in order:
// an [n, output shape...] tensor of the pass's n samples. Cancelling ctx
// stops it with ctx's error.
func (m *Model) PredictSource(ctx context.Context, src Source, batchSize int) (*tensor.Tensor, error) {
	if batchSize <= 0 {
		batchSize = 32
	}
	st, r, f, err := m.streamSet(ctx, src, predictSet, batchSize)
	if err != nil {
		return nil, fmt.Errorf("predict %q: %w", m.name, err)
	}
	defer st.stop()
	out, err := m.predict(r, f, batchSize, nil)
	if err != nil {
		return nil, fmt.Errorf("predict %q: %w", m.name, err)
	}
	return &tensor.Tensor{Shape: append(tensor.Shape{f.rows()}, m.output.shape...), Data: out}, nil
}

// streamSet opens src for set (evaluation or prediction) and builds the
// program for its chunks; the caller stops the stream.
func (m *Model) streamSet(ctx context.Context, src Source, set, batch int) (*stream, *runner, *feeder, error) {
	st, err := m.openStreamFor(ctx, src, batch, set != predictSet)
	if err != nil {
		return nil, nil, nil, err
	}
	var need dataSpecs
	need[set] = st.spec()
	r, err := m.program(batch, need)
	if err == nil {
		var f *feeder
		if f, err = newStreamFeeder(r, set, st); err == nil {
			return st, r, f, nil
		}
	}
	st.stop()
	return nil, nil, nil, err
}

// newSetFeeder is newFeeder for in-memory data, newStreamFeeder for a
// Source (st not nil).
func newSetFeeder(r *runner, set int, data *checkedData, st *stream, batch, chunk int) (*feeder, error) {
	if st != nil {
		return newStreamFeeder(r, set, st)
	}
	return newFeeder(r, set, data, batch, chunk)
}

// newStreamFeeder prepares set's buffers for st's chunks: the identity
// order over both slots, and the chunk the steps are in when the program
// was rebuilt under them (a re-attach).
func newStreamFeeder(r *runner, set int, st *stream) (*feeder, error) {
	r.gen[set]++
	f := &feeder{prog: r.prog, r: r, set: set, gen: r.gen[set], scratch: &r.scratch, bufs: r.low.sets[set],
		data: st.form.proto, batch: st.batch, chunk: st.form.chunk, loaded: -1, next: -1, src: st}
	if err := f.uploadOrder(identity(2 * f.chunk)); err != nil {
		return nil, err
	}
	if st.cur != nil {
		return f, st.upload(f)
	}
	return f, nil
}

// begin starts an epoch over f's set: in-memory data gets the epoch's
// order, which it returns; a Source starts the epoch's pass.
func (f *feeder) begin(seed uint64, epoch int, shuffle bool) ([]int, error) {
	if f.src != nil {
		f.src.begin(epoch)
		return nil, nil
	}
	order := epochOrder(f.data.n, seed, epoch, shuffle)
	return order, f.setOrder(order)
}

// steps is the number of steps of an epoch over f's set; for a Source, a
// bound no step reaches until the pass's last chunk is in.
func (f *feeder) steps() int {
	if f.src != nil {
		return f.src.steps()
	}
	return (f.data.n + f.batch - 1) / f.batch
}

// expectedSteps is steps as the progress bar and callbacks see it: for a
// Source whose pass has not ended, the last whole pass's, or 0 (unknown).
func (f *feeder) expectedSteps() int {
	if f.src != nil {
		return f.src.expectedSteps()
	}
	return f.steps()
}

// rows is the number of samples of f's set; for a Source, those up to the
// end of the chunk the steps are in.
func (f *feeder) rows() int {
	if f.src != nil {
		return f.src.rows
	}
	return f.data.n
}
