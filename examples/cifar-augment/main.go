// Command cifar-augment trains a Keras-sized CNN on CIFAR-10 the way a
// Keras user reaches for next: augmentation layers at the input (random
// flips and translations, run inside the training step on the backend), a
// cosine learning-rate schedule with warmup, EarlyStopping on the
// validation loss with the best weights restored, and a ModelCheckpoint
// that keeps the best model. It prints the test accuracy at the end and
// saves the tested model (the best weights) to -out/final.
//
//	go run ./examples/cifar-augment -epochs 60 -seed 1 -backend auto
//
// The validation data is the last 5,000 training images (Keras's
// validation_split=0.1); the test set is only evaluated at the end.
//
// A long run survives interruption: after every epoch, and when stopped
// with Ctrl-C (or SIGTERM) inside one, it saves a checkpoint to
// -out/checkpoint (atomically: a crash leaves the previous one) holding
// the weights, the optimizer's state and step (so the schedule), where
// training stood, the history, and EarlyStopping's and ModelCheckpoint's
// state. The same command with -resume continues it and ends bit for bit
// as the unbroken run would on the same backend:
//
//	go run ./examples/cifar-augment -epochs 60 -seed 1 -backend auto -resume
//
// -resume refuses a checkpoint saved with other -epochs, -batch-size,
// -seed, -lr or limits, saying which differ; a new run refuses to start
// over a waiting checkpoint. The checkpoint is removed once the run
// completes, as Keras's BackupAndRestore does.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/anvil-ml/anvil/backend"
	"github.com/anvil-ml/anvil/datasets"
	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/tensor"
)

func main() {
	// Ctrl-C stops training after the current steps, with a checkpoint; a
	// second one kills the program (the last epoch's checkpoint stays).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() { <-ctx.Done(); stop() }()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "cifar-augment:", err)
		os.Exit(1)
	}
}

// classes is CIFAR-10's class count; the model is built before the data
// is read, so that a -resume that cannot work fails at once.
const classes = 10

// settings are the command's flags.
type settings struct {
	epochs, batch, limitTrain, limitTest, verbose int
	seed                                          uint64
	lr                                            float64
	dataDir, out, backend, device                 string
	resume                                        bool
}

func parse(args []string, stderr io.Writer) (*settings, error) {
	s := &settings{}
	fs := flag.NewFlagSet("cifar-augment", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&s.epochs, "epochs", 60, "most epochs (EarlyStopping may end sooner)")
	fs.IntVar(&s.batch, "batch-size", 64, "batch size")
	fs.IntVar(&s.limitTrain, "limit-train", 0, "use only the first N training images (0: all 50,000)")
	fs.IntVar(&s.limitTest, "limit-test", 0, "use only the first N test images (0: all 10,000)")
	fs.IntVar(&s.verbose, "verbose", 1, "0 silent, 1 progress bar, 2 one line per epoch")
	fs.Uint64Var(&s.seed, "seed", 1, "seed of the initial weights, the shuffles, dropout and augmentation")
	fs.Float64Var(&s.lr, "lr", 2e-3, "peak learning rate, reached after one epoch of warmup")
	fs.StringVar(&s.dataDir, "data-dir", "", "CIFAR-10 folder (default: found as ANVIL_DATA says, else downloaded)")
	fs.StringVar(&s.out, "out", "runs/cifar-augment", "folder for the best and final models and the run's checkpoint")
	fs.StringVar(&s.backend, "backend", "auto", "auto, cpu or vulkan")
	fs.StringVar(&s.device, "device", "", "Vulkan device (index or name part)")
	fs.BoolVar(&s.resume, "resume", false, "continue the interrupted run whose checkpoint is in -out (give the run's other flags too)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if s.epochs < 1 || s.batch < 1 || s.limitTrain < 0 || s.limitTest < 0 || !(s.lr > 0) {
		return nil, fmt.Errorf("-epochs, -batch-size and -lr must be positive, the limits not negative")
	}
	return s, nil
}

func run(ctx context.Context, args []string, out io.Writer) error {
	s, err := parse(args, out)
	if err != nil {
		return err
	}
	// Automatic layer names key the dropout and augmentation draws: each
	// run starts counting afresh, so a new run and a resumed one agree.
	nn.ClearSession()
	m, err := augmentedCNN(classes)
	if err != nil {
		return err
	}
	prev, err := openCheckpoint(s, m)
	if err != nil {
		return err
	}
	if prev != nil {
		m = prev.model
		fmt.Fprintf(out, "resuming from %s: epoch %d, step %d\n", filepath.Join(s.out, checkpointDir), prev.Epoch+1, prev.Step)
	}
	train, test, err := datasets.Load(ctx, "cifar10", s.dataDir, out)
	if err != nil {
		return err
	}
	if s.limitTrain > 0 {
		train = train.Subset(s.limitTrain)
	}
	if s.limitTest > 0 {
		test = test.Subset(s.limitTest)
	}
	b, err := backend.Select(s.backend, s.device, out)
	if err != nil {
		return err
	}
	defer b.Close()
	if err := m.SetBackend(b); err != nil {
		return err
	}
	defer m.Close()
	m.Summary(out)
	return fitAndTest(ctx, m, s, train, test, out, prev)
}

