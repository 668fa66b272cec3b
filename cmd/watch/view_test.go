package main

import (
	"strings"
	"testing"
	"time"
)

// loadedApp reads the run in dir as the window would, without a display.
func loadedApp(t *testing.T, dir string, w, h float32) *app {
	t.Helper()
	a := newApp(dir, "", w, h, &strings.Builder{})
	deadline := time.Now().Add(30 * time.Second)
	for now := time.Now(); !a.ready(); now = now.Add(pollInterval) {
		a.tick(now)
		if time.Now().After(deadline) {
			t.Fatal("the run did not load")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return a
}

func sceneTexts(sc *scene) string {
	var b strings.Builder
	for _, t := range sc.texts {
		b.WriteString(t.s + "\n")
	}
	return b.String()
}

func TestSceneOfAFinishedRun(t *testing.T) {
	data := writeFixtureData(t)
	dir := writeRunDir(t, encodeRecords(t, fixtureRun(data)))
	a := loadedApp(t, dir, 1280, 760)
	if a.view.samples == nil || a.view.samples.err != nil || len(a.view.samples.images) != 16 {
		t.Fatalf("samples %+v", a.view.samples)
	}
	sc := buildScene(a.view, a.state)
	texts := sceneTexts(sc)
	for _, want := range []string{"finished  val_accuracy 0.4500", "cnn on cifar10", "cpu: test device",
		"epoch 2/2  step 10/10", "test samples after epoch 2: 8/16 right", "true automobile", "loss", "accuracy"} {
		if !strings.Contains(texts, want) {
			t.Errorf("no %q in the window's text:\n%s", want, texts)
		}
	}
	if len(sc.pictures) != 16 || len(sc.lines) != 4 {
		t.Errorf("%d pictures, %d curves; want 16 and 4", len(sc.pictures), len(sc.lines))
	}
}

func TestCursorShowsTheValuesUnderIt(t *testing.T) {
	dir := writeRunDir(t, encodeRecords(t, fixtureRun("/nowhere")))
	a := loadedApp(t, dir, 1280, 760)
	l := a.view.layoutFor(a.state)
	ax, _ := a.view.plotAxes(a.state, "loss", l.plots[0])
	a.view.cursorX, _ = ax.toPixel(point{1.6, 0})
	a.view.cursorY = l.plots[0].y + 10
	texts := sceneTexts(buildScene(a.view, a.state))
	if !strings.Contains(texts, "epoch 1.60  train 0.9000  val 0.7000") {
		t.Errorf("no cursor readout in:\n%s", texts)
	}
	a.view.logY = true
	if texts := sceneTexts(buildScene(a.view, a.state)); !strings.Contains(texts, "loss (log)") {
		t.Errorf("no log axis after pressing L:\n%s", texts)
	}
}

func TestMissingRunAndDataAreMessagesNotCrashes(t *testing.T) {
	t.Setenv("ANVIL_DATA", t.TempDir()) // no data set anywhere
	lines := encodeRecords(t, fixtureRun(t.TempDir()))
	dir := writeRunDir(t, append(lines[:3:3], lines[3][:20]))
	var stderr strings.Builder
	a := newApp(dir, "", 1280, 760, &stderr)
	for now := time.Now(); !a.ready(); now = now.Add(pollInterval) {
		a.tick(now)
		time.Sleep(5 * time.Millisecond)
	}
	texts := sceneTexts(buildScene(a.view, a.state))
	if !strings.Contains(texts, "running") || !strings.Contains(stderr.String(), "sample images") ||
		!strings.Contains(stderr.String(), "incomplete line (20 bytes)") {
		t.Errorf("window:\n%s\nstderr:\n%s", texts, stderr.String())
	}
	empty := newApp(t.TempDir(), "", 640, 480, &stderr)
	empty.tick(time.Now())
	if texts := sceneTexts(buildScene(empty.view, empty.state)); !strings.Contains(texts, "no run in") {
		t.Errorf("empty folder window:\n%s", texts)
	}
}
