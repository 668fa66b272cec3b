package main

import (
	"flag"
	"fmt"
	"io"
)

// addSyncBNFlag registers -sync-bn.
func addSyncBNFlag(fs *flag.FlagSet, o *options) {
	fs.BoolVar(&o.syncBN, "sync-bn", false, "data-parallel runs (mpirun): every BatchNormalization uses the statistics of the "+
		"global batch, as Keras's BatchNormalization(synchronized=True), so N ranks train as one process with N times the "+
		"batch; costs two small allreduces per BatchNormalization layer per step (see docs/SCALING.md)")
}

// noteSyncBN says that -sync-bn changes nothing in a run of one process.
func noteSyncBN(o *options, stderr io.Writer) {
	if o.syncBN && replicas.size == 1 {
		fmt.Fprintln(stderr, "-sync-bn: one process: batch normalization already uses the whole batch (the flag matters under mpirun)")
	}
}

// syncBNSettings records -sync-bn in a checkpoint's settings, so that
// -resume continues with it; only when on, so that the checkpoints of
// runs without it stay as they were.
func (o *options) syncBNSettings(vals map[string]string) {
	if o.syncBN {
		vals["sync-bn"] = "true"
	}
}
