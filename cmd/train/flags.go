package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// options are the train command's flags.
type options struct {
	model      string
	summary    bool
	data       string
	dataDir    string
	csvLabel   string
	csvClasses bool
	csvTest    string
	epochs     int
	batchSize  int
	optimizer  string
	lr         float64
	clipnorm   float64
	seed       uint64
	validation bool
	limitTrain int
	limitTest  int
	backend    string
	device     string
	out        string
	resume     string
	overwrite  bool
	verbose    int
	callbackFlags
	lossFlags
	selftest bool
	// runID identifies the run in -out (see runMarkerFile); not a flag.
	runID string
	// given holds the flags given on the command line, by name.
	given     map[string]bool
	verifyCPU int // steps to check against the CPU first (verify.go)

	metrics string // -metrics: more metrics to compile, by Keras name
	// augment is -augment's list of layers (augment.go).
	augment string
	// precision is float32 or mixed (precision.go).
	precision string
	// syncBN is -sync-bn: synchronized batch normalization (syncbn.go).
	syncBN bool
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.model, "model", "cnn", "model: linreg, fnn, simple-cnn, cnn, mlp (for CSV), or a folder/model.json saved by Anvil or exported from Keras")
	fs.BoolVar(&o.summary, "summary", false, "print the model's Keras summary and exit")
	fs.StringVar(&o.data, "data", "", "data set: cifar10, fashion-mnist, mnist or csv (default: cifar10 where found, else fashion-mnist where found, else cifar10, downloaded); a named data set not found is downloaded, as Keras does")
	fs.StringVar(&o.dataDir, "data-dir", "", "folder (or, with -data csv, file) holding the data, and the only place looked (default: $ANVIL_DATA, else ~/.cache/anvil/datasets, then /usr/share/datasets)")
	fs.StringVar(&o.csvLabel, "csv-label", "", "with -data csv: the label column's header (default: the last column)")
	fs.BoolVar(&o.csvClasses, "csv-classes", false, "with -data csv: the label column holds classes (else regression targets)")
	fs.StringVar(&o.csvTest, "csv-test", "", "with -data csv: the test set's CSV `FILE` (default: hold out a fifth of -data-dir's rows, drawn at random with -seed); its classes must be among the training file's and are numbered the same way")
	fs.IntVar(&o.epochs, "epochs", 10, "epochs to train")
	fs.IntVar(&o.batchSize, "batch-size", 32, "samples per training step")
	fs.StringVar(&o.optimizer, "optimizer", "adam", "optimizer: sgd, adam, rmsprop, adamw or nadam")
	fs.Float64Var(&o.lr, "lr", 0, "learning rate (default: 0.0005 for adam as in the tutorial, 0.01 for sgd, 0.001 for rmsprop)")
	fs.Float64Var(&o.clipnorm, "clipnorm", 0, "clip each variable's gradient to this L2 norm (Keras's clipnorm; 0: no clipping)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed for weights, shuffling, dropout and the -data csv hold-out; the same seed gives the same run")
	fs.BoolVar(&o.validation, "validation", true, "evaluate on the test set after every epoch (Keras's validation_data)")
	fs.IntVar(&o.limitTrain, "limit-train", 0, "use only the first N training samples (0: all)")
	fs.IntVar(&o.limitTest, "limit-test", 0, "use only the first N test samples (0: all)")
	fs.StringVar(&o.backend, "backend", "auto", "where to run: auto, cpu or vulkan")
	fs.StringVar(&o.device, "device", "", "Vulkan device by index or name substring (else $ANVIL_DEVICE, else the best)")
	fs.StringVar(&o.out, "out", "", "folder for history.json, metrics.json, the model, checkpoints and pictures")
	fs.StringVar(&o.resume, "resume", "", "continue the run whose -out folder this is, from its newest checkpoint, with its settings and its callbacks' state")
	fs.BoolVar(&o.overwrite, "overwrite", false, "let a new run replace the run already in -out: deletes that run's files (only files train wrote) first")
	fs.IntVar(&o.verbose, "verbose", 1, "0 silent, 1 progress bar, 2 one line per epoch")
	o.callbackFlags.addFlags(fs)
	o.lossFlags.addFlags(fs)
	fs.BoolVar(&o.selftest, "selftest", false, "check every kernel and the reference models on the -backend/-device against the CPU, then exit")
	addVerifyFlag(fs, o)
	fs.StringVar(&o.metrics, "metrics", "", "more metrics to report, by Keras name, comma-separated: e.g. precision,recall,auc,f1_score(average=macro),top_k_categorical_accuracy(k=3); accuracy (or mae for regression) is always reported")
	addAugmentFlag(fs, o)
	addPrecisionFlag(fs, o)
	addSyncBNFlag(fs, o)

	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	o.given = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.given[f.Name] = true })
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: every setting is a flag (see -h)", fs.Arg(0))
	}
	return o, o.validate()
}

