package nn

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// rateClock records when each epoch began and when its first batch was
// queued: the progress reporter's clock starts between the two.
type rateClock struct {
	BaseCallback
	mu                 sync.Mutex
	epochAt, firstStep time.Time
}

func (c *rateClock) OnEpochBegin(int, Logs) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epochAt, c.firstStep = time.Now(), time.Time{}
	return nil
}

func (c *rateClock) OnTrainBatchBegin(int, Logs) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.firstStep.IsZero() {
		c.firstStep = time.Now()
	}
	return nil
}

// TestOnProgressRateAndCadence checks the end-of-epoch OnProgress report
// of a fresh and of a resumed epoch: SamplesPerSecond is the samples this
// run trained over the seconds since the epoch (re)started, so it lies
// between samples/(report − epoch begin) and samples/(report − first
// batch); a resumed epoch counts only the samples after the resume. And
// within an epoch reports come no more often than every 500 ms besides
// the epoch's end.
func TestOnProgressRateAndCadence(t *testing.T) {
	x, y := spiral(512)
	o := FitOptions{Verbose: Silent, Epochs: 2, BatchSize: 4, Seed: 1, StepsPerExecution: 1}
	check := func(name string, m *Model, ctx context.Context, o FitOptions) error {
		clock := &rateClock{}
		var reports []Progress
		o.Callbacks = []Callback{clock}
		o.OnProgress = func(p Progress) error {
			reports = append(reports, p)
			return nil
		}
		start := time.Now()
		_, err := m.Fit(ctx, x, y, o)
		took := time.Since(start)
		if err != nil {
			return err
		}
		last := reports[len(reports)-1]
		if last.Step != last.Steps {
			t.Fatalf("%s: the last report is at step %d of %d", name, last.Step, last.Steps)
		}
		samples := float64(512 - o.InitialStep*o.BatchSize)
		lo := samples / last.Time.Sub(clock.epochAt).Seconds()
		hi := samples / last.Time.Sub(clock.firstStep).Seconds()
		if r := last.SamplesPerSecond; !(r >= lo && r <= hi) {
			t.Errorf("%s: %.0f samples a second, want between %.0f and %.0f", name, r, lo, hi)
		}
		epochs := o.Epochs - o.InitialEpoch
		if most := epochs * (1 + int(took/progressInterval) + 1); len(reports) > most {
			t.Errorf("%s: %d reports in %v over %d epochs, want at most %d", name, len(reports), took, epochs, most)
		}
		return nil
	}
	if err := check("fresh", checkpointModel(t), context.Background(), o); err != nil {
		t.Fatal(err)
	}
	m := checkpointModel(t)
	err := check("interrupted", m, &stepContext{Context: context.Background(), n: 128 + 64 + 1}, o)
	var stop *Interrupted
	if !errors.As(err, &stop) || stop.Epoch != 1 || stop.Step != 64 {
		t.Fatalf("Fit = %v, want an Interrupted at epoch 2 step 64", err)
	}
	o.InitialEpoch, o.InitialStep, o.InitialSums = stop.Epoch, stop.Step, stop.Sums
	if err := check("resumed", m, context.Background(), o); err != nil {
		t.Fatal(err)
	}

	// A Source's first pass has no known length, so only the clock makes
	// reports due there.
	var reports int
	src := DataSource(XY(x, y), 4)
	start := time.Now()
	_, err = checkpointModel(t).FitSource(context.Background(), src, FitOptions{Verbose: Silent, Epochs: 1, BatchSize: 4,
		StepsPerExecution: 1, OnProgress: func(Progress) error { reports++; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if most := 1 + int(time.Since(start)/progressInterval) + 1; reports > most {
		t.Errorf("a Source's first pass: %d reports, want at most %d", reports, most)
	}
}
