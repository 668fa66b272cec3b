package main

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"
)

// The tutorial's Keras run ends at w=1.9974 b=-0.9919 (its 8.9950 is the
// prediction at x=5). The bounds are the acceptance tolerances around the
// exact line y = 2x − 1: 0.02 on w, 0.05 on b, 0.1 on a prediction.
func TestLinRegLearnsTheLine(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var w, b, p float64
	if _, err := fmt.Sscanf(lines[len(lines)-1], "w=%f b=%f predict(10)=%f", &w, &b, &p); err != nil {
		t.Fatalf("last line %q: %v", lines[len(lines)-1], err)
	}
	if math.Abs(w-2) > 0.02 || math.Abs(b+1) > 0.05 || math.Abs(p-19) > 0.1 {
		t.Errorf("w=%v b=%v predict(10)=%v, want within 0.02 of 2, 0.05 of -1, 0.1 of 19", w, b, p)
	}
	var p5 float64
	if _, err := fmt.Sscanf(lines[len(lines)-2], "predict(5)=%f", &p5); err != nil || math.Abs(p5-9) > 0.1 {
		t.Errorf("line %q: want predict(5) within 0.1 of 9 (%v)", lines[len(lines)-2], err)
	}
	if !strings.Contains(out.String(), "Total params: 2") {
		t.Error("summary missing")
	}
}
