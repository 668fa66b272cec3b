package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/anvil-ml/anvil/backend"
	"github.com/anvil-ml/anvil/gpu"
	"github.com/anvil-ml/anvil/models"
	"github.com/anvil-ml/anvil/nn"
)

// run is the whole command, separated from main so tests can drive it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if o.selftest {
		return runSelfTest(o, stdout, stderr)
	}
	if o.summary {
		m, err := buildModel(o, nil)
		if err != nil {
			return err
		}
		m.Summary(stdout)
		return nil
	}
	if o.out != "" && leader() {
		release, err := openOut(o, stderr)
		if err != nil {
			return err
		}
		defer release()
	}
	if err := afterLeaderOpened(o); err != nil {
		return err
	}
	var resumed *checkpoint
	if o.resume != "" {
		if resumed, o, err = openCheckpoint(o, args, stderr); err != nil {
			return err
		}
	}
	replicaOptions(o)
	nn.SetRandomSeed(o.seed)
	data, err := loadData(o, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "data: %s, %d training and %d test samples from %s\n",
		data.name, data.train.Len(), data.test.Len(), data.train.Source)
	r, err := newRun(o, data, resumed, stdout, stderr)
	if err != nil {
		return err
	}
	defer r.backend.Close()
	defer r.model.Close()
	return withResumeHint(r.trainLive(ctx), o)
}

// withResumeHint adds to a device failure, wherever in the run it struck
// (a training step, a validation pass, the live log's prediction), what
// survives it: train writes a checkpoint after every epoch before any of
// the next epoch's work reaches the device.
func withResumeHint(err error, o *options) error {
	if !gpu.IsDeviceFailure(err) {
		return err
	}
	if o.out == "" {
		return fmt.Errorf("%w; what the device held is gone, and this run saved no checkpoints (no -out): start it again", err)
	}
	return fmt.Errorf("%w; what the device held is gone, but checkpoints already written are intact: "+
		"continue from the last one with `train -resume %s`", err, o.out)
}

// stepsPerExecution is FitOptions.StepsPerExecution: 0, Fit's choice,
// except in tests that stop a run after an exact step.
var stepsPerExecution int

// trainRun is one training run: its model, data and outputs.
type trainRun struct {
	o       *options
	data    *dataset
	model   *nn.Model
	backend backend.Backend
	// trainData and testData are the data as the model takes it: images
	// as bytes and class labels as integers, scaled and one-hot encoded
	// on the backend.
	trainData, testData nn.Data
	start               fitStart
	history             *nn.History
	warnings            []string // for metrics.json
	stdout, stderr      io.Writer
	live                *liveRun
	verified            *verifyRecord // the -verify-cpu verdict, when asked for
	// stateful are the callbacks whose state checkpoints keep, resumedFrom
	// the checkpoint a resumed run restores it from, and
	// saveAfterCallbacks says that epochSaver, not epochEnded, writes
	// the per-epoch checkpoints (callback_resume.go).
	stateful           statefulCallbacks
	resumedFrom        *nn.Checkpoint
	saveAfterCallbacks bool
}

// fitStart is where a run begins: from scratch, or from a checkpoint.
type fitStart struct {
	epoch, step int
	sums        []float64
}

func newRun(o *options, data *dataset, resumed *checkpoint, stdout, stderr io.Writer) (*trainRun, error) {
	r := &trainRun{o: o, data: data, stdout: stdout, stderr: stderr, history: &nn.History{Metrics: map[string][]float64{}}}
	var err error
	if resumed != nil {
		r.model, r.start, r.resumedFrom = resumed.model, resumed.start, resumed.saved
		if resumed.history != nil {
			r.history = resumed.history
		}
		err = applyResumedOptimizer(r.model, o, stderr)
	} else {
		r.model, err = buildModel(o, data)
		if err == nil {
			err = compileModel(r.model, o, data)
		}
	}
	if err == nil {
		err = applyPrecision(r.model, o)
	}
	if err != nil {
		return nil, err
	}
	if r.backend, err = backend.Select(o.backend, o.device, stderr); err != nil {
		return nil, err
	}
	if err := r.model.SetBackend(r.backend); err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "backend: %s on %s\n", r.backend.Name(), r.backend.Device())
	return r, r.prepareArrays()
}

