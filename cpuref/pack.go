package cpuref

// Packing copies operands of a product into the layouts the micro-kernels
// read sequentially: an A sliver k-major (mr values per step), a B sliver
// as K rows of nr (see gemm.go for when each is packed).

// denseA is op(A) of a row-major matrix: A is M×K, or K×M when trans.
type denseA struct {
	a     []float32
	lda   int
	trans bool
}

// strides returns the distance between rows and between columns of op(A).
func (d *denseA) strides() (rs, ks int) {
	if d.trans {
		return 1, d.lda
	}
	return d.lda, 1
}

// packA writes rows i0..i0+rows−1, columns l0..l0+kc−1 of op(A) to dst
// k-major (dst[l·mr+r]), the layout of a packed sliver, zero-filling rows
// rows..mr−1.
func (d *denseA) packA(dst []float32, i0, rows, l0, kc int) {
	dst = dst[:kc*mr]
	if rows == mr && !d.trans {
		packRows12(dst, d.a[i0*d.lda+l0:], d.lda, kc)
		return
	}
	rs, ks := d.strides()
	for r := 0; r < rows; r++ {
		src := d.a[i0*rs+l0*ks+r*rs:]
		for l := 0; l < kc; l++ {
			dst[l*mr+r] = src[l*ks]
		}
	}
	for r := rows; r < mr; r++ {
		for l := 0; l < kc; l++ {
			dst[l*mr+r] = 0
		}
	}
}

// packRows12 interleaves the first kc values of 12 rows of a, lda apart:
// dst[l·12+r] = a[r·lda+l]. It reads twelve sequential streams and writes
// one, which runs several times faster than a row at a time.
func packRows12(dst, a []float32, lda, kc int) {
	dst = dst[:kc*mr]
	r0, r1, r2, r3 := a[:kc], a[lda:][:kc], a[2*lda:][:kc], a[3*lda:][:kc]
	r4, r5, r6, r7 := a[4*lda:][:kc], a[5*lda:][:kc], a[6*lda:][:kc], a[7*lda:][:kc]
	r8, r9, r10, r11 := a[8*lda:][:kc], a[9*lda:][:kc], a[10*lda:][:kc], a[11*lda:][:kc]
	for l := range r0 {
		out := dst[l*mr : l*mr+mr : l*mr+mr]
		out[0], out[1], out[2], out[3] = r0[l], r1[l], r2[l], r3[l]
		out[4], out[5], out[6], out[7] = r4[l], r5[l], r6[l], r7[l]
		out[8], out[9], out[10], out[11] = r8[l], r9[l], r10[l], r11[l]
	}
}

// packBSliver packs columns j·nr.. of op(B), all of K, to its place in
// the pack scratch: K×nr floats, zero-filled past N.
func (g *gemm) packBSliver(_, j int) {
	j0 := j * nr
	cols := min(nr, g.n-j0)
	dst := (*g.pack)[j*g.k*nr:][:g.k*nr]
	if !g.transB {
		for l := 0; l < g.k; l++ {
			out := dst[l*nr : l*nr+nr]
			copy(out, g.b[l*g.ldb+j0:][:cols])
			clear(out[cols:])
		}
		return
	}
	for c := 0; c < cols; c++ {
		src := g.b[(j0+c)*g.ldb:][:g.k]
		for l, v := range src {
			dst[l*nr+c] = v
		}
	}
	for c := cols; c < nr; c++ {
		for l := 0; l < g.k; l++ {
			dst[l*nr+c] = 0
		}
	}
}

// bSliver returns sliver j of op(B) from row l0 on, and its row stride.
func (g *gemm) bSliver(j, l0 int) ([]float32, int) {
	if g.bPre != nil {
		return g.bPre[(j*g.k+l0)*nr:], nr
	}
	if !g.packB && (j+1)*nr <= g.n {
		return g.b[l0*g.ldb+j*nr:], g.ldb
	}
	return (*g.pack)[(j*g.k+l0)*nr:], nr
}
