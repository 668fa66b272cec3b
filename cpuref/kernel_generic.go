//go:build !amd64 || purego

package cpuref

// kernels lists the micro-kernels this build runs: only the portable one.
func kernels() []namedKernel { return []namedKernel{{"go", tileGo}} }
