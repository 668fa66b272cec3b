package cpuref

import (
	"fmt"
	"math"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// naiveIndex maps an out-of-range pixel index as Keras's fill_mode
// diagrams read (abcd): it walks the reflections one period at a time
// instead of taking a modulus, so it shares no code with fillIndex.
func naiveIndex(i, n int, mode tensor.FillMode) (int, bool) {
	for i < 0 || i >= n {
		switch mode {
		case tensor.FillConstant:
			return 0, false
		case tensor.FillNearest:
			return min(max(i, 0), n-1), true
		case tensor.FillWrap:
			if i < 0 {
				i += n
			} else {
				i -= n
			}
		case tensor.FillMirror: // dcb|abcd|cba: reflect about the edge pixels
			if n == 1 {
				return 0, true
			}
			if i < 0 {
				i = -i
			} else {
				i = 2*(n-1) - i
			}
		default: // reflect, dcba|abcd|dcba: reflect about the edges
			if i < 0 {
				i = -i - 1
			} else {
				i = 2*n - 1 - i
			}
		}
	}
	return i, true
}

// naiveSample reads an H×W×C image at (sr, sc) in float64: the four
// neighbours weighted by the distances (bilinear), or the nearest.
func naiveSample(o tensor.Transform2D, img []float32, sr, sc float64, ch int) float64 {
	px := func(r, c int) float64 {
		r, okr := naiveIndex(r, o.H, o.Fill)
		c, okc := naiveIndex(c, o.W, o.Fill)
		if !okr || !okc {
			return float64(o.FillValue)
		}
		return float64(img[(r*o.W+c)*o.C+ch])
	}
	if o.Interp == tensor.Nearest {
		return px(int(math.RoundToEven(sr)), int(math.RoundToEven(sc)))
	}
	r0, c0 := math.Floor(sr), math.Floor(sc)
	dr, dc := sr-r0, sc-c0
	ir, ic := int(r0), int(c0)
	return (1-dr)*(1-dc)*px(ir, ic) + (1-dr)*dc*px(ir, ic+1) + dr*(1-dc)*px(ir+1, ic) + dr*dc*px(ir+1, ic+1)
}

// kerasParams derives an image's map (sx, tx, sy, ty) in float64 from its
// draws, by the Keras 3 formulas: translation by factor·size, zoom
// about the centre ((size−1)/2·(1−z)), a crop offset floor(u·(n−o+1)),
// and the inference crop: TF's resize of the centred window.
func kerasParams(o tensor.Transform2D, u0, u1 float64) (sx, tx, sy, ty float64) {
	lerp := func(lo, hi float32, u float64) float64 { return float64(lo) + u*float64(hi-lo) }
	sx, sy = 1, 1
	switch o.Kind {
	case tensor.AugmentFlip:
		if o.HeightHi > 0 && u0 < 0.5 {
			sy, ty = -1, float64(o.H-1)
		}
		if o.WidthHi > 0 && u1 < 0.5 {
			sx, tx = -1, float64(o.W-1)
		}
	case tensor.AugmentTranslate:
		ty, tx = -lerp(o.HeightLo, o.HeightHi, u0)*float64(o.H), -lerp(o.WidthLo, o.WidthHi, u1)*float64(o.W)
	case tensor.AugmentZoom:
		sy = 1 + lerp(o.HeightLo, o.HeightHi, u0)
		sx = 1 + lerp(o.WidthLo, o.WidthHi, u1)
		if o.SameZoom {
			sx = sy
		}
		ty, tx = float64(o.H-1)/2*(1-sy), float64(o.W-1)/2*(1-sx)
	case tensor.AugmentCrop:
		ty, tx = math.Floor(u0*float64(o.H-o.OH+1)), math.Floor(u1*float64(o.W-o.OW+1))
	default:
		ch := min(o.H, o.W*o.OH/o.OW)
		cw := min(o.W, o.H*o.OW/o.OH)
		sy, sx = float64(ch)/float64(o.OH), float64(cw)/float64(o.OW)
		ty, tx = float64((o.H-ch)/2)+sy/2-0.5, float64((o.W-cw)/2)+sx/2-0.5
	}
	return sx, tx, sy, ty
}

func TestTransform2DAgainstNaive(t *testing.T) {
	const batch, rows, c = 4, 3, 2
	cases := []tensor.Transform2D{
		{H: 5, W: 7, OH: 5, OW: 7, Kind: tensor.AugmentFlip, HeightHi: 1, WidthHi: 1},
		{H: 5, W: 7, OH: 5, OW: 7, Kind: tensor.AugmentFlip, WidthHi: 1},
		{H: 6, W: 5, OH: 3, OW: 4, Kind: tensor.AugmentCrop},
		{H: 8, W: 6, OH: 4, OW: 5, Kind: tensor.AugmentFixed},
		{H: 9, W: 9, OH: 6, OW: 6, Kind: tensor.AugmentFixed},
	}
	for fill := tensor.FillReflect; fill <= tensor.FillMirror; fill++ {
		for interp := tensor.Bilinear; interp <= tensor.Nearest; interp++ {
			cases = append(cases,
				tensor.Transform2D{H: 6, W: 7, OH: 6, OW: 7, Kind: tensor.AugmentTranslate, HeightLo: -0.5, HeightHi: 0.4,
					WidthLo: -0.9, WidthHi: 0.9, Interp: interp, Fill: fill, FillValue: 0.5},
				tensor.Transform2D{H: 7, W: 6, OH: 7, OW: 6, Kind: tensor.AugmentZoom, HeightLo: -0.5, HeightHi: 0.9,
					WidthLo: -0.3, WidthHi: 0.6, SameZoom: fill%2 == 0, Interp: interp, Fill: fill, FillValue: -2})
		}
	}
	rng := newRand(2024)
	for i, o := range cases {
		t.Run(fmt.Sprintf("kind%d_interp%d_fill%d_%d", o.Kind, o.Interp, o.Fill, i), func(t *testing.T) {
			o.C, o.Salt = c, uint32(40+i)
			r := newRig(t, batch)
			o.X, o.Y = r.batched("x", o.H*o.W*c), r.batched("y", o.OH*o.OW*c)
			r.emit(o)
			r.compile()
			x := uniform(rng, batch*o.H*o.W*c, -1, 1)
			r.write(o.X, x)
			r.fillSentinel(o.Y)
			a := tensor.StepArgs{Rows: rows, Step: 5, Seed: 11, RowOffset: 6}
			r.runArgs(a)
			got := r.read(o.Y)
			var want []float64
			for n := range rows {
				g := uint32(a.RowOffset + n)
				u0 := float64(tensor.Uniform(a.Seed, a.Step, o.Salt, 2*g))
				u1 := float64(tensor.Uniform(a.Seed, a.Step, o.Salt, 2*g+1))
				sx, tx, sy, ty := kerasParams(o, u0, u1)
				img := x[n*o.H*o.W*c:]
				for row := range o.OH {
					for col := range o.OW {
						for ch := range c {
							want = append(want, naiveSample(o, img, sy*float64(row)+ty, sx*float64(col)+tx, ch))
						}
					}
				}
			}
			// float32 source points differ from float64 ones by a few ulp
			// of the coordinate (≤ 16), moving a bilinear weight by ~1e-6.
			checkClose(t, "y", got, want, 1e-5)
			r.untouched(o.Y, rows*o.OH*o.OW*c)
		})
	}
}

// TestTransform2DDataParallel: images drawn with RowOffset k are the rows
// k.. of the same step run as one batch, so a split batch augments alike.
func TestTransform2DDataParallel(t *testing.T) {
	o := tensor.Transform2D{H: 4, W: 5, C: 3, OH: 4, OW: 5, Kind: tensor.AugmentZoom, HeightLo: -0.3, HeightHi: 0.3,
		SameZoom: true, Salt: 3}
	run := func(rows, offset int, x []float32) []float32 {
		r := newRig(t, 4)
		o.X, o.Y = r.batched("x", 60), r.batched("y", 60)
		r.emit(o)
		r.compile()
		r.write(o.X, append(x, make([]float32, 240-len(x))...))
		r.runArgs(tensor.StepArgs{Rows: rows, Step: 9, Seed: 5, RowOffset: offset})
		return r.read(o.Y)[:rows*60]
	}
	x := uniform(newRand(1), 240, -1, 1)
	whole := run(4, 0, x)
	half := run(2, 2, x[120:])
	for i := range half {
		if half[i] != whole[120+i] {
			t.Fatalf("element %d of rows 2..3: split %v, whole %v", i, half[i], whole[120+i])
		}
	}
	again := run(4, 0, x)
	for i := range whole {
		if again[i] != whole[i] {
			t.Fatalf("a rerun differs at %d", i)
		}
	}
	o.Salt = 4 // another layer draws other zooms
	differ := false
	for i, v := range run(4, 0, x) {
		differ = differ || v != whole[i]
	}
	if !differ {
		t.Fatal("another salt gave the same zooms")
	}
}

func TestRandomContrast2DFormula(t *testing.T) {
	const batch, rows, px, c = 3, 3, 10, 3
	o := tensor.RandomContrast2D{Pixels: px, C: c, Lo: 0.3, Hi: 1.6, Min: -0.4, Max: 0.8, Salt: 17}
	r := newRig(t, batch)
	o.X, o.Y = r.batched("x", px*c), r.batched("y", px*c)
	r.emit(o)
	r.compile()
	x := uniform(newRand(7), batch*px*c, -1, 1)
	r.write(o.X, x)
	a := tensor.StepArgs{Rows: rows, Step: 3, Seed: 8, RowOffset: 1}
	r.runArgs(a)
	got := r.read(o.Y)
	want := make([]float64, rows*px*c)
	for n := range rows {
		f := float64(o.Lo) + float64(tensor.Uniform(a.Seed, a.Step, o.Salt, uint32(1+n)))*float64(o.Hi-o.Lo)
		for ch := range c {
			mean := 0.0
			for p := range px {
				mean += float64(x[(n*px+p)*c+ch]) / px
			}
			for p := range px {
				i := (n*px+p)*c + ch
				want[i] = math.Min(math.Max((float64(x[i])-mean)*f+mean, float64(o.Min)), float64(o.Max))
			}
		}
	}
	checkClose(t, "y", got, want, 1e-6)
}

func TestRescaleAndNormalize(t *testing.T) {
	// Inner 1: the last axis is normalised; inner 2: an axis before one of
	// 2 (Keras's axis=-2), whose channel of element i is (i/2) mod 3.
	for _, inner := range []int{1, 2} {
		testRescaleAndNormalize(t, inner)
	}
}

func testRescaleAndNormalize(t *testing.T, inner int) {
	const batch, size, width = 2, 6, 3
	r := newRig(t, batch)
	x, y, z, dz, dx := r.batched("x", size), r.batched("y", size), r.batched("z", size), r.batched("dz", size), r.batched("dx", size)
	mean, variance := r.fixed("mean", width), r.fixed("variance", width)
	r.emit(tensor.Rescale{X: x, Y: y, Size: size, Scale: 0.5, Offset: -1},
		tensor.Normalize{X: y, Y: z, Mean: mean, Variance: variance, Size: size, Width: width, Inner: inner},
		tensor.NormalizeBackward{DY: dz, DX: dx, Variance: variance, Size: size, Width: width, Inner: inner})
	r.compile()
	xv, dv := uniform(newRand(3), batch*size, -4, 4), uniform(newRand(4), batch*size, -1, 1)
	mv, vv := []float32{0.5, -1, 2}, []float32{4, 0, 0.25} // 0: the 1e-7 floor
	r.write(x, xv)
	r.write(dz, dv)
	r.write(mean, mv)
	r.write(variance, vv)
	r.run(batch)
	wantZ, wantDX := make([]float64, batch*size), make([]float64, batch*size)
	for i := range wantZ {
		c := (i % size / inner) % width
		std := math.Max(math.Sqrt(float64(vv[c])), 1e-7)
		wantZ[i] = (float64(xv[i])*0.5 - 1 - float64(mv[c])) / std
		wantDX[i] = float64(dv[i]) / std
	}
	checkClose(t, "z", r.read(z), wantZ, 1e-6)
	checkClose(t, "dx", r.read(dx), wantDX, 1e-6)
}

// TestPosMod checks posMod against the definition of i mod p in [0, p)
// for i over several periods on both sides of 0: a translation or zoom
// can map a pixel more than one image size outside it, where adding a
// single period is not enough.
func TestPosMod(t *testing.T) {
	for _, p := range []int{1, 2, 5, 64} {
		for i := -3*p - 1; i <= 3*p+1; i++ {
			want := i - p*int(math.Floor(float64(i)/float64(p)))
			if got := posMod(i, p); got != want {
				t.Errorf("posMod(%d, %d) = %d, want %d", i, p, got, want)
			}
		}
	}
}
