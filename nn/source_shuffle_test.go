package nn

import (
	"slices"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestShuffleBufferOrder: the buffer emits a permutation, repeatable by
// seed, in which no sample leaves before size-1 samples after it entered
// the buffer have arrived (a sample can only move ahead by the buffer).
func TestShuffleBufferOrder(t *testing.T) {
	const n, size = 200, 16
	order := func(seed uint64) []int {
		in := newEncodedRows([]int{4})
		for i := range n {
			in.bufs[0] = append(in.bufs[0], byte(i), byte(i>>8), 0, 0)
		}
		in.n = n
		var out []int
		emit := func(rows *encodedRows, i int) bool {
			r := rows.row(0, i)
			out = append(out, int(r[0])|int(r[1])<<8)
			return true
		}
		sb := newShuffleBuffer(size, tensor.NewStream(seed, 1), []int{4})
		for i := range n {
			sb.push(in, i, emit)
		}
		sb.drain(emit)
		return out
	}
	a := order(1)
	seen := make([]bool, n)
	moved := false
	for pos, s := range a {
		if seen[s] {
			t.Fatalf("sample %d emitted twice", s)
		}
		seen[s] = true
		if pos < s-size+1 {
			t.Errorf("sample %d left at %d, ahead of the buffer", s, pos)
		}
		moved = moved || pos != s
	}
	if len(a) != n || !moved {
		t.Fatalf("got %d samples, moved %v", len(a), moved)
	}
	if b := order(1); !slices.Equal(a, b) {
		t.Error("the same seed gave another order")
	}
	if c := order(2); slices.Equal(a, c) {
		t.Error("another seed gave the same order")
	}
}
