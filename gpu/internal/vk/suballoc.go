package vk

import "sort"

// spans is a first-fit allocator of byte ranges inside one memory block.
// The free list stays sorted by offset with neighbours merged, so a block
// whose buffers are all released is again one free span.
type spans struct {
	free []span
}

type span struct{ off, size uint64 }

func newSpans(size uint64) spans { return spans{free: []span{{0, size}}} }

// alloc reserves size bytes at a multiple of align (a power of two) and
// returns their offset, or false when no free span is large enough.
func (s *spans) alloc(size, align uint64) (uint64, bool) {
	for i, f := range s.free {
		off := alignUp(f.off, align)
		if off+size > f.off+f.size {
			continue
		}
		var keep []span
		if off > f.off {
			keep = append(keep, span{f.off, off - f.off})
		}
		if end := off + size; end < f.off+f.size {
			keep = append(keep, span{end, f.off + f.size - end})
		}
		s.free = append(s.free[:i], append(keep, s.free[i+1:]...)...)
		return off, true
	}
	return 0, false
}

// release returns a range that alloc handed out.
func (s *spans) release(off, size uint64) {
	i := sort.Search(len(s.free), func(i int) bool { return s.free[i].off > off })
	s.free = append(s.free[:i], append([]span{{off, size}}, s.free[i:]...)...)
	if i+1 < len(s.free) && s.free[i].off+s.free[i].size == s.free[i+1].off {
		s.free[i].size += s.free[i+1].size
		s.free = append(s.free[:i+1], s.free[i+2:]...)
	}
	if i > 0 && s.free[i-1].off+s.free[i-1].size == s.free[i].off {
		s.free[i-1].size += s.free[i].size
		s.free = append(s.free[:i], s.free[i+1:]...)
	}
}

// unused reports whether nothing in a block of the given size is allocated.
func (s *spans) unused(size uint64) bool {
	return len(s.free) == 1 && s.free[0] == span{0, size}
}

func alignUp(n, align uint64) uint64 {
	if align <= 1 {
		return n
	}
	return (n + align - 1) &^ (align - 1)
}
