// Package cpuref is Anvil's pure-Go backend. It runs a tensor.Plan on host
// memory and is the reference every other backend is tested against.
//
// Compile allocates every buffer and all scratch once and binds each op to
// a kernel, so running a routine allocates nothing. Large elementwise and
// reduction work is spread over a fixed pool of goroutines in chunks of a
// constant size, and partial sums are combined in chunk order, so the same
// plan, inputs and seed give bit-identical results on every run and on any
// number of cores. Matrix products and convolutions run on a blocked GEMM
// with micro-kernels in Go assembly (AVX-512 or AVX2 with FMA, chosen at
// run time; portable Go elsewhere or with the purego build tag), blocked so
// that each element of a product is one fixed chain of fused multiply-adds
// whoever computes it. PERFORMANCE.md says how fast, and why.
package cpuref

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/anvil-ml/anvil/tensor"
)

type backend struct{}

// New returns the CPU backend.
func New() tensor.Backend { return backend{} }

// Name implements tensor.Backend.
func (backend) Name() string { return "cpu" }

// Device implements tensor.Backend: the CPU model where /proc/cpuinfo
// tells it, and the number of cores Go may use.
func (backend) Device() string {
	model := cpuModel()
	if model == "" {
		model = runtime.GOARCH
	}
	return fmt.Sprintf("%s, %d cores", model, runtime.GOMAXPROCS(0))
}

// cpuModel reads the first "model name" line of /proc/cpuinfo (Linux only;
// elsewhere it returns "").
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		key, val, ok := strings.Cut(s.Text(), ":")
		if ok && strings.TrimSpace(key) == "model name" {
			return strings.TrimSpace(val)
		}
	}
	return ""
}

// Close implements io.Closer: the CPU backend holds nothing beyond its
// programs, which have their own Close.
func (backend) Close() error { return nil }

// Compile implements tensor.Backend.
func (backend) Compile(p *tensor.Plan) (tensor.Program, error) {
	prog, err := compile(p)
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return prog, nil
}
