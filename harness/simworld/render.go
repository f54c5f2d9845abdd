package simworld

import (
	"image"
	"math"
	"math/rand/v2"
)

// Subjects, colours, backgrounds and styles of the prompt templates. Indices into these
// tables appear in Prompt and Render.
var (
	subjectNames = [...]string{"circle", "square", "triangle", "star", "ring", "cross"}
	colourNames  = [...]string{"red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink"}
	// colourHSV is each colour's hue (degrees), saturation and value.
	colourHSV = [...][3]float64{
		{0, 0.85, 0.90}, {30, 0.90, 0.95}, {55, 0.85, 0.95}, {120, 0.75, 0.75},
		{180, 0.75, 0.90}, {225, 0.80, 0.85}, {280, 0.65, 0.75}, {330, 0.45, 1.00},
	}
	backgroundPhrases = [...]string{"in a snowy field", "under a night sky", "in a desert", "in a green forest", "over the ocean", "in a grey studio"}
	// backgroundRGB is each background's top and bottom colour (a vertical gradient).
	backgroundRGB = [...][2][3]float64{
		{{0.80, 0.85, 0.92}, {0.96, 0.96, 0.98}},
		{{0.03, 0.04, 0.16}, {0.10, 0.12, 0.30}},
		{{0.93, 0.78, 0.52}, {0.80, 0.60, 0.35}},
		{{0.12, 0.32, 0.14}, {0.05, 0.18, 0.07}},
		{{0.35, 0.62, 0.86}, {0.05, 0.25, 0.52}},
		{{0.55, 0.55, 0.57}, {0.40, 0.40, 0.42}},
	}
	styleNames = [...]string{"flat vector", "watercolor", "pixel art", "neon glow", "oil painting"}
)

// textureAmp is the amplitude of the smooth background texture every image has (its own
// random field: distinct images of one prompt differ in their difference hashes).
const textureAmp = 0.10

// Style indices.
const (
	styleFlat = iota
	styleWatercolor
	stylePixel
	styleNeon
	styleOil
)

// SubjectNames, ColourNames, BackgroundPhrases and StyleNames return the template tables.
func SubjectNames() []string      { return append([]string(nil), subjectNames[:]...) }
func ColourNames() []string       { return append([]string(nil), colourNames[:]...) }
func BackgroundPhrases() []string { return append([]string(nil), backgroundPhrases[:]...) }
func StyleNames() []string        { return append([]string(nil), styleNames[:]...) }

// ColourHue returns the nominal hue (degrees) of colour index c.
func ColourHue(c int) float64 { return colourHSV[c][0] }

// Render holds the parameters an image is drawn from (see the package documentation for
// how each is rendered).
type Render struct {
	Subject    int     `json:"subject"`    // index into SubjectNames (as drawn; may differ from the prompt's)
	Colour     int     `json:"colour"`     // index into ColourNames (as drawn)
	Background int     `json:"background"` // index into BackgroundPhrases
	Style      int     `json:"style"`      // index into StyleNames
	Hue        float64 `json:"hue"`        // subject fill hue in degrees (colour's hue ± 8)
	Saturation float64 `json:"saturation"` // global chroma multiplier, [0.2, 1]
	Contrast   float64 `json:"contrast"`   // global contrast multiplier, [0.35, 1]
	CentreX    float64 `json:"centre_x"`   // subject centre, fraction of the width from the left
	CentreY    float64 `json:"centre_y"`   // subject centre, fraction of the height from the top
	Offset     float64 `json:"offset"`     // distance of the subject centre from the image centre, fraction of the width, [0, 0.2]
	Scale      float64 `json:"scale"`      // subject radius, fraction of the width, [0.15, 0.25]
	Artefact   float64 `json:"artefact"`   // artefact level in [0, 1] (quality = 1 - artefact)
	Blotches   bool    `json:"blotches"`   // blotches drawn (count grows with Artefact)
	Banding    bool    `json:"banding"`    // colour banding (posterisation, levels fall with Artefact)
	Blur       bool    `json:"blur"`       // box blur before the noise
	Texture    uint64  `json:"texture"`    // seed of the image's own texture and noise
	// Jitter is a tiny brightness offset used by re-posts (near-duplicates).
	Jitter float64 `json:"jitter,omitempty"`
}

func hsvToRGB(h, s, v float64) [3]float64 {
	h = math.Mod(h, 360)
	if h < 0 {
		h += 360
	}
	c := v * s
	x := c * (1 - math.Abs(math.Mod(h/60, 2)-1))
	m := v - c
	var r, g, b float64
	switch {
	case h < 60:
		r, g, b = c, x, 0
	case h < 120:
		r, g, b = x, c, 0
	case h < 180:
		r, g, b = 0, c, x
	case h < 240:
		r, g, b = 0, x, c
	case h < 300:
		r, g, b = x, 0, c
	default:
		r, g, b = c, 0, x
	}
	return [3]float64{r + m, g + m, b + m}
}

