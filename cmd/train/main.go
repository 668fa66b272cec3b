// Command train trains Keras-style models with Anvil: the tutorial's
// reference models by name, or a saved model, on CIFAR-10, MNIST,
// Fashion-MNIST or a CSV table. Run it with -h for the flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stdout, stderr, err := startReplicas(os.Stdout, os.Stderr)
	if err == nil {
		err = finishReplicas(run(ctx, os.Args[1:], stdout, stderr))
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(1)
	}
}
