package vk

import (
	"errors"
	"strings"
	"testing"
)

// fakeDevice describes a device for the selection tests.
func fakeDevice(name string, typ DeviceType, api Version, families ...queueFamily) physicalDevice {
	p := physicalDevice{info: Info{Name: name, DeviceType: typ, APIVersion: api, VendorID: 0x10de, TimestampPeriod: 1},
		families: families,
		heaps:    []memoryHeap{{size: 8 << 30, flags: vkMemoryHeapDeviceLocal}, {size: 32 << 30}}}
	p.complete()
	return p
}

const v13 = Version(1<<22 | 3<<12)

var universal = queueFamily{flags: vkQueueGraphics | vkQueueCompute, timestampBits: 64}

func TestChooseDevice(t *testing.T) {
	devs := []physicalDevice{
		fakeDevice("llvmpipe", CPUDevice, v13, universal),
		fakeDevice("Intel UHD", IntegratedDevice, v13, universal),
		fakeDevice("NVIDIA H100", DiscreteDevice, v13, universal),
		fakeDevice("Old GPU", DiscreteDevice, Version(1<<22), universal),
		fakeDevice("Graphics only", DiscreteDevice, v13, queueFamily{flags: vkQueueGraphics}),
	}
	tests := []struct {
		want    string
		index   int
		errText string
	}{
		{"", 2, ""},
		{"1", 1, ""},
		{"llvm", 0, ""},
		{"lavapipe", 0, ""},
		{"LavaPipe", 0, ""},
		{"h100", 2, ""},
		{"9", -1, "the devices are"},
		{"radeon", -1, `no Vulkan device matches "radeon"`},
		{"old", -1, "needs 1.1"},
		{"graphics", -1, "no compute queue"},
	}
	for _, tt := range tests {
		got, err := chooseDevice(devs, tt.want)
		if tt.errText != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errText) {
				t.Errorf("chooseDevice(%q): got %d, %v; want an error with %q", tt.want, got, err, tt.errText)
			}
			continue
		}
		if err != nil || got != tt.index {
			t.Errorf("chooseDevice(%q) = %d, %v; want %d", tt.want, got, err, tt.index)
		}
	}
}

func TestChooseDeviceNoneUsable(t *testing.T) {
	if _, err := chooseDevice(nil, ""); !errors.Is(err, ErrUnavailable) {
		t.Errorf("no devices: got %v, want ErrUnavailable", err)
	}
	old := []physicalDevice{fakeDevice("Old GPU", DiscreteDevice, Version(1<<22), universal)}
	if _, err := chooseDevice(old, ""); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "Old GPU") {
		t.Errorf("only unusable devices: got %v, want ErrUnavailable naming the device", err)
	}
}

func TestPickFamily(t *testing.T) {
	compute := queueFamily{flags: vkQueueCompute, timestampBits: 64}
	noStamps := queueFamily{flags: vkQueueCompute}
	transfer := queueFamily{flags: 0x4}
	tests := []struct {
		families []queueFamily
		want     int
	}{
		{[]queueFamily{universal, compute, transfer}, 1},
		{[]queueFamily{universal, noStamps}, 0},
		{[]queueFamily{transfer, noStamps}, 1},
		{[]queueFamily{transfer}, -1},
	}
	for i, tt := range tests {
		if got := pickFamily(tt.families); got != tt.want {
			t.Errorf("case %d: pickFamily = %d, want %d", i, got, tt.want)
		}
	}
}

func TestCompleteDerivesInfo(t *testing.T) {
	p := fakeDevice("NVIDIA H100", DiscreteDevice, v13, universal)
	if p.info.Vendor != "NVIDIA" || p.info.DeviceLocalMemory != 8<<30 || !p.info.Timestamps || p.family != 0 {
		t.Errorf("complete: %+v, family %d", p.info, p.family)
	}
	want := "0: NVIDIA H100 [NVIDIA discrete, Vulkan 1.3.0, 8.0 GiB, subgroup 0]"
	if s := p.info.String(); s != want {
		t.Errorf("String() = %q, want %q", s, want)
	}
}
