package nn

import (
	"bytes"
	"path/filepath"
	"testing"
)

// TestFormatFilepathPython: fields as Python's str.format writes them: a
// float without a spec in full (str(0.123456)), and a spec ending in a
// digit (precision only) as the "g" presentation, 0 and 9 included.
func TestFormatFilepathPython(t *testing.T) {
	logs := Logs{"val_loss": 0.123456}
	for in, want := range map[string]string{
		"{val_loss}":    "0.123456",
		"{val_loss:.9}": "0.123456",
		"{val_loss:.3}": "0.123",
		"{val_loss:10}": "  0.123456",
		"{epoch:10}":    "         3",
	} {
		got, err := formatFilepath(in, 2, logs)
		if err != nil || got != want {
			t.Errorf("formatFilepath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// TestModelCheckpointMessages: with Verbose 1 it prints Keras's lines for
// an improvement, for no improvement and for a plain save; a monitor it
// is given is kept.
func TestModelCheckpointMessages(t *testing.T) {
	m := tinyModel(t, SGD())
	dir := filepath.Join(t.TempDir(), "best")
	var out bytes.Buffer
	c := &ModelCheckpointCallback{Filepath: dir, Monitor: "loss", SaveBestOnly: true, Verbose: 1}
	c.SetModel(m)
	c.SetParams(Params{Out: &out})
	if err := c.OnTrainBegin(Logs{}); err != nil {
		t.Fatal(err)
	}
	for epoch, v := range []float64{1, 2, 0.5} {
		if err := c.OnEpochEnd(epoch, Logs{"loss": v}); err != nil {
			t.Fatal(err)
		}
	}
	want := "\nEpoch 1: loss improved from inf to 1.00000, saving model to " + dir + "\n" +
		"\nEpoch 2: loss did not improve from 1.00000\n" +
		"\nEpoch 3: loss improved from 1.00000 to 0.50000, saving model to " + dir + "\n"
	if out.String() != want {
		t.Errorf("printed\n%q\nwant\n%q", out.String(), want)
	}
	out.Reset()
	every := &ModelCheckpointCallback{Filepath: dir, Verbose: 1}
	every.SetModel(m)
	every.SetParams(Params{Out: &out})
	if err := every.OnTrainBegin(Logs{}); err != nil {
		t.Fatal(err)
	}
	if err := every.OnEpochEnd(0, Logs{"loss": 1}); err != nil {
		t.Fatal(err)
	}
	if want := "\nEpoch 1: saving model to " + dir + "\n"; out.String() != want {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
	quiet := &ModelCheckpointCallback{Filepath: dir, Monitor: "loss", SaveBestOnly: true}
	quiet.SetModel(m)
	out.Reset()
	quiet.SetParams(Params{Out: &out})
	if err := quiet.OnTrainBegin(Logs{}); err != nil {
		t.Fatal(err)
	}
	for epoch, v := range []float64{1, 2} {
		if err := quiet.OnEpochEnd(epoch, Logs{"loss": v}); err != nil {
			t.Fatal(err)
		}
	}
	plain := &ModelCheckpointCallback{Filepath: dir}
	plain.SetModel(m)
	plain.SetParams(Params{Out: &out})
	if err := plain.OnTrainBegin(Logs{}); err != nil {
		t.Fatal(err)
	}
	if err := plain.OnEpochEnd(0, Logs{"loss": 1}); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Errorf("Verbose 0 printed %q", out.String())
	}
}
