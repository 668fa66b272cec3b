package gpu

import (
	"fmt"
	"testing"

	"github.com/anvil-ml/anvil/cpuref"
	"github.com/anvil-ml/anvil/tensor"
)

// scatterSteps are full and short batches at several starts, the last
// ending at the destination's last row.
var scatterSteps = []tensor.StepArgs{
	{Rows: 4, Start: 0}, {Rows: 4, Start: 5}, {Rows: 2, Start: 9}, {Rows: 1, Start: 4}, {Rows: 3, Start: 2},
}

// runScatter scatters a fresh batch per step (odd steps through RunSteps)
// into a destination of rows rows that starts as sentinels, and returns
// it with the host reference of ScatterRows' formula.
func runScatter(t *testing.T, be tensor.Backend, features, rows int) (got, want []float32) {
	t.Helper()
	const batch = 4
	p := tensor.NewPlan(batch)
	src := p.AddBuffer("x", tensor.InputBuffer, true, tensor.Shape{features})
	dst := p.AddDataBuffer("collected", tensor.Float32, tensor.Shape{rows * features})
	p.Emit(tensor.Predict, tensor.ScatterRows{Src: src, Dst: dst, Features: features})
	prog, err := be.Compile(p)
	must(t, err)
	t.Cleanup(func() { prog.Close() })
	want = filled(rows * features)
	must(t, prog.Upload(dst, 0, float32Bytes(want)))
	for i, a := range scatterSteps {
		x := randomFloats(batch*features, uint64(i+1))
		must(t, prog.Write(src, x))
		if i%2 == 0 {
			must(t, prog.Run(tensor.Predict, a))
		} else {
			must(t, prog.RunSteps(tensor.Predict, []tensor.StepArgs{a}))
		}
		copy(want[a.Start*features:], x[:a.Rows*features])
	}
	got = make([]float32, rows*features)
	must(t, prog.Read(dst, got))
	return got, want
}

// TestScatterRowsKernel: the device's scatter equals the formula and
// cpuref bit for bit (it is a copy), and leaves unwritten rows alone.
func TestScatterRowsKernel(t *testing.T) {
	b := openBackend(t)
	for _, features := range []int{1, 7, 3*32*32 + 1} {
		t.Run(fmt.Sprint(features, " features"), func(t *testing.T) {
			got, want := runScatter(t, b, features, 12)
			sameFloatBits(t, "against the formula", got, want)
			cpu, _ := runScatter(t, cpuref.New(), features, 12)
			sameFloatBits(t, "against cpuref", got, cpu)
			checkValidation(t, b)
		})
	}
}
