package simworld

import (
	"image"
	"math"
)

// Features are visual statistics measured from an image's pixels alone (no rendering
// parameters), each a simple function a small model can compute. Channels are 8-bit
// values / 255; luma is 0.299 R + 0.587 G + 0.114 B.
type Features struct {
	// Saturation is the mean over pixels of max(R,G,B) − min(R,G,B) (HSV chroma).
	Saturation float64 `json:"saturation"`
	// Contrast is the standard deviation of luma over the 3×3 box-blurred image (the blur
	// keeps grain out of it).
	Contrast float64 `json:"contrast"`
	// Offset is the distance, as a fraction of the width, between the image centre and the
	// centroid of the salience map (see Measure).
	Offset float64 `json:"offset"`
	// SubjectHue is the HSV hue (degrees) of the salience-weighted mean colour, and
	// SubjectChroma that colour's chroma.
	SubjectHue    float64 `json:"subject_hue"`
	SubjectChroma float64 `json:"subject_chroma"`
	// Colour is the index of the colour in ColourNames whose hue is nearest SubjectHue.
	Colour int `json:"colour"`
	// Artefact is the mean absolute 4-neighbour Laplacian of luma over interior pixels
	// (high-frequency energy: noise, blotch edges, banding steps).
	Artefact float64 `json:"artefact"`
}

// Measure computes Features from pixels. The salience map: the image is box-blurred
// (3×3, the window shrinking at the edges); each row's background colour is the
// per-channel median of that row; with d the pixel's difference from it and m the mean
// of d over the three channels, salience is Σ_c |d_c − m| + 0.5·|m| (colour differences
// count fully, brightness differences half: the background texture is brightness only);
// the weight of a pixel is (salience − median salience of the image)², floored at 0.
// The centroid and the subject colour are weighted by it.
func Measure(img image.Image) Features { return measure(img, &scratch{}) }

func measure(img image.Image, sc *scratch) Features {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < 8 || h < 8 {
		return Features{}
	}
	sc.a = grow(sc.a, w*h)
	sc.f = grow(sc.f, w*h)
	px, luma := sc.a, sc.f
	var f Features
	var sumL, sumL2 float64
	nrgba, _ := img.(*image.NRGBA)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var p [3]float64
			if nrgba != nil {
				q := nrgba.Pix[nrgba.PixOffset(b.Min.X+x, b.Min.Y+y):]
				p = [3]float64{float64(q[0]) / 255, float64(q[1]) / 255, float64(q[2]) / 255}
			} else {
				r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				p = [3]float64{float64(r>>8) / 255, float64(g>>8) / 255, float64(bl>>8) / 255}
			}
			px[y*w+x] = p
			l := 0.299*p[0] + 0.587*p[1] + 0.114*p[2]
			luma[y*w+x] = l
			f.Saturation += max(p[0], p[1], p[2]) - min(p[0], p[1], p[2])
		}
	}
	n := float64(w * h)
	f.Saturation /= n

	var lap float64
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*w + x
			lap += math.Abs(4*luma[i] - luma[i-1] - luma[i+1] - luma[i-w] - luma[i+w])
		}
	}
	f.Artefact = lap / float64((w-2)*(h-2))

	sc.b = grow(sc.b, w*h)
	sc.c = grow(sc.c, w*h)
	blur3(px, sc.b, sc.c, w, h)
	blur := sc.c
	sumL, sumL2 = 0, 0
	for _, p := range blur {
		l := 0.299*p[0] + 0.587*p[1] + 0.114*p[2]
		sumL += l
		sumL2 += l * l
	}
	mean := sumL / n
	f.Contrast = math.Sqrt(max(sumL2/n-mean*mean, 0))
	sal := luma // luma is no longer needed
	sc.g = grow(sc.g, w*h)
	for y := 0; y < h; y++ {
		var bg [3]float64
		for c := 0; c < 3; c++ {
			row := sc.g[:w]
			for x := 0; x < w; x++ {
				row[x] = blur[y*w+x][c]
			}
			bg[c] = selectRank(row, w/2)
		}
		for x := 0; x < w; x++ {
			p := blur[y*w+x]
			d0, d1, d2 := p[0]-bg[0], p[1]-bg[1], p[2]-bg[2]
			m := (d0 + d1 + d2) / 3
			sal[y*w+x] = math.Abs(d0-m) + math.Abs(d1-m) + math.Abs(d2-m) + lumaWeight*math.Abs(m)
		}
	}
	copy(sc.g, sal)
	med := selectRank(sc.g, len(sc.g)/2)
	var sw, cx, cy float64
	var col [3]float64
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			s := max(sal[y*w+x]-med, 0)
			s *= s
			sw += s
			cx += s * (float64(x) + 0.5)
			cy += s * (float64(y) + 0.5)
			for c := 0; c < 3; c++ {
				col[c] += s * blur[y*w+x][c]
			}
		}
	}
	if sw > 0 {
		cx, cy = cx/sw, cy/sw
		f.Offset = math.Hypot(cx-float64(w)/2, cy-float64(h)/2) / float64(w)
		for c := range col {
			col[c] /= sw
		}
		f.SubjectHue, f.SubjectChroma = hueChroma(col)
	}
	f.Colour = nearestColour(f.SubjectHue)
	return f
}

