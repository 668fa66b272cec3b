package cpuref

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// gatherNet is a plan that gathers a batch of byte images, float features
// and one-hot and sparse labels from resident data, then copies nothing
// else: every output is the gathers' own.
type gatherNet struct {
	plan                                 *tensor.Plan
	img, flt, labels, order, table       tensor.BufferID
	xImg, xFlt, yHot, ySparse            tensor.BufferID
	count, features, classes, orderSlots int
}

func buildGatherNet(t *testing.T, batch int) *gatherNet {
	t.Helper()
	g := &gatherNet{count: 11, features: 5, classes: 4, orderSlots: 17}
	p := tensor.NewPlan(batch)
	g.img = p.AddDataBuffer("img", tensor.Uint8, tensor.Shape{g.count * g.features})
	g.flt = p.AddDataBuffer("flt", tensor.Float32, tensor.Shape{g.count * g.features})
	g.labels = p.AddDataBuffer("labels", tensor.Int32, tensor.Shape{g.count})
	g.order = p.AddDataBuffer("order", tensor.Int32, tensor.Shape{g.orderSlots})
	g.table = p.AddDataBuffer("table", tensor.Float32, tensor.Shape{256})
	g.xImg = p.AddBuffer("x_img", tensor.InputBuffer, true, tensor.Shape{g.features})
	g.xFlt = p.AddBuffer("x_flt", tensor.InputBuffer, true, tensor.Shape{g.features})
	g.yHot = p.AddBuffer("y_hot", tensor.InputBuffer, true, tensor.Shape{g.classes})
	g.ySparse = p.AddBuffer("y_sparse", tensor.InputBuffer, true, tensor.Shape{1})
	for _, r := range []tensor.Routine{tensor.Train, tensor.Eval} {
		p.Emit(r, tensor.GatherRows{Src: g.img, Order: g.order, Table: g.table, Dst: g.xImg, Features: g.features})
		p.Emit(r, tensor.GatherRows{Src: g.flt, Order: g.order, Table: tensor.NoBuffer, Dst: g.xFlt, Features: g.features})
		p.Emit(r, tensor.GatherLabels{Labels: g.labels, Order: g.order, Dst: g.yHot, Classes: g.classes})
		p.Emit(r, tensor.GatherLabels{Labels: g.labels, Order: g.order, Dst: g.ySparse})
	}
	g.plan = p
	return g
}

// data is the host copy of a gatherNet's resident data.
type gatherData struct {
	img    []uint8
	flt    []float32
	labels []int32
	order  []int32
	table  []float32
}

func (g *gatherNet) data() gatherData {
	d := gatherData{img: make([]uint8, g.count*g.features), flt: make([]float32, g.count*g.features),
		labels: make([]int32, g.count), order: make([]int32, g.orderSlots), table: make([]float32, 256)}
	for i := range d.img {
		d.img[i] = uint8(i*37 + 11)
		d.flt[i] = float32(i)*0.25 - 3
	}
	for i := range d.labels {
		d.labels[i] = int32(i*3) % int32(g.classes)
	}
	for i := range d.order {
		d.order[i] = int32(i*7) % int32(g.count)
	}
	for i := range d.table {
		d.table[i] = float32(i) / 255
	}
	return d
}

func int32Bytes(v []int32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(x))
	}
	return b
}

