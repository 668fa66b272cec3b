package vk

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/internal/freshproc"
)

func TestOpenDescribesDevice(t *testing.T) {
	d := openTest(t)
	info := d.Info()
	t.Logf("%s", info)
	if info.Name == "" || info.Vendor == "" || info.SubgroupSize <= 0 || info.MaxWorkgroupInvocations <= 0 ||
		info.MaxSharedMemory <= 0 || info.DeviceLocalMemory == 0 || !info.APIVersion.atLeast(1, 1) {
		t.Errorf("incomplete Info: %+v", info)
	}
	if s := info.String(); !strings.Contains(s, info.Name) || !strings.Contains(s, info.DeviceType.String()) {
		t.Errorf("String() = %q lacks the name or type", s)
	}
}

func TestDevicesListsTheOpenedOne(t *testing.T) {
	d := openTest(t)
	infos, err := Devices()
	must(t, err)
	if len(infos) == 0 || infos[d.Info().Index].Name != d.Info().Name {
		t.Errorf("Devices() = %v, opened %v", infos, d.Info())
	}
}

// TestNoVulkanDevice simulates a machine without a driver: Open must return
// a clean ErrUnavailable error, not crash.
func TestNoVulkanDevice(t *testing.T) {
	if !freshproc.Run(t, "VK_DRIVER_FILES=/nonexistent", "VK_ICD_FILENAMES=/nonexistent") {
		return
	}
	d, err := Open(Options{})
	if err == nil {
		d.Close()
		t.Fatal("Open succeeded without a driver")
	}
	msg := err.Error()
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(msg, "no Vulkan device") && !strings.Contains(msg, "without cgo") {
		t.Errorf("Open: got %v, want ErrUnavailable saying there is no Vulkan device", err)
	}
	// Some loaders create an instance with no devices; then Devices is empty.
	if infos, err := Devices(); err != nil && !errors.Is(err, ErrUnavailable) || err == nil && len(infos) > 0 {
		t.Errorf("Devices: got %v, %v; want no devices", infos, err)
	}
}

func TestNamedDeviceNotFound(t *testing.T) {
	openTest(t) // skips without Vulkan
	_, err := Open(Options{Device: "no-such-gpu-anywhere"})
	if err == nil || !strings.Contains(err.Error(), "no-such-gpu-anywhere") || !strings.Contains(err.Error(), "the devices are") {
		t.Errorf("Open of a missing device: got %v, want an error naming it and listing the devices", err)
	}
}

func TestHeaderConstants(t *testing.T) {
	for name, v := range headerConstants {
		if v[0] != v[1] {
			t.Errorf("%s: vulkan_core.h says %d, constants.go says %d", name, v[0], v[1])
		}
	}
}

// TestNoVulkanLoader points the process at a loader that does not exist.
func TestNoVulkanLoader(t *testing.T) {
	if !freshproc.Run(t, "ANVIL_VK_LOADER=/nonexistent/libvulkan.so.1") {
		return
	}
	_, err := Open(Options{})
	msg := fmt.Sprint(err)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(msg, "cannot load the Vulkan loader") && !strings.Contains(msg, "without cgo") {
		t.Fatalf("Open without a loader: got %v, want ErrUnavailable saying the loader is missing", err)
	}
}

// TestOpenRetriesAfterFailure: an Open that fails to create the process's
// instance (no driver) caches nothing, so a later Open, once a driver is
// there, creates the instance and succeeds.
func TestOpenRetriesAfterFailure(t *testing.T) {
	drivers := os.Getenv("VK_DRIVER_FILES")
	if !freshproc.Run(t, "VK_DRIVER_FILES=/nonexistent", "VK_ICD_FILENAMES=/nonexistent",
		"ANVIL_TEST_DRIVER_FILES="+drivers) {
		return
	}
	_, err := Open(Options{})
	switch {
	case err == nil:
		t.Fatal("Open succeeded without a driver")
	case !errors.Is(err, ErrUnavailable):
		t.Fatalf("Open without a driver: got %v, want ErrUnavailable", err)
	case strings.Contains(err.Error(), "no Vulkan device found"):
		// This loader made an instance with no devices: that instance is
		// the process's now, so there is no failed creation to retry.
		t.Skipf("the loader created an instance without a driver: %v", err)
	}
	t.Log(err)
	os.Setenv("VK_DRIVER_FILES", os.Getenv("ANVIL_TEST_DRIVER_FILES"))
	os.Unsetenv("VK_ICD_FILENAMES")
	d, err := Open(Options{})
	if errors.Is(err, ErrUnavailable) && os.Getenv("ANVIL_REQUIRE_VULKAN") != "1" {
		t.Skipf("no Vulkan: %v", err)
	}
	if err != nil {
		t.Fatalf("Open after a failed first Open: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Error(err)
	}
}
