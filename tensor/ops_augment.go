package tensor

import "fmt"

// The augmentation family: Keras's random image layers, run inside the
// recorded training step. Every random parameter is drawn per image from
// Uniform(seed, step, Salt, ·) keyed by the image's global index
// g = RowOffset + n (StepArgs), so every backend, a resumed run and a
// data-parallel split draw the same augmentation for the same sample.

// AugmentKind selects how Transform2D derives an image's transform.
type AugmentKind uint32

const (
	// AugmentFixed applies the same transform to every image: the one
	// FixedTransform gives for the geometry (Keras's RandomCrop outside
	// training: the largest centred window of the output's aspect ratio,
	// resized with half-pixel centres). It draws nothing.
	AugmentFixed AugmentKind = iota
	// AugmentFlip flips the rows when HeightHi > 0 and the columns when
	// WidthHi > 0, each with probability ½ (u < ½).
	AugmentFlip
	// AugmentTranslate shifts by (Lo + u·(Hi−Lo))·H rows and ·W columns;
	// a positive shift moves the content down (right).
	AugmentTranslate
	// AugmentZoom scales by z = 1 + Lo + u·(Hi−Lo) about the image centre:
	// z > 1 zooms out. With SameZoom the columns use the rows' factor.
	AugmentZoom
	// AugmentCrop cuts an OH×OW window at a random offset
	// floor(u·(H−OH+1)), floor(u·(W−OW+1)).
	AugmentCrop
)

// Interpolation is how Transform2D reads between pixels.
type Interpolation uint32

const (
	// Bilinear weighs the four neighbours of the source point.
	Bilinear Interpolation = iota
	// Nearest reads the neighbour at the source point rounded half to even.
	Nearest
)

// FillMode is how Transform2D reads a pixel index outside the image,
// Keras's fill_mode, applied to each integer neighbour index as Keras 3's
// map_coordinates does (for abcd): reflect dcba|abcd|dcba, constant
// kkkk|abcd|kkkk, nearest aaaa|abcd|dddd, wrap abcd|abcd|abcd, mirror
// dcb|abcd|cba.
type FillMode uint32

// The fill modes, in Keras's names.
const (
	FillReflect FillMode = iota
	FillConstant
	FillNearest
	FillWrap
	FillMirror
)

// Transform2D resamples each H×W×C image (NHWC) to OH×OW×C through an
// axis-aligned affine map from output to source pixel indices,
//
//	src_row = sy·row + ty,   src_col = sx·col + tx,
//
// with (sx, tx, sy, ty) from AugmentParams: Keras's RandomFlip,
// RandomTranslation, RandomZoom and RandomCrop. Each product and sum is
// rounded to float32 separately (no fused multiply-add), so every backend
// finds the same source points.
type Transform2D struct {
	X, Y                                 BufferID
	H, W, C, OH, OW                      int
	Kind                                 AugmentKind
	HeightLo, HeightHi, WidthLo, WidthHi float32
	SameZoom                             bool
	Interp                               Interpolation
	Fill                                 FillMode
	FillValue                            float32
	Salt                                 uint32
}

// Accesses implements Op.
func (o Transform2D) Accesses() []Access {
	return []Access{rd(o.X, o.H*o.W*o.C, true), wr(o.Y, o.OH*o.OW*o.C, true)}
}

// Check implements Checker.
func (o Transform2D) Check(p *Plan) error {
	if err := positive("H, W, C, OH, OW", o.H, o.W, o.C, o.OH, o.OW); err != nil {
		return err
	}
	if o.Kind > AugmentCrop || o.Interp > Nearest || o.Fill > FillMirror {
		return fmt.Errorf("transform kind %d, interpolation %d or fill mode %d is unknown", o.Kind, o.Interp, o.Fill)
	}
	if o.Kind == AugmentCrop && (o.OH > o.H || o.OW > o.W) {
		return fmt.Errorf("a random %d×%d crop does not fit a %d×%d image", o.OH, o.OW, o.H, o.W)
	}
	if o.Kind != AugmentFixed && o.Kind != AugmentCrop && (o.OH != o.H || o.OW != o.W) {
		return fmt.Errorf("transform kind %d keeps the image size, but %d×%d becomes %d×%d", o.Kind, o.H, o.W, o.OH, o.OW)
	}
	if uint64(p.Batch)*2 > 1<<32 {
		return fmt.Errorf("a batch of %d overflows the generator's 32-bit counter", p.Batch)
	}
	return required(operand{"X", o.X}, operand{"Y", o.Y})
}

