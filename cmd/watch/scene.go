package main

import (
	"image"
	"image/color"
)

// scene is one frame as a display list: what to draw, in pixels from the
// window's top-left corner, in order: fills, pictures, lines, text. Building
// it is pure Go; the GL renderer only replays it.
type scene struct {
	background color.RGBA
	fills      []fill
	pictures   []picture
	lines      []polyline
	texts      []text
}

type fill struct {
	r rect
	c color.RGBA
}

type picture struct {
	r   rect
	img *image.RGBA
}

type polyline struct {
	pts   [][2]float32
	c     color.RGBA
	width float32
}

type text struct {
	s    string
	x, y float32 // top-left corner
	c    color.RGBA
}

// The palette.
var (
	colBackground = color.RGBA{24, 26, 30, 255}
	colPanel      = color.RGBA{36, 39, 46, 255}
	colGrid       = color.RGBA{70, 74, 84, 255}
	colText       = color.RGBA{225, 225, 225, 255}
	colDim        = color.RGBA{150, 150, 160, 255}
	colTrain      = color.RGBA{80, 160, 255, 255}
	colVal        = color.RGBA{255, 150, 40, 255}
	colCursor     = color.RGBA{200, 200, 200, 255}
	colGood       = color.RGBA{90, 210, 90, 255}
	colBad        = color.RGBA{240, 70, 70, 255}
	colNote       = color.RGBA{255, 205, 80, 255}
)

func (s *scene) rect(r rect, c color.RGBA) { s.fills = append(s.fills, fill{r, c}) }

func (s *scene) text(str string, x, y float32, c color.RGBA) {
	s.texts = append(s.texts, text{str, x, y, c})
}

// frameRect outlines r with a border of width w inside it.
func (s *scene) frameRect(r rect, w float32, c color.RGBA) {
	s.rect(rect{r.x, r.y, r.w, w}, c)
	s.rect(rect{r.x, r.y + r.h - w, r.w, w}, c)
	s.rect(rect{r.x, r.y, w, r.h}, c)
	s.rect(rect{r.x + r.w - w, r.y, w, r.h}, c)
}

// marker draws a small square centred on (x, y).
func (s *scene) marker(x, y float32, c color.RGBA) {
	s.rect(rect{x - 2.5, y - 2.5, 5, 5}, c)
}