// shapeDist is an approximate signed distance (in subject radii) of point (u, v) from the
// subject's outline: negative inside.
func shapeDist(subject int, u, v float64) float64 {
	switch subject {
	case 0: // circle
		return math.Hypot(u, v) - 1
	case 1: // square
		return max(math.Abs(u), math.Abs(v)) - 0.85
	case 2: // triangle, pointing up, circumradius 1
		const k = 1.7320508075688772
		x, y := math.Abs(u), -v+0.25
		d1 := (k*x + y - 1) / 2
		d2 := -y - 0.5
		return max(d1, d2)
	case 3: // five-pointed star
		r := math.Hypot(u, v)
		th := math.Atan2(u, -v)
		rho := 0.5 + 0.5*math.Pow(0.5+0.5*math.Cos(5*th), 2)
		return r - rho
	case 4: // ring
		return math.Abs(math.Hypot(u, v)-0.72) - 0.28
	default: // cross
		a := max(math.Abs(u)-0.95, math.Abs(v)-0.32)
		b := max(math.Abs(u)-0.32, math.Abs(v)-0.95)
		return min(a, b)
	}
}

// valueNoise is a smooth random field on an n×n grid of random values in [-1, 1].
type valueNoise struct {
	n    int
	grid []float64
}

func newValueNoise(rng *rand.Rand, n int) valueNoise {
	g := make([]float64, (n+1)*(n+1))
	for i := range g {
		g[i] = 2*rng.Float64() - 1
	}
	return valueNoise{n: n, grid: g}
}

func (vn valueNoise) at(x, y float64) float64 { // x, y in [0, 1]
	fx, fy := x*float64(vn.n), y*float64(vn.n)
	ix, iy := min(int(fx), vn.n-1), min(int(fy), vn.n-1)
	tx, ty := fx-float64(ix), fy-float64(iy)
	tx, ty = tx*tx*(3-2*tx), ty*ty*(3-2*ty)
	w := vn.n + 1
	a := vn.grid[iy*w+ix]*(1-tx) + vn.grid[iy*w+ix+1]*tx
	b := vn.grid[(iy+1)*w+ix]*(1-tx) + vn.grid[(iy+1)*w+ix+1]*tx
	return a*(1-ty) + b*ty
}

// scratch holds one worker's reusable buffers.
type scratch struct {
	a, b, c [][3]float64
	f, g    []float64
}

// grow returns buf resized to n elements (contents undefined).
func grow[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	return buf[:n]
}

