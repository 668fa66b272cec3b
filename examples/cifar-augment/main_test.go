package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/datasets"
)

// TestCIFARAugmentRuns trains the example for two epochs on 512 CIFAR-10
// images: it must print its summary and a test line with an accuracy in
// [0, 1], and ModelCheckpoint must leave the best model on disk. The
// accuracy itself is measured with the full data (README), not here.
func TestCIFARAugmentRuns(t *testing.T) {
	if _, err := datasets.Locate("cifar10", ""); err != nil {
		t.Fatalf("CIFAR-10 is needed: set %s to a folder holding cifar-10-batches-bin: %v", datasets.EnvDataDir, err)
	}
	dir := t.TempDir()
	var out bytes.Buffer
	err := run(context.Background(), []string{"-limit-train", "512", "-limit-test", "128", "-epochs", "2",
		"-batch-size", "64", "-backend", "cpu", "-verbose", "0", "-out", dir}, &out)
	if err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if !strings.Contains(text, "Total params: 552,362") {
		t.Errorf("summary lacks Keras's parameter count:\n%s", text)
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	var epochs, best int
	var secs, loss, acc float64
	if _, err := fmt.Sscanf(lines[len(lines)-1], "epochs %d (%f s each), best epoch %d: test loss %f accuracy %f",
		&epochs, &secs, &best, &loss, &acc); err != nil {
		t.Fatalf("last line %q: %v", lines[len(lines)-1], err)
	}
	if epochs != 2 || best < 1 || best > 2 || !(loss > 0) || acc < 0 || acc > 1 {
		t.Errorf("last line %q", lines[len(lines)-1])
	}
	if _, err := os.Stat(filepath.Join(dir, "best")); err != nil {
		t.Errorf("ModelCheckpoint left no best model: %v", err)
	}
}

// TestFlagsAreChecked: bad settings are refused before any data is read.
func TestFlagsAreChecked(t *testing.T) {
	for _, args := range [][]string{{"-epochs", "0"}, {"-lr", "-1"}, {"-limit-train", "-3"}, {"-nope"}} {
		if _, err := parse(args, &bytes.Buffer{}); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
