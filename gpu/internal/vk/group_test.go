package vk

import (
	"math"
	"strings"
	"testing"
)

// TestSubmitGroup submits three recordings in one submission: they run in
// order (each fills the buffer the next copies from), count as one
// submission, and waiting for any of them waits for all.
func TestSubmitGroup(t *testing.T) {
	d := openTest(t)
	a, b := newFloatBuffer(t, d, make([]float32, 4)), newFloatBuffer(t, d, make([]float32, 4))
	record := func(rec func(c *Commands)) *Commands {
		c, err := d.NewCommands()
		must(t, err)
		must(t, c.Begin())
		rec(c)
		must(t, c.End())
		return c
	}
	fill := record(func(c *Commands) { c.Fill(a, 0, 16, math.Float32bits(3)) })
	copyAB := record(func(c *Commands) { c.Copy(b, 0, a, 0, 16) })
	refill := record(func(c *Commands) { c.Fill(a, 0, 8, math.Float32bits(5)) })
	before := d.Submissions()
	for i := range 2 {
		must(t, SubmitGroup(fill, copyAB, refill))
		// Any member waits for the whole group.
		must(t, []*Commands{fill, refill}[i].Wait())
		gotA, gotB := make([]float32, 4), make([]float32, 4)
		must(t, a.ReadFloat32(gotA))
		must(t, b.ReadFloat32(gotB))
		if [4]float32(gotA) != [4]float32{5, 5, 3, 3} || [4]float32(gotB) != [4]float32{3, 3, 3, 3} {
			t.Fatalf("after the group: a = %v, b = %v", gotA, gotB)
		}
		for _, c := range []*Commands{fill, copyAB, refill} {
			must(t, c.Wait())
		}
	}
	if n := d.Submissions() - before; n != 2 {
		t.Errorf("%d submissions for two groups, want 2", n)
	}
	for name, err := range map[string]error{
		"empty":     SubmitGroup(),
		"duplicate": SubmitGroup(fill, fill),
	} {
		if err == nil || !strings.Contains(err.Error(), "SubmitGroup") {
			t.Errorf("%s group: %v", name, err)
		}
	}
}
