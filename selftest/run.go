package selftest

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/anvil-ml/anvil/tensor"
)

// Options tune a self-test.
type Options struct {
	// Seed picks the random shapes and values; the same seed gives the
	// same cases.
	Seed uint64
	// Progress, when set, receives each family's result as it finishes.
	Progress func(Family)
}

// family is one line of the report: either op cases built from a random
// source, or a whole model trained on both backends.
type family struct {
	name  string
	build func(r *rand.Rand) []*opCase
	model *modelCase
}

// families lists every family in the order they run.
func families() []family {
	fs := append([]family{}, gemmFamilies()...)
	fs = append(fs, poolFamilies()...)
	fs = append(fs, elementwiseFamilies()...)
	fs = append(fs, gatherFamilies()...)
	fs = append(fs, activationFamilies()...)
	fs = append(fs, batchNormFamilies()...)
	fs = append(fs, lossFamilies()...)
	fs = append(fs, optimizerFamilies()...)
	fs = append(fs, embeddingFamilies()...)
	fs = append(fs, layerNormFamilies()...)
	fs = append(fs, upSampleFamilies()...)
	fs = append(fs, depthwiseFamilies()...)
	fs = append(fs, nadamFamilies()...)
	fs = append(fs, clipFamilies()...)
	fs = append(fs, regularizeFamilies()...)
	fs = append(fs, lossVariantFamilies()...)
	fs = append(fs, confusionFamilies()...)
	fs = append(fs, augmentFamilies()...)
	fs = append(fs, epilogueFamilies()...)
	fs = append(fs, mixedFamilies()...)
	fs = append(fs, syncBNFamilies()...)
	return append(fs, modelFamilies()...)
}

// Run checks the backend under test against the reference, family by
// family, and returns the report. A family whose cases fail to compile or
// run on either backend fails with that error; Run itself fails only
// when it cannot start. The model families reset nn's session and random
// seed (see TrainBoth).
func Run(under, ref tensor.Backend, opts Options) (*Report, error) {
	if under == nil || ref == nil {
		return nil, fmt.Errorf("selftest: both a backend to test and a reference are needed")
	}
	start := time.Now()
	rep := &Report{Device: describe(under), Reference: describe(ref)}
	for i, f := range families() {
		res := f.run(under, ref, opts.Seed+uint64(i)*0x9e3779b97f4a7c15)
		rep.Families = append(rep.Families, res)
		if opts.Progress != nil {
			opts.Progress(res)
		}
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

func describe(b tensor.Backend) string { return b.Name() + " on " + b.Device() }

// run runs one family, turning a panic in a backend into a failure.
func (f family) run(under, ref tensor.Backend, seed uint64) (res Family) {
	start := time.Now()
	res.Name = f.name
	defer func() {
		if p := recover(); p != nil {
			res.Pass, res.Failure = false, fmt.Sprintf("panic: %v", p)
		}
		res.Elapsed = time.Since(start)
	}()
	var w worst
	var err error
	if f.model != nil {
		res.Shapes = []string{f.model.describe()}
		w, err = f.model.check(under, ref)
	} else {
		w, res.Shapes, err = runCases(f.build(rand.New(rand.NewPCG(seed, 1))), under, ref, seed)
	}
	res.MaxDiff, res.WorstDiff, res.WorstTol, res.Ratio = w.maxDiff, w.diff, w.limit, w.ratio
	switch {
	case err != nil:
		res.Failure = err.Error()
	case w.fails():
		res.Failure = w.where
	default:
		res.Pass = true
	}
	return res
}

// runCases checks each case, stopping at the first error.
func runCases(cases []*opCase, under, ref tensor.Backend, seed uint64) (worst, []string, error) {
	var all worst
	var shapes []string
	r := rand.New(rand.NewPCG(seed, 2))
	for _, c := range cases {
		shapes = append(shapes, c.shapes...)
		w, err := c.check(under, ref, r, seed)
		if err != nil {
			return all, shapes, fmt.Errorf("%s: %w", c.name, err)
		}
		all.merge(w)
	}
	return all, shapes, nil
}

// merge folds another tracker's result into w.
func (w *worst) merge(o worst) {
	w.maxDiff = max(w.maxDiff, o.maxDiff)
	if o.ratio > w.ratio || (o.ratio == w.ratio && o.limit > w.limit) {
		w.ratio, w.diff, w.limit, w.where = o.ratio, o.diff, o.limit, o.where
	}
}
