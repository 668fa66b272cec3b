//go:build !unix

package main

import "time"

// processCPU is not measured on this system; CPU-time rates stay empty.
func processCPU() time.Duration { return 0 }
