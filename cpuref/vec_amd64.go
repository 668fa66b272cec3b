//go:build amd64 && !purego

package cpuref

import "golang.org/x/sys/cpu"

// useAVX2 selects the assembly helpers; tests turn it off to compare.
var useAVX2 = cpu.X86.HasAVX2

// The assembly helpers take pointers and a count that is a multiple of 8
// (of 4 for the float64 ones); the wrappers hand the remainder to the
// portable versions. Callers guarantee the lengths, as for the Go ones.

//go:noescape
func addAVX2(dst, src *float32, n int)

//go:noescape
func add3AVX2(y, x, b *float32, n int)

//go:noescape
func adamAVX2(p, grad, m, v *float32, n int, b1, b2, alpha, eps float32)

//go:noescape
func sum64AVX2(acc *float64, x *float32, n int)

//go:noescape
func sqDev64AVX2(acc *float64, x *float32, mean *float64, n int)

//go:noescape
func bnSums64AVX2(acc1, acc2 *float64, x, dy, mean, inv *float32, n int)

//go:noescape
func affineAVX2(y, x, mean, scale, beta *float32, n int)

//go:noescape
func bnBackApplyAVX2(dx, x, dy, mean, inv, coef, mdy, mdxh *float32, n int)

//go:noescape
func leakyReLUAVX2(y, x *float32, n int, alpha float32)

//go:noescape
func reluBackwardAVX2(dx, x, dy *float32, n int)

//go:noescape
func leakyReLUBackwardAVX2(dx, x, dy *float32, n int, alpha float32)

// split returns how many leading elements of n the assembly takes.
func split(n, w int) int {
	if !useAVX2 {
		return 0
	}
	return n &^ (w - 1)
}

func vAdd(dst, src []float32) {
	n := len(dst)
	if v := split(n, 8); v > 0 {
		_ = src[n-1]
		addAVX2(&dst[0], &src[0], v)
		dst, src = dst[v:], src[v:n]
	}
	addGo(dst, src)
}

func vAdd3(y, x, b []float32) {
	n := len(y)
	if v := split(n, 8); v > 0 {
		_, _ = x[n-1], b[n-1]
		add3AVX2(&y[0], &x[0], &b[0], v)
		y, x, b = y[v:], x[v:n], b[v:n]
	}
	add3Go(y, x, b)
}

func vAdam(p, g, m, v []float32, b1, b2, alpha, eps float32) {
	n := len(p)
	if w := split(n, 8); w > 0 {
		_, _, _ = g[n-1], m[n-1], v[n-1]
		adamAVX2(&p[0], &g[0], &m[0], &v[0], w, b1, b2, alpha, eps)
		p, g, m, v = p[w:], g[w:n], m[w:n], v[w:n]
	}
	adamGo(p, g, m, v, b1, b2, alpha, eps)
}

func vSum64(acc []float64, x []float32) {
	n := len(acc)
	if v := split(n, 4); v > 0 {
		_ = x[n-1]
		sum64AVX2(&acc[0], &x[0], v)
		acc, x = acc[v:], x[v:n]
	}
	sum64Go(acc, x)
}

func vSqDev64(acc []float64, x []float32, mean []float64) {
	n := len(acc)
	if v := split(n, 4); v > 0 {
		_, _ = x[n-1], mean[n-1]
		sqDev64AVX2(&acc[0], &x[0], &mean[0], v)
		acc, x, mean = acc[v:], x[v:n], mean[v:n]
	}
	sqDev64Go(acc, x, mean)
}

func vBNSums64(acc1, acc2 []float64, x, dy, mean, inv []float32) {
	n := len(acc1)
	if v := split(n, 4); v > 0 {
		_, _, _, _, _ = acc2[n-1], x[n-1], dy[n-1], mean[n-1], inv[n-1]
		bnSums64AVX2(&acc1[0], &acc2[0], &x[0], &dy[0], &mean[0], &inv[0], v)
		acc1, acc2, x, dy, mean, inv = acc1[v:], acc2[v:n], x[v:n], dy[v:n], mean[v:n], inv[v:n]
	}
	bnSums64Go(acc1, acc2, x, dy, mean, inv)
}

func vAffine(y, x, mean, scale, beta []float32) {
	n := len(y)
	if v := split(n, 8); v > 0 {
		_, _, _, _ = x[n-1], mean[n-1], scale[n-1], beta[n-1]
		affineAVX2(&y[0], &x[0], &mean[0], &scale[0], &beta[0], v)
		y, x, mean, scale, beta = y[v:], x[v:n], mean[v:n], scale[v:n], beta[v:n]
	}
	affineGo(y, x, mean, scale, beta)
}

func vBNBackApply(dx, x, dy, mean, inv, coef, mdy, mdxh []float32) {
	n := len(dx)
	if v := split(n, 8); v > 0 {
		_, _, _, _, _, _, _ = x[n-1], dy[n-1], mean[n-1], inv[n-1], coef[n-1], mdy[n-1], mdxh[n-1]
		bnBackApplyAVX2(&dx[0], &x[0], &dy[0], &mean[0], &inv[0], &coef[0], &mdy[0], &mdxh[0], v)
		dx, x, dy, mean, inv = dx[v:], x[v:n], dy[v:n], mean[v:n], inv[v:n]
		coef, mdy, mdxh = coef[v:n], mdy[v:n], mdxh[v:n]
	}
	bnBackApplyGo(dx, x, dy, mean, inv, coef, mdy, mdxh)
}

