package nn

import (
	"bytes"
	"encoding/json"
)

// obj is a JSON object that keeps its keys in the order given, so exported
// files read like Keras's own (name first, then the layer's settings in
// Keras's order) and are byte-for-byte reproducible.
type obj []field

// field is one key of an obj.
type field struct {
	key string
	val any
}

// MarshalJSON implements json.Marshaler.
func (o obj) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := json.Marshal(f.key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(f.val)
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// null is a JSON null field value, for Keras's unset options.
var null any

// pairJSON writes a window or stride as Keras's two-element list.
func pairJSON(p [2]int) []int { return []int{p[0], p[1]} }

// batchShape writes a per-sample shape as Keras's batch_input_shape:
// [null, d1, d2, ...].
func batchShape(s []int) []any {
	out := []any{nil}
	for _, d := range s {
		out = append(out, d)
	}
	return out
}
