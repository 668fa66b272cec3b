//go:build !amd64 || purego

package cpuref

// vecAssembly reports whether the dispatched vector helpers run assembly:
// never in this build, where they are the portable versions themselves.
func vecAssembly() bool { return false }
