package nn

import (
	"context"
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// streamChunkBytes is about the size of one chunk of a Source's samples:
// large enough that a GPU's upload and submission costs are shared by
// many steps, small enough that three chunks (one training, one ready, one
// being filled) take little host memory.
const streamChunkBytes = 16 << 20

// streamChunkSteps caps a chunk's batches, so that small samples do not
// make chunks (and the set's buffers) far larger than a data set needs:
// 64 steps already share a submission's cost well.
const streamChunkSteps = 64

// stream reads a Source for one data set, one pass at a time, on a
// goroutine: the producer checks each batch, passes its samples through
// the shuffle buffer and regroups them into chunks of a whole number of
// batches, which a channel of one hands to the steps (so one chunk is
// prepared while the previous one trains). The feeder uploads each chunk
// into one of two slots of the set's buffers, as for data streamed from
// memory (see feeder).
type stream struct {
	src    Source
	parent context.Context
	// check validates a batch against the model (checkData).
	check   func(d Data, what string) (*checkedData, error)
	batch   int
	shuffle int    // the shuffle buffer's samples; 0 keeps the order
	seed    uint64 // with the pass, seeds the shuffle (as epochOrder does)
	epochs  bool   // whether a pass is an epoch, for errors
	// budget and perBuffer bound a chunk's device memory (see placement).
	budget, perBuffer int64

	// form is fixed by the first batch read: every later one must match.
	form *streamForm

	// The pass being read: its number, context and goroutine.
	pass   int
	cancel context.CancelFunc
	ctx    context.Context
	chunks chan *streamChunk
	done   chan struct{} // closed when the producer has returned
	peeked *streamChunk  // a chunk received ahead (see peek)

	// What the pass's steps have reached.
	loaded int          // the index of the chunk in the slots; -1 for none
	cur    *streamChunk // that chunk, to upload again after a re-attach
	rows   int          // the samples up to the end of that chunk
	total  int          // the pass's steps once its last chunk is in; -1 before
	seen   int          // the steps of the last whole pass; 0 before one
}

// streamChunk is one chunk of a pass, or the error that ended it.
type streamChunk struct {
	rows *encodedRows // nil when the pass had no samples
	last bool
	err  error
}

// streamForm is the form of a Source's samples: what the set's buffers
// hold, and the chunk size.
type streamForm struct {
	proto    *checkedData // the first batch's form, without its samples
	rowBytes []int
	chunk    int // samples per chunk: a multiple of the batch size
}

// newStream prepares to read src for m in batches of batch. shuffle is the
// shuffle buffer's size (0 keeps the order); targets says whether the
// batches must have targets.
func (m *Model) newStream(ctx context.Context, src Source, batch, shuffle int, seed uint64, targets, epochs bool) (*stream, error) {
	if src == nil {
		return nil, fmt.Errorf("the Source is nil")
	}
	total, perBuffer, err := m.budget()
	if err != nil {
		return nil, err
	}
	check := func(d Data, what string) (*checkedData, error) { return m.checkData(d, what, targets) }
	return &stream{src: src, parent: ctx, check: check, batch: batch, shuffle: shuffle, seed: seed, epochs: epochs,
		budget: total, perBuffer: perBuffer, loaded: -1, total: -1}, nil
}

// begin starts reading pass, unless that pass has started and no step has
// taken a chunk from it yet.
func (st *stream) begin(pass int) {
	if st.done != nil && st.pass == pass && st.loaded < 0 {
		return
	}
	st.stop()
	st.ctx, st.cancel = context.WithCancel(st.parent)
	st.pass, st.chunks, st.done = pass, make(chan *streamChunk, 1), make(chan struct{})
	st.loaded, st.cur, st.rows, st.total, st.peeked = -1, nil, 0, -1, nil
	go st.produce(st.ctx, pass, st.chunks, st.done)
}

// stop abandons the pass being read and waits for its goroutine to
// return, so that none outlives the call that started it.
func (st *stream) stop() {
	if st.done == nil {
		return
	}
	st.cancel()
	<-st.done
	st.done = nil
}

// peek receives the pass's first chunk ahead of the steps, so that the
// samples' form is known before the program is built.
func (st *stream) peek() error {
	c, err := st.receive()
	st.peeked = c
	return err
}

// spec is what the set's buffers must hold: two chunks of the form.
func (st *stream) spec() dataSpec {
	d := st.form.proto
	spec := dataSpec{rows: 2 * st.form.chunk, labels: d.targets != nil && d.targets.labels != nil}
	for _, s := range d.inputs {
		spec.inputs = append(spec.inputs, s.dtype())
	}
	return spec
}

// passName names the pass in errors: "epoch 2, " for Fit.
func (st *stream) passName(pass int) string {
	if st.epochs {
		return fmt.Sprintf("epoch %d, ", pass+1)
	}
	return ""
}

// receive takes the pass's next chunk, waiting for the producer.
func (st *stream) receive() (*streamChunk, error) {
	c := st.peeked
	st.peeked = nil
	if c == nil {
		select {
		case c = <-st.chunks:
		case <-st.ctx.Done():
			return nil, st.ctx.Err()
		}
	}
	switch {
	case c.err != nil:
		return nil, c.err
	case c.rows == nil || c.rows.n == 0:
		return nil, fmt.Errorf("%sthe source gave no samples (a Source must start over at each pass: a BatchReader needs a Reset method)", st.passName(st.pass))
	}
	return c, nil
}

// window makes step s readable through f (see feeder.window): it takes
// chunks from the pass up to s's, uploads that one into its slot, and
// returns the start of step s in the order buffer and the end of the
// chunk's steps.
func (st *stream) window(f *feeder, s int) (start, end int, err error) {
	chunk := st.form.chunk
	per := chunk / st.batch
	c := s / per
	for st.loaded < c {
		if st.total >= 0 {
			return 0, 0, fmt.Errorf("%sthe source has %d steps, fewer than the %d asked for", st.passName(st.pass), st.total, s+1)
		}
		ch, err := st.receive()
		if err != nil {
			return 0, 0, err
		}
		st.loaded, st.cur = st.loaded+1, ch
		st.rows = st.loaded*chunk + ch.rows.n
		if ch.last {
			st.total = st.loaded*per + (ch.rows.n+st.batch-1)/st.batch
			st.seen = st.total
		}
		if st.loaded == c { // chunks before s's are skipped when resuming
			if err := st.upload(f); err != nil {
				return 0, 0, err
			}
		}
	}
	return c%2*chunk + (s-c*per)*st.batch, c*per + (st.cur.rows.n+st.batch-1)/st.batch, nil
}

// upload puts the current chunk into its slot of f's buffers.
func (st *stream) upload(f *feeder) error {
	slot := st.loaded % 2
	for b, id := range f.bufIDs() {
		if err := f.prog.Upload(id, slot*st.form.chunk*st.form.rowBytes[b], st.cur.rows.bufs[b]); err != nil {
			return fmt.Errorf("uploading chunk %d of the source: %w", st.loaded+1, err)
		}
	}
	return nil
}

// steps is the pass's steps once known, else a bound no step reaches.
func (st *stream) steps() int {
	if st.total >= 0 {
		return st.total
	}
	return int(^uint(0) >> 1)
}

// expectedSteps is the pass's steps once known, else those of the last
// whole pass (0 before one): what the progress bar shows.
func (st *stream) expectedSteps() int {
	if st.total >= 0 {
		return st.total
	}
	return st.seen
}

// shuffler is the pass's shuffle buffer, nil when it keeps the order.
func (st *stream) shuffler(pass int) *shuffleBuffer {
	if st.shuffle <= 1 {
		return nil
	}
	return newShuffleBuffer(st.shuffle, tensor.NewStream(st.seed, shuffleSalt+uint32(pass)), st.form.rowBytes)
}
