package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"github.com/anvil-ml/anvil/format/atomicfile"
	"github.com/anvil-ml/anvil/nn"
)

// epochRecord is one line of history.json.
type epochRecord struct {
	Epoch       int      `json:"epoch"`
	Loss        float64  `json:"loss"`
	Accuracy    *float64 `json:"accuracy,omitempty"`
	ValLoss     *float64 `json:"val_loss,omitempty"`
	ValAccuracy *float64 `json:"val_accuracy,omitempty"`
	Seconds     float64  `json:"seconds"`
	// Metrics holds every logged value, including those named above.
	Metrics map[string]float64 `json:"metrics"`
}

// writeHistory writes history.json: one record per completed epoch.
func writeHistory(dir string, h *nn.History) error {
	records := make([]epochRecord, len(h.Epoch))
	for i, e := range h.Epoch {
		rec := epochRecord{Epoch: e + 1, Seconds: h.Seconds[i], Metrics: map[string]float64{}}
		for k, vs := range h.Metrics {
			if i < len(vs) {
				rec.Metrics[k] = vs[i]
			}
		}
		rec.Loss = rec.Metrics["loss"]
		rec.Accuracy = lookup(rec.Metrics, "accuracy")
		rec.ValLoss = lookup(rec.Metrics, "val_loss")
		rec.ValAccuracy = lookup(rec.Metrics, "val_accuracy")
		records[i] = rec
	}
	return writeJSON(filepath.Join(dir, "history.json"), records)
}

func lookup(m map[string]float64, k string) *float64 {
	if v, ok := m[k]; ok {
		return &v
	}
	return nil
}

// runMetrics is metrics.json.
type runMetrics struct {
	TestLoss        float64            `json:"test_loss"`
	TestAccuracy    *float64           `json:"test_accuracy,omitempty"`
	Test            map[string]float64 `json:"test"`
	Backend         string             `json:"backend"`
	Device          string             `json:"device"`
	ImagesPerSecond float64            `json:"images_per_second"`
	Epochs          int                `json:"epochs"`
	Seed            uint64             `json:"seed"`
	Model           string             `json:"model"`
	Data            string             `json:"data"`
	TrainSamples    int                `json:"train_samples"`
	TestSamples     int                `json:"test_samples"`
	BatchSize       int                `json:"batch_size"`
	Optimizer       string             `json:"optimizer"`
	LearningRate    float32            `json:"learning_rate"`
	Finished        string             `json:"finished"`
	RunID           string             `json:"run_id,omitempty"`
	// Warnings are what the run warned about, e.g. a diverging loss.
	Warnings  []string      `json:"warnings,omitempty"`
	VerifyCPU *verifyRecord `json:"verify_cpu,omitempty"`
	// Precision is the dtype policy: float32 or mixed_float16.
	Precision string `json:"precision"`
}

// writeOutputs writes metrics.json, the final model and the pictures.
func (r *trainRun) writeOutputs(test []float64, trainTime time.Duration) error {
	m := runMetrics{Test: map[string]float64{}, Backend: r.backend.Name(), Device: r.backend.Device(),
		Epochs: r.o.epochs, Seed: r.o.seed, Model: r.o.model, Data: r.data.name,
		TrainSamples: r.data.train.Len(), TestSamples: r.data.test.Len(), BatchSize: r.o.batchSize,
		Finished: time.Now().UTC().Format(time.RFC3339), RunID: r.o.runID, Warnings: r.warnings, VerifyCPU: r.verified,
		Precision: r.model.Precision()}
	for i, n := range r.model.MetricNames() {
		m.Test[n] = test[i]
	}
	m.TestLoss = test[0]
	m.TestAccuracy = lookup(m.Test, "accuracy")
	m.ImagesPerSecond = imagesPerSecond(r.history, r.data.train.Len())
	if opt := r.model.Optimizer(); opt != nil {
		m.Optimizer, m.LearningRate = opt.Name(), opt.LearningRate()
	}
	if err := writeJSON(filepath.Join(r.o.out, "metrics.json"), m); err != nil {
		return err
	}
	if err := writeHistory(r.o.out, r.history); err != nil {
		return err
	}
	if err := nn.SaveModel(r.model, r.o.out); err != nil {
		return err
	}
	return r.drawPictures()
}

// imagesPerSecond is the training throughput over the epochs this process
// ran, validation included (as Keras's epoch time is).
func imagesPerSecond(h *nn.History, n int) float64 {
	secs := 0.0
	for _, s := range h.Seconds {
		secs += s
	}
	if secs == 0 {
		return 0
	}
	return float64(n*len(h.Seconds)) / secs
}

// writeJSON writes v as indented JSON, atomically.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.WriteFile(path, append(data, '\n'))
}
