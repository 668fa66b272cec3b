package main

import (
	"image"
	"image/color"

	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// The window's text uses basicfont.Face7x13, a bitmap font whose glyphs sit
// one above the other in a single mask: the renderer uploads that mask once
// as a texture and draws each character as a quad cut from it.
var face = basicfont.Face7x13

// glyph is one character to draw: where, and which part of the font mask.
type glyph struct {
	dst  rect
	srcY int // top row of the glyph in the mask
}

// layoutText places the characters of s with the text's top-left corner at
// (x, y). Characters the font lacks are drawn as its replacement glyph.
func layoutText(s string, x, y float32) []glyph {
	var out []glyph
	dot := fixed.P(int(x), int(y)+face.Ascent)
	for _, r := range s {
		dr, _, maskp, adv, _ := face.Glyph(dot, r)
		if r != ' ' && !dr.Empty() {
			out = append(out, glyph{dst: rect{float32(dr.Min.X), float32(dr.Min.Y), float32(dr.Dx()), float32(dr.Dy())}, srcY: maskp.Y})
		}
		dot.X += adv
	}
	return out
}

// textWidth is the width of s in pixels.
func textWidth(s string) float32 {
	n := 0
	for range s {
		n++
	}
	return float32(n * face.Advance)
}

// fontAtlas returns the font mask as white pixels with the mask's alpha,
// ready to upload as a texture and tint.
func fontAtlas() *image.RGBA {
	b := face.Mask.Bounds()
	img := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			_, _, _, a := face.Mask.At(x, y).RGBA()
			img.SetRGBA(x, y, color.RGBA{255, 255, 255, uint8(a >> 8)})
		}
	}
	return img
}
