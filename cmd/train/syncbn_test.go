package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// TestSyncBNFlag: -sync-bn sets FitOptions' switch, is remembered for
// -resume only when on, and is noted as having no effect in one process.
func TestSyncBNFlag(t *testing.T) {
	o, err := parseFlags([]string{"-sync-bn"}, io.Discard)
	if err != nil || !o.syncBN {
		t.Fatalf("-sync-bn: syncBN %v, err %v", o != nil && o.syncBN, err)
	}
	if v := o.settings()["sync-bn"]; v != "true" {
		t.Errorf("the checkpoint settings hold sync-bn %q, want true", v)
	}
	again, err := parseFlags([]string{"-sync-bn=" + o.settings()["sync-bn"]}, io.Discard)
	if err != nil || !again.syncBN {
		t.Errorf("the saved setting does not parse back: syncBN %v, err %v", again != nil && again.syncBN, err)
	}
	var note bytes.Buffer
	noteSyncBN(o, &note)
	if !strings.Contains(note.String(), "one process") {
		t.Errorf("no note that -sync-bn changes nothing alone: %q", note.String())
	}
	off, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := off.settings()["sync-bn"]; ok {
		t.Error("a run without -sync-bn records it in its checkpoints")
	}
	note.Reset()
	noteSyncBN(off, &note)
	if note.Len() > 0 {
		t.Errorf("a note without -sync-bn: %q", note.String())
	}
}
