package tensor

import "testing"

// Known-answer vectors from the Random123 distribution (kat_vectors).
func TestPhilox4x32KnownAnswers(t *testing.T) {
	cases := []struct {
		ctr  [4]uint32
		key  [2]uint32
		want [4]uint32
	}{
		{[4]uint32{}, [2]uint32{}, [4]uint32{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
		{[4]uint32{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, [2]uint32{0xffffffff, 0xffffffff},
			[4]uint32{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
		{[4]uint32{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, [2]uint32{0xa4093822, 0x299f31d0},
			[4]uint32{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
	}
	for _, c := range cases {
		if got := Philox4x32(c.ctr, c.key); got != c.want {
			t.Errorf("Philox4x32(%x, %x) = %x, want %x", c.ctr, c.key, got, c.want)
		}
	}
}

func TestUniformRangeAndMean(t *testing.T) {
	sum := 0.0
	const n = 100000
	for i := uint32(0); i < n; i++ {
		u := Uniform(42, 7, 3, i)
		if u < 0 || u >= 1 {
			t.Fatalf("Uniform = %v, outside [0,1)", u)
		}
		sum += float64(u)
	}
	if mean := sum / n; mean < 0.495 || mean > 0.505 {
		t.Errorf("mean of %d uniforms = %v, want about 0.5", n, mean)
	}
	if Uniform(1, 2, 3, 4) != Uniform(1, 2, 3, 4) || Uniform(1, 2, 3, 4) == Uniform(1, 3, 3, 4) {
		t.Error("Uniform must be a pure function of its arguments that depends on the step")
	}
}

func TestStreamPermIsPermutation(t *testing.T) {
	p := NewStream(5, 1).Perm(1000)
	seen := make([]bool, 1000)
	moved := 0
	for i, v := range p {
		if seen[v] {
			t.Fatalf("value %d appears twice", v)
		}
		seen[v] = true
		if v != i {
			moved++
		}
	}
	if moved < 900 {
		t.Errorf("only %d of 1000 elements moved", moved)
	}
	q := NewStream(5, 1).Perm(1000)
	for i := range p {
		if p[i] != q[i] {
			t.Fatal("same seed and salt must give the same permutation")
		}
	}
}

func TestOutputSizeMatchesTensorFlow(t *testing.T) {
	cases := []struct {
		in, k, s int
		p        Padding
		out, pad int
	}{
		{32, 4, 2, Same, 16, 1}, // total 2: 1 before, 1 after
		{32, 3, 2, Same, 16, 0}, // total 1: extra goes after
		{16, 3, 2, Same, 8, 0},
		{32, 3, 1, Same, 32, 1},
		{5, 3, 1, Valid, 3, 0},
		{6, 3, 2, Valid, 2, 0},
		{7, 2, 2, Same, 4, 0},
		{3, 3, 1, Valid, 1, 0}, // a window as large as the input fits once
		{1, 3, 2, Same, 1, 1},  // total max((1−1)·2 + 3 − 1, 0) = 2
	}
	for _, c := range cases {
		out, pad, err := OutputSize(c.in, c.k, c.s, c.p)
		if err != nil || out != c.out || pad != c.pad {
			t.Errorf("OutputSize(%d,%d,%d,%s) = %d,%d,%v want %d,%d", c.in, c.k, c.s, c.p, out, pad, err, c.out, c.pad)
		}
	}
	if _, _, err := OutputSize(2, 3, 1, Valid); err == nil {
		t.Error("a window larger than the input with valid padding must fail")
	}
	for _, z := range [][3]int{{0, 1, 1}, {1, 0, 1}, {1, 1, 0}} {
		if _, _, err := OutputSize(z[0], z[1], z[2], Same); err == nil {
			t.Errorf("OutputSize(%d, %d, %d): zero sizes must fail", z[0], z[1], z[2])
		}
	}
}

func TestArgmaxTakesTheFirstMaximum(t *testing.T) {
	if got := Argmax([]float32{1, 3, 3, 2}); got != 1 {
		t.Errorf("Argmax = %d, want 1 (first of the tied maxima)", got)
	}
	if got := Argmax(nil); got != 0 {
		t.Errorf("Argmax(nil) = %d, want 0", got)
	}
}

// TestIntnRejectsTheTail: Intn(n) draws 64 bits and, to stay unbiased,
// draws again when they fall at or past limit = 2^64−1 − (2^64−1) mod n,
// the end of the last whole block of n values. For n = 2 that is 2^64−2:
// a draw of 2^64−3 is kept (odd: 1), one of 2^64−2 is rejected and the
// next draw, 7, decides (odd: 1, where keeping 2^64−2 would give 0). The
// stream's words are set by hand.
func TestIntnRejectsTheTail(t *testing.T) {
	for _, c := range []struct {
		words [4]uint32
		want  int
	}{
		{[4]uint32{0xffffffff, 0xfffffffd, 0, 6}, 1}, // 2^64−3, below limit
		{[4]uint32{0xffffffff, 0xfffffffe, 0, 7}, 1}, // 2^64−2 = limit: redrawn
	} {
		s := &Stream{buf: c.words, left: 4}
		if got := s.Intn(2); got != c.want {
			t.Errorf("Intn(2) on words %#x = %d, want %d", c.words, got, c.want)
		}
	}
}

// TestPermDrawsOnePerSwap: Fisher–Yates over n elements draws n−1 indices
// (two words each; a rejection has probability about 2^-60 here), so the
// stream goes on after Perm(10) at its 19th word. Later draws from the
// same stream (a shuffle buffer's next pass) depend on it.
func TestPermDrawsOnePerSwap(t *testing.T) {
	s, ref := NewStream(9, 4), NewStream(9, 4)
	s.Perm(10)
	for i := 0; i < 2*9; i++ {
		ref.Uint32()
	}
	if got, want := s.Uint32(), ref.Uint32(); got != want {
		t.Errorf("after Perm(10) the next word is %#x, want the 19th, %#x", got, want)
	}
}
