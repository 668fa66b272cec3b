package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/anvil-ml/anvil/cpuref"
	"github.com/anvil-ml/anvil/nn"
)

// addVerifyFlag registers -verify-cpu.
func addVerifyFlag(fs *flag.FlagSet, o *options) {
	fs.IntVar(&o.verifyCPU, "verify-cpu", 0, "check the numerics first: train the first `N` steps of this run on the GPU and on the CPU "+
		"from the same weights, compare every layer's outputs, gradients and weights after each step, print where they part "+
		"(or that they agree) and record it in metrics.json, then train as usual")
}

// validateVerify rejects -verify-cpu settings before any data is loaded.
func (o *options) validateVerify() error {
	switch {
	case o.verifyCPU < 0:
		return fmt.Errorf("-verify-cpu %d: must be a number of steps, at least 1 (or 0 for no check)", o.verifyCPU)
	case o.verifyCPU > 0 && o.backend == "cpu":
		return errVerifyOnCPU
	}
	return nil
}

var errVerifyOnCPU = errors.New("-verify-cpu compares the GPU backend against the CPU backend, but this run is on the CPU: " +
	"use -backend vulkan, or drop -verify-cpu")

// verifyCPU runs the -verify-cpu check and prints its verdict. A
// divergence is a finding, not a failure: the run goes on either way, from
// the weights it had before the check (see nn.Model.VerifyAgainst).
func (r *trainRun) verifyCPU(ctx context.Context) error {
	steps := r.o.verifyCPU
	if steps == 0 {
		return nil
	}
	if r.backend.Name() == "cpu" {
		return errVerifyOnCPU
	}
	ref := cpuref.New()
	fmt.Fprintf(r.stderr, "verify-cpu: running the first %d steps on %s and on the CPU, comparing every buffer after each step...\n",
		steps, r.backend.Name())
	start := time.Now()
	rep, err := r.model.VerifyAgainst(ctx, ref, r.trainData, nn.VerifyOptions{Steps: steps, BatchSize: r.o.batchSize, Seed: r.o.seed})
	if err != nil {
		return fmt.Errorf("-verify-cpu: %w", err)
	}
	printVerify(r.stderr, rep, time.Since(start))
	r.verified = newVerifyRecord(rep)
	return nil
}

// printVerify prints the verdict and each layer's worst comparison.
func printVerify(w io.Writer, rep *nn.VerifyReport, took time.Duration) {
	if f := rep.First; f != nil {
		fmt.Fprintf(w, "verify-cpu: DIVERGENCE at step %d in layer %s, buffer %s (%s):\n", f.Step, layerName(f.Layer), f.Buffer, f.Kind)
		fmt.Fprintf(w, "  element %d: %s %v, cpu %v; max |diff| %.3g; error %.3g of the %s, tolerance %.3g\n",
			f.Index, rep.Backend, f.Got, f.Want, f.MaxAbs, f.Err, errorMeasure(*f), f.Tol)
		fmt.Fprintf(w, "  every buffer the step computed before it, and every earlier step, agree\n")
	} else {
		fmt.Fprintf(w, "verify-cpu: %s and the CPU agree: %d steps, %d buffers compared after each, all within tolerance (%.1fs)\n",
			rep.Backend, rep.Steps, rep.Buffers, took.Seconds())
	}
	fmt.Fprintf(w, "  %-24s %-40s %5s %10s %10s\n", "layer", "worst buffer", "step", "error", "tolerance")
	for _, l := range rep.Layers {
		d := l.Worst
		fmt.Fprintf(w, "  %-24s %-40s %5d %10.3g %10.3g\n", layerName(l.Layer), d.Buffer, d.Step, d.Err, d.Tol)
	}
	fmt.Fprintf(w, "verify-cpu: the run continues on %s\n", rep.Backend)
}

// layerName names the loss and metric buffers, which belong to no layer.
func layerName(l string) string {
	if l == "" {
		return "(loss)"
	}
	return l
}

// errorMeasure says what a divergence's error is relative to.
func errorMeasure(d nn.Divergence) string {
	if d.Forward {
		return "largest difference relative to the buffer's RMS"
	}
	return "RMS difference relative to the buffer's RMS (for weights, their gradients and slots, the layer's largest)"
}

// verifyRecord is metrics.json's "verify_cpu".
type verifyRecord struct {
	Steps     int           `json:"steps"`
	Backend   string        `json:"backend"`
	Reference string        `json:"reference"`
	Agree     bool          `json:"agree"`
	First     *verifyPoint  `json:"first_divergence,omitempty"`
	Layers    []verifyPoint `json:"layers"` // each layer's worst comparison
}

// verifyPoint is one buffer's comparison after one step. Values that are
// not finite (a NaN on one side) are null.
type verifyPoint struct {
	Step      int      `json:"step"`
	Layer     string   `json:"layer"`
	Buffer    string   `json:"buffer"`
	Kind      string   `json:"kind"`
	Index     int      `json:"index"`
	Got       *float64 `json:"got"`
	Want      *float64 `json:"cpu"`
	MaxAbs    *float64 `json:"max_abs_diff"`
	Error     *float64 `json:"error"`
	Tolerance float64  `json:"tolerance"`
}

func newVerifyRecord(rep *nn.VerifyReport) *verifyRecord {
	v := &verifyRecord{Steps: rep.Steps, Backend: rep.Backend, Reference: rep.Reference, Agree: rep.Agree()}
	if rep.First != nil {
		p := newVerifyPoint(*rep.First)
		v.First = &p
	}
	for _, l := range rep.Layers {
		v.Layers = append(v.Layers, newVerifyPoint(l.Worst))
	}
	return v
}

func newVerifyPoint(d nn.Divergence) verifyPoint {
	return verifyPoint{Step: d.Step, Layer: layerName(d.Layer), Buffer: d.Buffer, Kind: d.Kind, Index: d.Index,
		Got: finite(float64(d.Got)), Want: finite(float64(d.Want)), MaxAbs: finite(d.MaxAbs), Error: finite(d.Err), Tolerance: d.Tol}
}

// finite is x, or nil where JSON cannot hold it.
func finite(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}
