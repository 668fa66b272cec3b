//go:build cgo

package main

import (
	"image"
	"image/color"

	"github.com/go-gl/gl/v2.1/gl"
)

// renderer replays a scene with OpenGL 2.1's fixed pipeline: coloured
// quads, line strips, and textured quads for pictures and text.
type renderer struct {
	font     uint32
	fontH    float32
	textures map[*image.RGBA]uint32
}

func newRenderer() *renderer {
	atlas := fontAtlas()
	return &renderer{font: upload(atlas), fontH: float32(atlas.Bounds().Dy()), textures: map[*image.RGBA]uint32{}}
}

// upload makes a texture of img, sampled without smoothing so that image
// pixels and glyphs stay crisp.
func upload(img *image.RGBA) uint32 {
	var tex uint32
	gl.GenTextures(1, &tex)
	gl.BindTexture(gl.TEXTURE_2D, tex)
	gl.TexParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST)
	gl.TexParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST)
	gl.TexParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE)
	gl.TexParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE)
	gl.PixelStorei(gl.UNPACK_ALIGNMENT, 1)
	b := img.Bounds()
	gl.TexImage2D(gl.TEXTURE_2D, 0, gl.RGBA, int32(b.Dx()), int32(b.Dy()), 0, gl.RGBA, gl.UNSIGNED_BYTE, gl.Ptr(img.Pix))
	return tex
}

// draw renders sc into the framebuffer of fbW×fbH pixels that shows a
// window of w×h scene units (they differ on high-density screens).
func (r *renderer) draw(sc *scene, fbW, fbH int, w, h float32) {
	gl.Viewport(0, 0, int32(fbW), int32(fbH))
	bg := sc.background
	gl.ClearColor(float32(bg.R)/255, float32(bg.G)/255, float32(bg.B)/255, 1)
	gl.Clear(gl.COLOR_BUFFER_BIT)
	gl.MatrixMode(gl.PROJECTION)
	gl.LoadIdentity()
	gl.Ortho(0, float64(w), float64(h), 0, -1, 1)
	gl.MatrixMode(gl.MODELVIEW)
	gl.LoadIdentity()
	gl.Enable(gl.BLEND)
	gl.BlendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA)

	gl.Disable(gl.TEXTURE_2D)
	gl.Begin(gl.QUADS)
	for _, f := range sc.fills {
		setColor(f.c)
		quad(f.r, 0, 0, 1, 1)
	}
	gl.End()
	r.drawPictures(sc.pictures)
	gl.Disable(gl.TEXTURE_2D)
	for _, l := range sc.lines {
		gl.LineWidth(l.width)
		setColor(l.c)
		gl.Begin(gl.LINE_STRIP)
		for _, p := range l.pts {
			gl.Vertex2f(p[0], p[1])
		}
		gl.End()
	}
	r.drawTexts(sc.texts)
}

func (r *renderer) drawPictures(pics []picture) {
	gl.Enable(gl.TEXTURE_2D)
	used := map[*image.RGBA]bool{}
	for _, p := range pics {
		tex, ok := r.textures[p.img]
		if !ok {
			tex = upload(p.img)
			r.textures[p.img] = tex
		}
		used[p.img] = true
		gl.BindTexture(gl.TEXTURE_2D, tex)
		setColor(color.RGBA{255, 255, 255, 255})
		gl.Begin(gl.QUADS)
		quad(p.r, 0, 0, 1, 1)
		gl.End()
	}
	for img, tex := range r.textures {
		if !used[img] {
			gl.DeleteTextures(1, &tex)
			delete(r.textures, img)
		}
	}
}

func (r *renderer) drawTexts(texts []text) {
	gl.Enable(gl.TEXTURE_2D)
	gl.BindTexture(gl.TEXTURE_2D, r.font)
	gl.TexEnvi(gl.TEXTURE_ENV, gl.TEXTURE_ENV_MODE, gl.MODULATE)
	gl.Begin(gl.QUADS)
	for _, t := range texts {
		setColor(t.c)
		for _, g := range layoutText(t.s, t.x, t.y) {
			v0 := float32(g.srcY) / r.fontH
			quad(g.dst, 0, v0, 1, v0+g.dst.h/r.fontH)
		}
	}
	gl.End()
}

func setColor(c color.RGBA) { gl.Color4ub(c.R, c.G, c.B, c.A) }

// quad emits the corners of r with texture coordinates u0,v0..u1,v1.
func quad(r rect, u0, v0, u1, v1 float32) {
	gl.TexCoord2f(u0, v0)
	gl.Vertex2f(r.x, r.y)
	gl.TexCoord2f(u1, v0)
	gl.Vertex2f(r.x+r.w, r.y)
	gl.TexCoord2f(u1, v1)
	gl.Vertex2f(r.x+r.w, r.y+r.h)
	gl.TexCoord2f(u0, v1)
	gl.Vertex2f(r.x, r.y+r.h)
}

// readPixels returns the framebuffer as an image, top row first.
func readPixels(fbW, fbH int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, fbW, fbH))
	buf := make([]byte, fbW*fbH*4)
	gl.PixelStorei(gl.PACK_ALIGNMENT, 1)
	gl.ReadBuffer(gl.BACK)
	gl.ReadPixels(0, 0, int32(fbW), int32(fbH), gl.RGBA, gl.UNSIGNED_BYTE, gl.Ptr(buf))
	for y := 0; y < fbH; y++ {
		copy(img.Pix[y*img.Stride:(y+1)*img.Stride], buf[(fbH-1-y)*fbW*4:(fbH-y)*fbW*4])
	}
	return img
}