// prepareArrays turns the data into model inputs and loss targets.
func (r *trainRun) prepareArrays() error {
	out := r.model.OutputShape()
	classes := out[len(out)-1]
	var err error
	if r.trainData, err = modelData(r.data.train, classes); err != nil {
		return err
	}
	r.testData, err = modelData(r.data.test, classes)
	return err
}

func (r *trainRun) train(ctx context.Context) error {
	o := r.o
	if n := r.data.train.Len(); o.given["batch-size"] && o.batchSize > n {
		fmt.Fprintf(r.stderr, "-batch-size %d is more than the %d training samples: each step takes all %d (as in Keras)\n", o.batchSize, n, n)
	}
	if err := r.verifyCPU(ctx); err != nil {
		return err
	}
	fit := nn.FitOptions{BatchSize: o.batchSize, Epochs: o.epochs, Verbose: fitVerbose(o.verbose), Out: r.stdout, Seed: o.seed,
		StepsPerExecution: stepsPerExecution,
		InitialEpoch:      r.start.epoch, InitialStep: r.start.step, InitialSums: r.start.sums,

		OnEpochEnd: r.epochEnded, Parallel: replicas.comm, ClassWeight: o.classWeights}
	if o.validation {
		fit.ValidationData = &r.testData
	}
	fit.SyncBatchNorm = o.syncBN
	noteSyncBN(o, r.stderr)
	if err := r.useCallbacks(&fit); err != nil { // callbacks.go
		return err
	}
	if err := r.keepCallbackState(&fit); err != nil { // callback_resume.go
		return err
	}
	r.live.attach(r.model, &fit)

	started := time.Now()
	_, err := r.model.FitData(ctx, r.trainData, fit)
	var stop *nn.Interrupted
	if errors.As(err, &stop) {
		if !leader() {
			return stop // rank 0 saves the checkpoint and says how to resume
		}
		return r.interrupted(stop)
	}
	if derr := r.divergedError(err); derr != nil {
		return derr
	}
	if err != nil {
		return err
	}
	return r.finish(time.Since(started))
}

// epochEnded records the epoch and writes a checkpoint.
func (r *trainRun) epochEnded(e nn.EpochEnd) error {
	r.history.Epoch = append(r.history.Epoch, e.Epoch)
	for k, v := range e.Logs {
		r.history.Metrics[k] = append(r.history.Metrics[k], v)
	}
	r.history.Seconds = append(r.history.Seconds, e.Seconds)
	r.checkDivergence(e.Epoch)
	if r.saveAfterCallbacks {
		return nil // epochSaver saves once the callbacks saw the epoch
	}
	return r.saveEpoch(e.Epoch)
}

// saveEpoch writes the checkpoint and the history after epoch epoch.
func (r *trainRun) saveEpoch(epoch int) error {
	if r.o.out == "" {
		return nil
	}
	if err := r.checkFiniteWeights(epoch); err != nil {
		return err
	}
	if err := r.saveCheckpoint(epoch+1, 0, nil); err != nil {
		return err
	}
	return writeHistory(r.o.out, r.history)
}

// interrupted saves where training stopped and says how to continue.
func (r *trainRun) interrupted(stop *nn.Interrupted) error {
	if r.o.out == "" {
		return fmt.Errorf("interrupted in epoch %d at step %d/%d; nothing saved (use -out DIR to keep checkpoints)",
			stop.Epoch+1, stop.Step, stop.Steps)
	}
	if err := r.saveCheckpoint(stop.Epoch, stop.Step, stop.Sums); err != nil {
		return fmt.Errorf("interrupted, and saving the checkpoint failed: %w", err)
	}
	fmt.Fprintf(r.stderr, "\ninterrupted in epoch %d at step %d/%d; checkpoint saved.\nresume with: train -resume %s\n",
		stop.Epoch+1, stop.Step, stop.Steps, r.o.out)
	return stop
}

