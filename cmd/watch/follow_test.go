package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFollowerKeepsHalfLinesUntilTheirNewline(t *testing.T) {
	lines := encodeRecords(t, fixtureRun("/nowhere"))
	dir := t.TempDir()
	f := newFollower(dir)
	if res := f.poll(); !strings.Contains(res.missing, "no run in") {
		t.Errorf("empty folder: missing = %q", res.missing)
	}
	appendLog(t, dir, lines[0]+lines[1][:10])
	res := f.poll()
	if len(res.records) != 1 || res.records[0].Kind != "start" || f.partial() != 10 || res.missing != "" {
		t.Fatalf("after a line and a half: %+v, partial %d", res, f.partial())
	}
	appendLog(t, dir, lines[1][10:]+lines[2])
	if res := f.poll(); len(res.records) != 2 || f.partial() != 0 || len(res.problems) != 0 {
		t.Fatalf("after completing the line: %+v", res)
	}
}

func TestFollowerReportsGarbledLinesAndGoesOn(t *testing.T) {
	lines := encodeRecords(t, fixtureRun("/nowhere"))
	dir := writeRunDir(t, []string{lines[0], "{\"kind\": \"progress\", \"epo\n", "not json at all\n", "{}\n", lines[1]})
	res := newFollower(dir).poll()
	if len(res.records) != 2 || len(res.problems) != 3 {
		t.Fatalf("records %d, problems %q", len(res.records), res.problems)
	}
	if !strings.Contains(res.problems[0], "line 2 is garbled") || !strings.Contains(res.problems[2], `no "kind"`) {
		t.Errorf("problems %q", res.problems)
	}
}

func TestFollowerStartsOverWhenTheFileShrinks(t *testing.T) {
	lines := encodeRecords(t, fixtureRun("/nowhere"))
	dir := writeRunDir(t, lines[:3])
	f := newFollower(dir)
	f.poll()
	if err := os.WriteFile(filepath.Join(dir, liveFile), []byte(lines[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := f.poll(); !res.restarted || len(res.records) != 1 {
		t.Fatalf("after the file shrank: %+v", res)
	}
}

func TestFollowerExplainsAMissingFolder(t *testing.T) {
	res := newFollower(filepath.Join(t.TempDir(), "nope")).poll()
	if !strings.Contains(res.missing, "no folder") || !strings.Contains(res.missing, "train -out") {
		t.Errorf("missing = %q", res.missing)
	}
}