// fitAndTest compiles m with Adam on a warmed-up cosine schedule (or
// continues prev, compiled as it was), fits it with EarlyStopping and
// ModelCheckpoint, keeping the checkpoint current, and evaluates the best
// weights on the test set.
func fitAndTest(ctx context.Context, m *nn.Model, s *settings, train, test *datasets.Set, out io.Writer, prev *resumed) error {
	stop := nn.EarlyStopping()
	stop.Patience, stop.RestoreBestWeights = 10, true
	best := nn.ModelCheckpoint(filepath.Join(s.out, "best"))
	best.SaveBestOnly = true
	saver := &epochSaver{dir: filepath.Join(s.out, checkpointDir), seed: s.seed, meta: s.meta(),
		history: &nn.History{Metrics: map[string][]float64{}}, keep: []nn.Callback{stop, best}}
	fit := nn.FitOptions{Epochs: s.epochs, BatchSize: s.batch, Seed: s.seed, Verbose: verbosity(s.verbose), Out: out,
		ValidationSplit: 0.1, Callbacks: []nn.Callback{stop, best, saver}, OnEpochEnd: saver.record}
	if err := compileOrContinue(m, s, train.Len(), prev, saver, &fit); err != nil {
		return err
	}
	_, err := m.FitData(ctx, nn.Data{Bytes: []*tensor.Bytes{train.Images}, Labels: train.Labels}, fit)
	if stopped := (*nn.Interrupted)(nil); errors.As(err, &stopped) {
		if serr := saver.save(stopped.Epoch, stopped.Step, stopped.Sums); serr != nil {
			return fmt.Errorf("%w; saving the checkpoint failed too: %w", err, serr)
		}
		fmt.Fprintf(out, "\ninterrupted in epoch %d after %d steps: saved the checkpoint %s; continue with the same flags and -resume\n",
			stopped.Epoch+1, stopped.Step, saver.dir)
	}
	if err != nil {
		return err
	}
	res, err := m.EvaluateData(nn.Data{Bytes: []*tensor.Bytes{test.Images}, Labels: test.Labels}, 256)
	if err != nil {
		return err
	}
	acc, _ := res.Get("accuracy")
	h := saver.history
	fmt.Fprintf(out, "epochs %d (%.1f s each), best epoch %d: test loss %.4f accuracy %.4f\n",
		len(h.Epoch), mean(h.Seconds), stop.BestEpoch+1, res.Loss(), acc)
	if err := nn.SaveModel(m, filepath.Join(s.out, "final")); err != nil {
		return err
	}
	// The run is complete: its checkpoint is no longer needed.
	return os.RemoveAll(saver.dir)
}

// compileOrContinue sets a new run's optimizer and schedule, or restores
// an interrupted run's callbacks, history and position into fit.
func compileOrContinue(m *nn.Model, s *settings, samples int, prev *resumed, saver *epochSaver, fit *nn.FitOptions) error {
	if prev != nil {
		saver.history.Append(prev.History)
		fit.InitialEpoch, fit.InitialStep, fit.InitialSums = prev.Epoch, prev.Step, prev.Sums
		return prev.RestoreCallbacks(saver.keep...)
	}
	n := samples - samples/10 // validation_split=0.1
	steps := (n + s.batch - 1) / s.batch
	opt := nn.Adam(float32(s.lr))
	opt.Schedule = nn.CosineDecay(s.lr/10, (s.epochs-1)*steps, 0.01, s.lr, steps)
	return m.Compile(opt, "sparse_categorical_crossentropy", "accuracy")
}

// mean is the average of vs, 0 when there are none.
func mean(vs []float64) float64 {
	sum := 0.0
	for _, v := range vs {
		sum += v
	}
	return sum / float64(max(len(vs), 1))
}

// augmentedCNN is a VGG-style CNN of 552,362 parameters (Keras counts the same): random flips and
// translations at the input, three blocks of two 3×3 convolutions with
// batch norm and ReLU, max pooling and dropout, then a dense layer.
func augmentedCNN(classes int) (*nn.Model, error) {
	in := nn.Input(32, 32, 3)
	x := nn.RandomFlip("horizontal").Call(in)
	x = nn.RandomTranslation(nn.Factor{0.1}, nn.Factor{0.1}).Call(x)
	for i, filters := range []int{32, 64, 128} {
		for range 2 {
			x = nn.Conv2D(filters, 3, nn.WithPadding("same")).Call(x)
			x = nn.BatchNormalization().Call(x)
			x = nn.Activation("relu").Call(x)
		}
		x = nn.MaxPooling2D().Call(x)
		x = nn.Dropout(0.2 + 0.1*float32(i)).Call(x)
	}
	x = nn.Flatten().Call(x)
	x = nn.Dense(128, nn.WithActivation("relu")).Call(x)
	x = nn.Dropout(0.5).Call(x)
	out := nn.Dense(classes, nn.WithActivation("softmax")).Call(x)
	return nn.NewModel([]*nn.Symbol{in}, out)
}

// verbosity maps the flag's Keras levels onto FitOptions.Verbose, whose
// zero value is Keras's default progress bar.
func verbosity(v int) int {
	if v == 0 {
		return nn.Silent
	}
	return v
}
