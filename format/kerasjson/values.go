package kerasjson

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Compact renders a decoded JSON value for an error message.
func Compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 120 {
		return string(b[:117]) + "..."
	}
	return string(b)
}

// MaxDim bounds any size read from a file: large enough for any real
// model, small enough that products of a few of them cannot overflow.
const MaxDim = 1 << 24

// ToInt reads a whole number in -1..MaxDim.
func ToInt(v any) (int, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("want a whole number, got %s", Compact(v))
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || i < -1 || i > MaxDim {
		return 0, fmt.Errorf("want a whole number in -1..%d, got %s", MaxDim, n)
	}
	return int(i), nil
}

// ToInts reads a list of whole numbers.
func ToInts(v any) ([]int, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want a list of numbers, got %s", Compact(v))
	}
	out := make([]int, len(l))
	for i, x := range l {
		n, err := ToInt(x)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// ToFloat32 reads a number at float32 precision.
func ToFloat32(v any) (float32, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("want a number, got %s", Compact(v))
	}
	f, err := strconv.ParseFloat(string(n), 32)
	if err != nil {
		return 0, fmt.Errorf("want a float32 number, got %s", n)
	}
	return float32(f), nil
}

var (
	wordStart  = regexp.MustCompile(`(.)([A-Z][a-z0-9]+)`)
	lowerUpper = regexp.MustCompile(`([a-z])([A-Z])`)
)

// SnakeCase applies Keras's to_snake_case, which turns a class name into
// its name in files and its automatic name prefix:
// BatchNormalization → batch_normalization, Conv2D → conv2d,
// GlobalAveragePooling2D → global_average_pooling2d.
func SnakeCase(class string) string {
	s := wordStart.ReplaceAllString(class, "${1}_${2}")
	return strings.ToLower(lowerUpper.ReplaceAllString(s, "${1}_${2}"))
}