// hueChroma returns the HSV hue (degrees, [0, 360)) and chroma of an RGB colour.
func hueChroma(p [3]float64) (float64, float64) {
	mx, mn := max(p[0], p[1], p[2]), min(p[0], p[1], p[2])
	c := mx - mn
	if c <= 0 {
		return 0, 0
	}
	var h float64
	switch mx {
	case p[0]:
		h = math.Mod((p[1]-p[2])/c, 6)
	case p[1]:
		h = (p[2]-p[0])/c + 2
	default:
		h = (p[0]-p[1])/c + 4
	}
	h *= 60
	if h < 0 {
		h += 360
	}
	return h, c
}

// nearestColour is the colour whose nominal hue is circularly nearest h.
func nearestColour(h float64) int {
	best, bestD := 0, math.Inf(1)
	for i, c := range colourHSV {
		d := math.Abs(h - c[0])
		d = min(d, 360-d)
		if d < bestD {
			best, bestD = i, d
		}
	}
	return best
}

// blur3 writes the 3×3 box blur of px into out (the window shrinks at the edges),
// computed separably through tmp.
func blur3(px, tmp, out [][3]float64, w, h int) {
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s [3]float64
			lo, hi := max(0, x-1), min(w-1, x+1)
			for xx := lo; xx <= hi; xx++ {
				for c := 0; c < 3; c++ {
					s[c] += px[y*w+xx][c]
				}
			}
			k := float64(hi - lo + 1)
			for c := 0; c < 3; c++ {
				tmp[y*w+x][c] = s[c] / k
			}
		}
	}
	for y := 0; y < h; y++ {
		lo, hi := max(0, y-1), min(h-1, y+1)
		k := float64(hi - lo + 1)
		for x := 0; x < w; x++ {
			var s [3]float64
			for yy := lo; yy <= hi; yy++ {
				for c := 0; c < 3; c++ {
					s[c] += tmp[yy*w+x][c]
				}
			}
			for c := 0; c < 3; c++ {
				out[y*w+x][c] = s[c] / k
			}
		}
	}
}

// lumaWeight weighs brightness differences against colour differences in the salience map.
const lumaWeight = 0.5

// selectRank returns the element of rank k (0-based) of a by quickselect, reordering a.
func selectRank(a []float64, k int) float64 {
	lo, hi := 0, len(a)-1
	for lo < hi {
		pivot := a[(lo+hi)/2]
		i, j := lo, hi
		for i <= j {
			for a[i] < pivot {
				i++
			}
			for a[j] > pivot {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return a[k]
		}
	}
	return a[k]
}
