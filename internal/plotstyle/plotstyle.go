// Package plotstyle is srbench's house style for gonum/plot figures: fonts,
// the plot constructor, text styles, the look of data series and tick
// markers. It is the one definition that the benchmark report
// (harness/report) and the ablation report (harness/ablate) both draw with,
// so their figures look alike.
//
// Text is set in Liberation Sans (embedded in gonum/plot, so PNGs are the
// same everywhere; SVG text falls back to the metric-compatible Arial).
// Series differ in colour, dash pattern and marker together, so figures read
// in grayscale print too.
package plotstyle

import (
	"image/color"
	"math"
	"strconv"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Text sizes of the house style, in points.
const (
	// TitleSize is the size of plot and chart titles (bold).
	TitleSize vg.Length = 12
	// AxisLabelSize is the size of axis labels.
	AxisLabelSize vg.Length = 10.5
	// TickSize is the size of tick labels and legend entries.
	TickSize vg.Length = 9
	// ValueSize is the size of value labels placed next to data points.
	ValueSize vg.Length = 8
)

// Font returns the house typeface, Liberation Sans, at size and weight.
func Font(size vg.Length, weight xfont.Weight) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Weight: weight, Size: size}
}

// Title is the style of a chart title drawn outside a plot: TitleSize,
// bold, black.
func Title() text.Style {
	return text.Style{Color: color.Black, Font: Font(TitleSize, xfont.WeightBold), Handler: plot.DefaultTextHandler}
}

// Text is the style of text placed in the data area: size in the house
// font, colour c, centred on its point (change XAlign and YAlign to anchor
// it elsewhere).
func Text(size vg.Length, c color.Color) text.Style {
	return text.Style{
		Color: c, Font: Font(size, xfont.WeightNormal), Handler: plot.DefaultTextHandler,
		XAlign: draw.XCenter, YAlign: draw.YCenter,
	}
}

// New returns a plot in the house style: a bold title, both axis labels,
// and tick labels and legend in the house font.
func New(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = Font(TitleSize, xfont.WeightBold)
	p.Title.Padding = 3 * vg.Millimeter
	p.X.Label.Text, p.Y.Label.Text = xLabel, yLabel
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = Font(AxisLabelSize, xfont.WeightNormal)
		ax.Tick.Label.Font = Font(TickSize, xfont.WeightNormal)
	}
	p.Legend.TextStyle.Font = Font(TickSize, xfont.WeightNormal)
	p.Legend.ThumbnailWidth = 1.2 * vg.Centimeter
	return p
}

// Series is the look of the i-th data series: colour, dash pattern and
// marker all change together, so series stay apart in grayscale print.
// Colours are dark-to-mid viridis tones, readable on white; the styles
// repeat after 30 series.
func Series(i int) (c color.Color, dashes []vg.Length, glyph draw.GlyphDrawer) {
	colors := [...]color.RGBA{
		{0x44, 0x01, 0x54, 0xff}, // viridis 0
		{0x2c, 0x72, 0x8e, 0xff}, // viridis 0.375
		{0x1f, 0xa0, 0x88, 0xff}, // viridis 0.5625
		{0x59, 0x59, 0x59, 0xff}, // gray
		{0x3b, 0x52, 0x8b, 0xff}, // viridis 0.25
		{0x5e, 0xc9, 0x62, 0xff}, // viridis 0.75
	}
	dash := [...][]vg.Length{
		nil,
		{vg.Points(6), vg.Points(3)},
		{vg.Points(1.5), vg.Points(2)},
		{vg.Points(8), vg.Points(3), vg.Points(1.5), vg.Points(3)},
		{vg.Points(3), vg.Points(3)},
	}
	glyphs := [...]draw.GlyphDrawer{
		draw.CircleGlyph{}, draw.TriangleGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}, draw.CrossGlyph{}, draw.RingGlyph{},
	}
	return colors[i%len(colors)], dash[i%len(dash)], glyphs[i%len(glyphs)]
}

// HorizontalGrid returns light horizontal grid lines only, for plots whose
// x axis is categorical or whose vertical lines would crowd the data.
func HorizontalGrid() *plotter.Grid {
	g := plotter.NewGrid()
	g.Vertical.Color = nil
	g.Horizontal.Color = color.Gray{0xdd}
	return g
}

// ErrPoints are points with asymmetric Y errors, for
// plotter.NewYErrorBars.
type ErrPoints struct {
	plotter.XYs
	plotter.YErrors
}

// LinearTicks marks a linear axis at the multiples of Step, labelling the
// multiples of LabelEvery·Step with their value.
type LinearTicks struct {
	Step float64
	// LabelEvery labels every LabelEvery-th mark; 0 or 1 labels all.
	LabelEvery int
	// Max, when not 0, is the largest value marked, so an axis can extend
	// past its last mark (room for a legend or value labels above 100%).
	Max float64
}

// Ticks implements plot.Ticker.
func (t LinearTicks) Ticks(lo, hi float64) []plot.Tick {
	if t.Step <= 0 || math.IsNaN(lo) || math.IsNaN(hi) || hi < lo {
		return nil
	}
	if t.Max != 0 {
		hi = math.Min(hi, t.Max)
	}
	every := max(1, t.LabelEvery)
	var ticks []plot.Tick
	for k := math.Ceil(lo/t.Step - 1e-9); k*t.Step <= hi+1e-9*t.Step; k++ {
		v := k * t.Step
		if v == 0 {
			v = 0 // not -0
		}
		tk := plot.Tick{Value: v}
		if int64(k)%int64(every) == 0 {
			tk.Label = strconv.FormatFloat(v, 'f', -1, 64)
		}
		ticks = append(ticks, tk)
	}
	return ticks
}

// LogTicks marks a log axis (plot.LogScale) at 1, 2 and 5 times each power
// of ten, labelled, with unlabelled marks at the other integer multiples;
// when the axis spans more than four decades only the powers of ten are
// labelled, and when fewer than two marks would be labelled all are.
// Labels are plain decimals ("0.01", "20", "1000").
type LogTicks struct{}

// Ticks implements plot.Ticker; lo and hi must be positive.
func (LogTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi >= lo) || math.IsInf(hi, 0) {
		return nil
	}
	labelled := map[int]bool{1: true, 2: true, 5: true}
	if math.Log10(hi/lo) > 4 {
		labelled = map[int]bool{1: true}
	}
	var ticks []plot.Tick
	for e := int(math.Floor(math.Log10(lo))); e <= int(math.Ceil(math.Log10(hi))); e++ {
		for m := 1; m <= 9; m++ {
			// m·10^e from its decimal form, so labels are exact ("0.03", not
			// "0.030000000000000002").
			v, _ := strconv.ParseFloat(strconv.Itoa(m)+"e"+strconv.Itoa(e), 64)
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			tk := plot.Tick{Value: v}
			if labelled[m] {
				tk.Label = strconv.FormatFloat(v, 'f', -1, 64)
			}
			ticks = append(ticks, tk)
		}
	}
	n := 0
	for _, tk := range ticks {
		if tk.Label != "" {
			n++
		}
	}
	if n < 2 {
		for i := range ticks {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'f', -1, 64)
		}
	}
	if len(ticks) < 2 { // less than a decade between two marks: mark the ends
		ticks = []plot.Tick{
			{Value: lo, Label: strconv.FormatFloat(lo, 'g', 3, 64)},
			{Value: hi, Label: strconv.FormatFloat(hi, 'g', 3, 64)},
		}
	}
	return ticks
}
