package cpuref

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/anvil-ml/anvil/tensor"
)

// dataMem holds the memory of the buffers that are not float32: resident
// uint8 images and int32 labels and sample orders. Float32 data buffers
// live in program.bufs like every other buffer.
type dataMem struct {
	bytes map[tensor.BufferID][]uint8
	ints  map[tensor.BufferID][]int32
	stats tensor.ProgramStats
}

// allocData allocates the uint8 and int32 buffers of plan; their entries
// in bufs stay nil, so a float kernel bound to one would find no memory
// (the plan's checks keep that from happening).
func (p *program) allocData() {
	p.data.bytes = map[tensor.BufferID][]uint8{}
	p.data.ints = map[tensor.BufferID][]int32{}
	for i, b := range p.plan.Buffers {
		id := tensor.BufferID(i)
		switch b.DType {
		case tensor.Uint8:
			p.data.bytes[id] = make([]uint8, p.plan.Elems(id))
		case tensor.Int32:
			p.data.ints[id] = make([]int32, p.plan.Elems(id))
		default:
			p.bufs[i] = make([]float32, p.plan.Elems(id))
		}
	}
}

// Upload implements tensor.Program: it stores little-endian bytes into a
// buffer of any element type.
func (p *program) Upload(id tensor.BufferID, off int, data []byte) error {
	if p.closed {
		return errClosed
	}
	if err := p.contract.CheckUpload(id, off, len(data)); err != nil {
		return fmt.Errorf("cpuref: %w", err)
	}
	p.data.stats.BytesUploaded += int64(len(data))
	switch p.plan.Buffers[id].DType {
	case tensor.Uint8:
		copy(p.data.bytes[id][off:], data)
	case tensor.Int32:
		ints := p.data.ints[id]
		putWords(data, off, func(i int, w uint32) { ints[i] = int32(w) }, func(i int) uint32 { return uint32(ints[i]) })
	default:
		fl := p.bufs[id]
		putWords(data, off, func(i int, w uint32) { fl[i] = math.Float32frombits(w) }, func(i int) uint32 { return math.Float32bits(fl[i]) })
	}
	return nil
}

// putWords stores bytes into 32-bit little-endian words starting at byte
// off: whole words directly, a partial word at either end by merging it
// with the word's current value (get).
func putWords(data []byte, off int, set func(int, uint32), get func(int) uint32) {
	for len(data) > 0 {
		i, shift := off/4, off%4
		if shift == 0 && len(data) >= 4 {
			n := len(data) / 4
			for k := range n {
				set(i+k, binary.LittleEndian.Uint32(data[4*k:]))
			}
			data, off = data[4*n:], off+4*n
			continue
		}
		var w [4]byte
		binary.LittleEndian.PutUint32(w[:], get(i))
		n := copy(w[shift:], data)
		set(i, binary.LittleEndian.Uint32(w[:]))
		data, off = data[n:], off+n
	}
}

// Stats implements tensor.StatsReporter.
func (p *program) Stats() tensor.ProgramStats { return p.data.stats }
