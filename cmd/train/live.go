package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/anvil-ml/anvil/datasets"
	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/tensor"
)

// liveFile is the live log in the -out folder that cmd/watch follows.
const liveFile = "live.jsonl"

// liveSampleSize is how many test images the live log shows predictions for.
const liveSampleSize = 16

// liveRun publishes a run's progress to OUT/live.jsonl. A nil *liveRun (no
// -out) publishes nothing.
type liveRun struct {
	log      *nn.LiveLog
	sample   *tensor.Tensor
	lastLogs map[string]float64
}

// trainLive runs train with the live log open: a start record first, an
// end record saying how the run ended last.
func (r *trainRun) trainLive(ctx context.Context) error {
	if r.o.out == "" {
		return r.train(ctx)
	}
	live, err := r.openLive()
	if err != nil {
		return err
	}
	r.live = live
	defer live.log.Close()
	err = r.train(ctx)
	if endErr := live.end(err); endErr != nil && err == nil {
		err = endErr
	}
	return err
}

// openLive opens the live log and writes the start record: the settings,
// device and the fixed sample of test images.
func (r *trainRun) openLive() (*liveRun, error) {
	if err := os.MkdirAll(r.o.out, 0o755); err != nil {
		return nil, fmt.Errorf("output folder: %w", err)
	}
	log, err := nn.OpenLiveLog(filepath.Join(r.o.out, liveFile))
	if err != nil {
		return nil, err
	}
	live := &liveRun{log: log}
	rec := nn.LiveRecord{Kind: nn.LiveStart, Epoch: r.start.epoch + 1, Epochs: r.o.epochs, Step: r.start.step,
		Steps: (r.data.train.Len() + r.o.batchSize - 1) / r.o.batchSize, Settings: r.liveSettings(),
		Device: r.backend.Device(), Backend: r.backend.Name(), Metrics: r.model.MetricNames(),
		ClassNames: r.data.test.ClassNames, Resumed: r.o.resume != ""}
	if test := r.data.test; len(test.FeatureShape()) == 4 && test.Labels != nil {
		rec.SampleIndices = nn.SampleIndices(test.Len(), liveSampleSize)
		live.sample = gatherRows(test, rec.SampleIndices)
		for _, i := range rec.SampleIndices {
			rec.SampleLabels = append(rec.SampleLabels, r.data.test.Labels[i])
		}
	}
	if err := log.Write(rec); err != nil {
		log.Close()
		return nil, err
	}
	return live, nil
}

// liveSettings are the run's settings with the data set resolved: its name
// and the absolute folder it was read from, so that a watcher started
// elsewhere finds the same images.
func (r *trainRun) liveSettings() map[string]string {
	s := r.o.settings()
	s["data"] = r.data.name
	if dir, err := datasets.Locate(r.data.name, r.o.dataDir); err == nil {
		if abs, err := filepath.Abs(dir); err == nil {
			s["data-dir"] = abs
		}
	}
	return s
}

// attach makes Fit report its progress and epochs to the live log.
func (l *liveRun) attach(m *nn.Model, fit *nn.FitOptions) {
	if l == nil {
		return
	}
	fit.OnProgress = l.log.Progress
	epochEnd, write := fit.OnEpochEnd, l.log.EpochEnd(m, l.sample)
	fit.OnEpochEnd = func(e nn.EpochEnd) error {
		if epochEnd != nil {
			if err := epochEnd(e); err != nil {
				return err
			}
		}
		l.lastLogs = e.Logs
		return write(e)
	}
}

// end writes how the run ended (finished, stopped or failed) and its last
// epoch's values.
func (l *liveRun) end(err error) error { return l.log.End(l.lastLogs, err) }

// gatherRows copies samples idx of s, scaled to float32, into a new tensor.
func gatherRows(s *datasets.Set, idx []int) *tensor.Tensor {
	shape := s.FeatureShape()
	row := shape[1:].Size()
	out := tensor.New(append(tensor.Shape{len(idx)}, shape[1:]...)...)
	for i, j := range idx {
		copy(out.Data[i*row:(i+1)*row], testSample(s, j))
	}
	return out
}
