package nn

import (
	"fmt"
	"os"
	"strconv"

	"github.com/anvil-ml/anvil/tensor"
)

// SetDataBudget sets the most bytes one data set (features, targets and
// the predictions Predict collects) may take on the backend; a larger one
// is streamed in chunks while it trains instead of uploaded once. 0 restores the default: the environment
// variable ANVIL_DATA_BUDGET (bytes) when set, else no limit beyond the
// backend's own largest buffer (tensor.BufferLimiter).
func (m *Model) SetDataBudget(bytes int64) { m.dataBudget = bytes }

// budget returns the data budget and the backend's largest buffer, each
// 2⁶² (no limit) when there is none.
func (m *Model) budget() (total, perBuffer int64, err error) {
	total, perBuffer = 1<<62, 1<<62
	switch {
	case m.dataBudget > 0:
		total = m.dataBudget
	case os.Getenv("ANVIL_DATA_BUDGET") != "":
		v, err := strconv.ParseInt(os.Getenv("ANVIL_DATA_BUDGET"), 10, 64)
		if err != nil || v <= 0 {
			return 0, 0, fmt.Errorf("ANVIL_DATA_BUDGET=%q: want a positive number of bytes", os.Getenv("ANVIL_DATA_BUDGET"))
		}
		total = v
	}
	if l, ok := m.Backend().(tensor.BufferLimiter); ok && l.MaxBufferBytes() > 0 {
		perBuffer = l.MaxBufferBytes()
	}
	return total, perBuffer, nil
}

// placement decides how data reaches the backend in steps of batch
// samples: resident (chunk 0), or streamed in chunks of chunk samples, a
// multiple of batch, two of which fit the budget. It returns the spec the
// set's buffers need.
func (m *Model) placement(d *checkedData, batch int) (spec dataSpec, chunk int, err error) {
	return m.placementWith(d, batch, 0)
}

// placementWith is placement for a set whose buffers also hold outRow
// bytes of results per sample (the predictions Predict collects).
func (m *Model) placementWith(d *checkedData, batch int, outRow int64) (spec dataSpec, chunk int, err error) {
	total, perBuffer, err := m.budget()
	if err != nil {
		return dataSpec{}, 0, err
	}
	spec = dataSpec{rows: d.n}
	var row, widest int64
	for _, s := range d.inputs {
		spec.inputs = append(spec.inputs, s.dtype())
		row += int64(s.rowBytes())
		widest = max(widest, int64(s.rowBytes()))
	}
	if t := d.targets; t != nil {
		spec.labels = t.labels != nil
		row += int64(t.rowBytes())
		widest = max(widest, int64(t.rowBytes()))
	}
	if d.weights != nil {
		spec.weights = true
		row += 4
		widest = max(widest, 4)
	}
	row += 4 + outRow // the order and the results
	widest = max(widest, outRow)
	n := int64(d.n)
	if n*row <= total && n*widest <= perBuffer {
		return spec, 0, nil
	}
	// Two chunks must fit; at least one batch each, even past the budget.
	rows := min(total/(2*row), perBuffer/(2*widest))
	chunk = max(1, int(rows)/batch) * batch
	if 2*chunk >= d.n {
		return spec, 0, nil
	}
	spec.rows = 2 * chunk
	return spec, chunk, nil
}
