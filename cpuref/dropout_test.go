package cpuref

import (
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// dropScale returns the factor the contract applies to each flat element
// index i = n·size+j: 1/(1−rate) when Uniform(seed, step, salt, i) ≥ rate,
// else 0.
func dropScale(n int, rate float32, salt uint32, a tensor.StepArgs) []float64 {
	s := make([]float64, n)
	for i := range s {
		if tensor.Uniform(a.Seed, a.Step, salt, uint32(i)) >= rate {
			s[i] = 1 / (1 - float64(rate))
		}
	}
	return s
}

func mul(x, s []float64) []float64 {
	y := make([]float64, len(x))
	for i := range x {
		y[i] = x[i] * s[i]
	}
	return y
}

type dropRig struct {
	*rig
	x, y, dy, dx tensor.BufferID
}

func newDropRig(t testing.TB, size, batch int, rate float32, salt uint32) *dropRig {
	r := newRig(t, batch)
	d := &dropRig{rig: r, x: r.batched("x", size), y: r.batched("y", size), dy: r.batched("dy", size), dx: r.batched("dx", size)}
	r.emit(tensor.Dropout{X: d.x, Y: d.y, Size: size, Rate: rate, Salt: salt},
		tensor.DropoutBackward{DY: d.dy, DX: d.dx, Size: size, Rate: rate, Salt: salt})
	r.compile()
	return d
}

func TestDropout(t *testing.T) {
	// 3·401 valid elements: enough that a threshold off by 1% would flip
	// some of them (about 12 expected). A > for ≥ would not: the draws
	// are multiples of 2⁻²⁴ and float32(0.4) is not one, so no draw ties
	// with the rate; TestDropoutTie covers that.
	const size, batch, rows, salt = 401, 5, 3, 9
	const rate = float32(0.4)
	d := newDropRig(t, size, batch, rate, salt)
	rng := newRand(1500)
	xv, rv := uniform(rng, size*batch, -1, 1), uniform(rng, size*batch, -1, 1)
	d.write(d.x, xv)
	d.write(d.dy, rv)
	d.fillSentinel(d.y)
	d.fillSentinel(d.dx)
	args := tensor.StepArgs{Rows: rows, Step: 12, Seed: 99}
	d.runArgs(args)
	n := rows * size
	scale := dropScale(n, rate, salt, args)
	// One float32 multiply by the rounded 1/(1−rate): an ulp or two.
	checkClose(t, "Y", d.read(d.y), mul(f64(xv[:n]), scale), 1e-6)
	d.untouched(d.y, n)
	// The backward is linear with the same mask: check it against central
	// differences of L = Σ R⊙(X·mask) with that mask held fixed.
	x64, r64 := f64(xv[:n]), f64(rv[:n])
	loss := func() float64 { return dot(r64, mul(x64, scale)) }
	checkClose(t, "DX", d.read(d.dx), numGrad(x64, loss, fdEps), gradTol)
	d.untouched(d.dx, n)
}

// keptMask runs a dropout of ones and reports which elements survived.
func keptMask(t testing.TB, d *dropRig, n int, args tensor.StepArgs) []bool {
	d.write(d.x, fill(n, 1))
	d.runArgs(args)
	kept := make([]bool, n)
	for i, v := range d.read(d.y)[:n] {
		kept[i] = v != 0
	}
	return kept
}

func TestDropoutMask(t *testing.T) {
	const size, batch = 5000, 4
	const rate = float32(0.3)
	n := size * batch
	a, b := newDropRig(t, size, batch, rate, 1), newDropRig(t, size, batch, rate, 1)
	other := newDropRig(t, size, batch, rate, 2)
	args := tensor.StepArgs{Rows: batch, Step: 5, Seed: 42}
	mask := keptMask(t, a, n, args)

	dropped := 0
	for _, k := range mask {
		if !k {
			dropped++
		}
	}
	// Binomial(20000, 0.3) has a standard deviation of 0.0032 in the
	// fraction; ±0.02 is over six of them.
	if f := float64(dropped) / float64(n); f < 0.28 || f > 0.32 {
		t.Errorf("dropped fraction %.4f, want about %v", f, rate)
	}
	same := func(x, y []bool) int {
		c := 0
		for i := range x {
			if x[i] == y[i] {
				c++
			}
		}
		return c
	}
	if got := same(mask, keptMask(t, b, n, args)); got != n {
		t.Errorf("a second program with the same seed, step and salt agrees on %d of %d elements", got, n)
	}
	if got := same(mask, keptMask(t, a, n, args)); got != n {
		t.Errorf("rerunning the same step agrees on %d of %d elements", got, n)
	}
	// Independent masks agree on 0.7²+0.3² = 58% of elements.
	next := args
	next.Step++
	for name, m := range map[string][]bool{"next step": keptMask(t, a, n, next), "other salt": keptMask(t, other, n, args)} {
		if got := float64(same(mask, m)) / float64(n); got > 0.62 {
			t.Errorf("%s: masks agree on %.3f of elements, want about 0.58 (independent)", name, got)
		}
	}
}

// TestDropoutTie sets the rate to one element's own draw, so that the
// contract's "kept when Uniform(…) ≥ Rate" decides that element on the
// boundary: it must be kept (a > for ≥ drops it), in both directions.
func TestDropoutTie(t *testing.T) {
	const size, salt = 64, 3
	args := tensor.StepArgs{Rows: 1, Step: 4, Seed: 77}
	j, rate := -1, float32(0)
	for i := 0; i < size && j < 0; i++ {
		if u := tensor.Uniform(args.Seed, args.Step, salt, uint32(i)); u > 0.1 && u < 0.9 {
			j, rate = i, u
		}
	}
	if j < 0 {
		t.Fatal("no draw in (0.1, 0.9) among the first 64: pick another seed")
	}
	d := newDropRig(t, size, 1, rate, salt)
	d.write(d.x, fill(size, 1))
	d.write(d.dy, fill(size, 1))
	d.runArgs(args)
	if y, dx := d.read(d.y)[j], d.read(d.dx)[j]; y == 0 || dx == 0 {
		t.Errorf("element %d, whose draw equals the rate %v, was dropped (y %v, dx %v): the contract keeps it", j, rate, y, dx)
	}
}

// TestDropoutRowOffset checks that a replica running rows [k, batch) of a
// global batch with RowOffset k draws the masks of those rows in a run of
// the whole batch: the index is (RowOffset+n)·Size+i.
func TestDropoutRowOffset(t *testing.T) {
	const size, batch, k = 301, 5, 2
	const rate = float32(0.5)
	whole, part := newDropRig(t, size, batch, rate, 3), newDropRig(t, size, batch, rate, 3)
	args := tensor.StepArgs{Rows: batch, Step: 7, Seed: 11}
	full := keptMask(t, whole, size*batch, args)
	args.Rows, args.RowOffset = batch-k, k
	slice := keptMask(t, part, size*(batch-k), args)
	for i, kept := range slice {
		if kept != full[k*size+i] {
			t.Fatalf("element %d of the offset slice: kept %v, the whole batch's row %d element %d kept %v",
				i, kept, k+i/size, i%size, full[k*size+i])
		}
	}
	// A zero offset would draw row 0's mask instead: about half differ.
	args.RowOffset = 0
	if same := keptMask(t, part, size, args); equalBools(same, full[k*size:(k+1)*size]) {
		t.Error("RowOffset 0 draws the same mask as RowOffset k: the offset is not used")
	}
}

func equalBools(a, b []bool) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}
