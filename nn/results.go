package nn

// Results are what Evaluate measured: the loss and each compiled metric,
// by name (Keras's evaluate(return_dict=True)) and, in Values, in
// MetricNames order (Keras's list return).
type Results struct {
	Names  []string
	Values []float64
}

// Get returns the value called name ("loss", "accuracy", ...), or false if
// Evaluate did not compute it.
func (r Results) Get(name string) (float64, bool) {
	for i, n := range r.Names {
		if n == name {
			return r.Values[i], true
		}
	}
	return 0, false
}

// Loss returns the loss.
func (r Results) Loss() float64 { return r.Values[0] }

// Map returns the values by name.
func (r Results) Map() map[string]float64 {
	out := make(map[string]float64, len(r.Names))
	for i, n := range r.Names {
		out[n] = r.Values[i]
	}
	return out
}
