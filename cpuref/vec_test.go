package cpuref

import (
	"math"
	"testing"
)

// vecInput returns n values in [−2, 2) with zeros of both signs mixed in,
// where the ReLU family switches.
func vecInput(seed uint64, n int) []float32 {
	x := uniform(newRand(seed), n, -2, 2)
	for i := 0; i < n; i += 7 {
		x[i] = 0
		if i%14 == 0 {
			x[i] = float32(math.Copysign(0, -1))
		}
	}
	return x
}

func sameBits(t *testing.T, name string, n int, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s, n=%d: element %d is %v, the portable version gives %v", name, n, i, got[i], want[i])
		}
	}
}

func sameBits64(t *testing.T, name string, n int, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("%s, n=%d: element %d is %v, the portable version gives %v", name, n, i, got[i], want[i])
		}
	}
}

func clone32(x []float32) []float32 { return append([]float32(nil), x...) }

// TestVecHelpers checks that the dispatched helpers (assembly where the CPU
// has it) match the portable versions bit for bit, at lengths that leave
// every remainder after the vector steps.
func TestVecHelpers(t *testing.T) {
	if !vecAssembly() {
		t.Skip("no assembly helpers in this build or on this CPU: the dispatched helpers are the portable ones")
	}
	for n := 0; n <= 40; n++ {
		testVecLen(t, n)
	}
	testVecLen(t, 1001)
}

func testVecLen(t *testing.T, n int) {
	s := uint64(n * 16)
	x, y, z, w := vecInput(s, n), vecInput(s+1, n), vecInput(s+2, n), vecInput(s+3, n)
	pos := uniform(newRand(s+4), n, 0.1, 3)
	acc := f64(vecInput(s+5, n))
	mean64 := f64(vecInput(s+6, n))

	a, b := clone32(x), clone32(x)
	vAdd(a, y)
	addGo(b, y)
	sameBits(t, "add", n, a, b)

	a, b = make([]float32, n), make([]float32, n)
	vAdd3(a, x, y)
	add3Go(b, x, y)
	sameBits(t, "add3", n, a, b)

	p1, m1, v1 := clone32(x), clone32(y), clone32(pos)
	p2, m2, v2 := clone32(x), clone32(y), clone32(pos)
	vAdam(p1, z, m1, v1, 0.1, 0.001, 0.01, 1e-7)
	adamGo(p2, z, m2, v2, 0.1, 0.001, 0.01, 1e-7)
	sameBits(t, "adam p", n, p1, p2)
	sameBits(t, "adam m", n, m1, m2)
	sameBits(t, "adam v", n, v1, v2)

	c1, c2 := append([]float64(nil), acc...), append([]float64(nil), acc...)
	vSum64(c1, x)
	sum64Go(c2, x)
	sameBits64(t, "sum64", n, c1, c2)

	c1, c2 = append([]float64(nil), acc...), append([]float64(nil), acc...)
	vSqDev64(c1, x, mean64)
	sqDev64Go(c2, x, mean64)
	sameBits64(t, "sqdev64", n, c1, c2)

	c1, c2 = append([]float64(nil), acc...), append([]float64(nil), acc...)
	d1, d2 := append([]float64(nil), mean64...), append([]float64(nil), mean64...)
	vBNSums64(c1, d1, x, y, z, pos)
	bnSums64Go(c2, d2, x, y, z, pos)
	sameBits64(t, "bnsums acc1", n, c1, c2)
	sameBits64(t, "bnsums acc2", n, d1, d2)

	a, b = make([]float32, n), make([]float32, n)
	vAffine(a, x, y, pos, z)
	affineGo(b, x, y, pos, z)
	sameBits(t, "affine", n, a, b)

	a, b = make([]float32, n), make([]float32, n)
	vBNBackApply(a, x, y, z, pos, w, y, pos)
	bnBackApplyGo(b, x, y, z, pos, w, y, pos)
	sameBits(t, "bnbackapply", n, a, b)

	a, b = make([]float32, n), make([]float32, n)
	vLeakyReLU(a, x, 0.3)
	leakyReLUGo(b, x, 0.3)
	sameBits(t, "leakyrelu", n, a, b)

	a, b = make([]float32, n), make([]float32, n)
	vReLUBackward(a, x, y)
	reluBackwardGo(b, x, y)
	sameBits(t, "relu backward", n, a, b)

	a, b = make([]float32, n), make([]float32, n)
	vLeakyReLUBackward(a, x, y, 0.3)
	leakyReLUBackwardGo(b, x, y, 0.3)
	sameBits(t, "leakyrelu backward", n, a, b)
}

// TestVecRows checks the row-at-a-time helpers against the per-row
// portable versions, bit for bit, for channel counts that do and do not
// suit the assembly.
func TestVecRows(t *testing.T) {
	for _, c := range []int{1, 3, 4, 8, 12, 32, 37} {
		for _, rows := range []int{1, 2, 7} {
			n := c * rows
			s := uint64(c*100 + rows)
			x, y, z, w := vecInput(s, n), vecInput(s+1, n), vecInput(s+2, c), vecInput(s+3, c)
			pos := uniform(newRand(s+4), c, 0.1, 3)
			acc, mean64 := f64(vecInput(s+5, c)), f64(vecInput(s+6, c))

			c1, c2 := append([]float64(nil), acc...), append([]float64(nil), acc...)
			vSum64Rows(c1, x, c)
			for r := 0; r < rows; r++ {
				sum64Go(c2, x[r*c:(r+1)*c])
			}
			sameBits64(t, "sum64 rows", n, c1, c2)

			c1, c2 = append([]float64(nil), acc...), append([]float64(nil), acc...)
			vSqDev64Rows(c1, x, mean64, c)
			for r := 0; r < rows; r++ {
				sqDev64Go(c2, x[r*c:(r+1)*c], mean64)
			}
			sameBits64(t, "sqdev64 rows", n, c1, c2)

			c1, c2 = append([]float64(nil), acc...), append([]float64(nil), acc...)
			d1, d2 := append([]float64(nil), mean64...), append([]float64(nil), mean64...)
			vBNSums64Rows(c1, d1, x, y, z, pos, c)
			for r := 0; r < rows; r++ {
				bnSums64Go(c2, d2, x[r*c:(r+1)*c], y[r*c:(r+1)*c], z, pos)
			}
			sameBits64(t, "bnsums rows acc1", n, c1, c2)
			sameBits64(t, "bnsums rows acc2", n, d1, d2)

			a, b := clone32(x), clone32(x)
			vAddRows(a, z, c)
			for r := 0; r < rows; r++ {
				addGo(b[r*c:(r+1)*c], z)
			}
			sameBits(t, "add rows", n, a, b)

			a, b = make([]float32, n), make([]float32, n)
			vAffineRows(a, x, z, pos, w, c)
			for r := 0; r < rows; r++ {
				affineGo(b[r*c:(r+1)*c], x[r*c:(r+1)*c], z, pos, w)
			}
			sameBits(t, "affine rows", n, a, b)

			a, b = make([]float32, n), make([]float32, n)
			vBNBackApplyRows(a, x, y, z, pos, w, z, pos, c)
			for r := 0; r < rows; r++ {
				bnBackApplyGo(b[r*c:(r+1)*c], x[r*c:(r+1)*c], y[r*c:(r+1)*c], z, pos, w, z, pos)
			}
			sameBits(t, "bnbackapply rows", n, a, b)
		}
	}
}
