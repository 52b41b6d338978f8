// Command plot draws the latency of every API request of the refresh
// boundary scenario (benchmarks/boundary_test.go) over time, one panel per
// library, from the CSV the benchmark writes.
//
// Usage (from benchmarks/):
//
//	go run ./cmd/plot [-in testdata/latency.csv] [-out latency.png] [-run 1]
//
// The benchmark repeats its 10 s run; one of them is drawn (the first by
// default), and the panel titles give that run's p99 and maximum.
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"image/color"
	"log"
	"os"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// minLatency keeps every point on the logarithmic axis.
const minLatency = 0.01 // ms

// panelColors gives each library the same colour in every run.
var panelColors = map[string]color.Color{
	"static":          color.RGBA{R: 90, G: 90, B: 90, A: 255},
	"tokenward-async": color.RGBA{R: 0, G: 114, B: 178, A: 255},
	"x-oauth2":        color.RGBA{R: 213, G: 94, B: 0, A: 255},
	"google-auth":     color.RGBA{R: 0, G: 158, B: 115, A: 255},
}

// series is one library's requests.
type series struct {
	impl   string
	points plotter.XYs // time (s), latency (ms)
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("plot: ")
	in := flag.String("in", "testdata/latency.csv", "CSV written by BenchmarkRefreshBoundary")
	out := flag.String("out", "latency.png", "PNG to write")
	run := flag.String("run", "1", "which of the benchmark's repeated runs to draw")
	flag.Parse()

	all, err := read(*in, *run)
	if err != nil {
		log.Fatal(err)
	}
	if len(all) == 0 {
		log.Fatalf("%s: no requests of run %s", *in, *run)
	}
	if err := draw4(all, *out); err != nil {
		log.Fatal(err)
	}
	fmt.Println("wrote", *out)
}

// read loads the requests of one run from the CSV (run, impl, t_s,
// latency_ms, ok) into one series per library, in the order they first
// appear.
func read(path, run string) ([]series, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(recs) < 2 {
		return nil, fmt.Errorf("%s: no data", path)
	}
	var all []series
	for i, rec := range recs[1:] {
		if len(rec) < 4 {
			return nil, fmt.Errorf("%s:%d: want run,impl,t_s,latency_ms", path, i+2)
		}
		if rec[0] != run {
			continue
		}
		impl := rec[1]
		t, err1 := strconv.ParseFloat(rec[2], 64)
		lat, err2 := strconv.ParseFloat(rec[3], 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%s:%d: bad number", path, i+2)
		}
		j := slices.IndexFunc(all, func(s series) bool { return s.impl == impl })
		if j < 0 {
			all = append(all, series{impl: impl})
			j = len(all) - 1
		}
		all[j].points = append(all[j].points, plotter.XY{X: t, Y: max(lat, minLatency)})
	}
	return all, nil
}

// draw4 writes one panel per series, stacked, with shared axes.
func draw4(all []series, out string) error {
	maxLat := minLatency
	for _, s := range all {
		for _, p := range s.points {
			maxLat = max(maxLat, p.Y)
		}
	}
	plots := make([][]*plot.Plot, len(all))
	for i, s := range all {
		p := plot.New()
		lats := make([]float64, len(s.points))
		for k, pt := range s.points {
			lats[k] = pt.Y
		}
		slices.Sort(lats)
		p99 := lats[max(int(float64(len(lats))*0.99+0.5)-1, 0)] // nearest rank, as the benchmark
		p.Title.Text = fmt.Sprintf("%s: p99 %.2f ms, max %.1f ms (this run)", s.impl, p99, lats[len(lats)-1])
		p.Title.TextStyle.Font.Size = vg.Points(11)
		p.Y.Label.Text = "latency (ms)"
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		p.Y.Min, p.Y.Max = 0.05, maxLat*1.5
		p.X.Min, p.X.Max = 0, 10
		if i == len(all)-1 {
			p.X.Label.Text = "time since the start of the run (s); tokens live 2 s and are renewed 0.5 s before expiry; endpoint latency 100 ms"
		}
		p.Add(plotter.NewGrid())
		sc, err := plotter.NewScatter(s.points)
		if err != nil {
			return err
		}
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Radius = vg.Points(1.2)
		if c, ok := panelColors[s.impl]; ok {
			sc.GlyphStyle.Color = c
		}
		p.Add(sc)
		plots[i] = []*plot.Plot{p}
	}
	img := vgimg.New(10*vg.Inch, vg.Length(2.3*float64(len(all)))*vg.Inch)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(all), Cols: 1, PadX: vg.Millimeter, PadY: 3 * vg.Millimeter,
		PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 4 * vg.Millimeter}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
