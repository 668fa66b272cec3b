package main

import (
	"math"
)

// axes map a plot's data to its pixels: x in epochs, y linear or log.
type axes struct {
	area           rect
	x0, x1, y0, y1 float64 // y0, y1 are log10 values on a log axis
	logY           bool
}

// newAxes fits axes around the points of cs. A log axis needs positive
// values; with any value ≤ 0 the axis stays linear and logOK is false.
func newAxes(area rect, c *curves, epochs int, wantLog bool) (a axes, logOK bool) {
	a = axes{area: area, x0: 0, x1: math.Max(float64(epochs), 1)}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, ps := range [][]point{c.train, c.val} {
		for _, p := range ps {
			lo, hi = math.Min(lo, p.y), math.Max(hi, p.y)
			a.x1 = math.Max(a.x1, p.x)
		}
	}
	if math.IsInf(lo, 0) {
		lo, hi = 0, 1
	}
	logOK = lo > 0
	a.logY = wantLog && logOK
	if a.logY {
		lo, hi = math.Log10(lo), math.Log10(hi)
	}
	margin := (hi - lo) * 0.05
	if margin == 0 {
		margin = math.Max(math.Abs(hi)*0.05, 0.05)
	}
	a.y0, a.y1 = lo-margin, hi+margin
	return a, logOK
}

// toPixel maps a data point to window pixels.
func (a axes) toPixel(p point) (float32, float32) {
	y := p.y
	if a.logY {
		y = math.Log10(y)
	}
	px := float64(a.area.x) + (p.x-a.x0)/(a.x1-a.x0)*float64(a.area.w)
	py := float64(a.area.y+a.area.h) - (y-a.y0)/(a.y1-a.y0)*float64(a.area.h)
	return float32(px), float32(py)
}

// xAt maps a pixel column back to epochs.
func (a axes) xAt(px float32) float64 {
	return a.x0 + float64(px-a.area.x)/float64(a.area.w)*(a.x1-a.x0)
}

// yTicks returns three values to label the y axis with: bottom, middle,
// top (geometric middle on a log axis).
func (a axes) yTicks() []float64 {
	out := []float64{a.y0, (a.y0 + a.y1) / 2, a.y1}
	if a.logY {
		for i := range out {
			out[i] = math.Pow(10, out[i])
		}
	}
	return out
}

// xTicks returns whole epochs to label the x axis with, at most about
// maxTicks of them.
func (a axes) xTicks(maxTicks int) []float64 {
	step := math.Max(1, math.Ceil((a.x1-a.x0)/float64(maxTicks)))
	var out []float64
	for x := math.Ceil(a.x0); x <= a.x1+1e-9; x += step {
		out = append(out, x)
	}
	return out
}

// nearest returns the point of ps closest in x to x, and false when ps is
// empty.
func nearest(ps []point, x float64) (point, bool) {
	if len(ps) == 0 {
		return point{}, false
	}
	best := ps[0]
	for _, p := range ps[1:] {
		if math.Abs(p.x-x) < math.Abs(best.x-x) {
			best = p
		}
	}
	return best, true
}
