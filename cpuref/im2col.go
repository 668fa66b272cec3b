package cpuref

import "github.com/anvil-ml/anvil/tensor"

// blockCap bounds an im2col panel block, in floats (256 KiB): a block, the
// kernel and the block's output stay in a core's 1 MiB L2 while the GEMM
// reads them, so the panel never travels to memory. A variable only so
// that tests can force blocks of one output row.
var blockCap = 1 << 16

// convShape holds the sizes a convolution kernel derives from its ConvGeom,
// and how a sample's output rows are cut into panel blocks.
type convShape struct {
	g   tensor.ConvGeom
	kkc int // KH·KW·C: one im2col row, one kernel column
	in  int // input elements per sample
	out int // output elements per sample (OH·OW·F)
	// rows is how many output rows one block holds, blocks how many
	// blocks a sample has.
	rows, blocks int
	// direct marks a 1×1, stride-1, unpadded convolution, whose input is
	// already its own im2col panel.
	direct bool
}

// newConvShape sizes a convolution and reserves a panel block per worker.
func newConvShape(p *program, g tensor.ConvGeom) *convShape {
	s := &convShape{g: g, kkc: g.KH * g.KW * g.C, in: g.InSize(), out: g.OutSize()}
	s.direct = g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1 &&
		g.PadTop == 0 && g.PadLeft == 0 && g.OH == g.H && g.OW == g.W
	maxRows := max(1, blockCap/(g.OW*s.kkc))
	nb := (g.OH + maxRows - 1) / maxRows
	s.rows = (g.OH + nb - 1) / nb
	s.blocks = (g.OH + s.rows - 1) / s.rows
	p.reserveWorkerArena(s.rows * g.OW * s.kkc)
	return s
}

// block returns the output rows oh0..oh1−1 of block b.
func (s *convShape) block(b int) (oh0, oh1 int) {
	oh0 = b * s.rows
	return oh0, min(oh0+s.rows, s.g.OH)
}

// im2col writes the panel of output rows oh0..oh1−1 of one sample x to
// col: one row per output position, one column per (kh, kw, c), matching
// the [KH,KW,C,F] kernel seen as a KH·KW·C × F matrix. Out-of-range input
// reads as zero.
func (s *convShape) im2col(x, col []float32, oh0, oh1 int) {
	g, kkc := s.g, s.kkc
	rowC := g.KW * g.C
	for oh := oh0; oh < oh1; oh++ {
		for ow := 0; ow < g.OW; ow++ {
			dst := col[((oh-oh0)*g.OW+ow)*kkc:][:kkc]
			iw0 := ow*g.SW - g.PadLeft
			for kh := 0; kh < g.KH; kh++ {
				seg := dst[kh*rowC : (kh+1)*rowC]
				ih := oh*g.SH + kh - g.PadTop
				switch {
				case ih < 0 || ih >= g.H:
					clear(seg)
				case iw0 >= 0 && iw0+g.KW <= g.W:
					// The whole kernel row is inside: one contiguous copy.
					copyFloats(seg, x[(ih*g.W+iw0)*g.C:])
				default:
					for kw := 0; kw < g.KW; kw++ {
						part := seg[kw*g.C : (kw+1)*g.C]
						if iw := iw0 + kw; iw >= 0 && iw < g.W {
							copyFloats(part, x[(ih*g.W+iw)*g.C:])
						} else {
							clear(part)
						}
					}
				}
			}
		}
	}
}

// copyFloats is copy for the short runs of an image with few channels
// (9 floats for a 3×3 kernel row over RGB), where calling memmove costs
// more than moving the data.
func copyFloats(dst, src []float32) {
	if len(dst) > 16 {
		copy(dst, src)
		return
	}
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = v
	}
}

// col2im is the adjoint of im2col: it adds the panel entries of output
// rows oh0..oh1−1 into the input gradient dx of one sample, each to the
// element it was read from, in a fixed order.
func (s *convShape) col2im(col, dx []float32, oh0, oh1 int) {
	g, kkc := s.g, s.kkc
	for oh := oh0; oh < oh1; oh++ {
		for ow := 0; ow < g.OW; ow++ {
			src := col[((oh-oh0)*g.OW+ow)*kkc:][:kkc]
			for kh := 0; kh < g.KH; kh++ {
				ih := oh*g.SH + kh - g.PadTop
				if ih < 0 || ih >= g.H {
					continue
				}
				for kw := 0; kw < g.KW; kw++ {
					iw := ow*g.SW + kw - g.PadLeft
					if iw < 0 || iw >= g.W {
						continue
					}
					seg := src[(kh*g.KW+kw)*g.C : (kh*g.KW+kw+1)*g.C]
					vAdd(dx[(ih*g.W+iw)*g.C:(ih*g.W+iw+1)*g.C], seg)
				}
			}
		}
	}
}
