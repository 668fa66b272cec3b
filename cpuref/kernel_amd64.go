//go:build amd64 && !purego

package cpuref

import "golang.org/x/sys/cpu"

// The assembly kernels take strides in bytes.

//go:noescape
func sgemm12x32AVX512(k int, a *float32, rsA, ksA int, b *float32, ldb int, c *float32, ldc int, acc int)

//go:noescape
func sgemm6x16AVX2(k int, a *float32, rsA, ksA int, b *float32, ldb int, c *float32, ldc int, acc int)

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
func checkTile(k int, a []float32, rsA, ksA int, b []float32, ldb int, c []float32, ldc int) {
	_, _, _ = a[(mr-1)*rsA+(k-1)*ksA], b[(k-1)*ldb+nr-1], c[(mr-1)*ldc+nr-1]
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func tileAVX512(k int, a []float32, rsA, ksA int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	checkTile(k, a, rsA, ksA, b, ldb, c, ldc)
	sgemm12x32AVX512(k, &a[0], rsA*4, ksA*4, &b[0], ldb*4, &c[0], ldc*4, b2i(acc))
}

func tileAVX2(k int, a []float32, rsA, ksA int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	checkTile(k, a, rsA, ksA, b, ldb, c, ldc)
	ac := b2i(acc)
	a0, a6 := &a[0], &a[6*rsA]
	sgemm6x16AVX2(k, a0, rsA*4, ksA*4, &b[0], ldb*4, &c[0], ldc*4, ac)
	sgemm6x16AVX2(k, a0, rsA*4, ksA*4, &b[16], ldb*4, &c[16], ldc*4, ac)
	sgemm6x16AVX2(k, a6, rsA*4, ksA*4, &b[0], ldb*4, &c[6*ldc], ldc*4, ac)
	sgemm6x16AVX2(k, a6, rsA*4, ksA*4, &b[16], ldb*4, &c[6*ldc+16], ldc*4, ac)
}
