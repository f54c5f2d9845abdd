package imageproc

import (
	"fmt"
)

// checkImage reports whether im is a well-formed image of a known mode.
func checkImage(im *Image) error {
	if im == nil {
		return fmt.Errorf("nil image")
	}
	if im.W <= 0 || im.H <= 0 {
		return fmt.Errorf("image size %dx%d: must be positive", im.W, im.H)
	}
	if im.W > maxResizeSide || im.H > maxResizeSide || im.W*im.H > maxResizePixels {
		return fmt.Errorf("image size %dx%d: exceeds the limit of %d pixels a side and %d pixels", im.W, im.H, maxResizeSide, maxResizePixels)
	}
	switch im.Mode {
	case ModeI:
		if len(im.Pix32) != im.W*im.H {
			return fmt.Errorf("mode I image %dx%d: Pix32 has %d values, want %d", im.W, im.H, len(im.Pix32), im.W*im.H)
		}
		return nil
	case ModeL, ModeLA, ModeRGB, ModeRGBA, ModeP, ModeCMYK:
		want := im.W * im.H * im.Mode.Channels()
		if len(im.Pix) != want {
			return fmt.Errorf("mode %s image %dx%d: Pix has %d bytes, want %d", im.Mode, im.W, im.H, len(im.Pix), want)
		}
		if im.Mode == ModeP && len(im.Palette) > 256 {
			return fmt.Errorf("mode P image: palette has %d entries, at most 256 allowed", len(im.Palette))
		}
		return nil
	}
	return fmt.Errorf("unsupported mode %q (want L, LA, RGB, RGBA, P, CMYK or I)", im.Mode)
}

// cropCopy copies the window r, which must lie inside im.
func cropCopy(im *Image, r window) *Image {
	out := &Image{Mode: im.Mode, W: r.dx(), H: r.dy(), Palette: im.Palette}
	if im.Mode == ModeI {
		out.Pix32 = make([]int32, out.W*out.H)
		for y := 0; y < out.H; y++ {
			copy(out.Pix32[y*out.W:(y+1)*out.W], im.Pix32[(r.Y0+y)*im.W+r.X0:])
		}
		return out
	}
	ch := im.Mode.Channels()
	out.Pix = make([]uint8, out.W*out.H*ch)
	for y := 0; y < out.H; y++ {
		copy(out.Pix[y*out.W*ch:(y+1)*out.W*ch], im.Pix[((r.Y0+y)*im.W+r.X0)*ch:])
	}
	return out
}

// Crop returns the w×h window of im whose top-left corner is (left, top),
// like PIL's Image.crop((left, top, left+w, top+h)): the window may extend
// past the image (or start at negative coordinates), and the pixels outside
// are zero bytes in im's mode (black, transparent black, or palette index 0).
func Crop(im *Image, left, top, w, h int) (*Image, error) {
	if err := checkImage(im); err != nil {
		return nil, fmt.Errorf("crop: %w", err)
	}
	if err := checkResizeSize(w, h); err != nil {
		return nil, fmt.Errorf("crop to %dx%d: %w", w, h, err)
	}
	return cropPadded(im, left, top, w, h), nil
}

// cropPadded is Crop without the checks.
func cropPadded(im *Image, left, top, w, h int) *Image {
	if left >= 0 && top >= 0 && left+w <= im.W && top+h <= im.H {
		return cropCopy(im, window{left, top, left + w, top + h})
	}
	out := &Image{Mode: im.Mode, W: w, H: h, Palette: im.Palette}
	ch := im.Mode.Channels()
	if im.Mode == ModeI {
		out.Pix32 = make([]int32, w*h)
	} else {
		out.Pix = make([]uint8, w*h*ch)
	}
	x0, x1 := max(left, 0), min(left+w, im.W)
	y0, y1 := max(top, 0), min(top+h, im.H)
	if x0 >= x1 || y0 >= y1 {
		return out
	}
	for y := y0; y < y1; y++ {
		dy := y - top
		if im.Mode == ModeI {
			copy(out.Pix32[dy*w+(x0-left):dy*w+(x1-left)], im.Pix32[y*im.W+x0:y*im.W+x1])
			continue
		}
		copy(out.Pix[(dy*w+(x0-left))*ch:(dy*w+(x1-left))*ch], im.Pix[(y*im.W+x0)*ch:(y*im.W+x1)*ch])
	}
	return out
}

