package main

import (
	"time"

	"github.com/anvil-ml/anvil/tensor"
)

// ioTimes adds up the time spent in each Program call the nn package makes.
type ioTimes struct {
	Compile, Write, Run, Read time.Duration
	Writes, Runs, Reads       int
	// Device is the summed device time of the runs, when the program
	// reports it (DeviceRuns counts those runs).
	Device     time.Duration
	DeviceRuns int
}

// timedBackend wraps a backend so that every program it compiles reports
// its Write, Run and Read times into one ioTimes. It changes nothing else.
type timedBackend struct {
	inner tensor.Backend
	times *ioTimes
	last  *timedProgram
}

func newTimedBackend(b tensor.Backend) *timedBackend {
	return &timedBackend{inner: b, times: &ioTimes{}}
}

// reset zeroes the counters before a timed call.
func (b *timedBackend) reset() { *b.times = ioTimes{} }

// stats is the counters of the program compiled last, zero when it keeps
// none.
func (b *timedBackend) stats() tensor.ProgramStats {
	if b.last == nil {
		return tensor.ProgramStats{}
	}
	return b.last.Stats()
}

// Name implements tensor.Backend.
func (b *timedBackend) Name() string { return b.inner.Name() }

// Device implements tensor.Backend.
func (b *timedBackend) Device() string { return b.inner.Device() }

// Compile implements tensor.Backend.
func (b *timedBackend) Compile(p *tensor.Plan) (tensor.Program, error) {
	start := time.Now()
	prog, err := b.inner.Compile(p)
	b.times.Compile += time.Since(start)
	if err != nil {
		return nil, err
	}
	b.last = &timedProgram{inner: prog, times: b.times, dev: deviceTime(prog)}
	return b.last, nil
}

// timedProgram is a Program whose calls are timed.
type timedProgram struct {
	inner tensor.Program
	times *ioTimes
	dev   func() (time.Duration, bool)
}

// Write implements tensor.Program.
func (p *timedProgram) Write(id tensor.BufferID, data []float32) error {
	start := time.Now()
	err := p.inner.Write(id, data)
	p.times.Write += time.Since(start)
	p.times.Writes++
	return err
}

// Read implements tensor.Program.
func (p *timedProgram) Read(id tensor.BufferID, dst []float32) error {
	start := time.Now()
	err := p.inner.Read(id, dst)
	p.times.Read += time.Since(start)
	p.times.Reads++
	return err
}

// Run implements tensor.Program.
func (p *timedProgram) Run(r tensor.Routine, args tensor.StepArgs) error {
	start := time.Now()
	err := p.inner.Run(r, args)
	p.times.Run += time.Since(start)
	p.times.Runs++
	if p.dev != nil {
		if d, ok := p.dev(); ok {
			p.times.Device += d
			p.times.DeviceRuns++
		}
	}
	return err
}

// Upload implements tensor.Program; its time counts as writing.
func (p *timedProgram) Upload(id tensor.BufferID, off int, data []byte) error {
	start := time.Now()
	err := p.inner.Upload(id, off, data)
	p.times.Write += time.Since(start)
	p.times.Writes++
	return err
}

// RunSteps implements tensor.Program; each step counts as a run. The
// device time the program reports after a chunk is taken as one step's.
func (p *timedProgram) RunSteps(r tensor.Routine, args []tensor.StepArgs) error {
	start := time.Now()
	err := p.inner.RunSteps(r, args)
	p.times.Run += time.Since(start)
	p.times.Runs += len(args)
	if p.dev != nil {
		if d, ok := p.dev(); ok {
			p.times.Device += d
			p.times.DeviceRuns++
		}
	}
	return err
}

// Stats passes on the inner program's counters (zero when it keeps none).
func (p *timedProgram) Stats() tensor.ProgramStats {
	if s, ok := p.inner.(tensor.StatsReporter); ok {
		return s.Stats()
	}
	return tensor.ProgramStats{}
}

// Close implements tensor.Program.
func (p *timedProgram) Close() error { return p.inner.Close() }
