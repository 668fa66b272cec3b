package main

import (
	"fmt"
	"image/color"
	"strconv"
)

// plotAxes returns the axes of the named metric's plot in area.
func (v *view) plotAxes(s *runState, name string, area rect) (axes, bool) {
	epochs := 1
	if s.start != nil {
		epochs = s.start.Epochs
	}
	return newAxes(area, s.curves[name], epochs, v.logY)
}

// drawPlot draws one metric's train and validation curves with their axes,
// legend and, under the cursor, the values there.
func (v *view) drawPlot(sc *scene, s *runState, name string, area rect) {
	c := s.curves[name]
	a, logOK := v.plotAxes(s, name, area)
	sc.rect(area, colPanel)
	title := name
	switch {
	case a.logY:
		title += " (log)"
	case v.logY && !logOK:
		title += " (linear: log needs positive values)"
	}
	sc.text(title, area.x, area.y-lineH-2, colText)
	drawTicks(sc, a)
	sc.lines = append(sc.lines, curveLine(a, c.train, colTrain))
	if len(c.val) > 0 {
		sc.lines = append(sc.lines, curveLine(a, c.val, colVal))
		for _, p := range c.val {
			x, y := a.toPixel(p)
			sc.marker(x, y, colVal)
		}
	}
	legendX := area.x + area.w - textWidth("train  val")
	sc.text("train", legendX, area.y-lineH-2, colTrain)
	sc.text("val", legendX+textWidth("train  "), area.y-lineH-2, colVal)
	if area.contains(v.cursorX, v.cursorY) {
		v.drawCursor(sc, a, c)
	}
}

// drawTicks labels the y axis at bottom, middle and top, and the x axis at
// whole epochs, with faint grid lines.
func drawTicks(sc *scene, a axes) {
	r := a.area
	for i, y := range a.yTicks() {
		py := r.y + r.h - float32(i)*r.h/2
		sc.rect(rect{r.x, py, r.w, 1}, colGrid)
		label := formatTick(y)
		sc.text(label, r.x-textWidth(label)-4, py-lineH/2, colDim)
	}
	for _, x := range a.xTicks(int(r.w / 60)) {
		px, _ := a.toPixel(point{x, 1})
		sc.rect(rect{px, r.y, 1, r.h}, colGrid)
		label := strconv.Itoa(int(x))
		sc.text(label, px-textWidth(label)/2, r.y+r.h+3, colDim)
	}
}

// curveLine is the polyline through ps.
func curveLine(a axes, ps []point, c color.RGBA) polyline {
	l := polyline{c: c, width: 2}
	for _, p := range ps {
		x, y := a.toPixel(p)
		l.pts = append(l.pts, [2]float32{x, y})
	}
	return l
}

// drawCursor marks the cursor's epoch and writes the nearest values.
func (v *view) drawCursor(sc *scene, a axes, c *curves) {
	r := a.area
	sc.rect(rect{v.cursorX, r.y, 1, r.h}, colCursor)
	x := a.xAt(v.cursorX)
	msg := fmt.Sprintf("epoch %.2f", x)
	if p, ok := nearest(c.train, x); ok {
		msg += "  train " + formatValue(p.y)
	}
	if p, ok := nearest(c.val, x); ok {
		msg += "  val " + formatValue(p.y)
	}
	sc.rect(rect{r.x + 4, r.y + 4, textWidth(msg) + 6, lineH}, colBackground)
	sc.text(msg, r.x+7, r.y+5, colCursor)
}

// formatTick shortens an axis value.
func formatTick(v float64) string {
	return strconv.FormatFloat(v, 'g', 3, 64)
}
