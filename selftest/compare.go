package selftest

import (
	"fmt"
	"math"
)

// worst tracks the element that comes closest to (or furthest past) its
// tolerance, and the largest absolute difference seen.
type worst struct {
	// ratio is |Δ|/limit at the worst element (+Inf when an element that
	// must match exactly does not, or a NaN appears on one side only).
	ratio float64
	// diff and limit are that element's difference and tolerance.
	diff, limit float64
	// maxDiff is the largest |Δ| over every compared element.
	maxDiff float64
	// where describes the worst element when it fails.
	where string
}

// fails reports whether some element was out of tolerance.
func (w worst) fails() bool { return w.ratio > 1 }

// ratioOf is diff/limit, 0 for an exact match and +Inf past a zero limit.
func ratioOf(diff, limit float64) float64 {
	switch {
	case diff == 0:
		return 0
	case limit == 0 || math.IsNaN(diff):
		return math.Inf(1)
	}
	return diff / limit
}

// note records one difference against its limit; where describes it and
// is called only when it fails and is the worst so far.
func (w *worst) note(diff, limit float64, where func() string) {
	if math.IsNaN(diff) {
		diff = math.Inf(1)
	}
	w.maxDiff = math.Max(w.maxDiff, diff)
	r := ratioOf(diff, limit)
	if r > w.ratio || (r == w.ratio && limit > w.limit) {
		w.ratio, w.diff, w.limit = r, diff, limit
		if r > 1 {
			w.where = where()
		}
	}
}

// compare notes every element of got against want: the first valid ones
// within tol (mag holds the magnitude run, when tol needs it), the rest
// exactly, as both backends must leave rows past the valid ones untouched.
func (w *worst) compare(got, want, mag []float32, valid int, tol Tol, what func() string) {
	for i := range want {
		g, r := float64(got[i]), float64(want[i])
		if math.IsNaN(g) && math.IsNaN(r) {
			continue
		}
		limit := 0.0
		if i < valid {
			var m float32
			if mag != nil {
				m = mag[i]
			}
			limit = tol.limit(want[i], m)
		}
		w.note(math.Abs(g-r), limit, func() string {
			region := "in the valid rows"
			if i >= valid {
				region = "past the valid rows, which must stay untouched"
			}
			return fmt.Sprintf("%s, element %d (%s): got %v, want %v", what(), i, region, got[i], want[i])
		})
	}
}