// muldiv255 is Pillow's MULDIV255: a*b/255 rounded, for bytes a and b.
func muldiv255(a, b uint32) uint32 {
	t := a*b + 128
	return (t + t>>8) >> 8
}

// premultiply returns RGBA/LA im with colour multiplied by alpha, as PIL's
// RGBA→RGBa and LA→La conversions do.
func premultiply(im *Image) *Image {
	ch := im.Mode.Channels()
	out := &Image{Mode: im.Mode, W: im.W, H: im.H, Pix: make([]uint8, len(im.Pix))}
	src, dst := im.Pix, out.Pix
	for i := 0; i+ch <= len(src); i += ch {
		a := uint32(src[i+ch-1])
		for c := 0; c < ch-1; c++ {
			dst[i+c] = uint8(muldiv255(uint32(src[i+c]), a))
		}
		dst[i+ch-1] = uint8(a)
	}
	return out
}

// unpremultiplyInPlace undoes premultiply like PIL's RGBa→RGBA and La→LA:
// colour*255/alpha with integer division, clipped to 255; alpha 0 and 255
// leave the colour as it is.
func unpremultiplyInPlace(im *Image) {
	ch := im.Mode.Channels()
	p := im.Pix
	for i := 0; i+ch <= len(p); i += ch {
		a := uint32(p[i+ch-1])
		if a == 0 || a == 255 {
			continue
		}
		for c := 0; c < ch-1; c++ {
			v := 255 * uint32(p[i+c]) / a
			if v > 255 {
				v = 255
			}
			p[i+c] = uint8(v)
		}
	}
}

// ToRGB converts im to mode RGB exactly as Pillow 9.4's im.convert("RGB"):
// L is replicated; LA and RGBA drop alpha and keep the stored colour (also of
// fully transparent pixels); P takes the palette colour of each index
// (transparency is ignored; an index past the end of a short palette maps to
// gray (i, i, i), as Pillow pads palettes with a gray ramp); CMYK gives
// (255-K) - MULDIV255(C, 255-K) per channel; I clips to 0..255. An RGB image
// is copied.
func ToRGB(im *Image) (*Image, error) {
	if err := checkImage(im); err != nil {
		return nil, fmt.Errorf("convert to RGB: %w", err)
	}
	return convertToRGB(im), nil
}

// convertToRGB is ToRGB for a valid image.
func convertToRGB(im *Image) *Image {
	n := im.W * im.H
	out := &Image{Mode: ModeRGB, W: im.W, H: im.H, Pix: make([]uint8, n*3)}
	d := out.Pix
	switch im.Mode {
	case ModeRGB:
		copy(d, im.Pix)
	case ModeL:
		for i, v := range im.Pix {
			d[3*i], d[3*i+1], d[3*i+2] = v, v, v
		}
	case ModeLA:
		for i := 0; i < n; i++ {
			v := im.Pix[2*i]
			d[3*i], d[3*i+1], d[3*i+2] = v, v, v
		}
	case ModeRGBA:
		for i := 0; i < n; i++ {
			copy(d[3*i:3*i+3], im.Pix[4*i:4*i+3])
		}
	case ModeP:
		pal := fullPalette(im.Palette)
		for i, idx := range im.Pix {
			c := pal[idx]
			d[3*i], d[3*i+1], d[3*i+2] = c[0], c[1], c[2]
		}
	case ModeCMYK:
		for i := 0; i < n; i++ {
			d[3*i], d[3*i+1], d[3*i+2] = cmykToRGB(im.Pix[4*i : 4*i+4])
		}
	case ModeI:
		for i, v := range im.Pix32 {
			b := clipI(v)
			d[3*i], d[3*i+1], d[3*i+2] = b, b, b
		}
	default:
		panic(fmt.Sprintf("imageproc: convertToRGB of unchecked mode %q", im.Mode))
	}
	return out
}

