package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// series is one bar colour of the chart: a backend, or PyTorch.
type series struct {
	name   string
	values map[string]float64 // images/s by category ("fnn b32")
}

// writeChart draws end-to-end images/s in a grid of panels, training
// above inference and one column per model (their rates differ by an
// order of magnitude), with a group of bars per batch size and one bar per
// backend, and PyTorch's when it ran. It writes the chart to path as PNG.
func writeChart(path string, rs []e2eResult, tr *torchReport) error {
	models := chartModels(rs)
	if len(models) == 0 {
		return fmt.Errorf("-png: no end-to-end results to draw")
	}
	var plots [][]*plot.Plot
	var names []string // every series, so that a backend keeps its colour in every panel
	for _, mode := range []string{"train", "infer"} {
		var row []*plot.Plot
		for _, model := range models {
			cats, ss := chartSeries(rs, tr, model, mode)
			for _, s := range ss {
				if !slices.Contains(names, s.name) {
					names = append(names, s.name)
				}
			}
			p, err := barPlot(model, mode, cats, ss, names)
			if err != nil {
				return err
			}
			row = append(row, p)
		}
		plots = append(plots, row)
	}
	img := vgimg.New(vg.Points(420*float64(len(models))), vg.Points(600))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: len(models), PadX: vg.Points(12), PadY: vg.Points(12),
		PadTop: vg.Points(6), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(6)}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		for j := range plots[i] {
			plots[i][j].Draw(canvases[i][j])
		}
	}
	return savePNG(path, img)
}

func savePNG(path string, img *vgimg.Canvas) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("-png: %w", err)
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("-png: %w", err)
	}
	return f.Close()
}

// chartModels lists the models with results, in run order.
func chartModels(rs []e2eResult) []string {
	var models []string
	for _, r := range rs {
		if r.Error == "" && !slices.Contains(models, r.Model) {
			models = append(models, r.Model)
		}
	}
	return models
}

// chartSeries gathers the batch sizes of a model and mode and one series
// per backend.
func chartSeries(rs []e2eResult, tr *torchReport, model, mode string) ([]string, []series) {
	var cats []string
	var ss []series
	add := func(name, cat string, v float64) {
		i := slices.IndexFunc(ss, func(s series) bool { return s.name == name })
		if i < 0 {
			i = len(ss)
			ss = append(ss, series{name: name, values: map[string]float64{}})
		}
		ss[i].values[cat] = v
	}
	for _, r := range rs {
		if r.Model != model || r.Mode != mode || r.Error != "" {
			continue
		}
		cat := fmt.Sprintf("batch %d", r.Batch)
		if !slices.Contains(cats, cat) {
			cats = append(cats, cat)
		}
		add("anvil "+r.Backend, cat, r.ImagesPerSec)
	}
	if tr != nil {
		for _, p := range tr.Results {
			v := p.TrainPerSec
			if mode == "infer" {
				v = p.InferPerSec
			}
			if p.Model == model {
				add("pytorch "+tr.Device, fmt.Sprintf("batch %d", p.Batch), v)
			}
		}
	}
	return cats, ss
}

// barPlot draws grouped bars: categories along x, one offset bar per series.
func barPlot(model, mode string, cats []string, ss []series, names []string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = strings.ToUpper(model) + map[string]string{"train": " training (Fit)", "infer": " inference (Predict)"}[mode]
	p.Y.Label.Text = "images/s"
	p.Legend.Top, p.Legend.Left = true, true
	p.Y.Padding = 0
	width := vg.Points(min(30, 300/float64(max(1, len(cats)*len(ss)))))
	top := 0.0
	for i, s := range ss {
		vals := make(plotter.Values, len(cats))
		for j, c := range cats {
			vals[j] = s.values[c]
			top = max(top, vals[j])
		}
		bars, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return nil, fmt.Errorf("-png: %w", err)
		}
		bars.LineStyle.Width = 0
		bars.Color = plotutil.Color(slices.Index(names, s.name))
		bars.Offset = width * vg.Length(float64(i)-float64(len(ss)-1)/2)
		p.Add(bars)
		p.Legend.Add(s.name, bars)
	}
	p.NominalX(cats...)
	// Room for the legend above the bars, and for the outer bars' offsets.
	p.Y.Min, p.Y.Max = 0, top*(1.15+0.08*float64(len(ss)))
	p.X.Min, p.X.Max = -0.5, float64(len(cats))-0.5
	return p, nil
}
