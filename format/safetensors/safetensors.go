// Package safetensors reads and writes the safetensors format
// (https://github.com/huggingface/safetensors) for float32 tensors.
//
// A file is an 8-byte little-endian header length N, N bytes of JSON
// header, then the tensors' raw little-endian bytes. The header maps each
// tensor name to {"dtype", "shape", "data_offsets": [begin, end]}, offsets
// relative to the start of the data, and may hold "__metadata__", a map of
// strings. Only dtype "F32" is supported: Anvil computes in float32.
//
// Decode treats its input as hostile: it never panics, and it allocates no
// more than the input's own size, whatever the header claims.
package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/anvil-ml/anvil/tensor"
)

// MaxHeaderBytes bounds the JSON header, as the reference implementation
// does (100 MB): a header that large is a broken or hostile file.
const MaxHeaderBytes = 100_000_000

// metadataKey is the header entry that holds free-form string metadata.
const metadataKey = "__metadata__"

// ErrInvalid is wrapped by every error about a malformed file, so callers
// can tell a broken file from an I/O failure with errors.Is.
var ErrInvalid = errors.New("invalid safetensors data")

// File is the decoded content of a safetensors file.
type File struct {
	// Tensors maps each name to its value.
	Tensors map[string]*tensor.Tensor
	// Metadata is the header's "__metadata__" (empty when absent).
	Metadata map[string]string
}

// entry is one tensor's header record.
type entry struct {
	DType       string    `json:"dtype"`
	Shape       *[]uint64 `json:"shape"` // a pointer, to tell a missing shape from a scalar's []
	DataOffsets []uint64  `json:"data_offsets"`
}

// invalid formats an error that wraps ErrInvalid.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// ReadFile reads and decodes the file at path. Errors name the file.
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Decode parses a whole safetensors file held in data.
func Decode(data []byte) (*File, error) {
	if len(data) < 8 {
		return nil, invalid("%d bytes is too short for the 8-byte header length: the file is truncated or not safetensors", len(data))
	}
	n := binary.LittleEndian.Uint64(data[:8])
	if n > MaxHeaderBytes || n > uint64(len(data)-8) {
		return nil, invalid("the header length at byte 0 says %d bytes, but the file has %d bytes after it (limit %d): the file is truncated or not safetensors",
			n, len(data)-8, MaxHeaderBytes)
	}
	header, body := data[8:8+n], data[8+n:]
	entries, meta, err := parseHeader(header)
	if err != nil {
		return nil, err
	}
	names, err := checkLayout(entries, uint64(len(body)), 8+n)
	if err != nil {
		return nil, err
	}
	f := &File{Tensors: make(map[string]*tensor.Tensor, len(names)), Metadata: meta}
	for _, name := range names {
		e := entries[name]
		f.Tensors[name] = decodeTensor(e, body[e.DataOffsets[0]:e.DataOffsets[1]])
	}
	return f, nil
}

// parseHeader decodes the JSON header, rejecting duplicate names, unknown
// fields and anything but a JSON object.
func parseHeader(header []byte) (map[string]entry, map[string]string, error) {
	// The format allows padding the header with trailing spaces.
	trimmed := bytes.TrimRight(header, " ")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, nil, invalid("the header at byte 8 is not a JSON object")
	}
	if !utf8.Valid(trimmed) {
		return nil, nil, invalid("the header at byte 8 is not valid UTF-8")
	}
	raw, err := objectFields(trimmed)
	if err != nil {
		return nil, nil, invalid("the header at byte 8 is not valid JSON: %v", err)
	}
	entries := make(map[string]entry, len(raw))
	meta := map[string]string{}
	for name, msg := range raw {
		if name == metadataKey {
			if err := strictUnmarshal(msg, &meta); err != nil || meta == nil {
				return nil, nil, invalid("%s must be an object mapping strings to strings (%v)", metadataKey, err)
			}
			continue
		}
		var e entry
		if err := strictUnmarshal(msg, &e); err != nil {
			return nil, nil, invalid("tensor %q: bad header record: %v", name, err)
		}
		entries[name] = e
	}
	return entries, meta, nil
}

// objectFields splits a JSON object into its members, failing on duplicate
// names (encoding/json would silently keep the last) and trailing data.
func objectFields(data []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	out := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("the name %q appears twice", name)
		}
		out[name] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the header object")
	}
	return out, nil
}

func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// span is one tensor's byte range, for the overlap check.
type span struct {
	name       string
	begin, end uint64
}

