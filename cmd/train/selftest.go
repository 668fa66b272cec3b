package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/anvil-ml/anvil/backend"
	"github.com/anvil-ml/anvil/cpuref"
	"github.com/anvil-ml/anvil/selftest"
)

// runSelfTest is -selftest: every kernel family and the reference models
// on the chosen backend against the CPU reference, one line per family,
// then the device and the verdict. It fails (and so the command exits
// non-zero) on any failed family, or when the device cannot be opened.
func runSelfTest(o *options, stdout, stderr io.Writer) error {
	name := o.backend
	if name == "auto" {
		// The point is to test the device: no silent fall-back to the CPU,
		// and a CPU Vulkan driver counts when it is all there is.
		name = "vulkan"
	}
	b, err := backend.Select(name, o.device, stderr)
	if err != nil {
		return fmt.Errorf("-selftest: cannot open the device to test: %w", err)
	}
	if c, ok := b.(io.Closer); ok {
		defer c.Close()
	}
	if name == "cpu" {
		fmt.Fprintln(stderr, "note: -backend cpu tests the CPU backend against itself; use -backend vulkan to test a GPU")
	}
	fmt.Fprintf(stdout, "self-test of %s on %s against the CPU reference (seed %d)\n", b.Name(), b.Device(), o.seed)
	rep, err := selftest.Run(b, cpuref.New(), selftest.Options{Seed: o.seed, Progress: func(f selftest.Family) {
		f.WriteLine(stdout)
		if o.verbose >= 2 {
			fmt.Fprintf(stdout, "    shapes: %s\n", strings.Join(f.Shapes, "; "))
		}
	}})
	if err != nil {
		return err
	}
	rep.WriteSummary(stdout)
	if !rep.Pass() {
		return fmt.Errorf("-selftest: %s failed on %s", strings.Join(rep.Failed(), ", "), rep.Device)
	}
	return nil
}
