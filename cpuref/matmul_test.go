package cpuref

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/anvil-ml/anvil/tensor"
)

// refMatMul is C = op(A)·op(B) in float64 with A stored k×m when transA and
// B stored n×k when transB, all row-major.
func refMatMul(a, b []float64, m, n, k int, transA, transB bool) []float64 {
	c := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			for l := 0; l < k; l++ {
				av, bv := a[i*k+l], b[l*n+j]
				if transA {
					av = a[l*m+i]
				}
				if transB {
					bv = b[j*k+l]
				}
				s += av * bv
			}
			c[i*n+j] = s
		}
	}
	return c
}

func TestMatMul(t *testing.T) {
	type shape struct{ m, n, k, batch, rows int }
	shapes := []shape{
		{1, 1, 1, 1, 1},
		{3, 5, 7, 3, 2},
		{13, 17, 11, 5, 3},
		{2, 131, 67, 70, 69}, // BatchM gives 138 rows: C spans several 64×128 tiles
		{70, 3, 129, 1, 1},
	}
	axes := []tensor.BatchAxis{tensor.BatchNone, tensor.BatchM, tensor.BatchK}
	rng := newRand(1)
	for _, s := range shapes {
		for _, axis := range axes {
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				name := fmt.Sprintf("%dx%dx%d/batch%d_rows%d/axis%d/tA=%v_tB=%v", s.m, s.n, s.k, s.batch, s.rows, axis, tr[0], tr[1])
				t.Run(name, func(t *testing.T) {
					testMatMul(t, rng.Uint64(), s.m, s.n, s.k, s.batch, s.rows, axis, tr[0], tr[1])
				})
			}
		}
	}
}

func testMatMul(t *testing.T, seed uint64, m, n, k, batch, rows int, axis tensor.BatchAxis, tA, tB bool) {
	r := newRig(t, batch)
	rng := newRand(seed)
	bufFor := func(name string, size int, batched bool) tensor.BufferID {
		if batched {
			return r.batched(name, size)
		}
		return r.fixed(name, size)
	}
	a := bufFor("a", m*k, axis != tensor.BatchNone)
	b := bufFor("b", k*n, axis == tensor.BatchK)
	c := bufFor("c", m*n, axis == tensor.BatchM)
	r.emit(tensor.MatMul{A: a, B: b, C: c, M: m, N: n, K: k, TransA: tA, TransB: tB, Batch: axis})
	r.compile()
	av := uniform(rng, r.plan.Elems(a), -1, 1)
	bv := uniform(rng, r.plan.Elems(b), -1, 1)
	r.write(a, av)
	r.write(b, bv)
	r.fillSentinel(c)
	r.run(rows)
	em, ek := m, k
	switch axis {
	case tensor.BatchM:
		em *= rows
	case tensor.BatchK:
		ek *= rows
	}
	want := refMatMul(f64(av[:em*ek]), f64(bv[:ek*n]), em, n, ek, tA, tB)
	// Each output is a float32 dot product of K terms, whose rounding error
	// grows like √K: fwdTol covers K ≤ 64, and longer sums (up to 67·69
	// here) get the same margin scaled by √(K/64).
	checkClose(t, "C", r.read(c), want, fwdTol*max(1, math.Sqrt(float64(ek)/64)))
	r.untouched(c, em*n)
}

func BenchmarkMatMul(b *testing.B) {
	for _, n := range []int{256, 1024} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			r := newRig(b, 1)
			x, w, y := r.fixed("a", n*n), r.fixed("b", n*n), r.fixed("c", n*n)
			r.emit(tensor.MatMul{A: x, B: w, C: y, M: n, N: n, K: n})
			r.compile()
			rng := newRand(2)
			r.write(x, uniform(rng, n*n, -1, 1))
			r.write(w, uniform(rng, n*n, -1, 1))
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				r.run(1)
			}
			b.ReportMetric(2*float64(n*n*n)*float64(b.N)/time.Since(start).Seconds()/1e9, "GFLOPS")
		})
	}
}