func vLeakyReLU(y, x []float32, alpha float32) {
	n := len(y)
	if v := split(n, 8); v > 0 {
		_ = x[n-1]
		leakyReLUAVX2(&y[0], &x[0], v, alpha)
		y, x = y[v:], x[v:n]
	}
	leakyReLUGo(y, x, alpha)
}

func vReLUBackward(dx, x, dy []float32) {
	n := len(dx)
	if v := split(n, 8); v > 0 {
		_, _ = x[n-1], dy[n-1]
		reluBackwardAVX2(&dx[0], &x[0], &dy[0], v)
		dx, x, dy = dx[v:], x[v:n], dy[v:n]
	}
	reluBackwardGo(dx, x, dy)
}

func vLeakyReLUBackward(dx, x, dy []float32, alpha float32) {
	n := len(dx)
	if v := split(n, 8); v > 0 {
		_, _ = x[n-1], dy[n-1]
		leakyReLUBackwardAVX2(&dx[0], &x[0], &dy[0], v, alpha)
		dx, x, dy = dx[v:], x[v:n], dy[v:n]
	}
	leakyReLUBackwardGo(dx, x, dy, alpha)
}

//go:noescape
func sum64RowsAVX2(acc *float64, x *float32, c, rows int)

//go:noescape
func sqDev64RowsAVX2(acc *float64, x *float32, mean *float64, c, rows int)

//go:noescape
func bnSums64RowsAVX2(acc1, acc2 *float64, x, dy, mean, inv *float32, c, rows int)

//go:noescape
func affineRowsAVX2(y, x, mean, scale, beta *float32, c, rows int)

//go:noescape
func bnBackApplyRowsAVX2(dx, x, dy, mean, inv, coef, mdy, mdxh *float32, c, rows int)

// rowsFit reports whether the assembly takes rows of c values, and how
// many whole rows x holds.
func rowsFit(x []float32, c, w int) (int, bool) {
	rows := len(x) / c
	return rows, useAVX2 && c%w == 0 && rows > 0
}

func vSum64Rows(acc []float64, x []float32, c int) {
	rows, ok := rowsFit(x, c, 4)
	if !ok {
		sum64RowsGo(acc, x, c)
		return
	}
	_, _ = acc[c-1], x[rows*c-1]
	sum64RowsAVX2(&acc[0], &x[0], c, rows)
}

func vSqDev64Rows(acc []float64, x []float32, mean []float64, c int) {
	rows, ok := rowsFit(x, c, 4)
	if !ok {
		sqDev64RowsGo(acc, x, mean, c)
		return
	}
	_, _, _ = acc[c-1], x[rows*c-1], mean[c-1]
	sqDev64RowsAVX2(&acc[0], &x[0], &mean[0], c, rows)
}

func vBNSums64Rows(acc1, acc2 []float64, x, dy, mean, inv []float32, c int) {
	rows, ok := rowsFit(x, c, 4)
	if !ok {
		bnSums64RowsGo(acc1, acc2, x, dy, mean, inv, c)
		return
	}
	_, _, _, _, _, _ = acc1[c-1], acc2[c-1], x[rows*c-1], dy[rows*c-1], mean[c-1], inv[c-1]
	bnSums64RowsAVX2(&acc1[0], &acc2[0], &x[0], &dy[0], &mean[0], &inv[0], c, rows)
}

func vAffineRows(y, x, mean, scale, beta []float32, c int) {
	rows, ok := rowsFit(x, c, 8)
	if !ok {
		affineRowsGo(y, x, mean, scale, beta, c)
		return
	}
	_, _, _, _, _ = y[rows*c-1], x[rows*c-1], mean[c-1], scale[c-1], beta[c-1]
	affineRowsAVX2(&y[0], &x[0], &mean[0], &scale[0], &beta[0], c, rows)
}

func vBNBackApplyRows(dx, x, dy, mean, inv, coef, mdy, mdxh []float32, c int) {
	rows, ok := rowsFit(x, c, 8)
	if !ok {
		bnBackApplyRowsGo(dx, x, dy, mean, inv, coef, mdy, mdxh, c)
		return
	}
	_, _, _ = dx[rows*c-1], x[rows*c-1], dy[rows*c-1]
	_, _, _, _, _ = mean[c-1], inv[c-1], coef[c-1], mdy[c-1], mdxh[c-1]
	bnBackApplyRowsAVX2(&dx[0], &x[0], &dy[0], &mean[0], &inv[0], &coef[0], &mdy[0], &mdxh[0], c, rows)
}

//go:noescape
func addRowsAVX2(y, b *float32, c, rows int)

func vAddRows(y, b []float32, c int) {
	rows, ok := rowsFit(y, c, 8)
	if !ok {
		addRowsGo(y, b, c)
		return
	}
	_, _ = y[rows*c-1], b[c-1]
	addRowsAVX2(&y[0], &b[0], c, rows)
}
