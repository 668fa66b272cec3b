package gpu

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/cpuref"
	"github.com/anvil-ml/anvil/tensor"
)

// gatherCase is one gather experiment: a dataset of count samples of
// features values (uint8 through a table, or float32), labels of classes
// classes (0: sparse), and the steps to run.
type gatherCase struct {
	bytes                           bool
	batch, count, features, classes int
	steps                           []tensor.StepArgs
}

// sentinel fills the rows a step must leave untouched.
const sentinel = -7.5

// refGatherRows is the independent reference: row r of the batch is
// sample order[start+r], converted.
func refGatherRows(d residentData, floats []float32, features int, a tensor.StepArgs, out []float32) {
	for r := range a.Rows {
		s := int(d.order[a.Start+r])
		for f := range features {
			if floats != nil {
				out[r*features+f] = floats[s*features+f]
			} else {
				out[r*features+f] = d.table[d.images[s*features+f]]
			}
		}
	}
}

// refGatherLabels is the reference for the targets.
func refGatherLabels(d residentData, classes int, a tensor.StepArgs, out []float32) {
	for r := range a.Rows {
		c := int(d.labels[d.order[a.Start+r]])
		if classes == 0 {
			out[r] = float32(c)
			continue
		}
		for k := range classes {
			out[r*classes+k] = 0
			if k == c {
				out[r*classes+k] = 1
			}
		}
	}
}

func (c gatherCase) run(t *testing.T, b *Backend) {
	p := tensor.NewPlan(c.batch)
	dtype := tensor.Float32
	if c.bytes {
		dtype = tensor.Uint8
	}
	src := p.AddDataBuffer("images", dtype, tensor.Shape{c.count, c.features})
	labels := p.AddDataBuffer("labels", tensor.Int32, tensor.Shape{c.count})
	order := p.AddDataBuffer("order", tensor.Int32, tensor.Shape{c.count})
	table := tensor.NoBuffer
	if c.bytes {
		table = p.AddBuffer("table", tensor.StateBuffer, false, tensor.Shape{256})
	}
	width := max(c.classes, 1)
	x := p.AddBuffer("x", tensor.InputBuffer, true, tensor.Shape{c.features})
	y := p.AddBuffer("y", tensor.InputBuffer, true, tensor.Shape{width})
	p.Emit(tensor.Train, tensor.GatherRows{Src: src, Order: order, Table: table, Dst: x, Features: c.features})
	p.Emit(tensor.Train, tensor.GatherLabels{Labels: labels, Order: order, Dst: y, Classes: c.classes})
	prog := compileGPU(t, b, p)

	d := newResidentData(c.count, c.features, max(c.classes, 3), uint64(c.count*c.features))
	var floats []float32
	data := d.images
	if !c.bytes {
		floats = randomFloats(c.count*c.features, 5)
		data = float32Bytes(floats)
	} else {
		must(t, prog.Write(table, d.table))
	}
	// Stream the source in uneven chunks at unaligned offsets, as Fit
	// streams a dataset larger than a buffer.
	for off := 0; off < len(data); off += 7 {
		must(t, prog.Upload(src, off, data[off:min(off+7, len(data))]))
	}
	must(t, prog.Upload(labels, 0, int32Bytes(d.labels)))
	must(t, prog.Upload(order, 0, int32Bytes(d.order)))

	for i, a := range c.steps {
		wantX, wantY := filled(c.batch*c.features), filled(c.batch*width)
		must(t, prog.Write(x, wantX))
		must(t, prog.Write(y, wantY))
		refGatherRows(d, floats, c.features, a, wantX)
		refGatherLabels(d, c.classes, a, wantY)
		if i%2 == 0 {
			must(t, prog.Run(tensor.Train, a))
		} else {
			must(t, prog.RunSteps(tensor.Train, []tensor.StepArgs{a}))
		}
		gotX, gotY := make([]float32, len(wantX)), make([]float32, len(wantY))
		must(t, prog.Read(x, gotX))
		must(t, prog.Read(y, gotY))
		sameFloatBits(t, fmt.Sprintf("step %d (%+v) rows", i, a), gotX, wantX)
		sameFloatBits(t, fmt.Sprintf("step %d (%+v) labels", i, a), gotY, wantY)
	}
}

// filled returns n sentinels.
func filled(n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = sentinel
	}
	return out
}

// sameBits demands bit-identical values: a gather is a copy or a table
// lookup.
func sameFloatBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Errorf("%s: element %d is %v, want %v", what, i, got[i], want[i])
			return
		}
	}
}

