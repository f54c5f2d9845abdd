package report

import (
	"bytes"
	"fmt"
	"image/color"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/srbench/srbench/internal/plotstyle"
)

// Chart is a drawable figure: one gonum plot, or several laid out in a grid
// under a common title.
type Chart struct {
	// Title is drawn above a grid of panels; a single panel shows its own
	// plot title instead.
	Title string
	// Panels are the plots, by row then column; every row has the same
	// number of columns.
	Panels [][]*plot.Plot
	// Width and Height are the figure's size; 0 means 16 cm × 10 cm.
	Width, Height vg.Length
	// ColorBar, when not nil, is drawn under a chart of one panel, in the
	// bottom ColorBarHeight of the figure, its data area exactly as wide as
	// the panel's: the key from a heat map's colours to values, a plot
	// holding a horizontal plotter.ColorBar with its y axis hidden.
	ColorBar *plot.Plot
}

// ColorBarHeight is the height a Chart gives its ColorBar: a gap under
// the panel, the bar, its ticks and its axis label.
const ColorBarHeight = 2.1 * vg.Centimeter

// colorBarGap is the space between a panel and its colour bar.
const colorBarGap = 5 * vg.Millimeter

// PNGDPI is the resolution of the PNG figures (16 cm ≈ 907 pixels).
const PNGDPI = 144

const (
	defaultWidth  = 16 * vg.Centimeter
	defaultHeight = 10 * vg.Centimeter
)

func (c *Chart) size() (w, h vg.Length) {
	w, h = c.Width, c.Height
	if w == 0 {
		w = defaultWidth
	}
	if h == 0 {
		h = defaultHeight
	}
	return w, h
}

// Render draws the chart as "svg" or "png". The output depends only on the
// chart: the same chart gives byte-identical files. SVG text asks for
// Liberation Sans, the font the layout was measured with, falling back to
// the metric-compatible Arial and Helvetica.
func (c *Chart) Render(format string) (out []byte, err error) {
	if len(c.Panels) == 0 || len(c.Panels[0]) == 0 {
		return nil, fmt.Errorf("chart %q has no panels", c.Title)
	}
	if c.ColorBar != nil && (len(c.Panels) != 1 || len(c.Panels[0]) != 1) {
		return nil, fmt.Errorf("chart %q: a colour bar needs a chart of one panel", c.Title)
	}
	for i, row := range c.Panels {
		if len(row) != len(c.Panels[0]) {
			return nil, fmt.Errorf("chart %q: row %d has %d panels, row 0 has %d", c.Title, i, len(row), len(c.Panels[0]))
		}
		for j, p := range row {
			if p == nil {
				return nil, fmt.Errorf("chart %q: panel (%d, %d) is nil", c.Title, i, j)
			}
		}
	}
	// gonum/plot panics on some degenerate data (e.g. NaN ranges); report it
	// as an error of this chart rather than crash the report.
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("chart %q: drawing failed: %v", c.Title, r)
		}
	}()
	w, h := c.size()
	var buf bytes.Buffer
	switch format {
	case "svg":
		cv := vgsvg.New(w, h)
		c.draw(draw.New(cv))
		if _, err := cv.WriteTo(&buf); err != nil {
			return nil, err
		}
		return []byte(svgFixes.Replace(buf.String())), nil
	case "png":
		cv := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(PNGDPI), vgimg.UseBackgroundColor(color.White))
		c.draw(draw.New(cv))
		if _, err := (vgimg.PngCanvas{Canvas: cv}).WriteTo(&buf); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	return nil, fmt.Errorf("chart %q: format %q: want svg or png", c.Title, format)
}

// svgFixes amends gonum's SVG: text falls back to fonts metric-compatible
// with Liberation Sans, and an image (a colour bar's strip of colours)
// fills the box it is drawn in, as in the PNG, instead of keeping its
// aspect ratio (which would shrink a 256×1 strip to a hairline).
var svgFixes = strings.NewReplacer(
	"font-family:Liberation Sans;", "font-family:'Liberation Sans',Arial,Helvetica,sans-serif;",
	"<image ", `<image preserveAspectRatio="none" `,
)

func (c *Chart) draw(dc draw.Canvas) {
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	if len(c.Panels) == 1 && len(c.Panels[0]) == 1 {
		p := c.Panels[0][0]
		if c.ColorBar == nil {
			p.Draw(dc)
			return
		}
		bar, area := dc, dc
		area.Min.Y = dc.Min.Y + ColorBarHeight
		bar.Max.Y = area.Min.Y - colorBarGap
		// The bar's own margins (axis padding, tick labels overhanging its
		// ends) go outside its data area, which gets the panel's left and
		// right edges; the panel leaves room on the right for the overhang
		// and a margin, so neither touches the figure's edge.
		own := c.ColorBar.DataCanvas(bar)
		left, right := own.Min.X-bar.Min.X, bar.Max.X-own.Max.X
		area.Max.X -= right + 3*vg.Millimeter
		p.Draw(area)
		data := p.DataCanvas(area)
		bar.Min.X, bar.Max.X = data.Min.X-left, data.Max.X+right
		c.ColorBar.Draw(bar)
		return
	}
	area := dc
	if c.Title != "" {
		st := plotstyle.Title()
		st.XAlign, st.YAlign = draw.XCenter, draw.YTop
		top := dc.Max.Y - 2*vg.Millimeter
		dc.FillText(st, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: top}, c.Title)
		area.Max.Y = top - st.Height(c.Title) - 2*vg.Millimeter
	}
	tiles := draw.Tiles{
		Rows: len(c.Panels), Cols: len(c.Panels[0]),
		PadX: 6 * vg.Millimeter, PadY: 5 * vg.Millimeter,
		PadTop: 1 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 3 * vg.Millimeter,
	}
	canvases := plot.Align(c.Panels, tiles, area)
	for i, row := range c.Panels {
		for j, p := range row {
			p.Draw(canvases[i][j])
		}
	}
}