// finish evaluates on the test set and writes the final outputs.
func (r *trainRun) finish(trainTime time.Duration) error {
	res, err := r.model.EvaluateData(r.testData, r.o.batchSize)
	if err != nil {
		return err
	}
	names := r.model.MetricNames()
	fmt.Fprintf(r.stdout, "test:")
	for i, n := range names {
		fmt.Fprintf(r.stdout, " %s %.4f", n, res.Values[i])
	}
	fmt.Fprintln(r.stdout)
	for _, w := range r.warnings {
		fmt.Fprintln(r.stderr, "warning:", w)
	}
	if r.o.out == "" {
		return nil
	}
	return r.writeOutputs(res.Values, trainTime)
}

// buildModel makes the model -model names, for the data's input shape.
func buildModel(o *options, data *dataset) (*nn.Model, error) {
	if isModelPath(o.model) {
		return loadModelFile(o.model)
	}
	im := models.CIFAR10
	if data != nil && data.name != "linreg" {
		shape := data.train.FeatureShape()
		classes := max(data.train.NumClasses(), 1)
		if len(shape) == 4 {
			im = models.Image{H: shape[1], W: shape[2], C: shape[3], Classes: classes}
		} else if o.model != "mlp" && o.model != "linreg" {
			return nil, fmt.Errorf("-model %s takes images; %s has %d features per sample: use -model mlp", o.model, data.name, shape[1:].Size())
		}
		if o.model == "mlp" {
			return mlp(shape[1:].Size(), classes, data.train.Labels != nil)
		}
	}
	if o.model == "mlp" {
		return nil, fmt.Errorf("-model mlp is built for a data set's features: give -data")
	}
	m, err := models.Build(o.model, im)
	if err != nil {
		return nil, err
	}
	return withAugmentation(m, o.augment)
}

// mlp is a small multilayer perceptron for tabular data.
func mlp(features, classes int, classify bool) (*nn.Model, error) {
	out := nn.Dense(1)
	if classify {
		out = nn.Dense(classes, nn.WithActivation("softmax"))
	}
	return nn.NewSequential(
		nn.Dense(64, nn.WithActivation("relu"), nn.WithInputShape(features)),
		nn.Dense(64, nn.WithActivation("relu")),
		out)
}

// compileModel compiles with the tutorial's settings: the chosen optimizer,
// cross-entropy with accuracy for classifiers, mean squared error otherwise.
func compileModel(m *nn.Model, o *options, data *dataset) error {
	opt, err := nn.OptimizerByName(o.optimizer)
	if err != nil {
		return err
	}
	setLearningRate(opt, o.lr)
	nn.SetClipping(opt, nn.Clipping{ClipNorm: float32(o.clipnorm)})
	recordOptimizer(opt, o)
	if err := checkLossFlagsFor(o, data.train.Labels != nil); err != nil {
		return err
	}
	loss, metrics := "mse", []string{"mae"}
	if data.train.Labels != nil {
		loss, metrics = classifierLoss(m, o), []string{"accuracy"}
	}
	if o.metrics == "" {
		return m.Compile(opt, loss, metrics...)
	}
	if err := m.Compile(opt, loss, append(metrics, nn.SplitMetricNames(o.metrics)...)...); err != nil {
		return fmt.Errorf("-metrics %q: %w", o.metrics, err)
	}
	return nil
}

// setLearningRate applies -lr, or the tutorial's 0.0005 for Adam; the
// other optimizers keep Keras's defaults.
func setLearningRate(opt nn.Optimizer, lr float64) {
	rate := float32(lr)
	if lr <= 0 {
		if _, adam := opt.(*nn.AdamOptimizer); !adam {
			return
		}
		rate = 0.0005
	}
	opt.SetLearningRate(rate)
}

// endsInSoftmax reports whether the model outputs probabilities: its last
// layer applies a softmax.
func endsInSoftmax(m *nn.Model) bool {
	layers := m.Layers()
	return layers[len(layers)-1].Activation() == "softmax"
}