// fullPalette is the 256-entry palette Pillow converts a P image with: the
// image's colours, then a gray ramp (i, i, i) for indexes past a short
// palette's end.
func fullPalette(p [][3]uint8) *[256][3]uint8 {
	var pal [256][3]uint8
	for i := range pal {
		if i < len(p) {
			pal[i] = p[i]
		} else {
			pal[i] = [3]uint8{uint8(i), uint8(i), uint8(i)}
		}
	}
	return &pal
}

// cmykToRGB is Pillow's cmyk2rgb for one pixel: (255-K) - MULDIV255(x, 255-K)
// per channel.
func cmykToRGB(s []uint8) (r, g, b uint8) {
	nk := 255 - uint32(s[3])
	// nk >= MULDIV255(x, nk) for bytes, so no clipping is needed.
	return uint8(nk - muldiv255(uint32(s[0]), nk)), uint8(nk - muldiv255(uint32(s[1]), nk)), uint8(nk - muldiv255(uint32(s[2]), nk))
}

// clipI is Pillow's i2l / i2rgb: a mode I value clipped (not scaled) to 0..255.
func clipI(v int32) uint8 {
	switch {
	case v >= 255:
		return 255
	case v > 0:
		return uint8(v)
	}
	return 0
}

// Luma is the gray level Pillow gives an 8-bit RGB colour in convert("L"):
// ITU-R 601-2 luma in Pillow's 16-bit fixed point (Convert.c's L24),
//
//	L = (19595·R + 38470·G + 7471·B + 0x8000) >> 16.
func Luma(r, g, b uint8) uint8 {
	return uint8((uint32(r)*19595 + uint32(g)*38470 + uint32(b)*7471 + 0x8000) >> 16)
}

// ToL converts im to mode L exactly as Pillow 9.4's im.convert("L"): RGB and
// RGBA by [Luma] (alpha ignored, the stored colour kept), P by the Luma of
// each index's palette colour (transparency ignored; past a short palette
// the gray ramp, as ToRGB), CMYK through RGB (Pillow has no direct CMYK→L
// converter and goes through convert("RGB")), LA by dropping alpha, I
// clipped to 0..255, and L copied. It equals Luma of ToRGB(im) pixel by
// pixel without building the RGB image.
func ToL(im *Image) (*Image, error) {
	if err := checkImage(im); err != nil {
		return nil, fmt.Errorf("convert to L: %w", err)
	}
	n := im.W * im.H
	out := &Image{Mode: ModeL, W: im.W, H: im.H, Pix: make([]uint8, n)}
	d := out.Pix
	switch im.Mode {
	case ModeL:
		copy(d, im.Pix)
	case ModeLA:
		for i := range d {
			d[i] = im.Pix[2*i]
		}
	case ModeRGB, ModeRGBA:
		ch := im.Mode.Channels()
		for i := range d {
			p := im.Pix[ch*i : ch*i+3]
			d[i] = Luma(p[0], p[1], p[2])
		}
	case ModeP:
		pal := fullPalette(im.Palette)
		var gray [256]uint8
		for i, c := range pal {
			gray[i] = Luma(c[0], c[1], c[2])
		}
		for i, idx := range im.Pix {
			d[i] = gray[idx]
		}
	case ModeCMYK:
		for i := range d {
			d[i] = Luma(cmykToRGB(im.Pix[4*i : 4*i+4]))
		}
	case ModeI:
		for i, v := range im.Pix32 {
			d[i] = clipI(v)
		}
	default:
		panic(fmt.Sprintf("imageproc: ToL of unchecked mode %q", im.Mode))
	}
	return out, nil
}
