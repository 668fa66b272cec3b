package cpuref

import (
	"math"

	"github.com/anvil-ml/anvil/tensor"
)

// The layer-normalization kernels (tensor.LayerNorm and its backward ops)
// accumulate each position's sums in float64 and round once.

type layerNorm struct {
	x, gamma, beta, y, stats []float32
	outer, c                 int
	eps                      float64
}

func (p *program) bindLayerNorm(o tensor.LayerNorm) (kernel, error) {
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.Gamma, "Gamma"}, idRole{o.Beta, "Beta"}, idRole{o.Y, "Y"},
		idRole{o.Stats, "Stats"})
	if err != nil {
		return nil, err
	}
	return &layerNorm{x: bs[0], gamma: bs[1], beta: bs[2], y: bs[3], stats: bs[4], outer: o.Outer, c: o.C,
		eps: float64(o.Epsilon)}, nil
}

func (k *layerNorm) run(a *tensor.StepArgs) {
	c := k.c
	for p := range a.Rows * k.outer {
		x := k.x[p*c : (p+1)*c]
		mean, v := 0.0, 0.0
		for _, e := range x {
			mean += float64(e)
		}
		mean /= float64(c)
		for _, e := range x {
			v += (float64(e) - mean) * (float64(e) - mean)
		}
		rstd := 1 / math.Sqrt(v/float64(c)+k.eps)
		k.stats[2*p], k.stats[2*p+1] = float32(mean), float32(rstd)
		for i, e := range x {
			k.y[p*c+i] = float32(float64(k.gamma[i])*(float64(e)-mean)*rstd + float64(k.beta[i]))
		}
	}
}

type layerNormBackward struct {
	x, stats, gamma, dy, dx []float32
	outer, c                int
}

func (p *program) bindLayerNormBackward(o tensor.LayerNormBackward) (kernel, error) {
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.Stats, "Stats"}, idRole{o.Gamma, "Gamma"}, idRole{o.DY, "DY"},
		idRole{o.DX, "DX"})
	if err != nil {
		return nil, err
	}
	return &layerNormBackward{x: bs[0], stats: bs[1], gamma: bs[2], dy: bs[3], dx: bs[4], outer: o.Outer, c: o.C}, nil
}

func (k *layerNormBackward) run(a *tensor.StepArgs) {
	c := k.c
	for p := range a.Rows * k.outer {
		mean, rstd := float64(k.stats[2*p]), float64(k.stats[2*p+1])
		sg, sgx := 0.0, 0.0
		for i := range c {
			g := float64(k.dy[p*c+i]) * float64(k.gamma[i])
			sg += g
			sgx += g * (float64(k.x[p*c+i]) - mean) * rstd
		}
		sg, sgx = sg/float64(c), sgx/float64(c)
		for i := range c {
			g := float64(k.dy[p*c+i]) * float64(k.gamma[i])
			xhat := (float64(k.x[p*c+i]) - mean) * rstd
			k.dx[p*c+i] = float32(rstd * (g - sg - xhat*sgx))
		}
	}
}

type layerNormParamGrad struct {
	x, stats, dy, dgamma, dbeta []float32
	outer, c                    int
}

func (p *program) bindLayerNormParamGrad(o tensor.LayerNormParamGrad) (kernel, error) {
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.Stats, "Stats"}, idRole{o.DY, "DY"}, idRole{o.DGamma, "DGamma"},
		idRole{o.DBeta, "DBeta"})
	if err != nil {
		return nil, err
	}
	return &layerNormParamGrad{x: bs[0], stats: bs[1], dy: bs[2], dgamma: bs[3], dbeta: bs[4], outer: o.Outer, c: o.C}, nil
}

func (k *layerNormParamGrad) run(a *tensor.StepArgs) {
	c := k.c
	for i := range c {
		sg, sb := 0.0, 0.0
		for p := range a.Rows * k.outer {
			dy := float64(k.dy[p*c+i])
			sg += dy * (float64(k.x[p*c+i]) - float64(k.stats[2*p])) * float64(k.stats[2*p+1])
			sb += dy
		}
		k.dgamma[i], k.dbeta[i] = float32(sg), float32(sb)
	}
}
