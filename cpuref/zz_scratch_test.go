package cpuref

import (
	"fmt"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

func BenchmarkGonumDirect(b *testing.B) {
	for _, n := range []int{256, 1024} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			rng := newRand(2)
			x, w, y := uniform(rng, n*n, -1, 1), uniform(rng, n*n, -1, 1), make([]float32, n*n)
			start := time.Now()
			for i := 0; i < b.N; i++ {
				gonum.Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, n, n, n, 1, x, n, w, n, 0, y, n)
			}
			b.ReportMetric(2*float64(n*n*n)*float64(b.N)/time.Since(start).Seconds()/1e9, "GFLOPS")
		})
	}
}
