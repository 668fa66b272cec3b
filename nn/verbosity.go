package nn

// Silent is FitOptions.Verbose for no output at all: Keras's verbose=0.
// (Verbose's zero value means Keras's default, the progress bar, so that
// FitOptions{} trains as model.fit() does.)
const Silent = -1

// verbosity resolves Verbose to Keras's values: 0 silent, 1 progress bar,
// 2 one line per epoch.
func (o *FitOptions) verbosity() int {
	switch {
	case o.Verbose == 0:
		return 1
	case o.Verbose < 0:
		return 0
	}
	return o.Verbose
}
