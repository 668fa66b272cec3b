package backend

import (
	"bytes"
	"testing"
)

// TestSelectCPUCloses: every backend Select returns can be closed, the
// CPU one included, so callers need not ask which they got.
func TestSelectCPUCloses(t *testing.T) {
	var log bytes.Buffer
	b, err := Select("cpu", "", &log)
	if err != nil || b.Name() != "cpu" {
		t.Fatalf("Select(cpu) = %v, %v", b, err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}
