package main

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"

	"github.com/anvil-ml/anvil/nn"
)

// A run can diverge without the loss ever becoming NaN: Adam at -lr 1e6
// reaches a loss of 1e21 and would save a useless model without a word.
// The run is called diverging when an epoch's loss is far worse than
// predicting a constant (divergeVsBaseline times the loss of uniform
// class probabilities, or of predicting 0 for regression), or worse than
// that constant and divergeVsFirst times the first epoch's loss. Both are
// far beyond what noise in a healthy run does.
const (
	divergeVsBaseline = 100
	divergeVsFirst    = 10
)

// baselineLoss is the loss of a constant prediction: ln(classes) for
// cross-entropy against uniform probabilities, mean(y²) for mean squared
// error against 0.
func (r *trainRun) baselineLoss() float64 {
	if r.data.train.Labels != nil {
		out := r.model.OutputShape()
		return math.Log(float64(max(out[len(out)-1], 2)))
	}
	sum := 0.0
	y := r.trainData.Y
	for _, v := range y.Data {
		sum += float64(v) * float64(v)
	}
	return sum / float64(max(len(y.Data), 1))
}

// checkDivergence warns, once per run, when the epoch just recorded in the
// history looks diverging, and keeps the warning for metrics.json.
func (r *trainRun) checkDivergence(epoch int) {
	losses := r.history.Metrics["loss"]
	if len(r.warnings) > 0 || len(losses) == 0 {
		return
	}
	loss, first, base := losses[len(losses)-1], losses[0], r.baselineLoss()
	var why string
	switch {
	case loss > divergeVsBaseline*base:
		why = fmt.Sprintf("over %d× the %.4g of a constant prediction", divergeVsBaseline, base)
	case loss > base && loss > divergeVsFirst*first:
		why = fmt.Sprintf("over %d× epoch 1's %.4g, and worse than a constant prediction", divergeVsFirst, first)
	default:
		return
	}
	w := fmt.Sprintf("training is diverging: epoch %d's loss %.4g is %s; the model is likely useless: lower the learning rate (-lr)",
		epoch+1, loss, why)
	r.warnings = append(r.warnings, w)
	fmt.Fprintln(r.stderr, "\nwarning:", w)
}

// weightsNotFinite says that an epoch ended with NaN or infinite weights
// though its loss was still finite.
type weightsNotFinite struct {
	epoch int // 0-based
	value float32
}

func (e *weightsNotFinite) Error() string {
	return fmt.Sprintf("the weights became %v at the end of epoch %d", e.value, e.epoch+1)
}

// divergedError is the run's error when training diverged (err is an
// *nn.LossNotFinite or a *weightsNotFinite), or nil.
func (r *trainRun) divergedError(err error) error {
	var nf *nn.LossNotFinite
	var wf *weightsNotFinite
	switch {
	case errors.As(err, &nf):
		return r.diverged(fmt.Sprintf("the loss became %v in epoch %d at step %d/%d", nf.Loss, nf.Epoch+1, nf.Step, nf.Steps))
	case errors.As(err, &wf):
		return r.diverged(wf.Error())
	}
	return nil
}

// diverged reports that training diverged (where says how): nothing more
// is saved, as the weights are garbage, and the newest checkpoint, written
// at an epoch's end while loss and weights were finite, is the one to go
// back to.
func (r *trainRun) diverged(what string) error {
	where := "training diverged: " + what
	if r.o.out == "" {
		return fmt.Errorf("%s; nothing was saved: lower the learning rate (-lr)", where)
	}
	names, _ := checkpointNames(filepath.Join(r.o.out, checkpointsDir))
	if len(names) == 0 {
		return fmt.Errorf("%s; no model was written and there is no checkpoint to go back to: lower the learning rate (-lr) and start again", where)
	}
	return fmt.Errorf("%s; no model was written; the last good checkpoint is %s: continue from it with a lower rate (train -resume %s -lr RATE)",
		where, filepath.Join(r.o.out, checkpointsDir, names[0]), r.o.out)
}

// checkFiniteWeights refuses to checkpoint weights that became NaN or
// infinite in an epoch's last steps, whose loss was still finite.
func (r *trainRun) checkFiniteWeights(epoch int) error {
	ws, err := r.model.GetWeights()
	if err != nil {
		return err
	}
	for _, w := range ws {
		for _, v := range w.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return &weightsNotFinite{epoch: epoch, value: v}
			}
		}
	}
	return nil
}
