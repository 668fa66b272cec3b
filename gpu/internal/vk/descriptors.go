package vk

import "fmt"

// Descriptor pools hold this many sets of up to this many buffers each on
// average; a full pool is followed by a new one.
const (
	poolSets        = 256
	poolSetBindings = 8
	poolDescriptors = poolSets * poolSetBindings
)

// DescriptorSet binds buffers to a pipeline's bindings. Create it once and
// record it into as many dispatches as needed.
type DescriptorSet struct {
	dev      *Device
	pipeline *Pipeline
	pool     uint64
	set      uint64
}

// Bind creates a descriptor set that binds bufs[i] to binding i of the
// pipeline, each buffer whole.
func (p *Pipeline) Bind(bufs ...*Buffer) (*DescriptorSet, error) {
	if p == nil || p.dev == nil {
		return nil, fmt.Errorf("gpu: Bind on a closed pipeline")
	}
	d := p.dev
	if len(bufs) != p.spec.Bindings {
		return nil, fmt.Errorf("gpu: pipeline %q has %d bindings, Bind got %d buffers", p.spec.name(), p.spec.Bindings, len(bufs))
	}
	handles := make([]uint64, len(bufs))
	for i, b := range bufs {
		if b == nil || b.dev != d {
			return nil, fmt.Errorf("gpu: pipeline %q binding %d: the buffer is closed or from another device", p.spec.name(), i)
		}
		if uint64(b.size) > d.phys.limits.maxStorageRange {
			return nil, fmt.Errorf("gpu: pipeline %q binding %d: a buffer of %s exceeds the %s a storage binding can reach on %s; "+
				"split it or reduce the batch size", p.spec.name(), i, FormatBytes(uint64(b.size)),
				FormatBytes(d.phys.limits.maxStorageRange), d.phys.info.Name)
		}
		handles[i] = b.handle
	}
	pool, set, err := d.allocateSet(p.h.setLayout, handles)
	if err != nil {
		return nil, fmt.Errorf("gpu: pipeline %q: %w", p.spec.name(), err)
	}
	s := &DescriptorSet{dev: d, pipeline: p, pool: pool, set: set}
	d.track(s)
	return s, nil
}

// allocateSet takes a set from the newest pool, adding a pool when it is
// full.
func (d *Device) allocateSet(layout uint64, bufs []uint64) (pool, set uint64, err error) {
	if n := len(d.pools); n > 0 {
		set, err = d.drv.createDescriptorSet(d.pools[n-1], layout, bufs)
		if err == nil {
			return d.pools[n-1], set, nil
		}
		if !isResult(err, vkErrorOutOfPoolMemory) && !isResult(err, vkErrorFragmentedPool) {
			return 0, 0, err
		}
	}
	pool, err = d.drv.createDescriptorPool(poolSets, poolDescriptors)
	if err != nil {
		return 0, 0, err
	}
	d.pools = append(d.pools, pool)
	set, err = d.drv.createDescriptorSet(pool, layout, bufs)
	return pool, set, err
}

// Pipeline is the pipeline the set was made for.
func (s *DescriptorSet) Pipeline() *Pipeline { return s.pipeline }

// Close returns the set to its pool. Command buffers that use it must not
// run again.
func (s *DescriptorSet) Close() error {
	if s == nil || s.dev == nil {
		return nil
	}
	err := s.dev.drv.freeDescriptorSet(s.pool, s.set)
	s.dev.forget(s)
	s.dev = nil
	return err
}

func (s *DescriptorSet) release() { s.Close() }
