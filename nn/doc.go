// Package nn is Anvil's Keras-style API: models (Sequential and functional),
// layers, initializers, losses, metrics and optimizers, the Fit / Evaluate /
// Predict loop, Summary, and weights.
//
// A model compiles once into a tensor.Plan — one list of ops for a training
// step, one for evaluation and one for prediction — and a backend compiles
// that plan into a program it replays every batch. Layers never run code
// themselves: each one emits its forward ops and, next to them, its backward
// ops. Names and defaults follow Keras: Dense and Conv2D use glorot_uniform
// kernels and zero biases, BatchNormalization momentum 0.99 and epsilon
// 1e-3, LeakyReLU slope 0.3, SGD learning rate 0.01, Adam and RMSprop 1e-3,
// optimizer epsilon 1e-7.
//
// Data reaches the backend once: Fit, Evaluate and Predict (and FitData,
// EvaluateData and PredictData, which take byte images and integer labels
// as well as float tensors, see Data) upload the samples into the
// program, and each step gathers its batch there through the epoch's
// sample order; steps run in chunks of one submission. Predict's steps
// scatter their outputs into a buffer on the backend, read once per call.
//
// Fit takes Keras's callbacks (EarlyStopping, ModelCheckpoint,
// ReduceLROnPlateau, LearningRateScheduler, CSVLogger, TerminateOnNaN, or
// any type embedding BaseCallback), and an optimizer's Schedule field takes
// Keras's learning-rate schedules (ExponentialDecay, CosineDecay,
// PiecewiseConstantDecay). Where Go differs: FitOptions.Verbose's zero
// value is Keras's default (the progress bar) and Silent is verbose=0;
// Evaluate returns Results, by name and in order; a callback that cannot
// act (its monitored value is missing) returns an error where Keras warns;
// and a checkpoint (SaveCheckpoint) can keep the state of EarlyStopping,
// ModelCheckpoint, ReduceLROnPlateau and CSVLogger (Checkpoint.Callbacks,
// StatefulCallback), so a resumed Fit ends as an unbroken one, where
// Keras's callbacks start afresh.
//
// nn knows no backend: a model runs where Model.SetBackend says, else on
// the default that package backend registers when a program imports it
// (the CPU backend); with neither, running a model returns ErrNoBackend.
package nn
