package cpuref

import (
	"fmt"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

func refBiasAdd(x, bias []float64, c int) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = v + bias[i%c]
	}
	return y
}

// biasCases include one large enough (37·13 per sample, 41 rows) to span
// several reduction chunks.
var biasCases = []struct{ outer, c, batch, rows int }{
	{1, 1, 1, 1},
	{1, 7, 3, 2},
	{9, 5, 5, 5},
	{37, 13, 43, 41},
}

func TestBiasAdd(t *testing.T) {
	for i, bc := range biasCases {
		for _, inPlace := range []bool{false, true} {
			t.Run(fmt.Sprintf("%+v/inplace=%v", bc, inPlace), func(t *testing.T) {
				r := newRig(t, bc.batch)
				x, b := r.batched("x", bc.outer*bc.c), r.fixed("b", bc.c)
				y := x
				if !inPlace {
					y = r.batched("y", bc.outer*bc.c)
				}
				r.emit(tensor.BiasAdd{X: x, Bias: b, Y: y, Outer: bc.outer, C: bc.c})
				r.compile()
				rng := newRand(uint64(600 + i))
				n := bc.rows * bc.outer * bc.c
				xv, bv := uniform(rng, r.plan.Elems(x), -1, 1), uniform(rng, bc.c, -1, 1)
				copy(xv[n:], fill(len(xv)-n, sentinel)) // rows past the valid ones
				r.write(x, xv)
				if !inPlace {
					r.fillSentinel(y)
				}
				r.write(b, bv)
				r.run(bc.rows)
				// One float32 addition: half an ulp.
				checkClose(t, "Y", r.read(y), refBiasAdd(f64(xv[:n]), f64(bv), bc.c), 1e-7)
				r.untouched(y, n)
			})
		}
	}
}

func TestBiasGrad(t *testing.T) {
	for i, bc := range biasCases {
		t.Run(fmt.Sprintf("%+v", bc), func(t *testing.T) {
			r := newRig(t, bc.batch)
			dy, db := r.batched("dy", bc.outer*bc.c), r.fixed("db", bc.c)
			r.emit(tensor.BiasGrad{DY: dy, DBias: db, Outer: bc.outer, C: bc.c})
			r.compile()
			rng := newRand(uint64(700 + i))
			n := bc.rows * bc.outer * bc.c
			rv := uniform(rng, r.plan.Elems(dy), -1, 1)
			r.write(dy, rv)
			r.fillSentinel(db)
			r.run(bc.rows)
			x64, b64, r64 := f64(uniform(rng, n, -1, 1)), f64(uniform(rng, bc.c, -1, 1)), f64(rv[:n])
			loss := func() float64 { return dot(r64, refBiasAdd(x64, b64, bc.c)) }
			// Sums of up to 1517 float32 values accumulated in float64 and
			// rounded once: off by half an ulp, while finite differences of
			// this linear loss are exact to ~1e-10.
			checkClose(t, "DBias", r.read(db), numGrad(b64, loss, fdEps), 1e-6)
		})
	}
}

func TestAdd(t *testing.T) {
	for _, alias := range []string{"none", "a", "b"} {
		t.Run(alias, func(t *testing.T) {
			const size, batch, rows = 11, 5, 3
			r := newRig(t, batch)
			a, b := r.batched("a", size), r.batched("b", size)
			y := map[string]tensor.BufferID{"a": a, "b": b}[alias]
			if alias == "none" {
				y = r.batched("y", size)
			}
			r.emit(tensor.Add{A: a, B: b, Y: y, Size: size})
			r.compile()
			rng := newRand(800)
			av, bv := uniform(rng, size*batch, -1, 1), uniform(rng, size*batch, -1, 1)
			for i := rows * size; i < size*batch; i++ {
				av[i], bv[i] = sentinel, sentinel
			}
			r.write(a, av)
			r.write(b, bv)
			if alias == "none" {
				r.fillSentinel(y)
			}
			r.run(rows)
			want := make([]float64, rows*size)
			for i := range want {
				want[i] = float64(av[i]) + float64(bv[i])
			}
			checkClose(t, "Y", r.read(y), want, 1e-7) // one float32 addition
			r.untouched(y, rows*size)
		})
	}
}

// TestAddUnbatched sums whole buffers (a shared layer's weight gradients):
// every element, whatever the step's row count.
func TestAddUnbatched(t *testing.T) {
	const size, batch, rows = 11, 5, 2
	r := newRig(t, batch)
	a, b := r.fixed("a", size), r.fixed("b", size)
	r.emit(tensor.Add{A: a, B: b, Y: a, Size: size, Unbatched: true})
	r.compile()
	rng := newRand(801)
	av, bv := uniform(rng, size, -1, 1), uniform(rng, size, -1, 1)
	r.write(a, av)
	r.write(b, bv)
	r.run(rows)
	want := make([]float64, size)
	for i := range want {
		want[i] = float64(av[i]) + float64(bv[i])
	}
	checkClose(t, "Y", r.read(a), want, 1e-7) // one float32 addition
}

func refConcat(parts [][]float64, widths []int, outer int) []float64 {
	var y []float64
	for pos := 0; pos < outer; pos++ {
		for i, p := range parts {
			y = append(y, p[pos*widths[i]:(pos+1)*widths[i]]...)
		}
	}
	return y
}

// TestConcatSplit checks Concat against a reference and Split, its
// backward, against central differences of L = Σ R⊙Concat(parts).
func TestConcatSplit(t *testing.T) {
	widths := []int{3, 1, 5}
	const outer, batch, rows = 4, 3, 2
	total := 9
	r := newRig(t, batch)
	var ins, outs []tensor.BufferID
	for i, w := range widths {
		ins = append(ins, r.batched(fmt.Sprint("in", i), outer*w))
		outs = append(outs, r.batched(fmt.Sprint("grad", i), outer*w))
	}
	y, dy := r.batched("y", outer*total), r.batched("dy", outer*total)
	r.emit(tensor.Concat{Inputs: ins, Widths: widths, Y: y, Outer: outer},
		tensor.Split{X: dy, Outputs: outs, Widths: widths, Outer: outer})
	r.compile()
	rng := newRand(900)
	parts := make([][]float64, len(widths))
	for i, w := range widths {
		v := uniform(rng, batch*outer*w, -1, 1)
		r.write(ins[i], v)
		parts[i] = f64(v[:rows*outer*w])
		r.fillSentinel(outs[i])
	}
	rv := uniform(rng, batch*outer*total, -1, 1)
	r.write(dy, rv)
	r.fillSentinel(y)
	r.run(rows)
	// Copies are exact.
	checkClose(t, "Y", r.read(y), refConcat(parts, widths, rows*outer), 0)
	r.untouched(y, rows*outer*total)
	r64 := f64(rv[:rows*outer*total])
	for i, w := range widths {
		loss := func() float64 { return dot(r64, refConcat(parts, widths, rows*outer)) }
		checkClose(t, fmt.Sprint("grad", i), r.read(outs[i]), numGrad(parts[i], loss, fdEps), gradTol)
		r.untouched(outs[i], rows*outer*w)
	}
}
