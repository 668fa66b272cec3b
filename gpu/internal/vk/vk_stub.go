//go:build !cgo

package vk

import "fmt"

// newDriver always fails without cgo: the binding needs the C helper.
func newDriver(validation bool) (driver, error) {
	return nil, fmt.Errorf("%w: this binary was built without cgo (CGO_ENABLED=0); "+
		"rebuild with CGO_ENABLED=1 and a C compiler to use the GPU", ErrUnavailable)
}

// headerConstants is empty without cgo: there is no header to compare with.
var headerConstants = map[string][2]int64{}
