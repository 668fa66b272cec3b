package nn

import (
	"errors"
	"sync"

	"github.com/anvil-ml/anvil/tensor"
)

// ErrNoBackend is returned (wrapped) when a model must run but has no
// backend: none was chosen with SetBackend and no default is registered.
var ErrNoBackend = errors.New("no backend: import github.com/anvil-ml/anvil/backend " +
	"(it makes the CPU backend the default), or choose one with Model.SetBackend")

// defaultBackend opens the backend of models that were given none. nn
// itself knows no backend: package backend, the one that knows them all,
// registers the default when a program imports it, as database/sql drivers
// register themselves.
var defaultBackend struct {
	sync.Mutex
	open func() tensor.Backend
}

// SetDefaultBackend registers how to open the backend of every model that
// SetBackend was not called on; each such model opens its own, on first
// use. Package backend calls it from its init with the CPU backend, so
// importing backend (even as _) is enough. Passing nil unregisters it.
func SetDefaultBackend(open func() tensor.Backend) {
	defaultBackend.Lock()
	defer defaultBackend.Unlock()
	defaultBackend.open = open
}

// openDefaultBackend returns a new default backend, or nil if none is
// registered.
func openDefaultBackend() tensor.Backend {
	defaultBackend.Lock()
	defer defaultBackend.Unlock()
	if defaultBackend.open == nil {
		return nil
	}
	return defaultBackend.open()
}
