package main

import (
	"flag"
	"fmt"
	"os"
)

// options are watch's flags.
type options struct {
	dir           string
	dataDir       string
	screenshot    string
	frames        int
	width, height int
	timeout       int
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: watch [flags] RUNDIR\n\nwatch follows the live.jsonl that train -out RUNDIR writes and draws the run.\nKeys: L log/linear axes, Q or Escape quits.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.dataDir, "data-dir", "", "folder of the run's data set, for the sample images (default: the run's, then $ANVIL_DATA)")
	fs.StringVar(&o.screenshot, "screenshot", "", "write the window to this PNG file after -frames frames, then exit")
	fs.IntVar(&o.frames, "frames", 5, "with -screenshot: frames to draw once the run is loaded")
	size := fs.String("size", "1280x760", "window size in pixels, WIDTHxHEIGHT")
	fs.IntVar(&o.timeout, "timeout", 120, "with -screenshot: give up after this many seconds")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return nil, fmt.Errorf("give one run folder (the -out folder of train), got %d arguments", fs.NArg())
	}
	o.dir = fs.Arg(0)
	if _, err := fmt.Sscanf(*size, "%dx%d", &o.width, &o.height); err != nil || o.width < 320 || o.height < 240 || o.width > 8192 || o.height > 8192 {
		return nil, fmt.Errorf("-size %q: give WIDTHxHEIGHT, at least 320x240", *size)
	}
	if o.frames < 1 {
		return nil, fmt.Errorf("-frames %d: must be at least 1", o.frames)
	}
	if st, err := os.Stat(o.dir); err == nil && !st.IsDir() {
		return nil, fmt.Errorf("%s is a file: give the run's folder (train -out DIR)", o.dir)
	}
	return o, nil
}
