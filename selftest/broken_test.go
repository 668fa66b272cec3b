package selftest_test

import (
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/cpuref"
	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

// brokenBackend wraps a backend and, after every run, perturbs one element
// of each MatMul's output by a relative 1e-3: the size of a wrong rounding
// mode or a dropped term in a long sum, far below what a casual look at
// the numbers would notice.
type brokenBackend struct{ tensor.Backend }

func (b brokenBackend) Compile(p *tensor.Plan) (tensor.Program, error) {
	prog, err := b.Backend.Compile(p)
	if err != nil {
		return nil, err
	}
	return &brokenProgram{Program: prog, plan: p}, nil
}

type brokenProgram struct {
	tensor.Program
	plan *tensor.Plan
}

func (p *brokenProgram) Run(r tensor.Routine, a tensor.StepArgs) error {
	if err := p.Program.Run(r, a); err != nil {
		return err
	}
	for _, op := range p.plan.Routines[r] {
		mm, ok := op.(tensor.MatMul)
		if !ok {
			continue
		}
		c := make([]float32, mm.M*mm.N) // the first sample's (or the only) output
		if err := p.Read(mm.C, c); err != nil {
			return err
		}
		c[len(c)/2] = c[len(c)/2]*1.001 + 1e-3
		if err := p.Write(mm.C, c); err != nil {
			return err
		}
	}
	return nil
}

// TestBrokenMatMulFails: a backend whose MatMul is slightly wrong fails
// the families with MatMuls (matmul, gemm-epilogue, matmul-f16), by name,
// and every other op family passes; the
// report's verdict is FAIL. (The whole-model families may pass: one
// weight-gradient element off moves one weight by at most lr a step, which
// their tolerances allow.)
func TestBrokenMatMulFails(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	rep, err := selftest.Run(brokenBackend{cpuref.New()}, cpuref.New(), selftest.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pass() {
		t.Fatal("the report passes a backend with a broken MatMul")
	}
	for _, f := range rep.Families {
		if strings.HasPrefix(f.Name, "model-") {
			continue
		}
		if wantPass := f.Name != "matmul" && f.Name != "gemm-epilogue" && f.Name != "matmul-f16"; f.Pass != wantPass {
			t.Errorf("family %s: pass %v, want %v (%s)", f.Name, f.Pass, wantPass, f.Failure)
		}
		if !f.Pass && f.Failure == "" {
			t.Errorf("family %s fails without saying why", f.Name)
		}
	}
	var sb strings.Builder
	for _, f := range rep.Families {
		f.WriteLine(&sb)
	}
	rep.WriteSummary(&sb)
	out := sb.String()
	if !strings.Contains(out, "verdict: FAIL in matmul") || !strings.Contains(out, `buffer "matmul`) {
		t.Errorf("the summary does not name the failed family:\n%s", out)
	}
	t.Logf("\n%s", out)
}

// TestReferenceAgainstItself: cpuref against itself passes every family
// with bit-identical results, which shows the comparisons see what both
// backends computed (and that the harness is deterministic).
func TestReferenceAgainstItself(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	rep, err := selftest.Run(cpuref.New(), cpuref.New(), selftest.Options{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Families {
		if !f.Pass || f.MaxDiff != 0 {
			t.Errorf("%s: pass %v, max difference %g: %s", f.Name, f.Pass, f.MaxDiff, f.Failure)
		}
	}
}