func float32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// load compiles g and uploads d, the float sources in odd-sized pieces so
// Upload's partial words are exercised too.
func (g *gatherNet) load(t *testing.T, d gatherData) tensor.Program {
	t.Helper()
	prog, err := New().Compile(g.plan)
	if err != nil {
		t.Fatal(err)
	}
	fb := float32Bytes(d.flt)
	for off := 0; off < len(fb); off += 7 {
		if err := prog.Upload(g.flt, off, fb[off:min(off+7, len(fb))]); err != nil {
			t.Fatal(err)
		}
	}
	must(t, prog.Upload(g.img, 0, d.img))
	must(t, prog.Upload(g.labels, 0, int32Bytes(d.labels)))
	must(t, prog.Upload(g.order, 0, int32Bytes(d.order)))
	must(t, prog.Write(g.table, d.table))
	return prog
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestGather compares each gather with the formula of its doc comment,
// written out directly, for steps at several starts in the order.
func TestGather(t *testing.T) {
	g := buildGatherNet(t, 4)
	d := g.data()
	// Labels past either end of the classes one-hot to all zeros, as the
	// doc's "1 if k == c" says (the model checks labels before they get
	// here); samples 2 and 3 are in the steps below.
	d.labels[2], d.labels[3] = int32(g.classes), -1
	prog := g.load(t, d)
	defer prog.Close()
	for _, a := range []tensor.StepArgs{{Rows: 4}, {Rows: 3, Start: 5}, {Rows: 4, Start: 13}} {
		must(t, prog.Run(tensor.Train, a))
		got := map[tensor.BufferID][]float32{}
		for _, id := range []tensor.BufferID{g.xImg, g.xFlt, g.yHot, g.ySparse} {
			got[id] = make([]float32, g.plan.Elems(id))
			must(t, prog.Read(id, got[id]))
		}
		f, c := g.features, g.classes
		for r := range a.Rows {
			s := int(d.order[a.Start+r])
			for k := range f {
				if want := float32(d.img[s*f+k]) / 255; got[g.xImg][r*f+k] != want {
					t.Errorf("start %d row %d: image feature %d = %v, want %v", a.Start, r, k, got[g.xImg][r*f+k], want)
				}
				if want := d.flt[s*f+k]; got[g.xFlt][r*f+k] != want {
					t.Errorf("start %d row %d: float feature %d = %v, want %v", a.Start, r, k, got[g.xFlt][r*f+k], want)
				}
			}
			for k := range c {
				want := float32(0)
				if int32(k) == d.labels[s] {
					want = 1
				}
				if got[g.yHot][r*c+k] != want {
					t.Errorf("start %d row %d: one-hot %d = %v, want %v", a.Start, r, k, got[g.yHot][r*c+k], want)
				}
			}
			if want := float32(d.labels[s]); got[g.ySparse][r] != want {
				t.Errorf("start %d row %d: sparse label %v, want %v", a.Start, r, got[g.ySparse][r], want)
			}
		}
	}
}

// TestRunStepsMatchesRun: a chunk of steps leaves what the same steps run
// one at a time leave, and counts as one submission.
func TestRunStepsMatchesRun(t *testing.T) {
	n := buildNet(t, 8)
	steps := []tensor.StepArgs{{Rows: 8, Step: 1, LearningRate: 0.1, Seed: 5}, {Rows: 5, Step: 2, LearningRate: 0.1, Seed: 5},
		{Rows: 8, Step: 3, LearningRate: 0.05, Seed: 5}}
	one, many := n.load(t, 4), n.load(t, 4)
	defer one.Close()
	defer many.Close()
	for _, a := range steps {
		must(t, one.Run(tensor.Train, a))
	}
	before := many.(tensor.StatsReporter).Stats()
	must(t, many.RunSteps(tensor.Train, steps))
	if got := many.(tensor.StatsReporter).Stats().Submissions - before.Submissions; got != 1 {
		t.Errorf("RunSteps counted %d submissions, want 1", got)
	}
	for id := range n.plan.Buffers {
		if n.plan.Buffers[id].DType != tensor.Float32 {
			continue
		}
		a, b := make([]float32, n.plan.Elems(tensor.BufferID(id))), make([]float32, n.plan.Elems(tensor.BufferID(id)))
		must(t, one.Read(tensor.BufferID(id), a))
		must(t, many.Read(tensor.BufferID(id), b))
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				t.Fatalf("buffer %q element %d: Run gives %v, RunSteps %v", n.plan.Buffers[id].Name, i, a[i], b[i])
			}
		}
	}
}

func TestGatherAllocatesNothing(t *testing.T) {
	g := buildGatherNet(t, 4)
	prog := g.load(t, g.data())
	defer prog.Close()
	steps := []tensor.StepArgs{{Rows: 4, Start: 1}, {Rows: 2, Start: 9}}
	allocs := testing.AllocsPerRun(5, func() {
		must(t, prog.Run(tensor.Eval, steps[0]))
		must(t, prog.RunSteps(tensor.Train, steps))
	})
	if allocs != 0 {
		t.Errorf("gathering steps allocate %v times, want 0", allocs)
	}
}

// TestResidentDataErrors: misuse of data buffers and orders that point
// outside the data are errors, never panics.
func TestResidentDataErrors(t *testing.T) {
	g := buildGatherNet(t, 4)
	d := g.data()
	prog := g.load(t, d)
	defer prog.Close()
	d.order[6] = int32(g.count) // one past the last sample
	must(t, prog.Upload(g.order, 0, int32Bytes(d.order)))
	checks := []struct {
		name, want string
		err        error
	}{
		// The whole message: the rows and the image buffer, whose gather
		// comes before the labels' (each counts its own samples).
		{"order entry outside the data", `sample order "order" holds 11 at rows 4..8, outside the 11 samples of "img"`,
			prog.Run(tensor.Train, tensor.StepArgs{Rows: 4, Start: 4})},
		{"order entry outside the data in a chunk", "step 2 of 2", prog.RunSteps(tensor.Train, []tensor.StepArgs{{Rows: 4}, {Rows: 4, Start: 5}})},
		{"rows past the order", "sample order", prog.Run(tensor.Train, tensor.StepArgs{Rows: 4, Start: 14})},
		{"negative start", "sample order", prog.Run(tensor.Train, tensor.StepArgs{Rows: 1, Start: -1})},
		{"upload past the end", "holds 55 bytes", prog.Upload(g.img, 50, make([]byte, 6))},
		{"upload at a negative offset", "offset -1", prog.Upload(g.img, -1, nil)},
		{"write to int32", "data buffers take Upload", prog.Write(g.labels, []float32{1})},
		{"read uint8", "data buffers take Upload", prog.Read(g.img, make([]float32, 1))},
	}
	for _, c := range checks {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, c.err, c.want)
		}
	}
	// The order is still usable where it is valid.
	must(t, prog.Run(tensor.Train, tensor.StepArgs{Rows: 4, Start: 0}))
}