func (o *options) validate() error {
	switch {
	case o.epochs <= 0:
		return fmt.Errorf("-epochs %d: must be at least 1", o.epochs)
	case o.batchSize <= 0:
		return fmt.Errorf("-batch-size %d: must be at least 1", o.batchSize)
	case o.limitTrain < 0 || o.limitTest < 0:
		return fmt.Errorf("-limit-train and -limit-test must not be negative")
	case o.verbose < 0 || o.verbose > 2:
		return fmt.Errorf("-verbose %d: use 0, 1 or 2", o.verbose)
	}
	if err := o.checkRate(); err != nil {
		return err
	}
	if !(o.clipnorm >= 0) || math.IsInf(o.clipnorm, 0) {
		return fmt.Errorf("-clipnorm %v: must be a positive finite number (or 0 for no clipping)", o.clipnorm)
	}
	if !oneOf(o.optimizer, "sgd", "adam", "rmsprop", "adamw", "nadam") {
		return fmt.Errorf("-optimizer %q: use sgd, adam, rmsprop, adamw or nadam", o.optimizer)
	}
	if !oneOf(o.backend, "auto", "cpu", "vulkan") {
		return fmt.Errorf("-backend %q: use auto, cpu or vulkan", o.backend)
	}
	if o.data != "" && !oneOf(o.data, "cifar10", "fashion-mnist", "mnist", "csv") {
		return fmt.Errorf("-data %q: use cifar10, fashion-mnist, mnist or csv", o.data)
	}
	if o.csvTest != "" && o.data != "csv" {
		return fmt.Errorf("-csv-test %s: only with -data csv", o.csvTest)
	}
	if o.resume != "" && o.out != "" && o.out != o.resume {
		return fmt.Errorf("-resume %s continues writing to that folder; drop -out or make it the same", o.resume)
	}
	if o.resume != "" && o.overwrite {
		return fmt.Errorf("-resume continues the run in %s and -overwrite deletes it: give one of them", o.resume)
	}
	if o.resume != "" {
		o.out = o.resume
	}
	if err := o.validateCallbacks(); err != nil {
		return err
	}
	if err := o.validateLoss(); err != nil {
		return err
	}
	if o.overwrite && isModelPath(o.model) && isInside(o.model, o.out) {
		return fmt.Errorf("-model %s is inside -out %s, which -overwrite clears: copy the model elsewhere first", o.model, o.out)
	}
	if err := o.validateAugment(); err != nil {
		return err
	}
	if err := o.validatePrecision(); err != nil {
		return err
	}
	if err := o.validateVerify(); err != nil {

		return err
	}
	if isModelPath(o.model) {
		// Fail before minutes of data loading, not after.
		if _, err := os.Stat(o.model); err != nil {
			return fmt.Errorf("-model %s: %w", o.model, err)
		}
	}
	return nil
}

// checkRate rejects a learning rate the optimizers cannot use: not a
// finite positive number, or one that float32, in which the optimizers
// compute, rounds to 0 or to infinity. Left out, -lr means the
// optimizer's default.
func (o *options) checkRate() error {
	if !o.given["lr"] {
		return nil
	}
	switch r := float32(o.lr); {
	case math.IsNaN(o.lr) || math.IsInf(o.lr, 0) || math.IsInf(float64(r), 0):
		return fmt.Errorf("-lr %v: must be a finite number (at most %.3g); leave -lr out for the optimizer's default", o.lr, math.MaxFloat32)
	case o.lr <= 0:
		return fmt.Errorf("-lr %v: must be positive; leave -lr out for the optimizer's default", o.lr)
	case r == 0:
		return fmt.Errorf("-lr %v rounds to 0 in float32, in which training computes: use at least %.2g", o.lr, math.SmallestNonzeroFloat32)
	}
	return nil
}

// isInside reports whether path is dir or lies under it.
func isInside(path, dir string) bool {
	rel, err := filepath.Rel(filepath.Clean(dir), filepath.Clean(path))
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func oneOf(s string, options ...string) bool {
	for _, o := range options {
		if s == o {
			return true
		}
	}
	return false
}

const usageText = `train trains a Keras-style model with Anvil.

With no flags it does the main job on what this machine has: the tutorial's
CNN on CIFAR-10 where CIFAR-10 is found, otherwise on Fashion-MNIST.

Examples:
  train -model fnn -data cifar10 -data-dir ../shared/data/cifar-10-batches-bin -epochs 10 -out runs/fnn
  train -model cnn -summary
  train -resume runs/fnn        # after Ctrl-C: continue where it stopped

Flags:
`
