package cpuref

import (
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// scatterPlan is a Predict routine that scatters a batch of features rows
// into a resident buffer of rows rows.
func scatterPlan(batch, features, rows int) (p *tensor.Plan, src, dst tensor.BufferID) {
	p = tensor.NewPlan(batch)
	src = p.AddBuffer("x", tensor.InputBuffer, true, tensor.Shape{features})
	dst = p.AddDataBuffer("collected", tensor.Float32, tensor.Shape{rows * features})
	p.Emit(tensor.Predict, tensor.ScatterRows{Src: src, Dst: dst, Features: features})
	return p, src, dst
}

// TestScatterRows compares ScatterRows with its doc comment's formula
// written out on the host, for full and short batches at several starts;
// rows no step writes keep what was uploaded.
func TestScatterRows(t *testing.T) {
	const batch, f, rows = 4, 3, 11
	p, src, dst := scatterPlan(batch, f, rows)
	prog, err := New().Compile(p)
	must(t, err)
	defer prog.Close()
	want := make([]float32, rows*f)
	for i := range want {
		want[i] = -float32(i) - 0.5 // sentinel: rows never written keep it
	}
	must(t, prog.Upload(dst, 0, float32Bytes(want)))
	for i, a := range []tensor.StepArgs{{Rows: 4, Start: 0}, {Rows: 2, Start: 9}, {Rows: 3, Start: 5}, {Rows: 1, Start: 4}} {
		x := make([]float32, batch*f)
		for j := range x {
			x[j] = float32(100*i+j) * 0.125
		}
		must(t, prog.Write(src, x))
		must(t, prog.Run(tensor.Predict, a))
		for r := range a.Rows {
			for k := range f {
				want[(a.Start+r)*f+k] = x[r*f+k]
			}
		}
	}
	got := make([]float32, rows*f)
	must(t, prog.Read(dst, got))
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("element %d (row %d) = %v, want %v", i, i/f, got[i], want[i])
		}
	}
}

// TestScatterRowsErrors: a destination that cannot hold whole rows, or a
// step that would write past its end, is an error.
func TestScatterRowsErrors(t *testing.T) {
	p, src, dst := scatterPlan(4, 3, 5)
	prog, err := New().Compile(p)
	must(t, err)
	defer prog.Close()
	if err := prog.Run(tensor.Predict, tensor.StepArgs{Rows: 4, Start: 2}); err == nil || !strings.Contains(err.Error(), "holds 5 rows") {
		t.Errorf("rows 2..6 of 5: error %v, want one saying it holds 5 rows", err)
	}
	bad := []struct {
		name, want string
		op         tensor.ScatterRows
	}{
		{"features not dividing", "whole number", tensor.ScatterRows{Src: src, Dst: dst, Features: 4}},
		{"batched destination", "non-batched data buffer", tensor.ScatterRows{Src: src, Dst: src, Features: 3}},
		{"no destination", "NoBuffer", tensor.ScatterRows{Src: src, Dst: tensor.NoBuffer, Features: 3}},
		{"zero features", "positive", tensor.ScatterRows{Src: src, Dst: dst, Features: 0}},
	}
	for _, b := range bad {
		q, _, _ := scatterPlan(4, 3, 5)
		q.Routines[tensor.Predict][0] = b.op
		if _, err := New().Compile(q); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: error %v, want one containing %q", b.name, err, b.want)
		}
	}
	q := tensor.NewPlan(4)
	s := q.AddBuffer("x", tensor.InputBuffer, true, tensor.Shape{1})
	d := q.AddDataBuffer("ints", tensor.Int32, tensor.Shape{8})
	q.Emit(tensor.Predict, tensor.ScatterRows{Src: s, Dst: d, Features: 1})
	if _, err := New().Compile(q); err == nil || !strings.Contains(err.Error(), "float32") {
		t.Errorf("int32 destination: error %v, want one saying float32", err)
	}
}
