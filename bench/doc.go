// Command bench is Anvil's benchmark suite. It finds every backend this
// machine can run (the pure-Go CPU backend always, and each Vulkan device
// when the build has the Vulkan backend), runs the same work on each, one
// after the other in one process, and prints the figures side by side so
// that ratios come from one run.
//
// Usage:
//
//	go run ./bench [flags]
//	go run ./bench -quick                    # the CI subset, about a minute on 2 cores
//	go run ./bench -json out.json -png out.png -pytorch
//
// What it measures:
//
//   - Kernels. Each kernel is a tensor.Plan holding one op (batch norm: its
//     forward and backward) and its buffers, compiled on each backend. Every
//     buffer an op reads is filled with random values first (gonum's GEMM
//     skips zeros, so zeros would flatter it). The suite then times
//     Program.Run(tensor.Train) after warm-up and reports the median wall
//     time per run, GFLOP/s from counted work (2·M·N·K for a product,
//     2·OH·OW·F·KH·KW·C per sample for each convolution pass, padding
//     included) or GB/s for memory-bound ops (every operand read or written
//     once: a lower bound on real traffic), and the speed-up over the CPU
//     backend. A program that reports device time (see below) gets a second,
//     device-time column beside the wall time.
//   - End to end. The reference FNN and CNN (models) train with
//     nn.Model.Fit and infer with nn.Model.Predict, exactly as a user calls
//     them (Adam 0.0005, categorical cross-entropy, accuracy, shuffling).
//     The backend is wrapped in a thin timer that measures every
//     Program.Write (upload of the batch), Program.Run (execution) and
//     Program.Read (download of predictions and metric sums) that the nn
//     package makes; what is left of Fit's wall time is host overhead:
//     shuffling, gathering the batch into the staging buffer and input
//     validation. Images per second come from Fit's and Predict's whole wall
//     time after a warm-up call (which also compiles the program), so they are
//     what a user gets. The 50,000-image epoch time is 50,000 divided by the
//     training rate.
//   - PyTorch (-pytorch). bench/pytorch_compare.py trains the same models
//     with Keras semantics in PyTorch on the same device (CUDA when it has
//     one, else the CPU with as many threads as GOMAXPROCS). It runs right
//     after Anvil for each model and batch size, so that both see the same
//     machine load, and the suite prints Anvil's images per second against
//     PyTorch's. The script inherits the environment: on a loaded machine
//     PyTorch's OpenMP threads spin-wait for each other and lose up to
//     ten times their speed, which OMP_WAIT_POLICY=PASSIVE avoids.
//
// Device time: a Program that also has a method
//
//	GPUTime() (time.Duration, error)
//
// reporting how long its last Run took on the device (GPU timestamps) gets
// that figure reported beside wall time. Nothing else about a backend is
// assumed beyond tensor.Backend; in particular Run must return only once
// its work is done.
//
// Vulkan devices are opened with backend.Select("vulkan", index, ...).
// While the build has no Vulkan backend that call fails, and the suite
// prints a note and no GPU rows instead of failing. CPU Vulkan drivers
// (lavapipe) are skipped unless -lavapipe is given; -quick includes them
// unless told -lavapipe=false, so that the CI run checks the Vulkan path
// too.
package main
