package main

import (
	"math"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/nn"
)

func TestStateCollectsCurvesPredictionsAndEnd(t *testing.T) {
	s := newRunState()
	for _, r := range fixtureRun("/nowhere") {
		s.apply(r)
	}
	loss := s.curves["loss"]
	if len(loss.train) != 10 || len(loss.val) != 2 {
		t.Fatalf("loss curves %+v", loss)
	}
	if p := loss.train[2]; math.Abs(p.x-0.6) > 1e-12 || math.Abs(p.y-1.9) > 1e-12 {
		t.Errorf("third loss point %+v, want (0.6, 1.9)", p)
	}
	if p := loss.val[1]; p.x != 2 || math.Abs(p.y-0.7) > 1e-12 {
		t.Errorf("second val_loss point %+v, want (2, 0.7)", p)
	}
	if got := s.plotted(); len(got) != 2 || got[0] != "loss" || got[1] != "accuracy" {
		t.Errorf("plotted %v", got)
	}
	if s.predictedEpoch != 2 || s.predicted[8] != 9 || s.end == nil || s.end.Status != "finished" {
		t.Errorf("predicted %v after epoch %d, end %+v", s.predicted, s.predictedEpoch, s.end)
	}
	if _, ok := s.eta(); ok {
		t.Error("an ETA for a finished run")
	}
}

func TestStateETAFromThroughput(t *testing.T) {
	s := newRunState()
	recs := fixtureRun("/nowhere")
	for _, r := range recs[:4] { // start and three progress records of epoch 1
		s.apply(r)
	}
	// At step 6/10 of epoch 1 of 2: 4 + 10 steps of 32 images at 1000/s.
	if eta, ok := s.eta(); !ok || math.Abs(eta-14*32/1000.0) > 1e-12 {
		t.Errorf("eta %v %v, want 0.448", eta, ok)
	}
}

func TestResumedRunDropsWhatItRedoes(t *testing.T) {
	s := newRunState()
	recs := fixtureRun("/nowhere")
	for _, r := range recs[:9] { // through epoch 2 step 4
		s.apply(r)
	}
	resume := recs[0]
	resume.Resumed, resume.Epoch, resume.Step = true, 2, 2
	s.apply(resume)
	if n := len(s.curves["loss"].train); n != 6 {
		t.Errorf("%d loss points after resuming at 1.2 epochs, want 6", n)
	}
	if s.predictedEpoch != 1 || len(s.notes) != 1 || !strings.Contains(s.notes[0], "resumed at epoch 2 step 2") {
		t.Errorf("predicted epoch %d, notes %q", s.predictedEpoch, s.notes)
	}
	s.apply(nn.LiveRecord{Kind: "mystery"})
	if !strings.Contains(s.notes[len(s.notes)-1], `unknown record kind "mystery"`) {
		t.Errorf("notes %q", s.notes)
	}
}
