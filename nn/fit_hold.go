package nn

import "fmt"

// fitHold is a FitData call's hold on the backend: the program and the
// feeders of its training and validation sets. A callback may evaluate or
// predict, which can rebuild the program (when its data needs more room)
// or take a set; refresh then puts Fit's data back, so callbacks are free
// to use the model.
type fitHold struct {
	m          *Model
	batch      int
	train, val *checkedData // val is nil without validation data
	need       dataSpecs
	chunk      [2]int // the streaming chunk of train and val, 0 when resident
	split      bool   // whether the program needs data-parallel training's routines
	sync       bnSync // which batch normalizations they synchronize
	// stream and vstream, when set, are the Sources of the training and
	// validation sets, in place of train and val.
	stream, vstream *stream
	r               *runner
	f, vf           *feeder
}

// newFitHold decides where the data goes and attaches it.
func (m *Model) newFitHold(train, val *checkedData, batch int) (*fitHold, error) {
	return m.newFitHoldFor(train, val, batch, false, bnSyncLayers)
}

// newFitHoldFor is newFitHold whose program, with split, also has the
// TrainGrad and TrainApply routines of data-parallel training, TrainGrad
// synchronizing the batch normalizations sync selects.
func (m *Model) newFitHoldFor(train, val *checkedData, batch int, split bool, sync bnSync) (*fitHold, error) {
	return m.place(&fitHold{m: m, batch: batch, train: train, val: val, split: split, sync: sync})
}

// place decides where h's data goes and attaches it.
func (m *Model) place(h *fitHold) (*fitHold, error) {
	var err error
	switch {
	case h.stream != nil:
		h.need[trainSet] = h.stream.spec()
	default:
		if h.need[trainSet], h.chunk[0], err = m.placement(h.train, h.batch); err != nil {
			return nil, err
		}
	}
	switch {
	case h.vstream != nil:
		h.need[evalSet] = h.vstream.spec()
	case h.val != nil:
		if h.need[evalSet], h.chunk[1], err = m.placement(h.val, h.batch); err != nil {
			return nil, err
		}
	}
	return h, h.attach()
}

// attach builds (or reuses) the program and uploads the data.
func (h *fitHold) attach() error {
	h.close()
	r, err := h.m.programFor(h.batch, h.need, h.split, h.sync)
	if err != nil {
		return err
	}
	h.r = r
	if h.f, err = newSetFeeder(r, trainSet, h.train, h.stream, h.batch, h.chunk[0]); err != nil {
		return fmt.Errorf("fit %q: %w", h.m.name, err)
	}
	if h.val != nil || h.vstream != nil {
		if h.vf, err = newSetFeeder(r, evalSet, h.val, h.vstream, h.batch, h.chunk[1]); err != nil {
			return fmt.Errorf("fit %q: validation data: %w", h.m.name, err)
		}
	}
	return nil
}

// refresh re-attaches the data when a callback displaced it, and reports
// whether it did: the caller then restores the epoch's order and sums.
func (h *fitHold) refresh() (bool, error) {
	if h.f.current(h.m) && (h.vf == nil || h.vf.current(h.m)) {
		return false, nil
	}
	return true, h.attach()
}

// close waits for the feeders' background staging.
func (h *fitHold) close() {
	if h.f != nil {
		h.f.close()
	}
	if h.vf != nil {
		h.vf.close()
	}
}
