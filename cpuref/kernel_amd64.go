//go:build amd64 && !purego

package cpuref

import "golang.org/x/sys/cpu"

//go:noescape
func sgemm12x32AVX512(k int, a, b *float32, ldb int, c *float32, ldc int, acc int)

//go:noescape
func sgemm6x16AVX2(k int, a, b *float32, ldb int, c *float32, ldc int, acc int)

// kernels lists the micro-kernels this CPU runs, fastest first; the
// portable one is always last.
func kernels() []namedKernel {
	var ks []namedKernel
	if cpu.X86.HasAVX512F {
		ks = append(ks, namedKernel{"avx512", tileAVX512})
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, namedKernel{"avx2", tileAVX2})
	}
	return append(ks, namedKernel{"go", tileGo})
}

// checkTile panics, as an index out of range would, before an assembly
// kernel could touch memory outside its operands.
func checkTile(k int, a, b []float32, ldb int, c []float32, ldc int) {
	_, _, _ = a[k*mr-1], b[(k-1)*ldb+nr-1], c[(mr-1)*ldc+nr-1]
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func tileAVX512(k int, a, b []float32, ldb int, c []float32, ldc int, acc bool) {
	checkTile(k, a, b, ldb, c, ldc)
	sgemm12x32AVX512(k, &a[0], &b[0], ldb*4, &c[0], ldc*4, b2i(acc))
}

func tileAVX2(k int, a, b []float32, ldb int, c []float32, ldc int, acc bool) {
	checkTile(k, a, b, ldb, c, ldc)
	ac := b2i(acc)
	lo, hi := &c[0], &c[6*ldc]
	sgemm6x16AVX2(k, &a[0], &b[0], ldb*4, lo, ldc*4, ac)
	sgemm6x16AVX2(k, &a[0], &b[16], ldb*4, &c[16], ldc*4, ac)
	sgemm6x16AVX2(k, &a[6], &b[0], ldb*4, hi, ldc*4, ac)
	sgemm6x16AVX2(k, &a[6], &b[16], ldb*4, &c[6*ldc+16], ldc*4, ac)
}
