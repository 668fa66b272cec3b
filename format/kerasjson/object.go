package kerasjson

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Object is a JSON object that keeps its keys in the order given, so
// written files read like Keras's own (name first, then the layer's
// settings in Keras's order) and are byte-for-byte reproducible.
type Object []Field

// Field is one key of an Object and its value: {"units", 10}. It is an
// array, not a struct, so that configs read as plain literals in any
// package.
type Field [2]any

// MarshalJSON implements json.Marshaler.
func (o Object) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		key, ok := f[0].(string)
		if !ok {
			return nil, fmt.Errorf("object key %v is not a string", f[0])
		}
		k, err := json.Marshal(key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(f[1])
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

// Off lists keys with the value null: Keras's way of writing an unset
// option (a regularizer, a constraint).
func Off(keys ...string) Object {
	out := make(Object, len(keys))
	for i, k := range keys {
		out[i] = Field{k, nil}
	}
	return out
}

// PairJSON writes a window or stride as Keras's two-element list.
func PairJSON(p [2]int) []int { return []int{p[0], p[1]} }

// BatchShape writes a per-sample shape as Keras's batch_input_shape:
// [null, d1, d2, ...].
func BatchShape(s []int) []any {
	out := []any{nil}
	for _, d := range s {
		out = append(out, d)
	}
	return out
}
