//go:build cgo

package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// requireDisplayEnv, set to 1 by scripts/test.sh, makes the window tests
// fail rather than skip when no X server can be started.
const requireDisplayEnv = "ANVIL_REQUIRE_DISPLAY"

// startXvfb starts a private Xvfb on a free display and returns its name.
func startXvfb(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("Xvfb")
	if err != nil {
		noDisplay(t, "Xvfb not found (install xvfb, see .ci/setup.sh)")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, "-displayfd", "3", "-screen", "0", "1600x1000x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	var xlog bytes.Buffer
	cmd.Stderr = &xlog
	if err := cmd.Start(); err != nil {
		noDisplay(t, fmt.Sprintf("starting Xvfb: %v", err))
	}
	w.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if n == "" {
			noDisplay(t, "Xvfb exited: "+xlog.String())
		}
		return ":" + n
	case <-time.After(30 * time.Second):
		noDisplay(t, "Xvfb did not report its display within 30s: "+xlog.String())
	}
	return ""
}

func noDisplay(t *testing.T, why string) {
	t.Helper()
	if os.Getenv(requireDisplayEnv) == "1" {
		t.Fatalf("no display for the window tests: %s (%s=1)", why, requireDisplayEnv)
	}
	t.Skipf("no display for the window tests: %s (set %s=1 to fail instead)", why, requireDisplayEnv)
}

// watchCommand runs this test binary as the watch command on display.
func watchCommand(ctx context.Context, display string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), runMainEnv+"=1", "DISPLAY="+display)
	return cmd
}

func readPNG(t *testing.T, path string) *image.RGBA {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	rgba, ok := img.(*image.RGBA)
	if !ok {
		t.Fatalf("screenshot is %T, want *image.RGBA", img)
	}
	return rgba
}

func TestScreenshotOfAFinishedRun(t *testing.T) {
	display := startXvfb(t)
	data := writeFixtureData(t)
	dir := writeRunDir(t, encodeRecords(t, fixtureRun(data)))
	// The large window shows the images at twice their size, the small one
	// at their own.
	for _, size := range [][2]int{{1280, 760}, {860, 560}} {
		shot := filepath.Join(t.TempDir(), "shot.png")
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		out, err := watchCommand(ctx, display, "-screenshot", shot, "-frames", "3", "-size", fmt.Sprintf("%dx%d", size[0], size[1]), dir).CombinedOutput()
		if err != nil {
			t.Fatalf("watch: %v\n%s", err, out)
		}
		checkShot(t, readPNG(t, shot), loadedApp(t, dir, float32(size[0]), float32(size[1])))
	}
}

func TestScreenshotFollowsAGrowingRun(t *testing.T) {
	display := startXvfb(t)
	data := writeFixtureData(t)
	lines := encodeRecords(t, fixtureRun(data))
	dir := writeRunDir(t, []string{lines[0], lines[1][:15]})
	shot := filepath.Join(t.TempDir(), "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := watchCommand(ctx, display, "-screenshot", shot, "-frames", "15", "-size", "1280x760", dir)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var said bytes.Buffer
	sc := bufio.NewScanner(stderr)
	for sc.Scan() && !strings.Contains(sc.Text(), "watch: showing") {
		said.WriteString(sc.Text() + "\n")
	}
	// The window is up: the rest of the run arrives, the last line in two writes.
	appendLog(t, dir, lines[1][15:])
	for _, l := range lines[2 : len(lines)-1] {
		time.Sleep(20 * time.Millisecond)
		appendLog(t, dir, l)
	}
	last := lines[len(lines)-1]
	appendLog(t, dir, last[:9])
	time.Sleep(50 * time.Millisecond)
	appendLog(t, dir, last[9:])
	rest, _ := io.ReadAll(stderr)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("watch: %v\n%s%s", err, said.String(), rest)
	}
	checkShot(t, readPNG(t, shot), loadedApp(t, dir, 1280, 760))
}

// The interactive window follows the log and, while nothing arrives, stays
// responsive: it quits promptly on SIGTERM.
func TestWindowStaysResponsive(t *testing.T) {
	display := startXvfb(t)
	lines := encodeRecords(t, fixtureRun(writeFixtureData(t)))
	dir := writeRunDir(t, lines[:3])
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := watchCommand(ctx, display, dir)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() && !strings.Contains(sc.Text(), "watch: showing") {
	}
	appendLog(t, dir, strings.Join(lines[3:], ""))
	time.Sleep(time.Second)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	io.Copy(io.Discard, stderr)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("watch after SIGTERM: %v", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("watch took %v to quit", d)
	}
}

func TestScreenshotOfAFolderWithoutARun(t *testing.T) {
	display := startXvfb(t)
	shot := filepath.Join(t.TempDir(), "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := watchCommand(ctx, display, "-screenshot", shot, "-frames", "1", "-size", "640x480", t.TempDir()).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "no run in") {
		t.Fatalf("watch on an empty folder: %v\n%s", err, out)
	}
	img := readPNG(t, shot)
	// The message is written in the note colour on the status line.
	if n := countColor(img, rect{pad, pad + 2*lineH, 600, lineH}, colNote); n < 50 {
		t.Errorf("%d pixels of the missing-run message, want some", n)
	}
}

