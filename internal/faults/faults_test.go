package faults

import (
	"slices"
	"testing"
)

func TestFailSubmitAfter(t *testing.T) {
	t.Cleanup(func() { FailSubmitAfter(0, None) })
	FailSubmitAfter(3, OutOfMemory)
	before := Submissions()
	var got []Kind
	for range 5 {
		got = append(got, Submit())
	}
	if want := []Kind{None, None, OutOfMemory, None, None}; !slices.Equal(got, want) {
		t.Errorf("submissions reported %v, want %v", got, want)
	}
	if n := Submissions() - before; n != 5 {
		t.Errorf("Submissions counted %d, want 5", n)
	}
	FailSubmitAfter(1, DeviceLost)
	FailSubmitAfter(0, DeviceLost) // disarms
	if k := Submit(); k != None {
		t.Errorf("a disarmed fault fired: %v", k)
	}
}

func TestFailSubmitWhen(t *testing.T) {
	t.Cleanup(func() { FailSubmitAfter(0, None) })
	ready := false
	FailSubmitWhen(func() bool { return ready }, DeviceLost)
	var got []Kind
	for i := range 5 {
		ready = i >= 2
		got = append(got, Submit())
	}
	if want := []Kind{None, None, DeviceLost, None, None}; !slices.Equal(got, want) {
		t.Errorf("submissions reported %v, want %v (the fault fires once, when the condition first holds)", got, want)
	}
	FailSubmitWhen(func() bool { return true }, OutOfMemory)
	FailSubmitAfter(0, None) // disarms a condition too
	if k := Submit(); k != None {
		t.Errorf("a disarmed condition fired: %v", k)
	}
}
