package nn

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/anvil-ml/anvil/tensor"
)

// The kinds of LiveRecord, in the order a run writes them: one start, then
// progress and epoch records, then one end. A resumed run appends another
// start record to the same log.
const (
	LiveStart    = "start"
	LiveProgress = "progress"
	LiveEpoch    = "epoch"
	LiveEnd      = "end"
)

// The statuses of an end record.
const (
	LiveFinished = "finished"
	LiveStopped  = "stopped"
	LiveFailed   = "failed"
)

// LiveRecord is one line of a live log (live.jsonl): what a running Fit
// publishes for watchers such as cmd/watch. Fields not used by a kind are
// left out of its line.
type LiveRecord struct {
	Kind string    `json:"kind"`
	Time time.Time `json:"time"`

	// Epoch is 1-based, as Keras prints it ("Epoch 3/10"); Step counts the
	// steps done in it, of Steps.
	Epoch  int `json:"epoch,omitempty"`
	Epochs int `json:"epochs,omitempty"`
	Step   int `json:"step,omitempty"`
	Steps  int `json:"steps,omitempty"`

	// Logs are the loss and metrics: running means in a progress record,
	// the epoch's means with "val_" validation values in an epoch record,
	// the test results in an end record.
	Logs map[string]float64 `json:"logs,omitempty"`
	// NonFinite names the Logs values that were NaN or infinite: JSON
	// cannot hold them, so Write moves them out of Logs into this list.
	NonFinite     []string          `json:"non_finite,omitempty"`
	ImagesPerSec  float64           `json:"images_per_sec,omitempty"`
	LearningRate  float64           `json:"learning_rate,omitempty"`
	Predicted     []int             `json:"predicted,omitempty"`
	Status        string            `json:"status,omitempty"`
	Message       string            `json:"message,omitempty"`
	Settings      map[string]string `json:"settings,omitempty"`
	Device        string            `json:"device,omitempty"`
	Backend       string            `json:"backend,omitempty"`
	Metrics       []string          `json:"metrics,omitempty"`
	SampleIndices []int             `json:"sample_indices,omitempty"`
	SampleLabels  []int             `json:"sample_labels,omitempty"`
	ClassNames    []string          `json:"class_names,omitempty"`
	// Resumed marks a start record that continues an earlier run from
	// Epoch and Step.
	Resumed bool `json:"resumed,omitempty"`
}

// LiveLog appends LiveRecords to a file, one JSON line each. Every line
// goes out in a single write to a file opened with O_APPEND, so a reader
// following the file never sees half a line from a healthy writer.
type LiveLog struct {
	mu sync.Mutex
	f  *os.File
}

// OpenLiveLog opens (creating if needed) the live log at path for
// appending.
func OpenLiveLog(path string) (*LiveLog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("live log: %w", err)
	}
	return &LiveLog{f: f}, nil
}

// Write appends rec, stamping its Time when zero.
func (l *LiveLog) Write(rec LiveRecord) error {
	if rec.Time.IsZero() {
		rec.Time = time.Now()
	}
	rec.Time = rec.Time.UTC()
	rec.Logs, rec.NonFinite = splitNonFinite(rec.Logs)
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("live log: %w", err)
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.f.Write(line); err != nil {
		return fmt.Errorf("live log %s: %w", l.f.Name(), err)
	}
	return nil
}

// Progress writes a progress record; it fits FitOptions.OnProgress.
func (l *LiveLog) Progress(p Progress) error {
	logs := map[string]float64{}
	for i, n := range p.Names {
		logs[n] = p.Values[i]
	}
	return l.Write(LiveRecord{Kind: LiveProgress, Time: p.Time, Epoch: p.Epoch + 1, Epochs: p.Epochs,
		Step: p.Step, Steps: p.Steps, Logs: logs, ImagesPerSec: p.SamplesPerSecond, LearningRate: p.LearningRate})
}

// EpochEnd returns a FitOptions.OnEpochEnd callback that writes an epoch
// record with the classes m predicts for sample (nil: none).
func (l *LiveLog) EpochEnd(m *Model, sample *tensor.Tensor) func(EpochEnd) error {
	return func(e EpochEnd) error {
		rec := LiveRecord{Kind: LiveEpoch, Epoch: e.Epoch + 1, Logs: e.Logs}
		if sample != nil {
			classes, err := m.PredictClasses(sample)
			if err != nil {
				return fmt.Errorf("live log: predicting the sample: %w", err)
			}
			rec.Predicted = classes
		}
		return l.Write(rec)
	}
}

// End writes the end record for the error Fit returned: LiveFinished when
// nil, LiveStopped when it was interrupted (see Interrupted), LiveFailed
// otherwise, with the error's message. logs are the values the run ended
// with.
func (l *LiveLog) End(logs map[string]float64, err error) error {
	rec := LiveRecord{Kind: LiveEnd, Status: LiveFinished, Logs: logs}
	var stop *Interrupted
	switch {
	case errors.As(err, &stop):
		rec.Status = LiveStopped
	case err != nil:
		rec.Status = LiveFailed
	}
	if err != nil {
		rec.Message = err.Error()
	}
	return l.Write(rec)
}

// Close closes the file.
func (l *LiveLog) Close() error { return l.f.Close() }

// SampleIndices picks k indices spread evenly over n samples (all of them
// when n ≤ k), a fixed sample to show a run's predictions on.
func SampleIndices(n, k int) []int {
	k = min(k, n)
	out := make([]int, k)
	for i := range out {
		out[i] = i * n / k
	}
	return out
}

// splitNonFinite returns the finite values of logs and, sorted, the names
// of the others; logs itself is left as it is.
func splitNonFinite(logs map[string]float64) (map[string]float64, []string) {
	var bad []string
	for k, v := range logs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			bad = append(bad, k)
		}
	}
	if bad == nil {
		return logs, nil
	}
	finite := make(map[string]float64, len(logs)-len(bad))
	for k, v := range logs {
		if !slices.Contains(bad, k) {
			finite[k] = v
		}
	}
	slices.Sort(bad)
	return finite, bad
}
