package main

import (
	"fmt"
	"image"
	"image/color"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/anvil-ml/anvil/datasets"
	"github.com/anvil-ml/anvil/tensor"
)

// drawPictures writes history.png and, for image data, predictions.png.
func (r *trainRun) drawPictures() error {
	if err := drawHistory(filepath.Join(r.o.out, "history.png"), r.history.Metrics); err != nil {
		return err
	}
	if len(r.data.test.FeatureShape()) != 4 || r.data.test.Labels == nil {
		return nil
	}
	return r.drawPredictions(filepath.Join(r.o.out, "predictions.png"))
}

// drawHistory plots loss and accuracy per epoch, training and validation,
// side by side.
func drawHistory(path string, metrics map[string][]float64) error {
	var panels []*plot.Plot
	for _, name := range []string{"loss", "accuracy"} {
		if len(metrics[name]) == 0 {
			continue
		}
		p := plot.New()
		p.Title.Text = name
		p.X.Label.Text = "epoch"
		for i, series := range []string{name, "val_" + name} {
			if err := addLine(p, series, metrics[series], i); err != nil {
				return err
			}
		}
		// Loss falls and accuracy rises, so the free corner is top right for
		// loss and bottom right for accuracy.
		p.Legend.Top = name == "loss"
		panels = append(panels, p)
	}
	return saveTiles(path, [][]*plot.Plot{panels}, 6*vg.Inch*vg.Length(len(panels))/1.5, 4*vg.Inch)
}

func addLine(p *plot.Plot, label string, ys []float64, style int) error {
	if len(ys) == 0 {
		return nil
	}
	pts := make(plotter.XYs, len(ys))
	for i, y := range ys {
		pts[i].X, pts[i].Y = float64(i+1), y
	}
	line, points, err := plotter.NewLinePoints(pts)
	if err != nil {
		return err
	}
	colors := []color.Color{color.RGBA{31, 119, 180, 255}, color.RGBA{255, 127, 14, 255}}
	line.Color, points.Color = colors[style], colors[style]
	p.Add(line, points)
	p.Legend.Add(label, line, points)
	return nil
}

// drawPredictions shows 10 random test images with the predicted and the
// actual class under each, as the tutorial's figure does.
func (r *trainRun) drawPredictions(path string) error {
	probs, err := r.model.PredictData(r.testData, r.o.batchSize)
	if err != nil {
		return err
	}
	shape := r.data.test.FeatureShape()
	n := shape[0]
	picks := tensor.NewStream(r.o.seed, 0x504943).Perm(n)[:min(10, n)]
	row := make([]*plot.Plot, len(picks))
	for i, idx := range picks {
		p := plot.New()
		p.HideAxes()
		img := toImage(testSample(r.data.test, idx), shape[1], shape[2], shape[3])
		p.Add(plotter.NewImage(img, 0, 0, float64(img.Bounds().Dx()), float64(img.Bounds().Dy())))
		p.X.Label.Text = fmt.Sprintf("pred = %s\nact = %s",
			r.data.test.ClassName(tensor.Argmax(probs.Row(idx))), r.data.test.ClassName(r.data.test.Labels[idx]))
		p.X.Label.TextStyle.Font.Size = vg.Points(9)
		row[i] = p
	}
	return saveTiles(path, [][]*plot.Plot{row}, vg.Length(len(row))*1.3*vg.Inch, 1.8*vg.Inch)
}

// testSample is sample idx of s's features, scaled to 0..1.
func testSample(s *datasets.Set, idx int) []float32 {
	if s.X != nil {
		return s.X.Row(idx)
	}
	size := s.Images.RowSize()
	one := tensor.Bytes{Shape: tensor.Shape{1, size}, Data: s.Images.Data[idx*size : (idx+1)*size]}
	return one.Float().Data
}

// toImage converts one NHWC sample scaled to 0..1 into an image.
func toImage(px []float32, h, w, c int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := px[(y*w+x)*c:]
			r, g, b := v[0], v[0], v[0]
			if c >= 3 {
				g, b = v[1], v[2]
			}
			// plotter.Image draws row 0 at the top.
			img.Set(x, y, color.RGBA{to8(r), to8(g), to8(b), 255})
		}
	}
	return img
}

func to8(v float32) uint8 { return uint8(min(max(v, 0), 1)*255 + 0.5) }

// saveTiles lays plots out in a grid and writes a PNG.
func saveTiles(path string, grid [][]*plot.Plot, width, height vg.Length) error {
	canvas := vgimg.New(width, height)
	dc := draw.New(canvas)
	tiles := draw.Tiles{Rows: len(grid), Cols: len(grid[0]), PadX: vg.Millimeter, PadY: vg.Millimeter,
		PadTop: vg.Millimeter, PadBottom: vg.Millimeter, PadLeft: vg.Millimeter, PadRight: vg.Millimeter}
	canvases := plot.Align(grid, tiles, dc)
	for i := range grid {
		for j, p := range grid[i] {
			p.Draw(canvases[i][j])
		}
	}
	png := vgimg.PngCanvas{Canvas: canvas}
	return writeAtomicTo(path, png.WriteTo)
}
