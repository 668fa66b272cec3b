package cpuref

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/anvil-ml/anvil/tensor"
)

// CPUTime lets the external benchmarks report work per CPU second.
var CPUTime = cpuTime

// opTimer is a kernel wrapped to add up its wall and CPU time.
type opTimer struct {
	k     kernel
	name  string
	total *opTime
}

type opTime struct{ wall, cpu time.Duration }

func (t opTimer) run(a *tensor.StepArgs) {
	start, cpu0 := time.Now(), cpuTime()
	t.k.run(a)
	t.total.wall += time.Since(start)
	t.total.cpu += cpuTime() - cpu0
}

// profiled is the CPU backend with every Train kernel timed.
type profiled struct {
	backend
	totals map[string]*opTime
}

// NewProfiled returns a CPU backend that times each op of the Train
// routine, and a function that reports the times, largest first.
func NewProfiled() (tensor.Backend, func() string) {
	b := &profiled{totals: map[string]*opTime{}}
	return b, b.report
}

func (b *profiled) Compile(plan *tensor.Plan) (tensor.Program, error) {
	p, err := compile(plan)
	if err != nil {
		return nil, err
	}
	for i, k := range p.routines[tensor.Train] {
		name := opName(p.origins[tensor.Train][i])
		if b.totals[name] == nil {
			b.totals[name] = new(opTime)
		}
		p.routines[tensor.Train][i] = opTimer{k: k, name: name, total: b.totals[name]}
	}
	return p, nil
}

func opName(op tensor.Op) string {
	switch o := op.(type) {
	case tensor.MatMul:
		return fmt.Sprintf("MatMul %dx%dx%d tA=%v tB=%v batch=%d", o.M, o.N, o.K, o.TransA, o.TransB, o.Batch)
	case tensor.Conv2D:
		return fmt.Sprintf("Conv2D %+v", o.Geom)
	case tensor.Conv2DBackwardData:
		return fmt.Sprintf("Conv2DBackwardData %+v", o.Geom)
	case tensor.Conv2DBackwardFilter:
		return fmt.Sprintf("Conv2DBackwardFilter %+v", o.Geom)
	case tensor.BatchNormTrain:
		return fmt.Sprintf("BatchNormTrain outer=%d c=%d", o.Outer, o.C)
	case tensor.BatchNormBackward:
		return fmt.Sprintf("BatchNormBackward outer=%d c=%d", o.Outer, o.C)
	case tensor.Activation:
		return fmt.Sprintf("Activation %v size=%d", o.Fn, o.Size)
	case tensor.ActivationBackward:
		return fmt.Sprintf("ActivationBackward %v size=%d", o.Fn, o.Size)
	case tensor.BiasAdd:
		return fmt.Sprintf("BiasAdd outer=%d c=%d", o.Outer, o.C)
	case tensor.BiasGrad:
		return fmt.Sprintf("BiasGrad outer=%d c=%d", o.Outer, o.C)
	}
	return fmt.Sprintf("%T", op)
}

// report lists the ops by CPU time, the steadier figure on a shared
// machine, with their share of it and their wall time.
func (b *profiled) report() string {
	names := make([]string, 0, len(b.totals))
	var sum opTime
	for n, d := range b.totals {
		names = append(names, n)
		sum.cpu += d.cpu
		sum.wall += d.wall
	}
	sort.Slice(names, func(i, j int) bool { return b.totals[names[i]].cpu > b.totals[names[j]].cpu })
	var sb strings.Builder
	fmt.Fprintf(&sb, "  cpu%%    cpu ms   wall ms  (total cpu %.1f ms, wall %.1f ms)\n", ms(sum.cpu), ms(sum.wall))
	for _, n := range names {
		d := b.totals[n]
		fmt.Fprintf(&sb, "%6.1f%% %9.1f %9.1f  %s\n", 100*d.cpu.Seconds()/sum.cpu.Seconds(), ms(d.cpu), ms(d.wall), n)
	}
	return sb.String()
}

func ms(d time.Duration) float64 { return d.Seconds() * 1e3 }
