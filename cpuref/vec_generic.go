//go:build !amd64 || purego

package cpuref

func vAdd(dst, src []float32)                                { addGo(dst, src) }
func vAdd3(y, x, b []float32)                                { add3Go(y, x, b) }
func vAdam(p, g, m, v []float32, b1, b2, alpha, eps float32) { adamGo(p, g, m, v, b1, b2, alpha, eps) }
func vSum64(acc []float64, x []float32)                      { sum64Go(acc, x) }
func vSqDev64(acc []float64, x []float32, mean []float64)    { sqDev64Go(acc, x, mean) }
func vBNSums64(acc1, acc2 []float64, x, dy, mean, inv []float32) {
	bnSums64Go(acc1, acc2, x, dy, mean, inv)
}
func vAffine(y, x, mean, scale, beta []float32) { affineGo(y, x, mean, scale, beta) }
func vBNBackApply(dx, x, dy, mean, inv, coef, mdy, mdxh []float32) {
	bnBackApplyGo(dx, x, dy, mean, inv, coef, mdy, mdxh)
}
func vLeakyReLU(y, x []float32, alpha float32)              { leakyReLUGo(y, x, alpha) }
func vReLUBackward(dx, x, dy []float32)                     { reluBackwardGo(dx, x, dy) }
func vLeakyReLUBackward(dx, x, dy []float32, alpha float32) { leakyReLUBackwardGo(dx, x, dy, alpha) }

func vSum64Rows(acc []float64, x []float32, c int) { sum64RowsGo(acc, x, c) }
func vSqDev64Rows(acc []float64, x []float32, mean []float64, c int) {
	sqDev64RowsGo(acc, x, mean, c)
}
func vBNSums64Rows(acc1, acc2 []float64, x, dy, mean, inv []float32, c int) {
	bnSums64RowsGo(acc1, acc2, x, dy, mean, inv, c)
}
func vAffineRows(y, x, mean, scale, beta []float32, c int) { affineRowsGo(y, x, mean, scale, beta, c) }
func vBNBackApplyRows(dx, x, dy, mean, inv, coef, mdy, mdxh []float32, c int) {
	bnBackApplyRowsGo(dx, x, dy, mean, inv, coef, mdy, mdxh, c)
}

func vAddRows(y, b []float32, c int) { addRowsGo(y, b, c) }
