package backend

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/gpu"
	"github.com/anvil-ml/anvil/internal/freshproc"
)

// haveVulkan skips the test without a Vulkan device unless
// ANVIL_REQUIRE_VULKAN=1, as the gpu package's tests do.
func haveVulkan(t *testing.T) gpu.Info {
	t.Helper()
	infos, err := gpu.Devices()
	if err == nil && len(infos) == 0 {
		err = gpu.ErrUnavailable
	}
	if err != nil {
		if os.Getenv("ANVIL_REQUIRE_VULKAN") != "1" {
			t.Skipf("no Vulkan (set ANVIL_REQUIRE_VULKAN=1 to fail instead): %v", err)
		}
		t.Fatalf("no Vulkan device: %v", err)
	}
	return infos[0]
}

func TestSelectVulkan(t *testing.T) {
	haveVulkan(t)
	var log bytes.Buffer
	b, err := Select("vulkan", "", &log)
	if err != nil {
		t.Fatalf("Select(vulkan): %v", err)
	}
	defer closeBackend(t, b)
	if b.Name() != "vulkan" || b.Device() == "" || log.Len() != 0 {
		t.Errorf("Select(vulkan) = %s on %q, log %q", b.Name(), b.Device(), log.String())
	}
}

// TestAutoSkipsCPUDrivers: with only a CPU Vulkan driver (lavapipe in CI),
// auto picks the CPU backend and says why; naming the device overrides.
func TestAutoSkipsCPUDrivers(t *testing.T) {
	info := haveVulkan(t)
	if info.DeviceType != gpu.CPUDevice {
		t.Skipf("the best device, %s, is a GPU", info.Name)
	}
	t.Setenv("ANVIL_DEVICE", "")
	var log bytes.Buffer
	b, err := Select("auto", "", &log)
	if err != nil || b.Name() != "cpu" {
		t.Fatalf("Select(auto) = %v, %v; want the cpu backend", b, err)
	}
	if msg := log.String(); !strings.Contains(msg, "not a usable GPU") || !strings.Contains(msg, "running on the CPU") ||
		strings.Count(msg, "\n") != 1 {
		t.Errorf("notice %q: want one line saying the CPU driver is not a usable GPU", msg)
	}
	log.Reset()
	b, err = Select("auto", info.Name, &log)
	if err != nil || b.Name() != "vulkan" {
		t.Fatalf("Select(auto, %q) = %v, %v; want vulkan", info.Name, b, err)
	}
	closeBackend(t, b)
}

// closeBackend closes a Vulkan backend, failing t on the validation
// messages Close reports.
func closeBackend(t *testing.T, b Backend) {
	t.Helper()
	if err := b.Close(); err != nil {
		t.Error(err)
	}
}

// TestNoVulkan simulates a machine without a Vulkan driver.
func TestNoVulkan(t *testing.T) {
	if !freshproc.Run(t, "VK_DRIVER_FILES=/nonexistent", "VK_ICD_FILENAMES=/nonexistent") {
		return
	}
	var log bytes.Buffer
	_, err := Select("vulkan", "", &log)
	if err == nil || !errors.Is(err, gpu.ErrUnavailable) || !strings.Contains(err.Error(), "use -backend cpu") {
		t.Errorf("Select(vulkan) without a driver: got %v, want a clear error wrapping ErrUnavailable", err)
	}
	b, err := Select("auto", "", &log)
	if err != nil || b.Name() != "cpu" {
		t.Fatalf("Select(auto) without a driver = %v, %v; want the cpu backend", b, err)
	}
	if msg := log.String(); !strings.Contains(msg, "running on the CPU") || strings.Count(msg, "\n") != 1 {
		t.Errorf("notice %q: want one line saying it runs on the CPU", msg)
	}
}
