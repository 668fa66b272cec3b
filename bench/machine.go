package main

import (
	"bufio"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/anvil-ml/anvil/gpu"
)

// machine describes where and on what code the suite ran.
type machine struct {
	Date      string    `json:"date"`
	CPU       string    `json:"cpu"`
	Cores     int       `json:"cores"`      // logical CPUs
	GoMaxProc int       `json:"gomaxprocs"` // what the Go scheduler uses
	MemoryGiB float64   `json:"memory_gib,omitempty"`
	OS        string    `json:"os"`
	Go        string    `json:"go"`
	Commit    string    `json:"commit,omitempty"`
	Dirty     bool      `json:"dirty,omitempty"` // uncommitted changes in the working tree
	LoadStart string    `json:"load_average_start,omitempty"`
	LoadEnd   string    `json:"load_average_end,omitempty"`
	GPUs      []gpuInfo `json:"gpus,omitempty"`
	Command   string    `json:"command"`
}

// gpuInfo is what the JSON keeps of a Vulkan device.
type gpuInfo struct {
	Index  int    `json:"index"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	Driver string `json:"driver,omitempty"`
	Vulkan string `json:"vulkan"`
}

// describeMachine collects the machine description; every part is best
// effort and left empty where the system does not say.
func describeMachine(args []string) machine {
	m := machine{
		Date: time.Now().Format(time.RFC3339), CPU: cpuModel(), Cores: runtime.NumCPU(),
		GoMaxProc: runtime.GOMAXPROCS(0), MemoryGiB: memoryGiB(), OS: runtime.GOOS + "/" + runtime.GOARCH,
		Go: runtime.Version(), LoadStart: loadAverage(),
		Command: strings.TrimSpace("go run ./bench " + strings.Join(args, " ")),
	}
	m.Commit, m.Dirty = gitCommit()
	if devs, err := gpu.Devices(); err == nil {
		for _, d := range devs {
			m.GPUs = append(m.GPUs, gpuInfo{Index: d.Index, Name: d.Name, Type: d.DeviceType.String(),
				Driver: strings.TrimSpace(d.DriverName + " " + d.DriverInfo), Vulkan: d.APIVersion.String()})
		}
	}
	return m
}

// procField returns the value of the first "key: value" line of a /proc
// file whose key is key.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func cpuModel() string {
	if m := procField("/proc/cpuinfo", "model name"); m != "" {
		return m
	}
	return runtime.GOARCH
}

func memoryGiB() float64 {
	v := strings.TrimSuffix(procField("/proc/meminfo", "MemTotal"), " kB")
	kb, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0
	}
	return math.Round(kb/(1<<20)*10) / 10
}

// loadAverage is the 1, 5 and 15 minute load average ("" off Linux).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// gitCommit is HEAD's hash and whether the tree has uncommitted changes,
// or "" where git or the repository is missing.
func gitCommit() (string, bool) {
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return "", false
	}
	status, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output()
	return strings.TrimSpace(string(out)), err == nil && len(strings.TrimSpace(string(status))) > 0
}
