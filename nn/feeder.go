package nn

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/anvil-ml/anvil/tensor"
)

// uploadPiece bounds the staging memory of a resident upload: the samples
// go up in pieces of about this many bytes per buffer.
const uploadPiece = 4 << 20

// feeder puts one set's samples into its data buffers in the order the
// steps read them. A resident set is uploaded once and each epoch writes
// only its sample order; a streamed set (one larger than the data budget)
// holds two chunks of chunk samples, and the host gathers the next chunk,
// already in epoch order, while the current one trains (double buffering).
type feeder struct {
	prog tensor.Program
	// r and gen are the runner and the set's generation the feeder was
	// made for (see current).
	r   *runner
	set int
	gen int
	// scratch is the runner's reusable staging for resident uploads and
	// orders, so a Fit call allocates no fresh megabytes.
	scratch *[]byte
	bufs    dataBufs
	data    *checkedData
	batch   int
	// chunk is the samples per slot of a streamed set; 0 when resident.
	chunk int
	// order is the epoch's sample order (streamed sets); loaded is the
	// chunk now in its slot, -1 for none.
	order  []int
	loaded int
	// next is the chunk being prepared in the background, whose staged
	// bytes arrive on ready; staged holds each slot's bytes per buffer.
	next   int
	ready  chan struct{}
	staged [2][][]byte
	// src, when set, is the Source the set's chunks come from instead
	// (see stream); data then holds only the samples' form.
	src *stream
}

// newFeeder prepares set bufs for data. A streamed set gets the identity
// order once, since each slot already holds its samples in epoch order.
func newFeeder(r *runner, set int, data *checkedData, batch, chunk int) (*feeder, error) {
	r.gen[set]++
	f := &feeder{prog: r.prog, r: r, set: set, gen: r.gen[set], scratch: &r.scratch, bufs: r.low.sets[set],
		data: data, batch: batch, chunk: chunk, loaded: -1, next: -1}
	if chunk == 0 {
		return f, f.uploadResident()
	}
	for s := range f.staged {
		f.staged[s] = make([][]byte, len(data.inputs)+1)
	}
	return f, f.uploadOrder(identity(2 * chunk))
}

// uploadResident uploads every sample of the set, in sample order, in
// pieces of bounded size.
func (f *feeder) uploadResident() error {
	n := f.data.n
	rowBytes := f.rowBytes()
	for b, id := range f.bufIDs() {
		per := max(1, uploadPiece/rowBytes[b])
		for lo := 0; lo < n; lo += per {
			hi := min(lo+per, n)
			*f.scratch = f.encode(b, (*f.scratch)[:0], lo, hi, nil)
			if err := f.prog.Upload(id, lo*rowBytes[b], *f.scratch); err != nil {
				return fmt.Errorf("uploading the data: %w", err)
			}
		}
	}
	return nil
}

// bufIDs lists the set's sample buffers: each input's, then the targets'
// when the set has them.
func (f *feeder) bufIDs() []tensor.BufferID {
	ids := append([]tensor.BufferID(nil), f.bufs.x...)
	if f.data.targets != nil && f.bufs.y != tensor.NoBuffer {
		ids = append(ids, f.bufs.y)
	}
	return ids
}

// rowBytes is the bytes per sample of each buffer of bufIDs.
func (f *feeder) rowBytes() []int {
	var out []int
	for _, s := range f.data.inputs {
		out = append(out, s.rowBytes())
	}
	if f.data.targets != nil {
		out = append(out, f.data.targets.rowBytes())
	}
	return out
}

