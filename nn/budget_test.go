package nn

import (
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestBudgetLimits: ANVIL_DATA_BUDGET must be a positive byte count (0 is
// refused, not read as "no budget"), and a backend reporting a largest
// buffer of 0 means it has no limit.
func TestBudgetLimits(t *testing.T) {
	m := imageModel(t, "categorical_crossentropy")
	for _, bad := range []string{"0", "-5", "lots"} {
		t.Setenv("ANVIL_DATA_BUDGET", bad)
		if _, _, err := m.budget(); err == nil {
			t.Errorf("ANVIL_DATA_BUDGET=%q accepted", bad)
		}
	}
	t.Setenv("ANVIL_DATA_BUDGET", "4096")
	if total, _, err := m.budget(); err != nil || total != 4096 {
		t.Errorf("ANVIL_DATA_BUDGET=4096: total %d, err %v", total, err)
	}
	t.Setenv("ANVIL_DATA_BUDGET", "")
	if err := m.SetBackend(limitedBackend{m.Backend(), 0}); err != nil {
		t.Fatal(err)
	}
	total, perBuffer, err := m.budget()
	if err != nil || total != 1<<62 || perBuffer != 1<<62 {
		t.Errorf("no budget and a backend limit of 0: total %d, per buffer %d, err %v; want no limit (2⁶²) for both", total, perBuffer, err)
	}
}

// TestPlacementBoundaries: a set that fills the data budget exactly stays
// resident, one byte less is split into two chunks of whole batches, and a
// set whose two one-batch chunks would cover it all stays resident too.
// Each row of byteImages costs 16 input bytes, a 4-byte label and the
// 4-byte sample order: 24 bytes.
func TestPlacementBoundaries(t *testing.T) {
	cases := []struct {
		n, batch          int
		budget            int64
		wantRows, wantChk int
	}{
		{100, 8, 100 * 24, 100, 0},
		{100, 8, 100*24 - 1, 96, 48}, // 2399/48 = 49 rows a chunk, 48 in whole batches
		{16, 8, 100, 16, 0},          // one batch a chunk: two chunks are the whole set
		{17, 8, 100, 16, 8},
	}
	for _, c := range cases {
		m := imageModel(t, "categorical_crossentropy")
		m.SetDataBudget(c.budget)
		b, labels := byteImages(c.n)
		cd, err := m.checkData(Data{Bytes: []*tensor.Bytes{b}, Labels: labels}, "test", true)
		if err != nil {
			t.Fatal(err)
		}
		spec, chunk, err := m.placement(cd, c.batch)
		if err != nil || spec.rows != c.wantRows || chunk != c.wantChk {
			t.Errorf("%d samples, batch %d, budget %d: rows %d chunk %d err %v; want rows %d chunk %d",
				c.n, c.batch, c.budget, spec.rows, chunk, err, c.wantRows, c.wantChk)
		}
	}
}

// TestPlacementPerBufferBoundary: a set whose widest buffer (byteImages'
// 16 input bytes a row) fills the backend's largest buffer exactly stays
// resident, and one byte less streams.
func TestPlacementPerBufferBoundary(t *testing.T) {
	for _, c := range []struct {
		limit     int64
		wantChunk bool
	}{{100 * 16, false}, {100*16 - 1, true}} {
		m := imageModel(t, "categorical_crossentropy")
		if err := m.SetBackend(limitedBackend{m.Backend(), c.limit}); err != nil {
			t.Fatal(err)
		}
		b, labels := byteImages(100)
		cd, err := m.checkData(Data{Bytes: []*tensor.Bytes{b}, Labels: labels}, "test", true)
		if err != nil {
			t.Fatal(err)
		}
		_, chunk, err := m.placement(cd, 8)
		if err != nil || (chunk > 0) != c.wantChunk {
			t.Errorf("largest buffer %d bytes: chunk %d, err %v; want streamed %v", c.limit, chunk, err, c.wantChunk)
		}
	}
}
