package vk

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Options choose and configure the device Open returns.
type Options struct {
	// Device names the device: its index in Devices or a case-insensitive
	// substring of its name ("lavapipe" finds Mesa's llvmpipe). Empty means
	// $ANVIL_DEVICE, or else the best device: discrete, then integrated,
	// virtual and CPU devices.
	Device string
	// Validation enables the Khronos validation layer with synchronization
	// validation. ANVIL_VK_VALIDATION=1 enables it too.
	Validation bool
	// NoBufferAddress leaves bufferDeviceAddress off even where the device
	// supports it, as ANVIL_VK_BUFFER_ADDRESS=0 does: Info.BufferAddress is
	// then false and buffers have no device address.
	NoBufferAddress bool
}

// Device is an opened Vulkan device with one compute queue. It owns every
// buffer, pipeline and command buffer made from it; Close releases them all.
type Device struct {
	drv        driver
	phys       physicalDevice
	validation bool
	mem        *allocator
	pools      []uint64 // descriptor pools, the newest last
	stage      *stager  // staging for Write and Read, made on first use
	live       map[resource]struct{}
	// forceStaging makes DeviceMemory buffers ignore a host mapping, so tests
	// on unified-memory devices also exercise the staging path.
	forceStaging bool
	stagingBytes int64 // overrides stagingSize when positive (tests)
	// lost is set once a submission or wait reports VK_ERROR_DEVICE_LOST:
	// the device then refuses all work with it, so nothing waits on a
	// device that will never answer.
	lost error
	// submits counts queue submissions, for the programs' statistics.
	submits int64
}

// Object is anything made from a Device that the device releases when it
// closes: a *Buffer, *Pipeline, *DescriptorSet or *Commands.
type Object interface{ Close() error }

// resource is an Object as the device tracks it.
type resource interface {
	Object
	release()
}

// Open opens the device opts selects, as a logical device of its own on the
// process's Vulkan instance, which the first Open creates and every later
// one shares (an instance is never destroyed: some drivers unload when the
// last one goes, and then fail the next). Open may be called as often as
// needed, from any goroutine. The error wraps ErrUnavailable when this
// machine has no usable Vulkan device; after a failure the next Open tries
// again.
func Open(opts Options) (*Device, error) {
	validation := opts.Validation || os.Getenv("ANVIL_VK_VALIDATION") == "1"
	drv, devs, err := enumerate(validation)
	if err != nil {
		return nil, err
	}
	want := opts.Device
	if want == "" {
		want = os.Getenv("ANVIL_DEVICE")
	}
	i, err := chooseDevice(devs, want)
	if err != nil {
		drv.close()
		return nil, err
	}
	p := devs[i]
	p.info.BufferAddress = p.info.BufferAddress && !opts.NoBufferAddress && os.Getenv("ANVIL_VK_BUFFER_ADDRESS") != "0"
	if err := drv.openDevice(i, p.family, p.info.BufferAddress); err != nil {
		drv.close()
		return nil, fmt.Errorf("gpu: opening %s: %w", p.info.Name, err)
	}
	return &Device{drv: drv, phys: p, validation: validation, mem: newAllocator(drv, p),
		live: map[resource]struct{}{}}, nil
}

// Devices lists the physical devices Vulkan reports, usable or not.
func Devices() ([]Info, error) {
	drv, devs, err := enumerate(false)
	if err != nil {
		return nil, err
	}
	drv.close()
	infos := make([]Info, len(devs))
	for i, p := range devs {
		infos[i] = p.info
	}
	return infos, nil
}

// enumerate creates an instance and describes its physical devices.
func enumerate(validation bool) (driver, []physicalDevice, error) {
	drv, err := newDriver(validation)
	if err != nil {
		return nil, nil, instanceError(err, validation)
	}
	devs, err := drv.physicalDevices()
	if err != nil {
		drv.close()
		return nil, nil, fmt.Errorf("%w: listing devices: %v", ErrUnavailable, err)
	}
	for i := range devs {
		devs[i].complete()
	}
	return drv, devs, nil
}

