//go:build amd64 && !purego

#include "textflag.h"

// AVX2 versions of the helpers in vec.go, 8 float32 (or 4 float64) per
// step. Each does the same IEEE operations in the same order as its Go
// version, and none fuses a multiply-add, so the results are identical.

// func addAVX2(dst, src *float32, n int)
TEXT ·addAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   addDone
addLoop:
	VMOVUPS (DI), Y0
	VADDPS  (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JNZ     addLoop
addDone:
	VZEROUPPER
	RET

// func add3AVX2(y, x, b *float32, n int)
TEXT ·add3AVX2(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   add3Done
add3Loop:
	VMOVUPS (SI), Y0
	VADDPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	DECQ    CX
	JNZ     add3Loop
add3Done:
	VZEROUPPER
	RET

// func adamAVX2(p, grad, m, v *float32, n int, b1, b2, alpha, eps float32)
TEXT ·adamAVX2(SB), NOSPLIT, $0-56
	MOVQ p+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ m+16(FP), DX
	MOVQ v+24(FP), R8
	MOVQ n+32(FP), CX
	VBROADCASTSS b1+40(FP), Y12
	VBROADCASTSS b2+44(FP), Y13
	VBROADCASTSS alpha+48(FP), Y14
	VBROADCASTSS eps+52(FP), Y15
	SHRQ $3, CX
	JZ   adamDone
adamLoop:
	VMOVUPS (SI), Y0         // g
	VMOVUPS (DX), Y1         // m
	VSUBPS  Y1, Y0, Y2       // g − m
	VMULPS  Y12, Y2, Y2      // ·b1
	VADDPS  Y2, Y1, Y1       // m += …
	VMOVUPS Y1, (DX)
	VMOVUPS (R8), Y3         // v
	VMULPS  Y0, Y0, Y4       // g·g
	VSUBPS  Y3, Y4, Y4       // − v
	VMULPS  Y13, Y4, Y4      // ·b2
	VADDPS  Y4, Y3, Y3       // v += …
	VMOVUPS Y3, (R8)
	VSQRTPS Y3, Y5
	VADDPS  Y15, Y5, Y5      // √v + eps
	VMULPS  Y14, Y1, Y6      // m·alpha
	VDIVPS  Y5, Y6, Y6       // / (√v + eps)
	VMOVUPS (DI), Y7
	VSUBPS  Y6, Y7, Y7       // p −= …
	VMOVUPS Y7, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, R8
	DECQ    CX
	JNZ     adamLoop
adamDone:
	VZEROUPPER
	RET

// func sum64AVX2(acc *float64, x *float32, n int)
TEXT ·sum64AVX2(SB), NOSPLIT, $0-24
	MOVQ acc+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $2, CX
	JZ   sum64Done
sum64Loop:
	VCVTPS2PD (SI), Y0
	VADDPD    (DI), Y0, Y0
	VMOVUPD   Y0, (DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       sum64Loop
sum64Done:
	VZEROUPPER
	RET

// func sqDev64AVX2(acc *float64, x *float32, mean *float64, n int)
TEXT ·sqDev64AVX2(SB), NOSPLIT, $0-32
	MOVQ acc+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ mean+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $2, CX
	JZ   sqDone
sqLoop:
	VCVTPS2PD (SI), Y0
	VSUBPD    (DX), Y0, Y0   // x − mean
	VMULPD    Y0, Y0, Y0
	VADDPD    (DI), Y0, Y0
	VMOVUPD   Y0, (DI)
	ADDQ      $16, SI
	ADDQ      $32, DX
	ADDQ      $32, DI
	DECQ      CX
	JNZ       sqLoop
sqDone:
	VZEROUPPER
	RET

// func bnSums64AVX2(acc1, acc2 *float64, x, dy, mean, inv *float32, n int)
TEXT ·bnSums64AVX2(SB), NOSPLIT, $0-56
	MOVQ acc1+0(FP), DI
	MOVQ acc2+8(FP), R9
	MOVQ x+16(FP), SI
	MOVQ dy+24(FP), DX
	MOVQ mean+32(FP), R8
	MOVQ inv+40(FP), R10
	MOVQ n+48(FP), CX
	SHRQ $2, CX
	JZ   bnsDone
bnsLoop:
	VMOVUPS   (SI), X0
	VSUBPS    (R8), X0, X0   // x − mean, in float32
	VCVTPS2PD X0, Y0
	VCVTPS2PD (R10), Y1
	VMULPD    Y1, Y0, Y0     // x̂
	VCVTPS2PD (DX), Y2       // dy
	VADDPD    (DI), Y2, Y3
	VMOVUPD   Y3, (DI)
	VMULPD    Y0, Y2, Y4     // dy·x̂
	VADDPD    (R9), Y4, Y4
	VMOVUPD   Y4, (R9)
	ADDQ      $16, SI
	ADDQ      $16, DX
	ADDQ      $16, R8
	ADDQ      $16, R10
	ADDQ      $32, DI
	ADDQ      $32, R9
	DECQ      CX
	JNZ       bnsLoop
bnsDone:
	VZEROUPPER
	RET

// func affineAVX2(y, x, mean, scale, beta *float32, n int)
TEXT ·affineAVX2(SB), NOSPLIT, $0-48
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ mean+16(FP), DX
	MOVQ scale+24(FP), R8
	MOVQ beta+32(FP), R9
	MOVQ n+40(FP), CX
	SHRQ $3, CX
	JZ   affDone
affLoop:
	VMOVUPS (SI), Y0
	VSUBPS  (DX), Y0, Y0
	VMULPS  (R8), Y0, Y0
	VADDPS  (R9), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, R8
	ADDQ    $32, R9
	DECQ    CX
	JNZ     affLoop
affDone:
	VZEROUPPER
	RET

// func bnBackApplyAVX2(dx, x, dy, mean, inv, coef, mdy, mdxh *float32, n int)
TEXT ·bnBackApplyAVX2(SB), NOSPLIT, $0-72
	MOVQ dx+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ dy+16(FP), DX
	MOVQ mean+24(FP), R8
	MOVQ inv+32(FP), R9
	MOVQ coef+40(FP), R10
	MOVQ mdy+48(FP), R11
	MOVQ mdxh+56(FP), R12
	MOVQ n+64(FP), CX
	SHRQ $3, CX
	JZ   bbaDone
bbaLoop:
	VMOVUPS (SI), Y0
	VSUBPS  (R8), Y0, Y0     // x − mean
	VMULPS  (R9), Y0, Y0     // x̂
	VMULPS  (R12), Y0, Y0    // x̂·mdxh
	VMOVUPS (DX), Y1
	VSUBPS  (R11), Y1, Y1    // dy − mdy
	VSUBPS  Y0, Y1, Y1       // − x̂·mdxh
	VMULPS  (R10), Y1, Y1    // ·coef
	VMOVUPS Y1, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, R8
	ADDQ    $32, R9
	ADDQ    $32, R10
	ADDQ    $32, R11
	ADDQ    $32, R12
	DECQ    CX
	JNZ     bbaLoop
bbaDone:
	VZEROUPPER
	RET

// func leakyReLUAVX2(y, x *float32, n int, alpha float32)
TEXT ·leakyReLUAVX2(SB), NOSPLIT, $0-28
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS alpha+24(FP), Y14
	MOVL $0x3f800000, AX     // 1.0
	VMOVD AX, X15
	VBROADCASTSS X15, Y15
	SHRQ $3, CX
	JZ   lrDone
lrLoop:
	VMOVUPS   (SI), Y0
	VBLENDVPS Y0, Y14, Y15, Y1 // alpha where x's sign is set, else 1
	VMULPS    Y1, Y0, Y0
	VMOVUPS   Y0, (DI)
	ADDQ      $32, DI
	ADDQ      $32, SI
	DECQ      CX
	JNZ       lrLoop
lrDone:
	VZEROUPPER
	RET

// func reluBackwardAVX2(dx, x, dy *float32, n int)
TEXT ·reluBackwardAVX2(SB), NOSPLIT, $0-32
	MOVQ dx+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ dy+16(FP), DX
	MOVQ n+24(FP), CX
	VXORPS Y15, Y15, Y15
	SHRQ $3, CX
	JZ   rbDone
rbLoop:
	VMOVUPS (SI), Y0
	VCMPPS  $0x1e, Y15, Y0, Y0 // x > 0 (ordered, so NaN is false)
	VANDPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	DECQ    CX
	JNZ     rbLoop
rbDone:
	VZEROUPPER
	RET

// func leakyReLUBackwardAVX2(dx, x, dy *float32, n int, alpha float32)
TEXT ·leakyReLUBackwardAVX2(SB), NOSPLIT, $0-36
	MOVQ dx+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ dy+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS alpha+32(FP), Y14
	MOVL $0x3f800000, AX
	VMOVD AX, X15
	VBROADCASTSS X15, Y15
	VXORPS Y13, Y13, Y13
	SHRQ $3, CX
	JZ   lrbDone
lrbLoop:
	VMOVUPS   (SI), Y0
	VCMPPS    $0x1e, Y13, Y0, Y0 // x > 0
	VBLENDVPS Y0, Y15, Y14, Y1   // 1 where x > 0, else alpha
	VMULPS    (DX), Y1, Y1
	VMOVUPS   Y1, (DI)
	ADDQ      $32, DI
	ADDQ      $32, SI
	ADDQ      $32, DX
	DECQ      CX
	JNZ       lrbLoop
lrbDone:
	VZEROUPPER
	RET

// The *Rows versions do the same over rows consecutive rows of c values
// (c a multiple of 4, or of 8 for the float32 ones), in row order, with
// the per-channel operands (acc, mean, ...) starting over at each row: one
// call per chunk of a batch-norm pass instead of one per row.

// func sum64RowsAVX2(acc *float64, x *float32, c, rows int)
TEXT ·sum64RowsAVX2(SB), NOSPLIT, $0-32
	MOVQ x+8(FP), SI
	MOVQ c+16(FP), BX
	MOVQ rows+24(FP), DX
	SHRQ $2, BX
	JZ   s64rDone
	TESTQ DX, DX
	JZ   s64rDone
s64rRow:
	MOVQ acc+0(FP), DI
	MOVQ BX, CX
s64rCol:
	VCVTPS2PD (SI), Y0
	VADDPD    (DI), Y0, Y0
	VMOVUPD   Y0, (DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       s64rCol
	DECQ      DX
	JNZ       s64rRow
s64rDone:
	VZEROUPPER
	RET

// func sqDev64RowsAVX2(acc *float64, x *float32, mean *float64, c, rows int)
TEXT ·sqDev64RowsAVX2(SB), NOSPLIT, $0-40
	MOVQ x+8(FP), SI
	MOVQ c+24(FP), BX
	MOVQ rows+32(FP), R9
	SHRQ $2, BX
	JZ   sqrDone
	TESTQ R9, R9
	JZ   sqrDone
sqrRow:
	MOVQ acc+0(FP), DI
	MOVQ mean+16(FP), DX
	MOVQ BX, CX
sqrCol:
	VCVTPS2PD (SI), Y0
	VSUBPD    (DX), Y0, Y0
	VMULPD    Y0, Y0, Y0
	VADDPD    (DI), Y0, Y0
	VMOVUPD   Y0, (DI)
	ADDQ      $16, SI
	ADDQ      $32, DX
	ADDQ      $32, DI
	DECQ      CX
	JNZ       sqrCol
	DECQ      R9
	JNZ       sqrRow
sqrDone:
	VZEROUPPER
	RET

// func bnSums64RowsAVX2(acc1, acc2 *float64, x, dy, mean, inv *float32, c, rows int)
TEXT ·bnSums64RowsAVX2(SB), NOSPLIT, $0-64
	MOVQ x+16(FP), SI
	MOVQ dy+24(FP), DX
	MOVQ c+48(FP), BX
	MOVQ rows+56(FP), R11
	SHRQ $2, BX
	JZ   bnsrDone
	TESTQ R11, R11
	JZ   bnsrDone
bnsrRow:
	MOVQ acc1+0(FP), DI
	MOVQ acc2+8(FP), R9
	MOVQ mean+32(FP), R8
	MOVQ inv+40(FP), R10
	MOVQ BX, CX
bnsrCol:
	VMOVUPS   (SI), X0
	VSUBPS    (R8), X0, X0
	VCVTPS2PD X0, Y0
	VCVTPS2PD (R10), Y1
	VMULPD    Y1, Y0, Y0
	VCVTPS2PD (DX), Y2
	VADDPD    (DI), Y2, Y3
	VMOVUPD   Y3, (DI)
	VMULPD    Y0, Y2, Y4
	VADDPD    (R9), Y4, Y4
	VMOVUPD   Y4, (R9)
	ADDQ      $16, SI
	ADDQ      $16, DX
	ADDQ      $16, R8
	ADDQ      $16, R10
	ADDQ      $32, DI
	ADDQ      $32, R9
	DECQ      CX
	JNZ       bnsrCol
	DECQ      R11
	JNZ       bnsrRow
bnsrDone:
	VZEROUPPER
	RET

// func affineRowsAVX2(y, x, mean, scale, beta *float32, c, rows int)
TEXT ·affineRowsAVX2(SB), NOSPLIT, $0-56
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ c+40(FP), BX
	MOVQ rows+48(FP), R10
	SHRQ $3, BX
	JZ   affrDone
	TESTQ R10, R10
	JZ   affrDone
affrRow:
	MOVQ mean+16(FP), DX
	MOVQ scale+24(FP), R8
	MOVQ beta+32(FP), R9
	MOVQ BX, CX
affrCol:
	VMOVUPS (SI), Y0
	VSUBPS  (DX), Y0, Y0
	VMULPS  (R8), Y0, Y0
	VADDPS  (R9), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, R8
	ADDQ    $32, R9
	DECQ    CX
	JNZ     affrCol
	DECQ    R10
	JNZ     affrRow
affrDone:
	VZEROUPPER
	RET

// func bnBackApplyRowsAVX2(dx, x, dy, mean, inv, coef, mdy, mdxh *float32, c, rows int)
TEXT ·bnBackApplyRowsAVX2(SB), NOSPLIT, $0-80
	MOVQ dx+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ dy+16(FP), DX
	MOVQ c+64(FP), BX
	MOVQ rows+72(FP), R13
	SHRQ $3, BX
	JZ   bbarDone
	TESTQ R13, R13
	JZ   bbarDone
bbarRow:
	MOVQ mean+24(FP), R8
	MOVQ inv+32(FP), R9
	MOVQ coef+40(FP), R10
	MOVQ mdy+48(FP), R11
	MOVQ mdxh+56(FP), R12
	MOVQ BX, CX
bbarCol:
	VMOVUPS (SI), Y0
	VSUBPS  (R8), Y0, Y0
	VMULPS  (R9), Y0, Y0
	VMULPS  (R12), Y0, Y0
	VMOVUPS (DX), Y1
	VSUBPS  (R11), Y1, Y1
	VSUBPS  Y0, Y1, Y1
	VMULPS  (R10), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, R8
	ADDQ    $32, R9
	ADDQ    $32, R10
	ADDQ    $32, R11
	ADDQ    $32, R12
	DECQ    CX
	JNZ     bbarCol
	DECQ    R13
	JNZ     bbarRow
bbarDone:
	VZEROUPPER
	RET

// func addRowsAVX2(y, b *float32, c, rows int)
TEXT ·addRowsAVX2(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	MOVQ c+16(FP), BX
	MOVQ rows+24(FP), DX
	SHRQ $3, BX
	JZ   addrDone
	TESTQ DX, DX
	JZ   addrDone
addrRow:
	MOVQ b+8(FP), SI
	MOVQ BX, CX
addrCol:
	VMOVUPS (DI), Y0
	VADDPS  (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JNZ     addrCol
	DECQ    DX
	JNZ     addrRow
addrDone:
	VZEROUPPER
	RET