// encode appends to dst (grown once to its final size) the little-endian bytes of samples lo..hi-1 of
// buffer b (an input, or the targets after the inputs), taken through idx
// when it is not nil.
func (f *feeder) encode(b int, dst []byte, lo, hi int, idx []int) []byte {
	le := binary.LittleEndian
	dst = slices.Grow(dst, (hi-lo)*f.rowBytes()[b])
	for i := lo; i < hi; i++ {
		s := i
		if idx != nil {
			s = idx[i]
		}
		if b == len(f.data.inputs) {
			t := f.data.targets
			if t.labels != nil {
				dst = le.AppendUint32(dst, uint32(int32(t.labels[s])))
				continue
			}
			for _, v := range t.floats[s*t.width : (s+1)*t.width] {
				dst = le.AppendUint32(dst, math.Float32bits(v))
			}
			continue
		}
		src := f.data.inputs[b]
		if src.bytes != nil {
			dst = append(dst, src.bytes[s*src.features:(s+1)*src.features]...)
			continue
		}
		for _, v := range src.floats[s*src.features : (s+1)*src.features] {
			dst = le.AppendUint32(dst, math.Float32bits(v))
		}
	}
	return dst
}

// uploadOrder writes a sample order to the set's order buffer.
func (f *feeder) uploadOrder(order []int) error {
	buf := (*f.scratch)[:0]
	for _, s := range order {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(int32(s)))
	}
	*f.scratch = buf
	if err := f.prog.Upload(f.bufs.order, 0, buf); err != nil {
		return fmt.Errorf("uploading the sample order: %w", err)
	}
	return nil
}

// setOrder starts an epoch whose steps read the samples in order.
func (f *feeder) setOrder(order []int) error {
	f.wait()
	if f.chunk == 0 {
		return f.uploadOrder(order)
	}
	f.order, f.loaded, f.next = order, -1, -1
	return nil
}

// window makes step s's samples readable and returns the Start of step s
// in the order buffer and the end (exclusive) of the steps that can run
// before the next call: the epoch's end, or the end of s's chunk.
func (f *feeder) window(s, steps int) (start, end int, err error) {
	if f.chunk == 0 {
		return s * f.batch, steps, nil
	}
	if f.src != nil {
		return f.src.window(f, s)
	}
	perChunk := f.chunk / f.batch
	c := s / perChunk
	if c != f.loaded {
		if err := f.load(c); err != nil {
			return 0, 0, err
		}
	}
	slot := c % 2
	return slot*f.chunk + (s-c*perChunk)*f.batch, min(steps, (c+1)*perChunk), nil
}

// load puts chunk c into its slot, from the background staging when that
// prepared it, and starts preparing chunk c+1.
func (f *feeder) load(c int) error {
	f.wait()
	slot := c % 2
	if f.next != c {
		f.stage(c)
	}
	rowBytes := f.rowBytes()
	for b, id := range f.bufIDs() {
		if err := f.prog.Upload(id, slot*f.chunk*rowBytes[b], f.staged[slot][b]); err != nil {
			return fmt.Errorf("uploading chunk %d of the data: %w", c+1, err)
		}
	}
	f.loaded = c
	if lo := (c + 1) * f.chunk; lo < len(f.order) {
		f.next, f.ready = c+1, make(chan struct{})
		go func(c int, done chan struct{}) {
			f.stage(c)
			close(done)
		}(c+1, f.ready)
	}
	return nil
}

// stage gathers chunk c's samples, in epoch order, into its slot's
// staging bytes.
func (f *feeder) stage(c int) {
	slot := c % 2
	lo, hi := c*f.chunk, min((c+1)*f.chunk, len(f.order))
	for b := range f.bufIDs() {
		f.staged[slot][b] = f.encode(b, f.staged[slot][b][:0], lo, hi, f.order)
	}
}

// wait waits for the background staging, if any is running.
func (f *feeder) wait() {
	if f.ready != nil {
		<-f.ready
		f.ready = nil
	}
}

// current reports whether the feeder's data is still what its set holds
// in m's program: false after the program was rebuilt or another feeder
// took the set (an Evaluate or Predict from a Fit callback).
func (f *feeder) current(m *Model) bool {
	return m.run == f.r && f.r.gen[f.set] == f.gen
}

// close waits for the background staging so that no goroutine outlives the
// call that made the feeder.
func (f *feeder) close() { f.wait() }
