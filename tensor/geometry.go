package tensor

import "fmt"

// Padding is a Keras padding mode.
type Padding string

// The padding modes Keras offers for convolution and pooling.
const (
	Valid Padding = "valid"
	Same  Padding = "same"
)

// ParsePadding accepts Keras's spelling ("valid", "same").
func ParsePadding(s string) (Padding, error) {
	switch Padding(s) {
	case Valid, Same:
		return Padding(s), nil
	}
	return "", fmt.Errorf("padding %q is not one of \"valid\", \"same\"", s)
}

// OutputSize returns the output extent of a sliding window of size k and
// stride s over an input of extent in, and the padding before the first
// element. It follows TensorFlow: "same" gives ceil(in/s) outputs and, when
// the total padding is odd, puts the extra element after the input (bottom
// or right).
func OutputSize(in, k, s int, p Padding) (out, padBefore int, err error) {
	if in <= 0 || k <= 0 || s <= 0 {
		return 0, 0, fmt.Errorf("window %d with stride %d over extent %d: sizes must be positive", k, s, in)
	}
	if p == Same {
		out = (in + s - 1) / s
		total := (out-1)*s + k - in
		if total < 0 {
			total = 0
		}
		return out, total / 2, nil
	}
	if k > in {
		return 0, 0, fmt.Errorf("window %d is larger than the input extent %d with \"valid\" padding", k, in)
	}
	return (in-k)/s + 1, 0, nil
}
