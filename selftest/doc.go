// Package selftest checks a backend against a reference backend, kernel
// family by kernel family, so that a user can learn in seconds whether
// Anvil computes correctly on their device and driver.
//
// Run builds small plans straight from tensor's ops (random shapes, odd
// sizes, short batches, every transpose, stride, padding and kind), runs
// each on both backends from the same inputs and compares every buffer
// with a tolerance argued from the float32 arithmetic involved (see
// tolerance.go). It then trains the reference FNN and CNN for 20 steps on
// both and compares the weights. The result is a Report; printing it is
// the caller's business.
package selftest
