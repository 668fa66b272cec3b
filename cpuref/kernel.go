package cpuref

// The GEMM micro-kernels compute one mr×nr tile of C:
//
//	C[r][c] (+)= Σ_{l<k} A[r·rsA+l·ksA] · B[l·ldb+c]    for r < mr, c < nr
//
// A is mr rows of op(A): a sliver packed k-major (rsA 1, ksA mr), or a
// row-major matrix read in place (rsA lda, ksA 1, or transposed rsA 1,
// ksA lda). B is a sliver of op(B) whose rows are ldb floats apart. Each
// C element is summed in one accumulator, in order of l, and added to C
// (acc) or stored in it once at the end, so a tile's rounding does not
// depend on where it lies or which goroutine runs it. mr×nr is sized for
// the AVX-512 kernel's 24 vector accumulators; the AVX2 kernel covers a
// tile in four 6×16 quarters.
const (
	mr = 12
	nr = 32
)

// tileKernel is a micro-kernel. k ≥ 1; a holds at least
// (mr−1)·rsA+(k−1)·ksA+1 floats, b (k−1)·ldb+nr and c (mr−1)·ldc+nr.
type tileKernel func(k int, a []float32, rsA, ksA int, b []float32, ldb int, c []float32, ldc int, acc bool)

// namedKernel is a micro-kernel this machine can run.
type namedKernel struct {
	name string
	fn   tileKernel
}

// tile is the micro-kernel in use: the fastest one this CPU supports (see
// kernels), replaceable by tests to check the others.
var tile = kernels()[0].fn

// tileGo is the portable micro-kernel. It walks the tile in 2×4 blocks,
// whose eight accumulators and six operands fit the sixteen registers the
// Go compiler has for floats on amd64.
func tileGo(k int, a []float32, rsA, ksA int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	a = a[:(mr-1)*rsA+(k-1)*ksA+1]
	b = b[:(k-1)*ldb+nr]
	c = c[:(mr-1)*ldc+nr]
	for r := 0; r < mr; r += 2 {
		a0s, a1s := a[r*rsA:], a[(r+1)*rsA:]
		for j := 0; j < nr; j += 4 {
			var s00, s01, s02, s03, s10, s11, s12, s13 float32
			for l := 0; l < k; l++ {
				br := b[l*ldb+j : l*ldb+j+4 : l*ldb+j+4]
				a0, a1 := a0s[l*ksA], a1s[l*ksA]
				b0, b1, b2, b3 := br[0], br[1], br[2], br[3]
				s00 += a0 * b0
				s01 += a0 * b1
				s02 += a0 * b2
				s03 += a0 * b3
				s10 += a1 * b0
				s11 += a1 * b1
				s12 += a1 * b2
				s13 += a1 * b3
			}
			c0 := c[r*ldc+j : r*ldc+j+4 : r*ldc+j+4]
			c1 := c[(r+1)*ldc+j : (r+1)*ldc+j+4 : (r+1)*ldc+j+4]
			if acc {
				s00, s01, s02, s03 = c0[0]+s00, c0[1]+s01, c0[2]+s02, c0[3]+s03
				s10, s11, s12, s13 = c1[0]+s10, c1[1]+s11, c1[2]+s12, c1[3]+s13
			}
			c0[0], c0[1], c0[2], c0[3] = s00, s01, s02, s03
			c1[0], c1[1], c1[2], c1[3] = s10, s11, s12, s13
		}
	}
}
