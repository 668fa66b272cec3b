package nn

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// ModelCheckpointCallback is Keras's ModelCheckpoint: it saves the model
// with SaveModel at the end of every epoch, or only when the monitored
// quantity improves. Filepath names a folder (SaveModel's layout) where
// Keras names a .keras file; it may hold Python format fields, as Keras's
// does: "runs/ep{epoch:02d}-{val_loss:.2f}" (epoch counts from 1).
type ModelCheckpointCallback struct {
	BaseCallback
	Filepath string
	// Monitor is the logs entry watched with SaveBestOnly; default
	// "val_loss".
	Monitor string
	// Verbose 1 prints a line whenever it saves or declines to.
	Verbose int
	// SaveBestOnly saves only when Monitor beats every earlier epoch.
	SaveBestOnly bool
	// Mode is "auto" (the default), "min" or "max".
	Mode string
	// InitialValueThreshold, when set, is the value to beat at first.
	InitialValueThreshold *float64

	mon  watched
	best float64

	restored *modelCheckpointState // for the next OnTrainBegin (RestoreCallbackState)
}

// ModelCheckpoint returns Keras's ModelCheckpoint defaults for filepath:
// monitor "val_loss", mode "auto", saving after every epoch.
func ModelCheckpoint(filepath string) *ModelCheckpointCallback {
	return &ModelCheckpointCallback{Filepath: filepath, Monitor: "val_loss", Mode: "auto"}
}

// OnTrainBegin implements Callback.
func (c *ModelCheckpointCallback) OnTrainBegin(Logs) error {
	if c.Filepath == "" {
		return fmt.Errorf("ModelCheckpoint: no filepath: give the folder to save to")
	}
	if c.Monitor == "" {
		c.Monitor = "val_loss"
	}
	mon, err := newMonitor("ModelCheckpoint", c.Monitor, c.Mode)
	c.mon, c.best = mon, mon.worst()
	if c.InitialValueThreshold != nil {
		c.best = *c.InitialValueThreshold
	}
	if err != nil {
		return err
	}
	return c.continueRestored()
}

// OnEpochEnd implements Callback.
func (c *ModelCheckpointCallback) OnEpochEnd(epoch int, logs Logs) error {
	path, err := formatFilepath(c.Filepath, epoch, logs)
	if err != nil {
		return fmt.Errorf("ModelCheckpoint: %w", err)
	}
	if !c.SaveBestOnly {
		if c.Verbose > 0 {
			c.printf("\nEpoch %d: saving model to %s\n", epoch+1, path)
		}
		return SaveModel(c.Model(), path)
	}
	current, err := c.mon.value("ModelCheckpoint", logs)
	if err != nil {
		return err
	}
	if !c.mon.better(current, c.best, 0) {
		if c.Verbose > 0 {
			c.printf("\nEpoch %d: %s did not improve from %s\n", epoch+1, c.Monitor, pythonFixed5(c.best))
		}
		return nil
	}
	if c.Verbose > 0 {
		c.printf("\nEpoch %d: %s improved from %s to %s, saving model to %s\n", epoch+1, c.Monitor, pythonFixed5(c.best), pythonFixed5(current), path)
	}
	c.best = current
	return SaveModel(c.Model(), path)
}

// formatField matches a Python format field: {name} or {name:spec}.
var formatField = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)(?::([^{}]*))?\}`)

// formatFilepath fills Python format fields in a path from the epoch
// (counted from 1, as Keras does) and the logs: {epoch:02d},
// {val_loss:.4f}. Specs are printf verbs without the "%".
func formatFilepath(path string, epoch int, logs Logs) (string, error) {
	var err error
	out := formatField.ReplaceAllStringFunc(path, func(field string) string {
		m := formatField.FindStringSubmatch(field)
		name, spec := m[1], m[2]
		var v any
		if name == "epoch" {
			v = epoch + 1
		} else if f, ok := logs[name]; ok {
			v = f
		} else {
			err = fmt.Errorf("filepath %q names {%s}, which is neither epoch nor in the logs", path, name)
			return field
		}
		if spec == "" {
			if f, ok := v.(float64); ok {
				return strconv.FormatFloat(f, 'g', -1, 64)
			}
			return fmt.Sprint(v)
		}
		if c := spec[len(spec)-1]; c >= '0' && c <= '9' {
			// Python's default presentation: d for integers, g for floats.
			if _, isInt := v.(int); isInt {
				spec += "d"
			} else {
				spec += "g"
			}
		}
		if !strings.ContainsRune("deEfFgGxXob", rune(spec[len(spec)-1])) {
			err = fmt.Errorf("filepath %q: {%s:%s}: unsupported format; use e.g. {epoch:02d} or {%s:.4f}", path, name, spec, name)
			return field
		}
		if _, isInt := v.(int); !isInt && (spec[len(spec)-1] == 'd') {
			err = fmt.Errorf("filepath %q: {%s:%s} formats an integer, but %s is a number with a fraction", path, name, spec, name)
			return field
		}
		if _, isInt := v.(int); isInt && spec[len(spec)-1] != 'd' {
			v = float64(v.(int))
		}
		return fmt.Sprintf("%"+spec, v)
	})
	return out, err
}

// pythonFixed5 is Python's "%.5f" % v, which Keras's messages use: as Go's,
// except that infinities and NaN read inf, -inf and nan.
func pythonFixed5(v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return pythonFloat(v)
	}
	return strconv.FormatFloat(v, 'f', 5, 64)
}
