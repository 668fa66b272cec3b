// Package oracle holds a test that checks Anvil's training against an
// implementation no one here wrote: PyTorch autograd, driven by replay.py
// with Keras 3's documented update rules and defaults. Anvil trains the
// reference models (and one with shared layers) for 20 steps; the replay
// starts from the same weights, sees the same batches and Anvil's dropout
// draws, and must reach the same losses and weights.
//
// The test needs python3 with torch (Debian's python3-torch, which
// .ci/setup.sh installs). Without it the test skips, unless
// ANVIL_REQUIRE_TORCH=1 (scripts/test.sh sets it), when it fails.
package oracle
