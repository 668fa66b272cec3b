package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestSelfTestOnCPU runs -selftest on the CPU backend (against itself, so
// quick and exact): one PASS line per family, the device and the verdict.
func TestSelfTestOnCPU(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	out, errOut, err := runTrain(t, context.Background(), "-selftest", "-backend", "cpu")
	if err != nil {
		t.Fatalf("-selftest -backend cpu: %v\n%s%s", err, out, errOut)
	}
	for _, want := range []string{"matmul ", "conv2d-backward-filter ", "model-cnn ", "device: cpu on ", "verdict: PASS"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "FAIL") {
		t.Errorf("a family failed:\n%s", out)
	}
}

// TestSelfTestWithoutVulkanFails runs `train -selftest -backend vulkan`
// with a loader that finds no driver, in a process of its own (the Vulkan
// loader reads VK_DRIVER_FILES once per process): it must exit non-zero
// and say why.
func TestSelfTestWithoutVulkanFails(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainProcess$")
	cmd.Env = append(os.Environ(), "VK_DRIVER_FILES=/nonexistent", "ANVIL_TRAIN_ARGS=-selftest -backend vulkan")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("train -selftest without a Vulkan driver: %v, want a non-zero exit\n%s", err, out)
	}
	for _, want := range []string{"-selftest: cannot open the device", "Vulkan"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestMainProcess is the command itself when ANVIL_TRAIN_ARGS is set (the
// tests above start it in a process of their own); otherwise it does
// nothing.
func TestMainProcess(t *testing.T) {
	args := os.Getenv("ANVIL_TRAIN_ARGS")
	if args == "" {
		t.Skip("only run as the command by other tests")
	}
	os.Args = append([]string{"train"}, strings.Fields(args)...)
	main()
	os.Exit(0)
}
