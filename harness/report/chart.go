package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
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
}

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
		return []byte(strings.ReplaceAll(buf.String(), "font-family:Liberation Sans;",
			"font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")), nil
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

func (c *Chart) draw(dc draw.Canvas) {
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	if len(c.Panels) == 1 && len(c.Panels[0]) == 1 {
		c.Panels[0][0].Draw(dc)
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

// ---------- palette ----------

// viridisStops is matplotlib's viridis colour map sampled at 0, 1/16, …, 1
// (matplotlib 3.6: [to_hex(cm.viridis(i/16)) for i in range(17)]). Its
// lightness rises monotonically, so it reads correctly in grayscale.
const viridisStops = "440154 48186a 472d7b 424086 3b528b 33638d 2c728e 26828e 21918c 1fa088 28ae80 3fbc73 5ec962 84d44b addc30 d8e219 fde725"

// viridis is a palette.Palette of n colours interpolated linearly between
// the stops.
type viridis int

func (n viridis) Colors() []color.Color {
	var stops []color.RGBA
	for _, h := range strings.Fields(viridisStops) {
		var r, g, b uint8
		fmt.Sscanf(h, "%02x%02x%02x", &r, &g, &b)
		stops = append(stops, color.RGBA{r, g, b, 0xff})
	}
	out := make([]color.Color, int(n))
	for i := range out {
		t := float64(i) / float64(int(n)-1) * float64(len(stops)-1)
		k := min(int(t), len(stops)-2)
		f := t - float64(k)
		a, b := stops[k], stops[k+1]
		mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + f*(float64(y)-float64(x)))) }
		out[i] = color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xff}
	}
	return out
}

// viridisAt returns the colour for v in [lo, hi] as the heat maps draw it.
func viridisAt(cols []color.Color, v, lo, hi float64) color.Color {
	if hi <= lo {
		return cols[len(cols)/2]
	}
	i := int(math.Round((v - lo) / (hi - lo) * float64(len(cols)-1)))
	return cols[max(0, min(len(cols)-1, i))]
}

// ink returns black or white, whichever has the higher WCAG contrast ratio
// on background c.
func ink(c color.Color) color.Color {
	// (1 + 0.05)/(Y + 0.05) > (Y + 0.05)/(0 + 0.05)  ⇔  (Y + 0.05)² < 0.0525
	if y := luminance(c); (y+0.05)*(y+0.05) < 0.0525 {
		return color.White
	}
	return color.Black
}

// luminance is the relative luminance Y of an sRGB colour (WCAG 2).
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		x := float64(v) / 0xffff
		if x <= 0.04045 {
			return x / 12.92
		}
		return math.Pow((x+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}
