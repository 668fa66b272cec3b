//go:build cgo

// Command watch shows a training run live in a window: train's loss and
// metric curves, throughput, ETA and the model's predictions on sample
// test images, read from the live.jsonl that train -out DIR writes. It
// follows the file as it grows and replays a finished run.
//
//	watch [-data-dir DIR] [-size 1280x760] RUNDIR
//	watch -screenshot shot.png -frames 5 RUNDIR   # draw, save, exit
//
// Keys: L toggles log and linear y axes; Q or Escape quits.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
)

func main() {
	o, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err == nil {
		err = runWindow(o, os.Stderr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "watch:", err)
		os.Exit(1)
	}
}
