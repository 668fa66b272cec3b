package vk

import (
	"math/rand/v2"
	"testing"
)

func TestSpansAlignAndCoalesce(t *testing.T) {
	s := newSpans(1024)
	a, ok := s.alloc(10, 1)
	b, ok2 := s.alloc(100, 256)
	if !ok || !ok2 || a != 0 || b != 256 {
		t.Fatalf("alloc: got %d %v, %d %v; want 0 and 256", a, ok, b, ok2)
	}
	if _, ok := s.alloc(1024, 1); ok {
		t.Fatal("an oversized alloc succeeded")
	}
	c, _ := s.alloc(20, 4) // fits in the gap before b
	if c != 12 {
		t.Errorf("first fit: got %d, want 12", c)
	}
	s.release(b, 100)
	s.release(a, 10)
	s.release(c, 20)
	if !s.unused(1024) {
		t.Errorf("after releasing everything the free list is %v", s.free)
	}
}

// TestSpansRandom checks against a byte map that allocations never overlap
// and that releasing all of them restores one free span.
func TestSpansRandom(t *testing.T) {
	const size = 1 << 16
	r := rand.New(rand.NewPCG(1, 2))
	s := newSpans(size)
	owner := make([]int, size)
	type block struct{ off, n uint64 }
	live := map[int]block{}
	for id := 1; id < 5000; id++ {
		if len(live) > 0 && r.IntN(2) == 0 {
			for k, b := range live {
				s.release(b.off, b.n)
				for i := b.off; i < b.off+b.n; i++ {
					owner[i] = 0
				}
				delete(live, k)
				break
			}
			continue
		}
		n, align := uint64(1+r.IntN(2000)), uint64(1)<<r.IntN(9)
		off, ok := s.alloc(n, align)
		if !ok {
			continue
		}
		if off%align != 0 {
			t.Fatalf("offset %d not aligned to %d", off, align)
		}
		for i := off; i < off+n; i++ {
			if owner[i] != 0 {
				t.Fatalf("byte %d given to %d and %d", i, owner[i], id)
			}
			owner[i] = id
		}
		live[id] = block{off, n}
	}
	for _, b := range live {
		s.release(b.off, b.n)
	}
	if !s.unused(size) {
		t.Errorf("free list after releasing all: %v", s.free)
	}
}
