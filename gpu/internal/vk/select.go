package vk

import (
	"fmt"
	"strconv"
	"strings"
)

// complete fills the Info fields derived from the raw description and
// picks the compute queue family.
func (p *physicalDevice) complete() {
	p.info.Vendor = vendorName(p.info.VendorID)
	for _, h := range p.heaps {
		if h.flags&vkMemoryHeapDeviceLocal != 0 && h.size > p.info.DeviceLocalMemory {
			p.info.DeviceLocalMemory = h.size
		}
	}
	p.family = pickFamily(p.families)
	if p.family >= 0 {
		p.info.Timestamps = p.families[p.family].timestampBits > 0 && p.info.TimestampPeriod > 0
	}
}

// pickFamily returns the queue family to run compute work on: a dedicated
// compute family (no graphics) when it has timestamps, else the first
// family with compute. It returns -1 when no family supports compute.
func pickFamily(families []queueFamily) int {
	best, bestScore := -1, -1
	for i, f := range families {
		if f.flags&vkQueueCompute == 0 {
			continue
		}
		score := 0
		if f.timestampBits > 0 {
			score += 2
			if f.flags&vkQueueGraphics == 0 {
				score++
			}
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	return best
}

// usable says why a device cannot run Anvil, or "" when it can.
func usable(p physicalDevice) string {
	switch {
	case !p.info.APIVersion.atLeast(1, 1):
		return fmt.Sprintf("it supports only Vulkan %s and Anvil needs 1.1", p.info.APIVersion)
	case p.family < 0:
		return "it has no compute queue"
	}
	return ""
}

// chooseDevice picks a device index. With want empty it prefers discrete over
// integrated over virtual over CPU devices (then the lower index). Otherwise
// want is an index or a case-insensitive substring of the device name
// (or an alias in deviceAliases).
func chooseDevice(devs []physicalDevice, want string) (int, error) {
	if len(devs) == 0 {
		return -1, fmt.Errorf("%w: no Vulkan device found; install a driver (lavapipe: mesa-vulkan-drivers) "+
			"or check VK_DRIVER_FILES", ErrUnavailable)
	}
	if want != "" {
		return namedDevice(devs, want)
	}
	best, reasons := -1, []string{}
	for i, p := range devs {
		if why := usable(p); why != "" {
			reasons = append(reasons, fmt.Sprintf("%s: %s", p.info.Name, why))
			continue
		}
		if best < 0 || p.info.DeviceType.rank() > devs[best].info.DeviceType.rank() {
			best = i
		}
	}
	if best < 0 {
		return -1, fmt.Errorf("%w: no usable Vulkan device (%s)", ErrUnavailable, strings.Join(reasons, "; "))
	}
	return best, nil
}

// deviceAliases maps names users know a driver by to the substring its
// device name contains: Mesa's CPU Vulkan driver is documented as lavapipe
// but reports its device as "llvmpipe (LLVM ...)".
var deviceAliases = map[string]string{"lavapipe": "llvmpipe"}

// namedDevice finds the device the user asked for by index or name.
func namedDevice(devs []physicalDevice, want string) (int, error) {
	match := -1
	if n, err := strconv.Atoi(want); err == nil {
		if n >= 0 && n < len(devs) {
			match = n
		}
	} else {
		needle := strings.ToLower(want)
		if alias, ok := deviceAliases[needle]; ok {
			needle = alias
		}
		for i, p := range devs {
			if strings.Contains(strings.ToLower(p.info.Name), needle) {
				match = i
				break
			}
		}
	}
	if match < 0 {
		return -1, fmt.Errorf("gpu: no Vulkan device matches %q; the devices are: %s", want, listDevices(devs))
	}
	if why := usable(devs[match]); why != "" {
		return -1, fmt.Errorf("gpu: device %q cannot be used: %s", devs[match].info.Name, why)
	}
	return match, nil
}

func listDevices(devs []physicalDevice) string {
	names := make([]string, len(devs))
	for i, p := range devs {
		names[i] = fmt.Sprintf("%d %q", i, p.info.Name)
	}
	return strings.Join(names, ", ")
}
