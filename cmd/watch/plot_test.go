package main

import (
	"math"
	"testing"
)

func TestAxesMapDataToPixels(t *testing.T) {
	c := &curves{train: []point{{0.5, 1}, {1, 3}}, val: []point{{1, 2}}}
	a, logOK := newAxes(rect{100, 50, 400, 200}, c, 2, false)
	if !logOK || a.logY {
		t.Fatalf("axes %+v, logOK %v", a, logOK)
	}
	// y spans 1..3 with 5% margins: 0.9..3.1; x spans the 2 epochs.
	x, y := a.toPixel(point{1, 2})
	if math.Abs(float64(x)-300) > 1e-3 || math.Abs(float64(y)-150) > 1e-3 {
		t.Errorf("(1, 2) at (%v, %v), want (300, 150)", x, y)
	}
	if got := a.xAt(400); math.Abs(got-1.5) > 1e-9 {
		t.Errorf("xAt(400) = %v, want 1.5", got)
	}
	if ticks := a.xTicks(10); len(ticks) != 3 || ticks[2] != 2 {
		t.Errorf("x ticks %v", ticks)
	}
}

func TestLogAxesNeedPositiveValues(t *testing.T) {
	c := &curves{train: []point{{1, 0.01}, {2, 1}}}
	a, _ := newAxes(rect{0, 0, 100, 100}, c, 2, true)
	_, yLow := a.toPixel(point{1, 0.01})
	_, yMid := a.toPixel(point{1, 0.1})
	_, yHigh := a.toPixel(point{1, 1})
	if !a.logY || math.Abs(float64((yLow-yMid)-(yMid-yHigh))) > 1e-3 {
		t.Errorf("log axis: 0.01, 0.1, 1 at %v, %v, %v, not evenly spaced", yLow, yMid, yHigh)
	}
	c.train[0].y = 0
	if a, ok := newAxes(rect{0, 0, 100, 100}, c, 2, true); ok || a.logY {
		t.Error("a log axis for a curve that reaches 0")
	}
}

func TestNearestPoint(t *testing.T) {
	ps := []point{{0.2, 1}, {0.4, 2}, {1, 3}}
	if p, ok := nearest(ps, 0.35); !ok || p.y != 2 {
		t.Errorf("nearest(0.35) = %v", p)
	}
	if _, ok := nearest(nil, 1); ok {
		t.Error("nearest of no points")
	}
}
