package curate

import (
	"fmt"
	"image"
	"math/bits"

	"github.com/srbench/srbench/harness/imageproc"
)

// DHash is the 64-bit difference hash of an image, Pillow's and the Python imagehash
// package's dhash: the image is converted to 8-bit grayscale as Pillow's convert("L")
// does (imageproc.Luma: (19595 R + 38470 G + 7471 B + 32768) >> 16 on 8-bit channels,
// alpha ignored, colours un-premultiplied first), then to floats (convert("F")) and
// resized to 9×8 cells with Pillow's BOX filter (imageproc.ResizeF: each cell the mean of
// the pixels whose centres fall in it, in Pillow's double sums stored as float32 after
// each pass), and bit 63−(8r+c) is set when cell (r, c+1) is brighter than cell (r, c),
// for rows r and columns c in 0..7 (row-major, first comparison in the most significant
// bit, as imagehash's hex strings). It equals, bit for bit, Pillow 9.4's
// im.convert("L").convert("F").resize((9, 8), Image.BOX) followed by the comparisons
// (testdata/dhash/make_fixtures.py) for an image whose 8-bit colours are those Pillow
// decodes; DecodeHash decodes files that way.
func DHash(img image.Image) uint64 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return 0
	}
	gray := make([]float32, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, bl := rgb8(img, b.Min.X+x, b.Min.Y+y)
			gray[y*w+x] = float32(imageproc.Luma(r, g, bl))
		}
	}
	return dhashF(gray, w, h)
}

// dhashF is the difference hash of a mode F image: w×h gray levels as floats.
func dhashF(gray []float32, w, h int) uint64 {
	const cols, rows = 9, 8
	cell, err := imageproc.ResizeF(gray, w, h, cols, rows, imageproc.FilterBox)
	if err != nil {
		panic(fmt.Sprintf("curate: dHash resize of %dx%d: %v", w, h, err)) // sizes were checked
	}
	var hash uint64
	for r := 0; r < rows; r++ {
		for c := 0; c < cols-1; c++ {
			if cell[r*cols+c+1] > cell[r*cols+c] {
				hash |= 1 << (63 - uint(r*8+c))
			}
		}
	}
	return hash
}

// Hamming is the number of differing bits of two hashes.
func Hamming(a, b uint64) int { return bits.OnesCount64(a ^ b) }

// rgb8 returns the 8-bit, non-premultiplied colour of a pixel (a premultiplied colour
// above its alpha, which valid images do not have, is clipped to 255).
func rgb8(img image.Image, x, y int) (r, g, b uint8) {
	switch m := img.(type) {
	case *image.NRGBA:
		p := m.Pix[m.PixOffset(x, y):]
		return p[0], p[1], p[2]
	case *image.RGBA:
		p := m.Pix[m.PixOffset(x, y):]
		if a := uint32(p[3]); a != 0xff && a != 0 {
			return clip8(uint32(p[0]) * 255 / a), clip8(uint32(p[1]) * 255 / a), clip8(uint32(p[2]) * 255 / a)
		}
		return p[0], p[1], p[2]
	case *image.Gray:
		v := m.Pix[m.PixOffset(x, y)]
		return v, v, v
	}
	r16, g16, b16, a16 := img.At(x, y).RGBA()
	if a16 != 0 && a16 != 0xffff {
		r16, g16, b16 = r16*0xffff/a16, g16*0xffff/a16, b16*0xffff/a16
	}
	return clip8(r16 >> 8), clip8(g16 >> 8), clip8(b16 >> 8)
}

func clip8(v uint32) uint8 { return uint8(min(v, 255)) }

// DecodeHash decodes the image file at path (JPEG, PNG, GIF or WebP) with srbench's
// Pillow-exact decoder (imageproc.DecodeFile: the pixels Pillow 9.4 gives, with
// libjpeg-turbo and libwebp, within imageproc's default file-size and pixel limits),
// converts it as convert("L") does (imageproc.ToL) and returns its DHash, so the hash
// equals Pillow/imagehash's dhash of the file bit for bit whatever the format.
func DecodeHash(path string) (uint64, error) {
	im, _, err := imageproc.DecodeFile(path, imageproc.DecodeOptions{})
	if err != nil {
		return 0, err
	}
	l, err := imageproc.ToL(im)
	if err != nil {
		return 0, fmt.Errorf("image file %q: %w", path, err)
	}
	gray := make([]float32, len(l.Pix))
	for i, v := range l.Pix {
		gray[i] = float32(v) // convert("F")
	}
	return dhashF(gray, l.W, l.H), nil
}
