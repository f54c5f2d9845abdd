package plotstyle

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// viridisStops is matplotlib's viridis colour map sampled at 0, 1/16, …, 1
// (matplotlib 3.6: [to_hex(cm.viridis(i/16)) for i in range(17)]). Its
// lightness rises monotonically, so it reads correctly in grayscale.
const viridisStops = "440154 48186a 472d7b 424086 3b528b 33638d 2c728e 26828e 21918c 1fa088 28ae80 3fbc73 5ec962 84d44b addc30 d8e219 fde725"

// Viridis is a palette.Palette of that many colours of matplotlib's
// viridis colour map, interpolated linearly between its stops: dark purple
// to yellow, lighter at every step, so it reads in grayscale too.
type Viridis int

// Colors implements palette.Palette.
func (n Viridis) Colors() []color.Color {
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

// ColorAt returns the colour of pal for v on a scale from lo to hi exactly
// as plotter.HeatMap picks it (values outside the scale take the end
// colours; an empty scale the middle one).
func ColorAt(pal []color.Color, v, lo, hi float64) color.Color {
	if hi <= lo {
		return pal[len(pal)/2]
	}
	i := int(math.Round((v - lo) / (hi - lo) * float64(len(pal)-1)))
	return pal[max(0, min(len(pal)-1, i))]
}

// Scale is a palette.ColorMap over a palette: the colour of a value is the
// one a plotter.HeatMap with the same palette, Min and Max draws, so a
// colour bar made from it is the heat map's true key.
type Scale struct {
	// Colors is the palette, lowest value first (e.g. Viridis(256).Colors()).
	Colors []color.Color
	// Lo and Hi are the values of the first and the last colour.
	Lo, Hi   float64
	alphaSet bool
	alpha    float64
}

var _ palette.ColorMap = (*Scale)(nil)

// At implements palette.ColorMap.
func (s *Scale) At(v float64) (color.Color, error) {
	if v < s.Lo || v > s.Hi || math.IsNaN(v) {
		return nil, palette.ErrOverflow
	}
	c := ColorAt(s.Colors, v, s.Lo, s.Hi)
	if a := s.Alpha(); a < 1 {
		r, g, b, _ := c.RGBA()
		return color.NRGBA64{R: uint16(r), G: uint16(g), B: uint16(b), A: uint16(a * 0xffff)}, nil
	}
	return c, nil
}

// Max implements palette.ColorMap.
func (s *Scale) Max() float64 { return s.Hi }

// SetMax implements palette.ColorMap.
func (s *Scale) SetMax(v float64) { s.Hi = v }

// Min implements palette.ColorMap.
func (s *Scale) Min() float64 { return s.Lo }

// SetMin implements palette.ColorMap.
func (s *Scale) SetMin(v float64) { s.Lo = v }

// Alpha implements palette.ColorMap; it is 1 unless set.
func (s *Scale) Alpha() float64 {
	if !s.alphaSet {
		return 1
	}
	return s.alpha
}

// SetAlpha implements palette.ColorMap.
func (s *Scale) SetAlpha(a float64) {
	if a < 0 || a > 1 {
		panic(fmt.Sprintf("plotstyle: alpha %v outside [0, 1]", a))
	}
	s.alpha, s.alphaSet = a, true
}

// Palette implements palette.ColorMap: n colours evenly over the scale.
func (s *Scale) Palette(n int) palette.Palette {
	out := make(paletteOf, n)
	for i := range out {
		v := s.Lo
		if n > 1 {
			v += float64(i) / float64(n-1) * (s.Hi - s.Lo)
		}
		out[i], _ = s.At(v)
	}
	return out
}

type paletteOf []color.Color

func (p paletteOf) Colors() []color.Color { return p }

// ColorBar returns a plot that is the horizontal key of a heat map drawn
// with scale: a bar of its colours from Lo to Hi, marked by ticks (nil:
// gonum's default ticks) and labelled with label, which says what the
// colours measure and in which unit. Draw it under the heat map with
// report.Chart's ColorBar so it lines up with the map.
func ColorBar(scale *Scale, label string, ticks plot.Ticker) *plot.Plot {
	p := New("", label, "")
	p.HideY()
	p.Y.Padding = 0
	p.X.Padding = 0
	p.X.Tick.Length = 1.5 * vg.Millimeter
	if ticks != nil {
		p.X.Tick.Marker = ticks
	}
	p.Add(&plotter.ColorBar{ColorMap: scale, Colors: len(scale.Colors)})
	return p
}

// Ink returns black or white, whichever has the higher WCAG contrast ratio
// on background c: the colour of text drawn on a heat map cell.
func Ink(c color.Color) color.Color {
	// (1 + 0.05)/(Y + 0.05) > (Y + 0.05)/(0 + 0.05)  ⇔  (Y + 0.05)² < 0.0525
	if y := Luminance(c); (y+0.05)*(y+0.05) < 0.0525 {
		return color.White
	}
	return color.Black
}

// Luminance is the relative luminance Y of an sRGB colour (WCAG 2).
func Luminance(c color.Color) float64 {
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
