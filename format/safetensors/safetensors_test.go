package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

func sample() map[string]*tensor.Tensor {
	return map[string]*tensor.Tensor{
		"dense/kernel": {Shape: tensor.Shape{2, 3}, Data: []float32{1, -2, 3.5, 0, float32(math.Inf(1)), 1e-30}},
		"dense/bias":   {Shape: tensor.Shape{3}, Data: []float32{0.25, 0.5, -0.75}},
		"scalar":       {Shape: tensor.Shape{}, Data: []float32{42}},
		"empty":        {Shape: tensor.Shape{0, 4}, Data: []float32{}},
	}
}

func encode(t testing.TB, ts map[string]*tensor.Tensor, meta map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, ts, meta); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rawFile assembles a file from a literal header and data bytes, unpadded.
func rawFile(header string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(out, header...), data...)
}

func TestRoundTripIsBitExactAndLayoutIsCanonical(t *testing.T) {
	in := sample()
	in["nan"] = &tensor.Tensor{Shape: tensor.Shape{1}, Data: []float32{math.Float32frombits(0x7fc00123)}}
	data := encode(t, in, map[string]string{"format": "anvil", "version": "1"})
	n := binary.LittleEndian.Uint64(data)
	if (8+n)%8 != 0 || data[8] != '{' {
		t.Fatalf("header length %d: data does not start 8-byte aligned", n)
	}
	f, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["format"] != "anvil" || f.Metadata["version"] != "1" {
		t.Errorf("metadata %v", f.Metadata)
	}
	for name, want := range in {
		got := f.Tensors[name]
		if got == nil || !got.Shape.Equal(want.Shape) || len(got.Data) != len(want.Data) {
			t.Fatalf("tensor %q: got %v, want shape %v", name, got, want.Shape)
		}
		for i := range want.Data {
			if math.Float32bits(got.Data[i]) != math.Float32bits(want.Data[i]) {
				t.Errorf("tensor %q[%d] = %x, want %x", name, i, math.Float32bits(got.Data[i]), math.Float32bits(want.Data[i]))
			}
		}
	}
	// Tensors lie in name order: dense/bias first.
	hdr := string(data[8 : 8+n])
	if !strings.Contains(hdr, `"dense/bias":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}`) {
		t.Errorf("header %s", hdr)
	}
}

func TestReadFileNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.safetensors")
	if err := os.WriteFile(path, encode(t, sample(), nil)[:30], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(path)
	if err == nil || !strings.Contains(err.Error(), path) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("error %v should name %s and wrap ErrInvalid", err, path)
	}
}

func TestBrokenFilesGiveClearErrors(t *testing.T) {
	valid := encode(t, sample(), nil)
	huge := binary.LittleEndian.AppendUint64(nil, 1<<62)
	cases := []struct {
		name string
		data []byte
		want []string
	}{
		{"empty", nil, []string{"too short"}},
		{"header longer than file", append(huge, "{}"...), []string{"header length at byte 0", "truncated"}},
		{"truncated data", valid[:len(valid)-4], []string{"outside", "data bytes"}},
		{"trailing bytes", append(append([]byte(nil), valid...), 0, 0, 0, 0), []string{"the file goes on"}},
		{"not json", rawFile("{nope", nil), []string{"not valid JSON", "byte 8"}},
		{"not an object", rawFile("[1,2]", nil), []string{"not a JSON object"}},
		{"duplicate name", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)),
			[]string{`"a" appears twice`}},
		{"f16", rawFile(`{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, make([]byte, 4)), []string{`tensor "w"`, `"F16"`, "F32"}},
		{"shape mismatch", rawFile(`{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, make([]byte, 8)), []string{`tensor "w"`, "needs 12 bytes", "give 8", "at byte"}},
		{"offsets reversed", rawFile(`{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}`, make([]byte, 8)), []string{`tensor "w"`, "[8, 0]"}},
		{"overlap", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, make([]byte, 12)),
			[]string{`tensor "b"`, "overlaps"}},
		{"gap", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8)), []string{`tensor "a"`, "gap of 4 bytes"}},
		{"giant shape", rawFile(`{"a":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]}}`, make([]byte, 4)), []string{`tensor "a"`, "more values"}},
		{"big shape", rawFile(`{"a":{"dtype":"F32","shape":[65536,65536],"data_offsets":[0,4]}}`, make([]byte, 4)), []string{`tensor "a"`, "needs 17179869184 bytes"}},
		{"negative dim", rawFile(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, make([]byte, 4)), []string{`tensor "a"`, "bad header record"}},
		{"missing shape", rawFile(`{"a":{"dtype":"F32","data_offsets":[0,4]}}`, make([]byte, 4)), []string{`tensor "a"`, "no shape"}},
		{"unknown field", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}`, make([]byte, 4)), []string{`tensor "a"`, "unknown field"}},
		{"bad metadata", rawFile(`{"__metadata__":{"k":1}}`, nil), []string{"__metadata__"}},
		{"three offsets", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, make([]byte, 4)), []string{"[begin, end]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(c.data)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestEmptyTensorsAndPaddingAreAccepted(t *testing.T) {
	f, err := Decode(rawFile(`{"z":{"dtype":"F32","shape":[0],"data_offsets":[8,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}    `, make([]byte, 8)))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Tensors) != 2 || len(f.Tensors["z"].Data) != 0 {
		t.Errorf("tensors %v", f.Tensors)
	}
}

func TestEncodeRejectsInconsistentTensors(t *testing.T) {
	var buf bytes.Buffer
	err := Encode(&buf, map[string]*tensor.Tensor{"w": {Shape: tensor.Shape{3}, Data: []float32{1}}}, nil)
	if err == nil || !strings.Contains(err.Error(), `"w"`) {
		t.Errorf("error %v", err)
	}
	err = Encode(&buf, map[string]*tensor.Tensor{"__metadata__": {Shape: tensor.Shape{1}, Data: []float32{1}}}, nil)
	if err == nil {
		t.Error("a tensor named __metadata__ was accepted")
	}
}
