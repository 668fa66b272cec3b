package nn

import (
	"fmt"
	"sync"

	"github.com/anvil-ml/anvil/format/kerasjson"
)

// Keras names layers and models from per-type counters that live for the
// whole session: the first Dense is "dense", the next "dense_1". Input
// layers start at 1 ("input_1"). ClearSession resets the counters, as
// keras.backend.clear_session does.
//
// Names read from a file (ModelFromJSON) are reserved: automatic naming
// skips them, so a new layer never takes a loaded layer's name, and the
// counters otherwise run as if nothing had been loaded.
var names = struct {
	sync.Mutex
	count    map[string]int
	reserved map[string]bool
}{count: map[string]int{}, reserved: map[string]bool{}}

// ClearSession resets automatic layer and model names, so the next Dense is
// "dense" again.
func ClearSession() {
	names.Lock()
	defer names.Unlock()
	names.count = map[string]int{}
	names.reserved = map[string]bool{}
}

// reserveNames keeps automatic naming away from the given names.
func reserveNames(taken ...string) {
	names.Lock()
	defer names.Unlock()
	for _, n := range taken {
		names.reserved[n] = true
	}
}

// uniqueName returns the next automatic name for prefix.
func uniqueName(prefix string) string {
	names.Lock()
	defer names.Unlock()
	for {
		n := names.count[prefix]
		names.count[prefix] = n + 1
		if name := numberedName(prefix, n); !names.reserved[name] {
			return name
		}
	}
}

// numberedName is the n-th automatic name (from 0) for prefix.
func numberedName(prefix string, n int) string {
	if prefix == "input" {
		return fmt.Sprintf("input_%d", n+1)
	}
	if n == 0 {
		return prefix
	}
	return fmt.Sprintf("%s_%d", prefix, n)
}

// snakeCase turns a Keras class name into its automatic name prefix, as
// Keras does (kerasjson.SnakeCase): BatchNormalization →
// batch_normalization, Conv2D → conv2d.
func snakeCase(class string) string { return kerasjson.SnakeCase(class) }