// checkLayout validates every record against the data section of size
// bodyLen (which starts at file offset base) and returns the names sorted
// by offset. Like the reference implementation it requires the tensors to
// tile the data exactly: no overlaps, no gaps, no trailing bytes.
func checkLayout(entries map[string]entry, bodyLen, base uint64) ([]string, error) {
	spans := make([]span, 0, len(entries))
	for name, e := range entries {
		if err := checkEntry(name, e, bodyLen, base); err != nil {
			return nil, err
		}
		spans = append(spans, span{name, e.DataOffsets[0], e.DataOffsets[1]})
	}
	sort.Slice(spans, func(i, j int) bool {
		a, b := spans[i], spans[j]
		if a.begin != b.begin {
			return a.begin < b.begin
		}
		if a.end != b.end {
			return a.end < b.end // an empty tensor sorts before one that starts where it does
		}
		return a.name < b.name
	})
	var at uint64
	names := make([]string, len(spans))
	for i, s := range spans {
		if s.begin != at {
			what := "overlaps the tensor before it"
			if s.begin > at {
				what = fmt.Sprintf("leaves a gap of %d bytes after the tensor before it", s.begin-at)
			}
			return nil, invalid("tensor %q at byte %d %s", s.name, base+s.begin, what)
		}
		at, names[i] = s.end, s.name
	}
	if at != bodyLen {
		return nil, invalid("the tensors end at byte %d but the file goes on to byte %d", base+at, base+bodyLen)
	}
	return names, nil
}

// checkEntry validates one record: dtype, shape and offsets.
func checkEntry(name string, e entry, bodyLen, base uint64) error {
	if e.DType != "F32" {
		return invalid("tensor %q has dtype %q; Anvil reads only F32 (float32): convert the file, e.g. with safetensors' Python API, to float32", name, e.DType)
	}
	if e.Shape == nil {
		return invalid("tensor %q has no shape", name)
	}
	if len(e.DataOffsets) != 2 {
		return invalid("tensor %q: data_offsets must be [begin, end], got %d numbers", name, len(e.DataOffsets))
	}
	begin, end := e.DataOffsets[0], e.DataOffsets[1]
	if begin > end || end > bodyLen {
		return invalid("tensor %q: data_offsets [%d, %d] fall outside the %d data bytes (file bytes %d..%d)",
			name, begin, end, bodyLen, base, base+bodyLen)
	}
	shape := *e.Shape
	count, ok := elements(shape, math.MaxUint64/4)
	if !ok {
		return invalid("tensor %q: shape %v has more values than any file can hold", name, shape)
	}
	if end-begin != 4*count {
		return invalid("tensor %q at byte %d: shape %v needs %d bytes of F32, data_offsets [%d, %d] give %d",
			name, base+begin, shape, 4*count, begin, end, end-begin)
	}
	return nil
}

// elements returns the product of shape, or false if it exceeds limit.
// Checking against the limit at each step means it never overflows.
func elements(shape []uint64, limit uint64) (uint64, bool) {
	n := uint64(1)
	for _, d := range shape {
		if d == 0 {
			return 0, true
		}
		if d > limit || n > limit/d {
			return 0, false
		}
		n *= d
	}
	return n, true
}

func decodeTensor(e entry, raw []byte) *tensor.Tensor {
	shape := make(tensor.Shape, len(*e.Shape))
	for i, d := range *e.Shape {
		shape[i] = int(d) // bounded by the data size in checkEntry
	}
	data := make([]float32, len(raw)/4)
	for i := range data {
		data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return &tensor.Tensor{Shape: shape, Data: data}
}

// Encode writes tensors and metadata in the safetensors format. Tensors
// are laid out in name order and the header is padded with spaces so the
// data starts 8-byte aligned.
func Encode(w io.Writer, tensors map[string]*tensor.Tensor, metadata map[string]string) error {
	names, err := sortedNames(tensors)
	if err != nil {
		return err
	}
	header, err := encodeHeader(names, tensors, metadata)
	if err != nil {
		return err
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(header)))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	if _, err := w.Write(header); err != nil {
		return err
	}
	for _, name := range names {
		if _, err := w.Write(encodeData(tensors[name].Data)); err != nil {
			return err
		}
	}
	return nil
}

// sortedNames checks each tensor and returns the names in order.
func sortedNames(tensors map[string]*tensor.Tensor) ([]string, error) {
	names := make([]string, 0, len(tensors))
	for name, t := range tensors {
		switch {
		case name == metadataKey:
			return nil, fmt.Errorf("safetensors: %q is reserved and cannot name a tensor", name)
		case t == nil:
			return nil, fmt.Errorf("safetensors: tensor %q is nil", name)
		case len(t.Data) != t.Shape.Size():
			return nil, fmt.Errorf("safetensors: tensor %q has %d values for shape %v", name, len(t.Data), t.Shape)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

func encodeHeader(names []string, tensors map[string]*tensor.Tensor, metadata map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	if len(metadata) > 0 {
		m, err := json.Marshal(metadata)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&buf, "%q:%s", metadataKey, m)
	}
	var offset uint64
	for i, name := range names {
		t := tensors[name]
		if i > 0 || len(metadata) > 0 {
			buf.WriteByte(',')
		}
		key, _ := json.Marshal(name)
		end := offset + 4*uint64(len(t.Data))
		fmt.Fprintf(&buf, `%s:{"dtype":"F32","shape":%s,"data_offsets":[%d,%d]}`, key, shapeJSON(t.Shape), offset, end)
		offset = end
	}
	buf.WriteByte('}')
	for buf.Len()%8 != 0 {
		buf.WriteByte(' ')
	}
	return buf.Bytes(), nil
}

func shapeJSON(s tensor.Shape) string {
	b := []byte{'['}
	for i, d := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(d), 10)
	}
	return string(append(b, ']'))
}

func encodeData(data []float32) []byte {
	out := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(v))
	}
	return out
}
