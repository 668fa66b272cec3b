package cpuref

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// panelCap bounds the im2col panel, in floats (16 MiB): the batch is
// lowered in groups of samples small enough to fit, so a large image model
// does not need a panel the size of the whole batch. The filter gradient
// transposes its panel, which runs at cache speed rather than memory speed
// when the panel fits in L2, so it uses panels a sixteenth the size (one
// 32×32×32 3×3 sample ran ~40% faster than 14). Variables only so that
// tests can force several groups.
var (
	panelCap       = 1 << 22
	filterPanelCap = 1 << 18
)

// convShape holds the sizes a convolution kernel derives from its ConvGeom.
type convShape struct {
	g    tensor.ConvGeom
	kkc  int // KH·KW·C: one im2col row, one kernel column
	ohow int // OH·OW: im2col rows per sample
	in   int // input elements per sample
	out  int // output elements per sample (OH·OW·F)
	// group is how many samples one im2col panel holds.
	group int
	// direct marks a 1×1, stride-1, unpadded convolution, whose input is
	// already its own im2col panel.
	direct bool
}

func checkGeom(g tensor.ConvGeom, filters bool) error {
	if err := positive("H, W, C, KH, KW, SH, SW, OH, OW", g.H, g.W, g.C, g.KH, g.KW, g.SH, g.SW, g.OH, g.OW); err != nil {
		return err
	}
	if filters {
		if err := positive("F", g.F); err != nil {
			return err
		}
	}
	if g.PadTop < 0 || g.PadLeft < 0 {
		return fmt.Errorf("padding %d, %d must not be negative", g.PadTop, g.PadLeft)
	}
	return nil
}

// newConvShape sizes a convolution whose panels hold at most limit floats
// (or one sample) and reserves its panel in the arena.
func newConvShape(p *program, g tensor.ConvGeom, limit int) (*convShape, error) {
	if err := checkGeom(g, true); err != nil {
		return nil, err
	}
	s := &convShape{g: g, kkc: g.KH * g.KW * g.C, ohow: g.OH * g.OW, in: g.InSize(), out: g.OutSize()}
	s.direct = g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1 &&
		g.PadTop == 0 && g.PadLeft == 0 && g.OH == g.H && g.OW == g.W
	perSample := s.ohow * s.kkc
	s.group = min(p.plan.Batch, max(1, limit/perSample))
	if !s.direct {
		p.reserveArena(s.group * perSample)
	}
	return s, nil
}

// im2col lowers a group of samples into a panel with one row per output
// position and one column per (kh, kw, c), matching the [KH,KW,C,F] kernel
// seen as a KH·KW·C × F matrix. Out-of-range input reads as zero.
type im2col struct {
	s      *convShape
	x, col []float32 // the group's first sample, and the panel
	fn     func(int)
}

func newIm2col(s *convShape) *im2col {
	j := &im2col{s: s}
	j.fn = j.row
	return j
}

// run fills the panel for n samples starting at x, one task per output row.
func (j *im2col) run(x, col []float32, n int) {
	j.x, j.col = x, col
	parallelFor(n*j.s.g.OH, j.fn)
}

func (j *im2col) row(t int) {
	g, kkc := j.s.g, j.s.kkc
	n, oh := t/g.OH, t%g.OH
	x := j.x[n*j.s.in : (n+1)*j.s.in]
	col := j.col[(n*g.OH+oh)*g.OW*kkc:]
	rowC := g.KW * g.C
	for ow := 0; ow < g.OW; ow++ {
		dst := col[ow*kkc : (ow+1)*kkc]
		iw0 := ow*g.SW - g.PadLeft
		for kh := 0; kh < g.KH; kh++ {
			seg := dst[kh*rowC : (kh+1)*rowC]
			ih := oh*g.SH + kh - g.PadTop
			switch {
			case ih < 0 || ih >= g.H:
				clear(seg)
			case iw0 >= 0 && iw0+g.KW <= g.W:
				// The whole kernel row is inside: one contiguous copy.
				copy(seg, x[(ih*g.W+iw0)*g.C:])
			default:
				for kw := 0; kw < g.KW; kw++ {
					part := seg[kw*g.C : (kw+1)*g.C]
					if iw := iw0 + kw; iw >= 0 && iw < g.W {
						copy(part, x[(ih*g.W+iw)*g.C:])
					} else {
						clear(part)
					}
				}
			}
		}
	}
}

// col2im is the adjoint of im2col: it overwrites each sample's input
// gradient with the sum of the panel entries that read each input element.
// Samples are independent, so each is one task and sums in a fixed order.
type col2im struct {
	s       *convShape
	col, dx []float32
	fn      func(int)
}

func newCol2im(s *convShape) *col2im {
	j := &col2im{s: s}
	j.fn = j.sample
	return j
}

func (j *col2im) run(col, dx []float32, n int) {
	j.col, j.dx = col, dx
	parallelFor(n, j.fn)
}

func (j *col2im) sample(n int) {
	g, kkc := j.s.g, j.s.kkc
	dx := j.dx[n*j.s.in : (n+1)*j.s.in]
	clear(dx)
	col := j.col[n*j.s.ohow*kkc:]
	for oh := 0; oh < g.OH; oh++ {
		for ow := 0; ow < g.OW; ow++ {
			src := col[(oh*g.OW+ow)*kkc:]
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
