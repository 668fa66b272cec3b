package tensor

import (
	"strings"
	"testing"
)

// segmentPlan is a plan whose TrainGrad is cut once, at a batch-norm
// moments exchange, with edit applied to it before the second segment.
func segmentPlan(edit func(p *Plan, x *Exchange)) *Plan {
	p := NewPlan(4)
	x := p.AddBuffer("x", ActivationBuffer, true, Shape{3})
	mom := p.AddBuffer("moments", StateBuffer, false, Shape{6})
	per := func(name string) BufferID { return p.AddBuffer(name, StateBuffer, false, Shape{3}) }
	mean, inv, bv, g, b, mm, mv := per("mean"), per("invstd"), per("var"), per("g"), per("b"), per("mm"), per("mv")
	p.Emit(TrainGrad, BatchNormMoments{X: x, Moments: mom, Outer: 1, C: 3})
	ex := Exchange{Kind: ExchangeBNMoments, In: []BufferID{mom}, Out: []BufferID{mean, inv, bv}, Outer: 1, C: 3}
	edit(p, &ex)
	r := p.AddSegment(ex)
	p.Emit(r, BatchNormApply{X: x, Gamma: g, Beta: b, Mean: mean, InvStd: inv, BatchVar: bv, MovingMean: mm,
		MovingVar: mv, Y: x, Outer: 1, C: 3, Momentum: 0.9})
	return p
}

func TestSegments(t *testing.T) {
	p := segmentPlan(func(*Plan, *Exchange) {})
	c, err := NewContract(p)
	if err != nil {
		t.Fatalf("a valid segmented plan: %v", err)
	}
	if s := p.Segments(); len(s) != 2 || s[0] != TrainGrad || s[1] != NumRoutines {
		t.Errorf("Segments() = %v, want [TrainGrad, Routine(NumRoutines)]", s)
	}
	if err := c.CheckRun(Routine(NumRoutines), StepArgs{Rows: 2}); err != nil {
		t.Errorf("running the second segment: %v", err)
	}
	if err := c.CheckRun(Routine(NumRoutines+1), StepArgs{Rows: 2}); err == nil || !strings.Contains(err.Error(), "unknown routine") {
		t.Errorf("running a segment the plan lacks: %v, want unknown routine", err)
	}
	for _, bad := range []struct {
		name string
		edit func(p *Plan, x *Exchange)
		want string
	}{
		{"kind", func(_ *Plan, x *Exchange) { x.Kind = 9 }, "unknown kind"},
		{"kind past the last", func(_ *Plan, x *Exchange) { x.Kind = ExchangeBNGradSums + 1 }, "unknown kind 2"},
		// In holds (mean, M2) per channel: 2·C = 6 values, here only 3.
		{"In of C values", func(_ *Plan, x *Exchange) { x.In[0] = x.Out[0] }, "op needs 6"},
		{"arity", func(_ *Plan, x *Exchange) { x.Out = x.Out[:2] }, "takes 1 In and 3 Out"},
		{"no buffer", func(_ *Plan, x *Exchange) { x.In[0] = NoBuffer }, "NoBuffer"},
		{"small", func(_ *Plan, x *Exchange) { x.C = 4 }, "holds"},
		{"sizes", func(_ *Plan, x *Exchange) { x.Outer = 0 }, "positive"},
		{"empty segment", func(p *Plan, _ *Exchange) { p.Routines[TrainGrad] = nil }, "must not be empty"},
		{"count", func(p *Plan, _ *Exchange) { p.Routines = append(p.Routines, nil) }, "must match"},
	} {
		if _, err := NewContract(segmentPlan(bad.edit)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: %v, want an error containing %q", bad.name, err, bad.want)
		}
	}
}

// TestSegmentsOfTwoExchanges: a plan cut twice has three segments,
// TrainGrad, Routine(NumRoutines) and Routine(NumRoutines+1), and the
// segment after the second exchange must not be empty. TrainApply, the
// routine before the further segments, holds an op, so that checking it
// in place of a segment goes unnoticed neither way.
func TestSegmentsOfTwoExchanges(t *testing.T) {
	plan := func(third bool) *Plan {
		p := segmentPlan(func(*Plan, *Exchange) {})
		apply := p.Routines[NumRoutines][0]
		sums := p.AddBuffer("sums", StateBuffer, false, Shape{3})
		r := p.AddSegment(Exchange{Kind: ExchangeBNGradSums, In: []BufferID{sums, sums}, Out: []BufferID{sums, sums}, Outer: 1, C: 3})
		if third {
			p.Emit(r, apply)
		}
		p.Emit(TrainApply, apply)
		return p
	}
	p := plan(true)
	if _, err := NewContract(p); err != nil {
		t.Fatalf("a plan cut twice: %v", err)
	}
	if s := p.Segments(); len(s) != 3 || s[0] != TrainGrad || s[1] != NumRoutines || s[2] != NumRoutines+1 {
		t.Errorf("Segments() = %v, want [TrainGrad, Routine(%d), Routine(%d)]", s, NumRoutines, NumRoutines+1)
	}
	want := "exchange 1: the segments around it must not be empty"
	if _, err := NewContract(plan(false)); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("an empty third segment: %v, want an error containing %q", err, want)
	}
}
