package gpu

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"strconv"
	"testing"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

// BenchmarkMatMulF16GPU times the binary16 MatMul C = A·B of n×n
// matrices (n from ANVIL_BENCH_F16_N, default 4096) on the device the
// environment selects: with the heuristic's tile, tuned, and with each
// coop (tensor-core) tile the device offers, and reports GPU time and
// TFLOP/s (2n³ per product). Each variant first checks 64 elements of its
// product against float64 sums of the same binary16 values, so a wrong
// kernel cannot report a speed. scripts/on-gpu.sh runs it.
func BenchmarkMatMulF16GPU(b *testing.B) {
	n := 4096
	if s := os.Getenv("ANVIL_BENCH_F16_N"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n <= 0 {
			b.Fatalf("ANVIL_BENCH_F16_N=%q: want a positive integer", s)
		}
	}
	be, err := NewBackend(vk.Options{})
	if err != nil {
		b.Skip(err)
	}
	defer be.Close()
	if !be.Info().Float16 {
		b.Skipf("%s has no binary16 support", be.Info().Name)
	}
	a, bm := halfRandom(n*n, 1), halfRandom(n*n, 2)
	variants := []namedTile{{"heuristic", gemmTile{}}, {"tuned", gemmTile{}}}
	coop := coopTiles(be.Info())
	if len(coop) == 0 {
		fmt.Printf("COOPMAT NOT MEASURED: %s offers no VK_NV_cooperative_matrix float16×float16+float32 shape\n", be.Info().Name)
	}
	for _, tl := range coop {
		variants = append(variants, namedTile{tl.name(), tl})
	}
	for _, v := range variants {
		b.Run(fmt.Sprintf("%d/%s", n, v.name), func(b *testing.B) {
			if v.tile.Coop {
				save := gemmTileOverride
				defer func() { gemmTileOverride = save }()
				gemmTileOverride = &v.tile
			}
			if v.name == "tuned" {
				defer be.SetTuning(be.SetTuning(true))
			}
			benchHalf(b, be, n, a, bm)
		})
	}
}

// halfRandom is n values uniform in [-1, 1), rounded to binary16.
func halfRandom(n int, seed uint64) []float32 {
	out := make([]float32, n)
	s := seed*0x9E3779B97F4A7C15 + 1
	for i := range out {
		s = s*6364136223846793005 + 1442695040888963407
		out[i] = tensor.RoundFloat16(float32(int32(s>>33))/float32(1<<30) - 1)
	}
	return out
}

// benchHalf compiles the n×n×n binary16 product, writes a and b, checks
// the result and times replays.
func benchHalf(b *testing.B, be *Backend, n int, a, bm []float32) {
	p := tensor.NewPlan(1)
	half := func(name string) tensor.BufferID {
		id := p.AddBuffer(name, tensor.ActivationBuffer, false, tensor.Shape{n * n})
		p.Buffers[id].DType = tensor.Float16
		return id
	}
	o := tensor.MatMul{M: n, N: n, K: n, A: half("A"), B: half("B")}
	o.C = p.AddBuffer("C", tensor.ActivationBuffer, false, tensor.Shape{n * n})
	p.Emit(tensor.Train, o)
	prog, err := be.Compile(p)
	if err != nil {
		b.Fatal(err)
	}
	defer prog.Close()
	pr := prog.(*program)
	b.Logf("config: %v", pr.GEMMConfigs())
	for id, v := range map[tensor.BufferID][]float32{o.A: a, o.B: bm} {
		raw := make([]byte, 2*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint16(raw[2*i:], tensor.Float16Bits(x))
		}
		if err := pr.bufs[id].Write(0, raw); err != nil {
			b.Fatal(err)
		}
	}
	args := tensor.StepArgs{Rows: 1, Step: 1}
	if err := prog.Run(tensor.Train, args); err != nil {
		b.Fatal(err)
	}
	c := make([]float32, n*n)
	if err := prog.Read(o.C, c); err != nil {
		b.Fatal(err)
	}
	if err := checkHalfSample(n, a, bm, c); err != nil {
		b.Fatal(err)
	}
	sec := replayGPUSeconds(b, prog, args)
	flops := 2 * float64(n) * float64(n) * float64(n)
	b.ReportMetric(sec*1e9, "gpu-ns/op")
	b.ReportMetric(flops/sec/1e12, "TFLOP/s")
}

// checkHalfSample compares 64 elements of c = a·b (n×n, row-major) with
// float64 sums, within the bound of the parity tests with a coop tile
// (halfSumTol's argument) times Σ|a·b|.
func checkHalfSample(n int, a, bm, c []float32) error {
	tol := selftest.SumTol(n).Sum + 4*float64(n)*selftest.UnitRoundoff
	for s := range 64 {
		i, j := (s*7919+13)%n, (s*104729+5)%n
		var sum, mag float64
		for k := range n {
			x := float64(a[i*n+k]) * float64(bm[k*n+j])
			sum += x
			mag += math.Abs(x)
		}
		if d := math.Abs(float64(c[i*n+j]) - sum); !(d <= tol*mag) {
			return fmt.Errorf("C[%d,%d] = %v, want %v (tolerance %.3g): the product is wrong", i, j, c[i*n+j], sum, tol*mag)
		}
	}
	return nil
}
