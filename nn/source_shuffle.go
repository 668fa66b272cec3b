package nn

import "github.com/anvil-ml/anvil/tensor"

// encodedRows is samples as the backend takes them: for each data buffer
// (each input's, then the targets'), the samples' little-endian bytes
// back to back.
type encodedRows struct {
	bufs     [][]byte
	rowBytes []int
	n        int
}

func newEncodedRows(rowBytes []int) *encodedRows {
	return &encodedRows{bufs: make([][]byte, len(rowBytes)), rowBytes: rowBytes}
}

// row is sample i's bytes in buffer b.
func (e *encodedRows) row(b, i int) []byte {
	rb := e.rowBytes[b]
	return e.bufs[b][i*rb : (i+1)*rb]
}

// add appends sample i of src.
func (e *encodedRows) add(src *encodedRows, i int) {
	for b := range e.bufs {
		e.bufs[b] = append(e.bufs[b], src.row(b, i)...)
	}
	e.n++
}

// emitFunc takes sample i of rows; it returns false to stop the pass.
type emitFunc func(rows *encodedRows, i int) bool

// shuffleBuffer is tf.data's shuffle(buffer_size): it holds up to size
// samples; once it is full, each new sample takes the place of one drawn
// uniformly from the buffer, which leaves; at the end of the pass the
// samples still held leave in a random order. Each sample can thus move
// at most about size places ahead of where the source put it, and memory
// stays at size samples, whatever the length of the pass.
//
// The final order is drawn as Stream.Perm draws a permutation, so with a
// buffer at least as large as the pass and the stream epochOrder uses, the
// samples leave in exactly the in-memory Fit's shuffled order.
type shuffleBuffer struct {
	held *encodedRows
	size int
	rnd  *tensor.Stream
}

func newShuffleBuffer(size int, rnd *tensor.Stream, rowBytes []int) *shuffleBuffer {
	return &shuffleBuffer{held: newEncodedRows(rowBytes), size: size, rnd: rnd}
}

// push adds sample i of rows, emitting a drawn sample first when the
// buffer is full. It returns false when emit stopped the pass.
func (s *shuffleBuffer) push(rows *encodedRows, i int, emit emitFunc) bool {
	if s.held.n < s.size {
		s.held.add(rows, i)
		return true
	}
	j := s.rnd.Intn(s.size)
	if !emit(s.held, j) {
		return false
	}
	for b := range s.held.bufs {
		copy(s.held.row(b, j), rows.row(b, i))
	}
	return true
}

// drain emits the held samples in a random order and empties the buffer.
func (s *shuffleBuffer) drain(emit emitFunc) bool {
	for _, j := range s.rnd.Perm(s.held.n) {
		if !emit(s.held, j) {
			return false
		}
	}
	for b := range s.held.bufs {
		s.held.bufs[b] = s.held.bufs[b][:0]
	}
	s.held.n = 0
	return true
}