// AugmentParams returns image (sx, tx, sy, ty) of Transform2D o for its
// two draws u0 (rows) and u1 (columns), each in [0, 1): u0 =
// Uniform(seed, step, Salt, 2g) and u1 = Uniform(seed, step, Salt, 2g+1)
// for the image of global index g. The shaders repeat it operation for
// operation.
func AugmentParams(o Transform2D, u0, u1 float32) (sx, tx, sy, ty float32) {
	switch o.Kind {
	case AugmentFlip:
		sy, ty = flipAxis(o.HeightHi > 0 && u0 < 0.5, o.H)
		sx, tx = flipAxis(o.WidthHi > 0 && u1 < 0.5, o.W)
	case AugmentTranslate:
		sy, ty = 1, -float32(lerp(o.HeightLo, o.HeightHi, u0)*float32(o.H))
		sx, tx = 1, -float32(lerp(o.WidthLo, o.WidthHi, u1)*float32(o.W))
	case AugmentZoom:
		sy = 1 + lerp(o.HeightLo, o.HeightHi, u0)
		sx = sy
		if !o.SameZoom {
			sx = 1 + lerp(o.WidthLo, o.WidthHi, u1)
		}
		ty = float32(float32(o.H-1)*0.5) * (1 - sy)
		tx = float32(float32(o.W-1)*0.5) * (1 - sx)
	case AugmentCrop:
		sy, ty = 1, cropOffset(u0, o.H, o.OH)
		sx, tx = 1, cropOffset(u1, o.W, o.OW)
	default:
		return FixedTransform(o.H, o.W, o.OH, o.OW)
	}
	return sx, tx, sy, ty
}

// lerp is lo + u·(hi−lo), each step rounded to float32.
func lerp(lo, hi, u float32) float32 {
	return lo + float32(u*(hi-lo))
}

// flipAxis is the map of an axis of n pixels: reversed or not.
func flipAxis(flip bool, n int) (s, t float32) {
	if flip {
		return -1, float32(n - 1)
	}
	return 1, 0
}

// cropOffset is a window of size out's random start in [0, n−out].
func cropOffset(u float32, n, out int) float32 {
	off := float32(int(u * float32(n-out+1)))
	return min(off, float32(n-out))
}

// FixedTransform is Keras's RandomCrop outside training (and in training
// when the image is smaller than the crop): cut the largest centred window
// of the output's aspect ratio and resize it to OH×OW bilinearly with
// half-pixel centres, src = (dst + ½)·scale − ½ + start, scale = window/out.
func FixedTransform(h, w, oh, ow int) (sx, tx, sy, ty float32) {
	ch := max(min(h, int(float64(w*oh)/float64(ow))), 1)
	cw := max(min(w, int(float64(h*ow)/float64(oh))), 1)
	y0, x0 := (h-ch)/2, (w-cw)/2
	sy = float32(ch) / float32(oh)
	sx = float32(cw) / float32(ow)
	ty = float32(float32(y0)+float32(0.5*sy)) - 0.5
	tx = float32(float32(x0)+float32(0.5*sx)) - 0.5
	return sx, tx, sy, ty
}

// RandomContrast2D is Keras's RandomContrast: each image draws a factor
// f = Lo + u·(Hi−Lo), u = Uniform(seed, step, Salt, g), and each of its C
// channels becomes clip((x − mean)·f + mean, Min, Max), mean being the
// channel's mean over the image's Pixels pixels (summed in pixel order in
// float32).
type RandomContrast2D struct {
	X, Y             BufferID
	Pixels, C        int
	Lo, Hi, Min, Max float32
	Salt             uint32
}

// Accesses implements Op.
func (o RandomContrast2D) Accesses() []Access {
	n := o.Pixels * o.C
	return []Access{rd(o.X, n, true), wr(o.Y, n, true)}
}

// Check implements Checker.
func (o RandomContrast2D) Check(*Plan) error {
	if err := positive("Pixels, C", o.Pixels, o.C); err != nil {
		return err
	}
	if !(o.Lo >= 0 && o.Lo <= o.Hi) || !(o.Min <= o.Max) {
		return fmt.Errorf("contrast factors [%v, %v] or value range [%v, %v] are not ordered and non-negative", o.Lo, o.Hi, o.Min, o.Max)
	}
	return required(operand{"X", o.X}, operand{"Y", o.Y})
}