// draw renders an image of size×size pixels; sc may be nil.
func draw(p Render, size int, sc *scratch) *image.NRGBA {
	if sc == nil {
		sc = &scratch{}
	}
	rng := rand.New(rand.NewPCG(p.Texture, 0x7e47))
	n := size
	sc.a = grow(sc.a, n*n)
	buf := sc.a
	tex := newValueNoise(rng, 6)
	bg := backgroundRGB[p.Background]
	hsv := colourHSV[p.Colour]
	fill := hsvToRGB(p.Hue, hsv[1], hsv[2])
	if p.Style == styleWatercolor {
		for c := range fill {
			fill[c] = 0.8*fill[c] + 0.2
		}
	}
	rpx := p.Scale * float64(n) // subject radius in pixels
	soft := 0.6                 // edge softness in pixels
	switch p.Style {
	case styleWatercolor:
		soft = 2.5
	case stylePixel:
		soft = 0.01
	}
	block := max(1, n/16)
	oilPhase := rng.Float64() * 2 * math.Pi
	for y := 0; y < n; y++ {
		fy := (float64(y) + 0.5) / float64(n)
		for x := 0; x < n; x++ {
			fx := (float64(x) + 0.5) / float64(n)
			t := tex.at(fx, fy)
			var px [3]float64
			for c := 0; c < 3; c++ {
				px[c] = bg[0][c]*(1-fy) + bg[1][c]*fy + textureAmp*t
			}
			if p.Style == styleNeon {
				for c := range px {
					px[c] *= 0.6
				}
			}
			sx, sy := fx, fy
			if p.Style == stylePixel {
				sx = (float64((x/block)*block) + float64(block)/2) / float64(n)
				sy = (float64((y/block)*block) + float64(block)/2) / float64(n)
			}
			u := (sx - p.CentreX) / p.Scale
			v := (sy - p.CentreY) / p.Scale
			d := shapeDist(p.Subject, u, v) * rpx // pixels, negative inside
			cover := min(max(0.5-d/(2*soft), 0), 1)
			shade := 1.05 - 0.1*(v+1)
			for c := 0; c < 3; c++ {
				px[c] = px[c]*(1-cover) + fill[c]*shade*cover
			}
			if p.Style == styleNeon && d > 0 {
				g := 0.7 * math.Exp(-d/(0.12*float64(n)))
				for c := 0; c < 3; c++ {
					px[c] += g * fill[c]
				}
			}
			if p.Style == styleOil {
				m := 0.05 * math.Sin(0.9*float64(x)*64/float64(n)+0.35*float64(y)*64/float64(n)+oilPhase)
				for c := 0; c < 3; c++ {
					px[c] += m
				}
			}
			buf[y*n+x] = px
		}
	}
	if p.Background == 1 { // stars in the night sky
		for k := 0; k < 10; k++ {
			x, y := rng.IntN(n), rng.IntN(n/2)
			for c := 0; c < 3; c++ {
				buf[y*n+x][c] = max(buf[y*n+x][c], 0.9)
			}
		}
	}
	// Saturation: blend every pixel toward its luma (keeps hue).
	var meanL float64
	for i := range buf {
		px := &buf[i]
		l := 0.299*px[0] + 0.587*px[1] + 0.114*px[2]
		for c := 0; c < 3; c++ {
			px[c] = l + p.Saturation*(px[c]-l)
		}
		meanL += l
	}
	meanL /= float64(len(buf))
	// Contrast: scale around the mean luma.
	for i := range buf {
		for c := 0; c < 3; c++ {
			buf[i][c] = meanL + p.Contrast*(buf[i][c]-meanL) + p.Jitter
		}
	}
	a := p.Artefact
	if p.Blur && a > 0 {
		sc.b = grow(sc.b, n*n)
		boxBlur(buf, sc.b, n, 1+int(a*2))
		buf, sc.a, sc.b = sc.b, sc.b, sc.a
	}
	if p.Blotches && a > 0 {
		count := int(math.Round(8 * a))
		alpha := 0.4 + 0.5*a
		for k := 0; k < count; k++ {
			cx, cy := rng.Float64()*float64(n), rng.Float64()*float64(n)
			r := (2 + 3*rng.Float64()) * float64(n) / 64
			var col [3]float64
			switch rng.IntN(3) {
			case 0:
				col = [3]float64{0.10, 0.08, 0.05}
			case 1:
				col = [3]float64{0.95, 0.95, 0.90}
			default:
				col = hsvToRGB(rng.Float64()*360, 0.8, 0.8)
			}
			for y := max(0, int(cy-r-1)); y < min(n, int(cy+r+2)); y++ {
				for x := max(0, int(cx-r-1)); x < min(n, int(cx+r+2)); x++ {
					dd := math.Hypot(float64(x)+0.5-cx, float64(y)+0.5-cy)
					al := alpha * min(max(r-dd+0.5, 0), 1)
					for c := 0; c < 3; c++ {
						buf[y*n+x][c] = buf[y*n+x][c]*(1-al) + col[c]*al
					}
				}
			}
		}
	}
	if a > 0 {
		sigma := 0.16 * a
		for i := range buf {
			e := sigma * rng.NormFloat64() // luminance grain: the same on every channel
			for c := 0; c < 3; c++ {
				buf[i][c] += e
			}
		}
	}
	if p.Banding && a > 0 {
		levels := math.Max(3, math.Round(24-21*a))
		for i := range buf {
			for c := 0; c < 3; c++ {
				buf[i][c] = math.Round(min(max(buf[i][c], 0), 1)*(levels-1)) / (levels - 1)
			}
		}
	}
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	for i, px := range buf {
		o := i * 4
		for c := 0; c < 3; c++ {
			img.Pix[o+c] = uint8(math.Round(min(max(px[c], 0), 1) * 255))
		}
		img.Pix[o+3] = 255
	}
	return img
}

// boxBlur writes the (2r+1)² box blur of buf into out (the window shrinks at the edges).
func boxBlur(buf, out [][3]float64, n, r int) {
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			var s [3]float64
			k := 0
			for yy := max(0, y-r); yy <= min(n-1, y+r); yy++ {
				for xx := max(0, x-r); xx <= min(n-1, x+r); xx++ {
					for c := 0; c < 3; c++ {
						s[c] += buf[yy*n+xx][c]
					}
					k++
				}
			}
			for c := 0; c < 3; c++ {
				out[y*n+x][c] = s[c] / float64(k)
			}
		}
	}
}
