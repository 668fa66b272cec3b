package main

import (
	"os"
	"testing"
)

// runMainEnv makes the test binary act as the watch command, so the display
// tests run the real program without building it separately.
const runMainEnv = "ANVIL_WATCH_TEST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}
