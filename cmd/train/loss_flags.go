package main

import (
	"flag"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/anvil-ml/anvil/nn"
)

// lossFlags are the flags that shape the loss: Keras's label_smoothing
// and class_weight.
type lossFlags struct {
	labelSmoothing float64
	classWeight    string
	// classWeights is classWeight parsed; nil when not given.
	classWeights map[int]float32
}

func (l *lossFlags) addFlags(fs *flag.FlagSet) {
	fs.Float64Var(&l.labelSmoothing, "label-smoothing", 0, "Keras's label_smoothing of the cross-entropy, in [0, 1]: each one-hot target y becomes y·(1−ls) + ls/classes (0: off; a resumed run keeps the loss it was compiled with)")
	fs.StringVar(&l.classWeight, "class-weight", "", "Keras's class_weight as `CLASS:WEIGHT,...`, e.g. 0:2,3:0.5: each class's samples weigh that much in the loss (classes not named weigh 1; the accuracy stays unweighted)")
}

// validateLoss checks the loss flags and parses -class-weight.
func (o *options) validateLoss() error {
	if !(o.labelSmoothing >= 0 && o.labelSmoothing <= 1) {
		return fmt.Errorf("-label-smoothing %v: must be in [0, 1]", o.labelSmoothing)
	}
	if o.classWeight == "" {
		return nil
	}
	o.classWeights = map[int]float32{}
	for _, pair := range strings.Split(o.classWeight, ",") {
		c, w, ok := strings.Cut(strings.TrimSpace(pair), ":")
		class, err := strconv.Atoi(strings.TrimSpace(c))
		if !ok || err != nil || class < 0 {
			return fmt.Errorf("-class-weight %q: %q is not CLASS:WEIGHT with a class index from 0", o.classWeight, pair)
		}
		weight, err := strconv.ParseFloat(strings.TrimSpace(w), 32)
		if err != nil || !(weight >= 0) || math.IsInf(weight, 0) {
			return fmt.Errorf("-class-weight %q: the weight of class %d, %q, must be a finite number, not negative", o.classWeight, class, w)
		}
		if _, dup := o.classWeights[class]; dup {
			return fmt.Errorf("-class-weight %q: class %d is given twice", o.classWeight, class)
		}
		o.classWeights[class] = float32(weight)
	}
	return nil
}

// lossSettings adds the loss flags that were set to a checkpoint's
// settings, so a resumed run keeps its class weights; unset ones are left
// out, so a run without them records what it always did.
func (o *options) lossSettings(vals map[string]string) {
	if o.classWeight != "" {
		classes := make([]int, 0, len(o.classWeights))
		for c := range o.classWeights {
			classes = append(classes, c)
		}
		sort.Ints(classes)
		var parts []string
		for _, c := range classes {
			parts = append(parts, fmt.Sprintf("%d:%s", c, strconv.FormatFloat(float64(o.classWeights[c]), 'g', -1, 32)))
		}
		vals["class-weight"] = strings.Join(parts, ",")
	}
}

// classifierLoss is the loss a classifier compiles with: categorical
// cross-entropy, from logits unless the model ends in a softmax, with
// -label-smoothing.
func classifierLoss(m *nn.Model, o *options) string {
	loss := "categorical_crossentropy"
	if o.labelSmoothing != 0 {
		loss = nn.LabelSmoothing(loss, o.labelSmoothing)
	}
	if !endsInSoftmax(m) {
		loss = nn.FromLogits(loss)
	}
	return loss
}

// checkLossFlagsFor refuses the loss flags for a regression run, which has
// no classes.
func checkLossFlagsFor(o *options, classify bool) error {
	if classify {
		return nil
	}
	if o.labelSmoothing != 0 || o.classWeight != "" {
		return fmt.Errorf("-label-smoothing and -class-weight need class labels; this run is a regression (mse): drop them or give -csv-classes")
	}
	return nil
}