func TestGatherKernels(t *testing.T) {
	b := openBackend(t)
	steps := []tensor.StepArgs{
		{Rows: 4, Start: 0, Step: 1},
		{Rows: 4, Start: 5, Step: 2},
		{Rows: 2, Start: 9, Step: 3}, // a short last batch that ends at the order's end
		{Rows: 1, Start: 10, Step: 4},
		{Rows: 3, Start: 3, Step: 5},
	}
	cases := map[string]gatherCase{
		"uint8 odd features one-hot": {bytes: true, batch: 4, count: 11, features: 7, classes: 5, steps: steps},
		"uint8 one feature sparse":   {bytes: true, batch: 4, count: 11, features: 1, classes: 0, steps: steps},
		"float32 odd features":       {bytes: false, batch: 4, count: 11, features: 13, classes: 10, steps: steps},
		"uint8 wide":                 {bytes: true, batch: 4, count: 11, features: 3*32*32 + 1, classes: 10, steps: steps},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			c.run(t, b)
			checkValidation(t, b)
		})
	}
}

func TestGatherRejectsBadOrder(t *testing.T) {
	b := openBackend(t)
	r := newResidentPlan(4, 8, 3, 2)
	prog := compileGPU(t, b, r.p)
	d := newResidentData(8, 3, 2, 1)
	d.order[6] = 8 // one past the last sample
	must(t, prog.Upload(r.order, 0, int32Bytes(d.order)))
	a := tensor.StepArgs{Rows: 4, Start: 4, Step: 1}
	for name, err := range map[string]error{
		"Run":      prog.Run(tensor.Train, a),
		"RunSteps": prog.RunSteps(tensor.Train, []tensor.StepArgs{{Rows: 4, Start: 0, Step: 1}, a}),
	} {
		if err == nil || !strings.Contains(err.Error(), `"order" holds 8 at row 6`) {
			t.Errorf("%s with an order entry past the data: %v", name, err)
		}
	}
	if s := prog.Stats(); s.Submissions != 0 {
		t.Errorf("a rejected step was submitted: %+v", s)
	}
	if err := prog.Upload(r.order, 30, make([]byte, 4)); err == nil {
		t.Error("Upload past the end of the order succeeded")
	}
	if err := prog.Write(r.src, make([]float32, 1)); err == nil {
		t.Error("Write of float32 values into a uint8 buffer succeeded")
	}
}

// TestGatherMatchesCPU runs the resident training plan for a few chunks on
// both backends: the gathered batches agree bit for bit with cpuref's, and
// so do the labels; the trained weights agree within float32 rounding of
// the GEMM's different summation order: about an ulp per step, which Adam's
// normalized update does not amplify, so 2e-6 relative (16 ulps) after 10
// steps (1 ulp is what lavapipe shows).
func TestGatherMatchesCPU(t *testing.T) {
	b := openBackend(t)
	const batch, count = 8, 29
	r := newResidentPlan(batch, count, 7, 4)
	d := newResidentData(count, 7, 4, 11)
	steps := epochSteps(batch, count, 3)[:10]
	var got [2][][]float32
	for i, be := range []tensor.Backend{cpuref.New(), b} {
		prog, err := be.Compile(r.p)
		must(t, err)
		t.Cleanup(func() { prog.Close() })
		must(t, prog.Upload(r.src, 0, d.images))
		must(t, prog.Upload(r.labels, 0, int32Bytes(d.labels)))
		must(t, prog.Upload(r.order, 0, int32Bytes(d.order)))
		must(t, prog.Write(r.table, d.table))
		must(t, prog.Write(r.w, randomFloats(7*4, 3)))
		must(t, prog.Write(r.b, randomFloats(4, 4)))
		must(t, prog.RunSteps(tensor.Train, steps[:3]))
		must(t, prog.RunSteps(tensor.Train, steps[3:]))
		for _, id := range []tensor.BufferID{r.x, r.t, r.w, r.b} {
			v := make([]float32, r.p.Elems(id))
			must(t, prog.Read(id, v))
			got[i] = append(got[i], v)
		}
	}
	sameFloatBits(t, "gathered rows", got[1][0], got[0][0])
	sameFloatBits(t, "gathered labels", got[1][1], got[0][1])
	for k, name := range []string{"w", "b"} {
		for i, want := range got[0][2+k] {
			if g := got[1][2+k][i]; math.Abs(float64(g-want)) > 2e-6*(1+math.Abs(float64(want))) {
				t.Errorf("%s[%d] = %v on the GPU, %v on the CPU", name, i, g, want)
			}
		}
	}
}
