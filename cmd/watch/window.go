//go:build cgo

package main

import (
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/go-gl/gl/v2.1/gl"
	"github.com/go-gl/glfw/v3.3/glfw"
)

// window is the GLFW window showing an app.
type window struct {
	win   *glfw.Window
	app   *app
	ren   *renderer
	dirty bool
}

// runWindow opens the window and follows the run until the window is
// closed, or, with -screenshot, until the frames are drawn and saved.
func runWindow(o *options, stderr io.Writer) error {
	runtime.LockOSThread()
	if err := glfw.Init(); err != nil {
		return fmt.Errorf("cannot open a window: %w (is $DISPLAY set? without a screen run it under xvfb-run)", err)
	}
	defer glfw.Terminate()
	glfw.WindowHint(glfw.ContextVersionMajor, 2)
	glfw.WindowHint(glfw.ContextVersionMinor, 1)
	glfw.WindowHint(glfw.Resizable, glfw.True)
	glfw.WindowHint(glfw.DoubleBuffer, glfw.True)
	win, err := glfw.CreateWindow(o.width, o.height, "anvil watch: "+o.dir, nil, nil)
	if err != nil {
		return fmt.Errorf("cannot create an OpenGL 2.1 window: %w", err)
	}
	defer win.Destroy()
	win.MakeContextCurrent()
	if err := gl.Init(); err != nil {
		return fmt.Errorf("cannot load OpenGL: %w", err)
	}
	w := &window{win: win, app: newApp(o.dir, o.dataDir, float32(o.width), float32(o.height), stderr), ren: newRenderer(), dirty: true}
	if o.screenshot != "" {
		// No input: the pointer of a virtual screen would put a cursor
		// readout into the picture.
		return w.screenshot(o)
	}
	w.listen()
	return w.loop()
}

// listen handles keys, the cursor and resizing.
func (w *window) listen() {
	w.win.SetKeyCallback(func(win *glfw.Window, key glfw.Key, _ int, action glfw.Action, _ glfw.ModifierKey) {
		if action != glfw.Press {
			return
		}
		switch key {
		case glfw.KeyL:
			w.app.view.logY = !w.app.view.logY
			w.dirty = true
		case glfw.KeyQ, glfw.KeyEscape:
			win.SetShouldClose(true)
		}
	})
	w.win.SetCursorPosCallback(func(_ *glfw.Window, x, y float64) {
		w.app.view.cursorX, w.app.view.cursorY = float32(x), float32(y)
		w.dirty = true
	})
	w.win.SetCursorEnterCallback(func(_ *glfw.Window, entered bool) {
		if !entered {
			w.app.view.cursorX, w.app.view.cursorY = -1, -1
			w.dirty = true
		}
	})
	w.win.SetSizeCallback(func(_ *glfw.Window, _, _ int) { w.dirty = true })
	w.win.SetRefreshCallback(func(_ *glfw.Window) { w.dirty = true })
}

// loop redraws whenever something changed, waking a few times a second to
// poll the log, so the window stays responsive while nothing arrives.
func (w *window) loop() error {
	quit := make(chan os.Signal, 1)
	signal.Notify(quit, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(quit)
	for !w.win.ShouldClose() {
		glfw.WaitEventsTimeout(0.05)
		select {
		case <-quit:
			w.win.SetShouldClose(true)
		default:
		}
		if w.app.tick(time.Now()) {
			w.dirty = true
		}
		if w.dirty {
			w.frame()
			w.win.SwapBuffers()
		}
	}
	return nil
}

// frame draws the current state into the back buffer.
func (w *window) frame() {
	ww, wh := w.win.GetSize()
	fw, fh := w.win.GetFramebufferSize()
	if ww <= 0 || wh <= 0 || fw <= 0 || fh <= 0 {
		return // minimized
	}
	w.app.view.width, w.app.view.height = float32(ww), float32(wh)
	w.ren.draw(buildScene(w.app.view, w.app.state), fw, fh, float32(ww), float32(wh))
	w.dirty = false
}

// screenshot draws o.frames frames once the run is loaded, one per poll of
// the log, then writes the last to o.screenshot.
func (w *window) screenshot(o *options) error {
	deadline := time.Now().Add(time.Duration(o.timeout) * time.Second)
	frames := 0
	var polled time.Time
	for {
		glfw.PollEvents()
		now := time.Now()
		w.app.tick(now)
		if now.After(deadline) {
			return fmt.Errorf("-screenshot: the run did not load within %ds", o.timeout)
		}
		if !w.app.ready() || w.app.lastPoll == polled {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		polled = w.app.lastPoll
		w.frame()
		frames++
		if frames >= o.frames {
			fw, fh := w.win.GetFramebufferSize()
			return writePNG(o.screenshot, readPixels(fw, fh))
		}
		w.win.SwapBuffers()
	}
}

// writePNG saves img to path.
func writePNG(path string, img *image.RGBA) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("-screenshot: %w", err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("-screenshot %s: %w", path, err)
	}
	return f.Close()
}