// checkShot compares a screenshot of the fixture run with where a loaded
// app puts things.
func checkShot(t *testing.T, img *image.RGBA, a *app) {
	t.Helper()
	if b := img.Bounds(); float32(b.Dx()) != a.view.width || float32(b.Dy()) != a.view.height {
		t.Fatalf("screenshot is %v, want %vx%v", b, a.view.width, a.view.height)
	}
	l := a.view.layoutFor(a.state)
	for i, name := range a.state.plotted() {
		ax, _ := a.view.plotAxes(a.state, name, l.plots[i])
		checkCurve(t, img, ax, a.state.curves[name].train, colTrain, name+" train")
		checkCurve(t, img, ax, a.state.curves[name].val, colVal, name+" val")
	}
	checkTiles(t, img, l, a)
	// The status line says "finished" in green.
	if n := countColor(img, rect{l.header.x, l.header.y + 2*lineH, 300, lineH}, colGood); n < 30 {
		t.Errorf("%d green pixels on the status line, want the word finished", n)
	}
}

// checkCurve asserts that the curve's pixels are where its data puts them:
// near every point, and nowhere in the plot far from its polyline.
func checkCurve(t *testing.T, img *image.RGBA, ax axes, ps []point, c color.RGBA, what string) {
	t.Helper()
	if len(ps) < 2 {
		t.Fatalf("%s: %d points", what, len(ps))
	}
	var px [][2]float32
	for _, p := range ps {
		x, y := ax.toPixel(p)
		px = append(px, [2]float32{x, y})
		if countColor(img, rect{x - 3, y - 3, 7, 7}, c) == 0 {
			t.Errorf("%s: no curve pixel near (%.3g, %.3g) at (%.0f, %.0f)", what, p.x, p.y, x, y)
		}
	}
	r := ax.area
	for y := int(r.y); y < int(r.y+r.h); y++ {
		for x := int(r.x); x < int(r.x+r.w); x++ {
			if img.RGBAAt(x, y) == c && distToPolyline(float32(x)+0.5, float32(y)+0.5, px) > 4 {
				t.Errorf("%s: a curve pixel at (%d, %d), away from the data", what, x, y)
				return
			}
		}
	}
}

// checkTiles asserts that each tile shows its data set image pixel for
// pixel, with label text, and a red frame exactly when predicted wrong.
func checkTiles(t *testing.T, img *image.RGBA, l layout, a *app) {
	t.Helper()
	if len(l.tiles) != 16 {
		t.Fatalf("%d tiles, want 16", len(l.tiles))
	}
	for i, tl := range l.tiles {
		scale := tl.image.w / 32
	pixels:
		for y := 0; y < 32; y++ {
			for x := 0; x < 32; x++ {
				sx, sy := int(tl.image.x+(float32(x)+0.5)*scale), int(tl.image.y+(float32(y)+0.5)*scale)
				want := fixturePixel(i, x, y)
				if got := img.RGBAAt(sx, sy); got != (color.RGBA{want[0], want[1], want[2], 255}) {
					t.Errorf("tile %d pixel (%d, %d): screen %v, data set %v", i, x, y, got, want)
					break pixels
				}
			}
		}
		right := a.state.predicted[i] == a.state.start.SampleLabels[i]
		if n := countColor(img, tl.pred, predColor(right)); n < 10 {
			t.Errorf("tile %d: %d pixels of the predicted label, want text", i, n)
		}
		if n := countColor(img, tl.truth, colDim); n < 10 {
			t.Errorf("tile %d: %d pixels of the true label, want text", i, n)
		}
		framed := img.RGBAAt(int(tl.image.x-2), int(tl.image.y+tl.image.h/2)) == colBad
		if framed == right {
			t.Errorf("tile %d: framed %v, predicted right %v", i, framed, right)
		}
	}
}

// countColor counts the pixels of colour c in r.
func countColor(img *image.RGBA, r rect, c color.RGBA) int {
	n := 0
	for y := int(r.y); y < int(r.y+r.h); y++ {
		for x := int(r.x); x < int(r.x+r.w); x++ {
			if img.RGBAAt(x, y) == c {
				n++
			}
		}
	}
	return n
}

// distToPolyline is the distance from (x, y) to the nearest segment.
func distToPolyline(x, y float32, pts [][2]float32) float32 {
	best := float32(1e9)
	for i := 0; i+1 < len(pts); i++ {
		best = min(best, distToSegment(x, y, pts[i], pts[i+1]))
	}
	return best
}

func distToSegment(x, y float32, a, b [2]float32) float32 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	u := float32(0)
	if l := dx*dx + dy*dy; l > 0 {
		u = max(0, min(1, ((x-a[0])*dx+(y-a[1])*dy)/l))
	}
	ex, ey := a[0]+u*dx-x, a[1]+u*dy-y
	return float32(math.Sqrt(float64(ex*ex + ey*ey)))
}
