//go:build !cgo

// Command watch shows a training run live in a window. It draws with
// OpenGL through GLFW, which needs cgo: this build has none.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "watch: this build has no cgo, which the window (GLFW and OpenGL) needs: build it with CGO_ENABLED=1 and the X11 and GL headers (see .ci/setup.sh)")
	os.Exit(1)
}
