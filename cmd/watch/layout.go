package main

import "math"

// rect is an area of the window in pixels, from its top-left corner.
type rect struct{ x, y, w, h float32 }

func (r rect) contains(x, y float32) bool {
	return x >= r.x && x < r.x+r.w && y >= r.y && y < r.y+r.h
}

// Text metrics of the built-in font (basicfont.Face7x13).
const (
	charW = 7
	lineH = 15
)

// Layout constants, in pixels.
const (
	pad          = 8
	headerLines  = 4
	sampleCols   = 4
	labelChars   = 15 // a tile's label fits "true automobile"
	plotLeft     = 64 // room for the y-axis labels
	plotBottom   = 20 // room for the x-axis labels
	plotTop      = 20 // room for the title
	minPlotWidth = 120
)

// layout places the window's parts: the header text, one plot per metric
// on the left, the sample images on the right.
type layout struct {
	header  rect
	plots   []rect // the axes' areas, without their labels
	samples rect   // the panel holding the tiles and its title
	tiles   []tile
}

// tile is where one sample image and its two labels go.
type tile struct {
	image       rect
	pred, truth rect // text boxes: predicted and true class
}

// computeLayout lays out a w×h window for nPlots plots and nTiles sample
// images of imgW×imgH pixels.
func computeLayout(w, h float32, nPlots, nTiles int, imgW, imgH float32) layout {
	var l layout
	l.header = rect{pad, pad, w - 2*pad, headerLines * lineH}
	top := l.header.y + l.header.h + pad
	scale := float32(2)
	if w < 900 || h < 500 {
		scale = 1
	}
	panelW := float32(0)
	if nTiles > 0 {
		cellW := max(imgW*scale, labelChars*charW) + pad
		cellH := imgH*scale + 2*lineH + pad
		panelW = sampleCols*cellW + pad
		l.samples = rect{w - panelW, top, panelW - pad, lineH + cellH*float32((nTiles+sampleCols-1)/sampleCols)}
		for i := 0; i < nTiles; i++ {
			cx := l.samples.x + float32(i%sampleCols)*cellW
			cy := l.samples.y + lineH + float32(i/sampleCols)*cellH
			// Whole pixels, so that each image pixel covers whole screen pixels.
			img := rect{floor(cx + (cellW-pad-imgW*scale)/2), floor(cy), imgW * scale, imgH * scale}
			l.tiles = append(l.tiles, tile{image: img,
				pred:  rect{cx, cy + imgH*scale + 2, cellW - pad, lineH},
				truth: rect{cx, cy + imgH*scale + 2 + lineH, cellW - pad, lineH}})
		}
	}
	l.plots = plotRects(rect{0, top, max(w-panelW, minPlotWidth+plotLeft+pad), h - top}, nPlots)
	return l
}

// plotRects stacks n plots in area.
func plotRects(area rect, n int) []rect {
	if n == 0 {
		return nil
	}
	each := area.h / float32(n)
	out := make([]rect, n)
	for i := range out {
		out[i] = rect{area.x + plotLeft, area.y + float32(i)*each + plotTop,
			area.w - plotLeft - 2*pad, each - plotTop - plotBottom - pad}
	}
	return out
}

func floor(v float32) float32 { return float32(math.Floor(float64(v))) }
