package gpu

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/format/atomicfile"
	"github.com/anvil-ml/anvil/gpu/internal/vk"
)

// The tuning cache: one directory, ANVIL_TUNE_DIR or
// os.UserCacheDir()/anvil/tune, holding per device (named by its name,
// vendor and device IDs and driver version) a JSON file of the chosen
// configuration per shape and the device's serialized VkPipelineCache.
// Both are written atomically; a file that does not parse, or was written
// for another device, is ignored with a warning and rewritten.

// tuneFormat identifies the JSON layout; a change of it, or of what a
// choice means, must change the string so that old files are ignored.
const tuneFormat = "anvil-tune/1"

// tuneDevice is what a cache file was written for.
type tuneDevice struct {
	Name          string `json:"name"`
	VendorID      uint32 `json:"vendorID"`
	DeviceID      uint32 `json:"deviceID"`
	DriverVersion uint32 `json:"driverVersion"`
	DriverInfo    string `json:"driverInfo"`
}

// tuneFile is the JSON file.
type tuneFile struct {
	Format  string                `json:"format"`
	Device  tuneDevice            `json:"device"`
	Choices map[string]gemmChoice `json:"choices"`
}

// tuneCache is one device's cache, in memory and (when path is set) on
// disk.
type tuneCache struct {
	path, pipelines string // the two files; "" keeps the cache in memory
	device          tuneDevice
	choices         map[string]gemmChoice
}

// tuneDir is where caches go: ANVIL_TUNE_DIR, else the user's cache
// directory; "" when there is none, and in test binaries that set no
// ANVIL_TUNE_DIR (tests leave the user's cache alone).
func tuneDir() string {
	if d := os.Getenv("ANVIL_TUNE_DIR"); d != "" {
		return d
	}
	if testing.Testing() {
		return ""
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "anvil", "tune")
}

// openTuneCache loads the cache of the device info describes, or starts
// an empty one.
func openTuneCache(info vk.Info) *tuneCache {
	dev := tuneDevice{Name: info.Name, VendorID: info.VendorID, DeviceID: info.DeviceID,
		DriverVersion: info.DriverVersion, DriverInfo: info.DriverInfo}
	c := &tuneCache{device: dev, choices: map[string]gemmChoice{}}
	dir := tuneDir()
	if dir == "" {
		return c
	}
	base := filepath.Join(dir, fmt.Sprintf("%s-%04x-%04x-%08x", slug(info.Name), info.VendorID, info.DeviceID, info.DriverVersion))
	c.path, c.pipelines = base+".json", base+".pipelines"
	data, err := os.ReadFile(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		return c
	}
	var f tuneFile
	if err == nil {
		err = json.Unmarshal(data, &f)
	}
	if err == nil && (f.Format != tuneFormat || f.Device != dev) {
		err = fmt.Errorf("written as %q for %+v", f.Format, f.Device)
	}
	if err != nil {
		tuneWarn("ignoring the tuning cache %s (%v); it will be rewritten", c.path, err)
		return c
	}
	for k, v := range f.Choices {
		c.choices[k] = v
	}
	return c
}

// slug keeps the letters and digits of a device name, for a file name.
func slug(name string) string {
	s := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, name)
	return strings.Trim(s, "_")
}

// put records a choice and rewrites the file.
func (c *tuneCache) put(key string, choice gemmChoice) {
	c.choices[key] = choice
	if c.path == "" {
		return
	}
	data, err := json.MarshalIndent(tuneFile{Format: tuneFormat, Device: c.device, Choices: c.choices}, "", "  ")
	if err == nil {
		err = c.write(c.path, data)
	}
	if err != nil {
		tuneWarn("could not save the tuning cache: %v", err)
	}
}

func (c *tuneCache) write(path string, data []byte) error {
	if err := atomicfile.MkdirAll(filepath.Dir(path)); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data)
}

// loadPipelines gives dev a pipeline cache seeded from disk.
func (c *tuneCache) loadPipelines(dev *vk.Device) {
	var data []byte
	if c.pipelines != "" {
		var err error
		if data, err = os.ReadFile(c.pipelines); err != nil && !errors.Is(err, fs.ErrNotExist) {
			tuneWarn("ignoring the pipeline cache %s: %v", c.pipelines, err)
		}
	}
	used, err := dev.UsePipelineCache(data)
	if err != nil {
		tuneWarn("%v", err)
		return
	}
	if len(data) > 0 && !used {
		tuneWarn("ignoring the pipeline cache %s: written by another device or driver", c.pipelines)
	}
}

// savePipelines writes dev's pipeline cache to disk.
func (c *tuneCache) savePipelines(dev *vk.Device) {
	if c.pipelines == "" {
		return
	}
	data, err := dev.PipelineCacheData()
	if err == nil && len(data) > 0 {
		err = c.write(c.pipelines, data)
	}
	if err != nil {
		tuneWarn("could not save the pipeline cache: %v", err)
	}
}
