//go:build amd64 && !purego

package cpuref

// vecAssembly reports whether the dispatched vector helpers run assembly,
// so that TestVecHelpers has two implementations to compare.
func vecAssembly() bool { return useAVX2 }