// instanceError explains why no Vulkan instance could be created.
func instanceError(err error, validation bool) error {
	switch {
	case validation && (isResult(err, vkErrorLayerNotPresent) || isResult(err, vkErrorExtensionNotPresent)):
		return fmt.Errorf("gpu: validation was requested (ANVIL_VK_VALIDATION=1 or Options.Validation) but the "+
			"Khronos validation layer is missing; install it (Debian: vulkan-validationlayers): %w", err)
	case isResult(err, vkErrorIncompatibleDriver):
		return fmt.Errorf("%w: no Vulkan device: the loader found no driver; install one (lavapipe: "+
			"mesa-vulkan-drivers) or check VK_DRIVER_FILES (%v)", ErrUnavailable, err)
	case errors.Is(err, ErrUnavailable):
		return err
	}
	return fmt.Errorf("%w: creating the Vulkan instance: %v", ErrUnavailable, err)
}

// Info describes the opened device.
func (d *Device) Info() Info { return d.phys.info }

// Validation reports whether the validation layer is active.
func (d *Device) Validation() bool { return d.validation }

// ValidationMessages returns the validation warnings and errors recorded
// since the last call and forgets them. Tests assert it returns nothing.
// Messages are collected per process, not per device: every device shares
// the process's instance and its messenger, so with several devices open
// at once a call returns, and forgets, the messages of all of them.
func (d *Device) ValidationMessages() []string {
	if d.drv == nil {
		return nil
	}
	return d.drv.messages()
}

// MemoryInUse is the number of bytes of memory blocks the device holds.
func (d *Device) MemoryInUse() uint64 { return d.mem.inUse() }

// Close waits for submitted work, releases everything made from the device
// and the device itself; the process's Vulkan instance stays for the next
// Open. With validation on, it returns an error listing any messages not
// yet collected (by any device, see ValidationMessages), including those
// the teardown raised.
func (d *Device) Close() error {
	if d.drv == nil {
		return nil
	}
	for r := range d.live {
		if c, ok := r.(*Commands); ok && c.pending {
			c.Wait()
		}
	}
	for r := range d.live {
		r.release()
	}
	d.mem.close()
	for _, p := range d.pools {
		d.drv.destroyDescriptorPool(p)
	}
	msgs := d.drv.close()
	d.drv = nil
	if len(msgs) > 0 {
		return fmt.Errorf("gpu: %d validation messages:\n%s", len(msgs), strings.Join(msgs, "\n"))
	}
	return nil
}

// Limits are the device limits that work is checked against.
type Limits struct {
	MaxGroupCount   [3]uint32 // maxComputeWorkGroupCount: workgroups per dispatch
	MaxGroupSize    [3]uint32 // maxComputeWorkGroupSize: invocations per workgroup
	MaxStorageRange uint64    // maxStorageBufferRange: bytes one shader binding reaches
	// MaxAllocation is maxMemoryAllocationSize, the largest one buffer's
	// memory may be (0 when the driver does not say).
	MaxAllocation uint64
	// MaxBindings is how many storage buffers one pipeline may bind
	// (maxPerStageDescriptorStorageBuffers, capped at this package's own
	// limit).
	MaxBindings int
}

// Limits reports the device's limits.
func (d *Device) Limits() Limits {
	l := d.phys.limits
	return Limits{MaxGroupCount: l.maxGroupCount, MaxGroupSize: l.maxGroupSize, MaxStorageRange: l.maxStorageRange,
		MaxAllocation: l.maxAllocationSize, MaxBindings: min(maxBindings, l.maxStorageBuffers)}
}

// Live returns the objects made from d and not yet closed, other than the
// device's own staging path (made on the first Write or Read and kept). An
// owner that calls Live before and after making objects can tell which ones
// it made, however they were made.
func (d *Device) Live() map[Object]struct{} {
	out := make(map[Object]struct{}, len(d.live))
	for r := range d.live {
		if !d.isStager(r) {
			out[r] = struct{}{}
		}
	}
	return out
}

// isStager reports whether r is part of the device's staging path.
func (d *Device) isStager(r resource) bool {
	return d.stage != nil && (r == resource(d.stage.buf) || r == resource(d.stage.cmds))
}

// track registers r for release at Close; forget undoes it.
func (d *Device) track(r resource)  { d.live[r] = struct{}{} }
func (d *Device) forget(r resource) { delete(d.live, r) }

// Usable returns an error if the device has been closed or lost.
func (d *Device) Usable() error {
	if d == nil || d.drv == nil {
		return fmt.Errorf("gpu: the device is closed")
	}
	return d.lost
}

// Submissions is how many queue submissions the device has made.
func (d *Device) Submissions() int64 { return d.submits }
