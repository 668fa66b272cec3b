package nn

import (
	"context"
	"fmt"
)

// producer is one pass's goroutine: it reads the Source and sends chunks.
type producer struct {
	st   *stream
	ctx  context.Context
	out  chan<- *streamChunk
	pass int
	shuf *shuffleBuffer // nil when the pass keeps the order
	cur  *encodedRows   // the chunk being filled
}

// produce reads one pass of st's Source into chunks on out until the pass
// ends, fails or ctx is done. A full chunk is held back until a sample of
// the next one exists, so that the last chunk of a pass is marked last.
func (st *stream) produce(ctx context.Context, pass int, out chan<- *streamChunk, done chan<- struct{}) {
	defer close(done)
	p := &producer{st: st, ctx: ctx, out: out, pass: pass}
	k := 0
	for d, err := range st.src.Batches(ctx) {
		k++
		what := fmt.Sprintf("%sbatch %d of the source", st.passName(pass), k)
		if err != nil {
			p.send(&streamChunk{err: fmt.Errorf("%s: %w", what, err)})
			return
		}
		if err := p.take(d, what); err != nil {
			p.send(&streamChunk{err: err})
			return
		}
		if ctx.Err() != nil {
			return
		}
	}
	if ctx.Err() != nil {
		return
	}
	if p.shuf != nil && !p.shuf.drain(p.emit) {
		return
	}
	p.send(&streamChunk{rows: p.cur, last: true})
}

// take checks batch d, encodes its samples and passes them on.
func (p *producer) take(d Data, what string) error {
	cd, err := p.st.check(d, what)
	if err != nil {
		return err
	}
	if err := p.st.match(cd, what); err != nil {
		return err
	}
	if p.cur == nil {
		p.cur = newEncodedRows(p.st.form.rowBytes)
		p.shuf = p.st.shuffler(p.pass)
	}
	rows := newEncodedRows(p.st.form.rowBytes)
	codec := &feeder{data: cd} // encode reads only the data
	for b := range rows.bufs {
		rows.bufs[b] = codec.encode(b, nil, 0, cd.n, nil)
	}
	rows.n = cd.n
	for i := range rows.n {
		ok := true
		if p.shuf != nil {
			ok = p.shuf.push(rows, i, p.emit)
		} else {
			ok = p.emit(rows, i)
		}
		if !ok {
			return nil // ctx is done: produce returns
		}
	}
	return nil
}

// emit adds sample i of rows to the chunk being filled, first sending the
// full one.
func (p *producer) emit(rows *encodedRows, i int) bool {
	if p.cur.n == p.st.form.chunk {
		if !p.send(&streamChunk{rows: p.cur}) {
			return false
		}
		p.cur = newEncodedRows(p.st.form.rowBytes)
	}
	p.cur.add(rows, i)
	return true
}

// send hands c to the steps; false when ctx is done first.
func (p *producer) send(c *streamChunk) bool {
	select {
	case p.out <- c:
		return true
	case <-p.ctx.Done():
		return false
	}
}

// match fixes the form from the first batch read, and checks every later
// batch against it: the program's buffers have one form.
func (st *stream) match(cd *checkedData, what string) error {
	if st.form == nil {
		st.form = newStreamForm(cd, st.batch, st.budget, st.perBuffer)
		return nil
	}
	want := st.form.proto
	if len(cd.inputs) != len(want.inputs) {
		return fmt.Errorf("%s: %d inputs, the first batch had %d", what, len(cd.inputs), len(want.inputs))
	}
	for i, s := range cd.inputs {
		if s.dtype() != want.inputs[i].dtype() {
			return fmt.Errorf("%s: input %d is %v, the first batch's was %v: give every batch the same form (X or Bytes)",
				what, i, s.dtype(), want.inputs[i].dtype())
		}
	}
	if t, w := cd.targets, want.targets; t != nil && (t.labels != nil) != (w.labels != nil) {
		return fmt.Errorf("%s: the targets are %s, the first batch's were %s: give every batch the same form",
			what, targetForm(t), targetForm(w))
	}
	return nil
}

// targetForm names the form of t in errors.
func targetForm(t *targets) string {
	if t.labels != nil {
		return "Labels"
	}
	return "Y"
}

// newStreamForm takes the form of cd, and sizes chunks of whole batches of
// about streamChunkBytes (at most streamChunkSteps batches), two of which
// fit the data budget.
func newStreamForm(cd *checkedData, batch int, budget, perBuffer int64) *streamForm {
	proto := &checkedData{}
	for _, s := range cd.inputs {
		p := source{features: s.features}
		if s.bytes != nil {
			p.bytes = []uint8{}
		}
		proto.inputs = append(proto.inputs, p)
	}
	if t := cd.targets; t != nil {
		proto.targets = &targets{width: t.width}
		if t.labels != nil {
			proto.targets.labels = []int{}
		}
	}
	f := &streamForm{proto: proto, rowBytes: (&feeder{data: proto}).rowBytes()}
	row, widest := int64(4), int64(4) // the order
	for _, b := range f.rowBytes {
		row += int64(b)
		widest = max(widest, int64(b))
	}
	rows := min(streamChunkBytes/row, budget/(2*row), perBuffer/(2*widest))
	f.chunk = max(1, min(int(rows)/batch, streamChunkSteps)) * batch
	return f
}
