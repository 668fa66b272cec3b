package main

import (
	"fmt"
	"image/color"
)

// drawSamples shows the run's sample test images with the classes the
// model predicted after the latest epoch and the true ones; wrong
// predictions are framed and written in red.
func (v *view) drawSamples(sc *scene, s *runState, l layout) {
	st := s.start
	title := "test samples: no epoch finished yet"
	if s.predicted != nil {
		title = fmt.Sprintf("test samples after epoch %d: %d/%d right", s.predictedEpoch, countRight(s.predicted, st.SampleLabels), len(st.SampleLabels))
	}
	sc.text(title, l.samples.x, l.samples.y, colText)
	for i, t := range l.tiles {
		sc.rect(t.image, colPanel)
		if v.samples != nil && i < len(v.samples.images) {
			sc.pictures = append(sc.pictures, picture{t.image, v.samples.images[i]})
		}
		truth := -1
		if i < len(st.SampleLabels) {
			truth = st.SampleLabels[i]
			sc.text("true "+className(st.ClassNames, truth), t.truth.x, t.truth.y, colDim)
		}
		if i >= len(s.predicted) {
			continue
		}
		pred := s.predicted[i]
		col := predColor(pred == truth)
		if pred != truth {
			sc.frameRect(rect{t.image.x - 3, t.image.y - 3, t.image.w + 6, t.image.h + 6}, 2, colBad)
		}
		sc.text(className(st.ClassNames, pred), t.pred.x, t.pred.y, col)
	}
}

// predColor is the colour of a predicted label: right or wrong.
func predColor(right bool) color.RGBA {
	if right {
		return colGood
	}
	return colBad
}

func countRight(pred, truth []int) int {
	n := 0
	for i := range pred {
		if i < len(truth) && pred[i] == truth[i] {
			n++
		}
	}
	return n
}

// className names class k, or gives its number when the run named none.
func className(names []string, k int) string {
	if k >= 0 && k < len(names) {
		return names[k]
	}
	return fmt.Sprint(k)
}
