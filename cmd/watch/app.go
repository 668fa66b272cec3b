package main

import (
	"fmt"
	"io"
	"time"
)

// pollInterval is how often the live log is read for new records.
const pollInterval = 200 * time.Millisecond

// app follows one run folder: it polls the live log, keeps the run's state
// and loads the sample images in the background. It is the window's model
// and needs no display.
type app struct {
	follow   *follower
	state    *runState
	view     *view
	dataDir  string
	stderr   io.Writer
	loading  chan samples // delivers the sample images being loaded
	wantKey  string       // the samples asked for
	said     map[string]bool
	lastPoll time.Time
}

func newApp(dir, dataDir string, width, height float32, stderr io.Writer) *app {
	return &app{follow: newFollower(dir), state: newRunState(), dataDir: dataDir, stderr: stderr,
		view: &view{dir: dir, width: width, height: height, cursorX: -1, cursorY: -1}, said: map[string]bool{}}
}

// tick polls the log when due and collects loaded images; it reports
// whether anything changed, so the window redraws only then.
func (a *app) tick(now time.Time) bool {
	changed := a.collectSamples()
	if now.Sub(a.lastPoll) < pollInterval {
		return changed
	}
	a.lastPoll = now
	changed = a.poll() || changed
	if a.ready() {
		// Once: tests and scripts wait for this line.
		a.tell("showing " + a.view.dir)
	}
	return changed
}

// poll reads new records and applies them.
func (a *app) poll() bool {
	res := a.follow.poll()
	changed := res.missing != a.view.missing || a.follow.partial() != a.view.partial
	a.view.missing, a.view.partial = res.missing, a.follow.partial()
	a.tell(res.missing)
	if res.restarted {
		a.state = newRunState()
		a.state.note("live.jsonl shrank: a new run replaced it; reading it from the start")
		changed = true
	}
	for _, p := range res.problems {
		a.view.problems = append(a.view.problems[max(len(a.view.problems)-2, 0):], p)
		a.tell(p)
		changed = true
	}
	for _, rec := range res.records {
		a.state.apply(rec)
		changed = true
	}
	if a.view.partial > 0 && len(res.records) == 0 {
		a.tell(incompleteLine(a.view.partial))
	}
	for _, n := range a.state.notes {
		a.tell(n)
	}
	a.requestSamples()
	return changed
}

// requestSamples starts loading the sample images a new run asks for.
func (a *app) requestSamples() {
	key := samplesKey(a.state.start, a.dataDir)
	if key == a.wantKey {
		return
	}
	a.wantKey, a.view.samples, a.loading = key, nil, nil
	if key == "" {
		return
	}
	start, dataDir := *a.state.start, a.dataDir
	ch := make(chan samples, 1)
	a.loading = ch
	go func() { ch <- loadSamples(&start, dataDir) }()
}

// collectSamples takes the images once loaded.
func (a *app) collectSamples() bool {
	if a.loading == nil {
		return false
	}
	select {
	case s := <-a.loading:
		a.loading = nil
		if s.key != a.wantKey {
			return false
		}
		a.view.samples = &s
		if s.err != nil {
			a.tell(s.err.Error())
		}
		return true
	default:
		return false
	}
}

// ready says whether the log was read and the sample images settled, so a
// screenshot shows the run rather than a half-loaded window.
func (a *app) ready() bool {
	return !a.lastPoll.IsZero() && (a.wantKey == "" || a.view.samples != nil && a.view.samples.key == a.wantKey)
}

// tell writes a message to stderr once.
func (a *app) tell(msg string) {
	if msg == "" || a.said[msg] {
		return
	}
	a.said[msg] = true
	fmt.Fprintln(a.stderr, "watch:", msg)
}
