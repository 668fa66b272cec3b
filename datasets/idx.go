package datasets

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// IDX is one decoded IDX file (the format of MNIST and Fashion-MNIST): an
// array of unsigned bytes with its dimensions.
type IDX struct {
	// Dims are the dimensions, outermost first (e.g. [60000, 28, 28]).
	Dims []int
	// Data holds the elements, row-major; its length is the product of Dims.
	Data []byte
}

// idxUnsignedByte is the only IDX element type the data sets use.
const idxUnsignedByte = 0x08

// maxIDXElements caps the element count a header may declare, so a hostile
// or corrupt header cannot ask for an absurd allocation. The largest common
// IDX file (EMNIST ByClass training images) has about 5.5e8.
const maxIDXElements = 1 << 30

// idxReadChunk is how much ReadIDX allocates ahead of the data it has
// actually read, so a header that lies about the size costs little memory.
const idxReadChunk = 64 << 10

// idxTypeNames names the IDX element types, for errors.
var idxTypeNames = map[byte]string{
	0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "int16",
	0x0C: "int32", 0x0D: "float32", 0x0E: "float64",
}

// ReadIDX decodes an IDX file of unsigned bytes from r, gunzipping it first
// when it starts with the gzip magic. name is used in errors. Offsets in
// errors count bytes of the decompressed IDX data. ReadIDX fails on a wrong
// magic number, an element type other than unsigned byte, dimensions whose
// product exceeds 2^30, and data that is shorter or longer than the
// dimensions say.
func ReadIDX(r io.Reader, name string) (*IDX, error) {
	br := bufio.NewReader(r)
	where := name
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("datasets: %s: %w: bad gzip header: %w", name, ErrFormat, err)
		}
		defer zr.Close()
		br = bufio.NewReader(zr)
		where = name + " (decompressed)"
	}

	var magic [4]byte
	if n, err := io.ReadFull(br, magic[:]); err != nil {
		return nil, idxShort(where, "magic number", 0, n, err)
	}
	dtype, ndims := magic[2], int(magic[3])
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("datasets: %s: %w: found magic 0x%08X at offset 0, expected 0x000008NN "+
			"(an IDX file of unsigned bytes with NN dimensions, e.g. 0x00000803 for images, 0x00000801 for labels)",
			where, ErrFormat, binary.BigEndian.Uint32(magic[:]))
	}
	if dtype != idxUnsignedByte {
		tn, ok := idxTypeNames[dtype]
		if !ok {
			tn = "unknown"
		}
		return nil, fmt.Errorf("datasets: %s: %w: element type 0x%02X (%s) at offset 2, expected 0x08 (unsigned byte)",
			where, ErrFormat, dtype, tn)
	}
	if ndims == 0 {
		return nil, fmt.Errorf("datasets: %s: %w: zero dimensions at offset 3, expected at least 1", where, ErrFormat)
	}

	header := make([]byte, 4*ndims)
	if n, err := io.ReadFull(br, header); err != nil {
		return nil, idxShort(where, "dimensions", 4, n, err)
	}
	dims := make([]int, ndims)
	total := 1
	for i := range dims {
		d := int(binary.BigEndian.Uint32(header[4*i:]))
		dims[i] = d
		if d != 0 && total > maxIDXElements/d {
			return nil, fmt.Errorf("datasets: %s: %w: dimensions %s declare more than %d elements (dimension %d at offset %d is %d)",
				where, ErrFormat, fmtDims(dims[:i+1]), maxIDXElements, i, 4+4*i, d)
		}
		total *= d
	}
	// A zero dimension after a huge one keeps total at 0; nothing to cap.

	dataAt := 4 + 4*ndims
	data, err := readAtMost(br, total)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("datasets: %s: reading data at offset %d: %w", where, dataAt+len(data), streamErr(err))
	}
	if len(data) < total {
		return nil, fmt.Errorf("datasets: %s: %w: truncated: dimensions %s need %d bytes of data from offset %d, "+
			"but the data ends at offset %d",
			where, ErrFormat, fmtDims(dims), total, dataAt, dataAt+len(data))
	}
	var one [1]byte
	n, err := br.Read(one[:])
	if n > 0 {
		return nil, fmt.Errorf("datasets: %s: %w: unexpected data after offset %d, where dimensions %s end",
			where, ErrFormat, dataAt+total, fmtDims(dims))
	}
	if err != nil && !errors.Is(err, io.EOF) {
		// The gzip reader checks the stream's checksum and length here.
		return nil, fmt.Errorf("datasets: %s: after offset %d: %w", where, dataAt+total, streamErr(err))
	}
	return &IDX{Dims: dims, Data: data}, nil
}

// readAtMost reads up to n bytes, growing its buffer only as data arrives.
func readAtMost(r io.Reader, n int) ([]byte, error) {
	buf := make([]byte, 0, min(n, idxReadChunk))
	for len(buf) < n {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(n, 2*cap(buf)))
			copy(grown, buf)
			buf = grown
		}
		m, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// streamErr marks errors of a corrupt compressed stream as ErrFormat; other
// read errors pass through.
func streamErr(err error) error {
	var corrupt flate.CorruptInputError
	if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.As(err, &corrupt) {
		return fmt.Errorf("%w: corrupt gzip stream: %w", ErrFormat, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: truncated gzip stream: %w", ErrFormat, err)
	}
	return err
}

// idxShort describes a header that ended early.
func idxShort(where, what string, at, got int, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("datasets: %s: %w: truncated: file ends at offset %d, inside the %s", where, ErrFormat, at+got, what)
	}
	return fmt.Errorf("datasets: %s: reading the %s at offset %d: %w", where, what, at+got, streamErr(err))
}

// fmtDims writes dimensions as 60000x28x28.
func fmtDims(dims []int) string {
	s := make([]string, len(dims))
	for i, d := range dims {
		s[i] = fmt.Sprint(d)
	}
	return strings.Join(s, "x")
}
