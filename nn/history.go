package nn

// History records what Fit measured, as Keras's History callback does.
type History struct {
	// Epoch lists the 0-based epoch numbers that ran.
	Epoch []int
	// Metrics maps "loss", each metric, and "val_"-prefixed validation
	// values to one value per epoch.
	Metrics map[string][]float64
	// Seconds is the wall time of each epoch, validation included.
	Seconds []float64
}

func newHistory() *History { return &History{Metrics: map[string][]float64{}} }

func (h *History) add(epoch int, logs map[string]float64, seconds float64) {
	h.Epoch = append(h.Epoch, epoch)
	for k, v := range logs {
		h.Metrics[k] = append(h.Metrics[k], v)
	}
	h.Seconds = append(h.Seconds, seconds)
}

// Last returns the final value of a metric, or false if none was recorded.
func (h *History) Last(name string) (float64, bool) {
	vs := h.Metrics[name]
	if len(vs) == 0 {
		return 0, false
	}
	return vs[len(vs)-1], true
}
