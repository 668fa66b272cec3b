package main

import (
	"flag"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/anvil-ml/anvil/datasets"
)

// options are the command-line settings.
type options struct {
	Quick     bool
	JSON      string
	PNG       string
	Lavapipe  bool
	DataDir   string
	Synthetic bool
	PyTorch   bool
	Python    string
	Kernels   bool
	EndToEnd  bool
	Filter    *regexp.Regexp
	Models    []string
	Batches   []int
	Seconds   float64
	Repeats   int
	// Precision is the end-to-end models' dtype policy: float32 or
	// mixed_float16 (-precision mixed).
	Precision string
}

func parseOptions(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { usage(fs, stderr) }
	o := &options{}
	fs.BoolVar(&o.Quick, "quick", false, "run the CI subset (about a minute on 2 cores)")
	fs.StringVar(&o.JSON, "json", "", "write every figure and the machine description to `FILE` as JSON")
	fs.StringVar(&o.PNG, "png", "", "write a bar chart of end-to-end images/s per backend to `FILE`")
	fs.BoolVar(&o.Lavapipe, "lavapipe", false, "include CPU Vulkan drivers (lavapipe) among the Vulkan devices (default true with -quick)")
	fs.StringVar(&o.DataDir, "data-dir", "", "folder holding CIFAR-10 (cifar-10-batches-bin or its parent; default: where train finds it, $"+datasets.EnvDataDir+" then /usr/share/datasets)")
	fs.BoolVar(&o.Synthetic, "synthetic", false, "use random images instead of CIFAR-10")
	fs.BoolVar(&o.PyTorch, "pytorch", false, "also train the same models in PyTorch (bench/pytorch_compare.py) and compare")
	fs.StringVar(&o.Python, "python", "", "Python interpreter for -pytorch (default: /usr/bin/python3 or python3, whichever imports torch)")
	sections := fs.String("sections", "kernels,e2e", "comma-separated sections to run: kernels, e2e")
	filter := fs.String("run", "", "run only the kernels and end-to-end cases whose name matches `REGEXP`")
	models := fs.String("models", "fnn,cnn", "end-to-end models: fnn, cnn")
	batches := fs.String("batches", "", "end-to-end batch sizes (default 32,128,512; -quick: 32)")
	fs.Float64Var(&o.Seconds, "seconds", 0, "target seconds per measurement (default 1; -quick: 0.5)")
	fs.IntVar(&o.Repeats, "repeats", 0, "end-to-end repeats, median reported (default 3; -quick: 1)")
	precision := fs.String("precision", "float32", "end-to-end models' precision: float32, or mixed (Keras's mixed_float16)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if o.Quick && !flagSet(fs, "lavapipe") {
		// The quick run checks the suite itself: on a machine whose only
		// Vulkan device is lavapipe, that is the device to check it on.
		o.Lavapipe = true
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: bench takes flags only (see -h)", fs.Arg(0))
	}
	if err := o.setPrecision(*precision); err != nil {
		return nil, err
	}
	return o, o.finish(*sections, *filter, *models, *batches)
}

// finish parses the list flags and fills the defaults that depend on -quick.
func (o *options) finish(sections, filter, models, batches string) error {
	for _, s := range splitList(sections) {
		switch s {
		case "kernels":
			o.Kernels = true
		case "e2e":
			o.EndToEnd = true
		default:
			return fmt.Errorf("-sections: unknown section %q (use kernels, e2e)", s)
		}
	}
	if filter != "" {
		re, err := regexp.Compile(filter)
		if err != nil {
			return fmt.Errorf("-run: %w", err)
		}
		o.Filter = re
	}
	for _, m := range splitList(models) {
		if m != "fnn" && m != "cnn" {
			return fmt.Errorf("-models: unknown model %q (use fnn, cnn)", m)
		}
		o.Models = append(o.Models, m)
	}
	if batches == "" {
		batches = "32,128,512"
		if o.Quick {
			batches = "32"
		}
	}
	for _, b := range splitList(batches) {
		n, err := strconv.Atoi(b)
		if err != nil || n <= 0 {
			return fmt.Errorf("-batches: %q is not a positive batch size", b)
		}
		o.Batches = append(o.Batches, n)
	}
	o.defaults()
	return o.locateData()
}

// locateData resolves -data-dir to the CIFAR-10 folder, looking where train
// looks when it is not given. A -data-dir without CIFAR-10 is an error;
// with no -data-dir and no CIFAR-10 found, DataDir stays empty and the
// suite uses synthetic images, saying why.
func (o *options) locateData() error {
	if o.Synthetic {
		return nil
	}
	dir, err := datasets.Locate("cifar10", o.DataDir)
	switch {
	case err == nil:
		o.DataDir = dir
	case o.DataDir != "":
		return fmt.Errorf("-data-dir: %w", err)
	}
	return nil
}

func (o *options) defaults() {
	if o.Seconds <= 0 {
		o.Seconds = 1
		if o.Quick {
			o.Seconds = 0.5
		}
	}
	if o.Repeats <= 0 {
		o.Repeats = 3
		if o.Quick {
			o.Repeats = 1
		}
	}
}

// selected reports whether a case called name passes -run.
func (o *options) selected(name string) bool { return o.Filter == nil || o.Filter.MatchString(name) }

// flagSet reports whether the command line set the flag called name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprint(w, `bench measures Anvil's backends side by side: kernels (matmul, conv2d,
batch norm, softmax cross-entropy, Adam) and end-to-end training and
inference of the reference FNN and CNN, on the CPU backend and on every
Vulkan device the build can open.

Usage: go run ./bench [flags]

Examples:
  go run ./bench -quick
  go run ./bench -json results.json -png results.png -pytorch
  go run ./bench -sections kernels -run 'matmul/square'

Flags:
`)
	fs.PrintDefaults()
}
