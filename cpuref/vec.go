package cpuref

import "math"

// Vector helpers for the memory-bound passes (batch norm, bias, col2im,
// activations, Adam). Each has a portable version here, the reference its
// AVX2 version (vec_amd64.s) must match bit for bit: both do the same
// float32 or float64 operations in the same order, without fused
// multiply-adds, so a program's results do not depend on which one ran an
// element. The exported-in-package names (vAdd, ...) pick the fastest.

func addGo(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += v
	}
}

func add3Go(y, x, b []float32) {
	x, b = x[:len(y)], b[:len(y)]
	for i := range y {
		y[i] = x[i] + b[i]
	}
}

// adamGo is Keras's Adam step with the bias corrections folded into alpha.
func adamGo(p, g, m, v []float32, b1, b2, alpha, eps float32) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for j, gj := range g {
		m[j] += (gj - m[j]) * b1
		v[j] += (gj*gj - v[j]) * b2
		p[j] -= m[j] * alpha / (sqrt32(v[j]) + eps)
	}
}

// sqrt32 is the correctly rounded float32 square root (rounding the float64
// root to float32 never double-rounds for square roots).
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

func sum64Go(acc []float64, x []float32) {
	x = x[:len(acc)]
	for i, v := range x {
		acc[i] += float64(v)
	}
}

func sqDev64Go(acc []float64, x []float32, mean []float64) {
	x, mean = x[:len(acc)], mean[:len(acc)]
	for i, v := range x {
		d := float64(v) - mean[i]
		acc[i] += d * d
	}
}

// bnSums64Go adds DY to acc1 and DY·x̂ to acc2, x̂ = (x−mean)·invstd.
func bnSums64Go(acc1, acc2 []float64, x, dy, mean, invstd []float32) {
	n := len(acc1)
	acc2, x, dy, mean, invstd = acc2[:n], x[:n], dy[:n], mean[:n], invstd[:n]
	for i, g := range dy {
		xh := float64(x[i]-mean[i]) * float64(invstd[i])
		acc1[i] += float64(g)
		acc2[i] += float64(g) * xh
	}
}

// affineGo writes (x−mean)·scale + beta.
func affineGo(y, x, mean, scale, beta []float32) {
	n := len(y)
	x, mean, scale, beta = x[:n], mean[:n], scale[:n], beta[:n]
	for i, v := range x {
		y[i] = (v-mean[i])*scale[i] + beta[i]
	}
}

// bnBackApplyGo writes coef·(dy − mdy − x̂·mdxh), x̂ = (x−mean)·invstd.
func bnBackApplyGo(dx, x, dy, mean, invstd, coef, mdy, mdxh []float32) {
	n := len(dx)
	x, dy, mean, invstd, coef, mdy, mdxh = x[:n], dy[:n], mean[:n], invstd[:n], coef[:n], mdy[:n], mdxh[:n]
	for i, g := range dy {
		xh := (x[i] - mean[i]) * invstd[i]
		dx[i] = coef[i] * (g - mdy[i] - xh*mdxh[i])
	}
}

// The ReLU family is written without branches: the signs of activations
// are close to random, and a mispredicted branch per element cost more
// than the arithmetic.

// leakyReLUGo writes x, or alpha·x where x < 0 or x is −0 (which gives
// the same value as x ≤ 0 → alpha·x), to y.
func leakyReLUGo(y, x []float32, alpha float32) {
	x = x[:len(y)]
	one, a := math.Float32bits(1), math.Float32bits(alpha)
	for j, v := range x {
		m := uint32(int32(math.Float32bits(v)) >> 31) // the sign bit, spread
		y[j] = v * math.Float32frombits(a&m|one&^m)
	}
}

// positive is all ones where x > 0, else zero (NaN included).
func positive32(x float32) uint32 {
	if x > 0 {
		return ^uint32(0)
	}
	return 0
}

// reluBackwardGo passes dy where x > 0 and 0 elsewhere.
func reluBackwardGo(dx, x, dy []float32) {
	x, dy = x[:len(dx)], dy[:len(dx)]
	for j, v := range x {
		dx[j] = math.Float32frombits(math.Float32bits(dy[j]) & positive32(v))
	}
}

// leakyReLUBackwardGo passes dy where x > 0 and alpha·dy elsewhere.
func leakyReLUBackwardGo(dx, x, dy []float32, alpha float32) {
	x, dy = x[:len(dx)], dy[:len(dx)]
	one, a := math.Float32bits(1), math.Float32bits(alpha)
	for j, v := range x {
		m := positive32(v)
		dx[j] = dy[j] * math.Float32frombits(one&m|a&^m)
	}
}

// The *Rows helpers apply a per-row helper to each row of c values of a
// run of consecutive rows, with the same per-channel operands for every
// row: what a batch-norm chunk does. Their assembly versions save a call
// per row, which for 32 channels cost as much as the row's arithmetic.

func sum64RowsGo(acc []float64, x []float32, c int) {
	for r := 0; r+c <= len(x); r += c {
		vSum64(acc[:c], x[r:r+c])
	}
}

func sqDev64RowsGo(acc []float64, x []float32, mean []float64, c int) {
	for r := 0; r+c <= len(x); r += c {
		vSqDev64(acc[:c], x[r:r+c], mean)
	}
}

func bnSums64RowsGo(acc1, acc2 []float64, x, dy, mean, inv []float32, c int) {
	for r := 0; r+c <= len(x); r += c {
		vBNSums64(acc1[:c], acc2, x[r:r+c], dy[r:r+c], mean, inv)
	}
}

func affineRowsGo(y, x, mean, scale, beta []float32, c int) {
	for r := 0; r+c <= len(x); r += c {
		vAffine(y[r:r+c], x[r:r+c], mean, scale, beta)
	}
}

func bnBackApplyRowsGo(dx, x, dy, mean, inv, coef, mdy, mdxh []float32, c int) {
	for r := 0; r+c <= len(x); r += c {
		vBNBackApply(dx[r:r+c], x[r:r+c], dy[r:r+c], mean, inv, coef, mdy, mdxh)
	}
}

// addRowsGo adds b to each row of c values of y.
func addRowsGo(y, b []float32, c int) {
	for r := 0; r+c <= len(y); r += c {
		vAdd(y[r:r+c], b[:c])
	}
}
