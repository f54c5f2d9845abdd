package curate

import (
	"fmt"
	"image"
	_ "image/gif"  // GIF decoder for DecodeHash
	_ "image/jpeg" // JPEG decoder for DecodeHash
	_ "image/png"  // PNG decoder for DecodeHash
	"math/bits"
	"os"

	_ "golang.org/x/image/webp" // WebP decoder for DecodeHash
)

// DHash is the 64-bit difference hash of an image: the image is converted to 8-bit
// grayscale with Pillow's "L" formula ((19595 R + 38470 G + 7471 B + 32768) >> 16 on 8-bit
// channels), reduced to 9×8 cells with Pillow's BOX filter weights (each cell the mean of
// the pixels whose centres fall in it; see boxWeights), and bit
// 63−(8r+c) is set when cell (r, c+1) is brighter than cell (r, c), for rows r and
// columns c in 0..7 (row-major, first comparison in the most significant bit, as the hex
// strings of the Python imagehash package). Alpha is ignored (colours are
// un-premultiplied first). It equals, bit for bit up to float rounding, Pillow's
// im.convert("L").convert("F").resize((9, 8), Image.BOX) followed by the comparisons
// (testdata/dhash/make_fixtures.py).
func DHash(img image.Image) uint64 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return 0
	}
	gray := make([]float64, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, bl := rgb8(img, b.Min.X+x, b.Min.Y+y)
			gray[y*w+x] = float64((r*19595 + g*38470 + bl*7471 + 0x8000) >> 16)
		}
	}
	const cols, rows = 9, 8
	wx := boxWeights(w, cols)
	wy := boxWeights(h, rows)
	var cell [rows][cols]float64
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			var sum float64
			for _, yw := range wy[r] {
				for _, xw := range wx[c] {
					k := yw.w * xw.w
					sum += k * gray[yw.i*w+xw.i]
				}
			}
			cell[r][c] = sum
		}
	}
	var hash uint64
	for r := 0; r < rows; r++ {
		for c := 0; c < cols-1; c++ {
			if cell[r][c+1]-cell[r][c] > 1e-9 {
				hash |= 1 << (63 - uint(r*8+c))
			}
		}
	}
	return hash
}

// Hamming is the number of differing bits of two hashes.
func Hamming(a, b uint64) int { return bits.OnesCount64(a ^ b) }

type tap struct {
	i int
	w float64
}

// boxWeights returns, for each of n output cells over src input pixels, the input pixels
// it averages and their weights: Pillow's BOX filter coefficients (Resample.c
// precompute_coeffs with box_filter, support 0.5). Downscaling, a cell averages the
// pixels whose centres fall in (k·s, (k+1)·s] (s = src/n); upscaling, it takes the
// nearest pixel.
func boxWeights(src, n int) [][]tap {
	out := make([][]tap, n)
	scale := float64(src) / float64(n)
	filterscale := max(scale, 1)
	support := 0.5 * filterscale
	ss := 1 / filterscale
	for k := 0; k < n; k++ {
		center := (float64(k) + 0.5) * scale
		xmin := max(int(center-support+0.5), 0)
		xmax := min(int(center+support+0.5), src)
		var taps []tap
		var total float64
		for x := xmin; x < xmax; x++ {
			if t := (float64(x) - center + 0.5) * ss; t > -0.5 && t <= 0.5 {
				taps = append(taps, tap{x, 1})
				total++
			}
		}
		for i := range taps {
			taps[i].w /= total
		}
		out[k] = taps
	}
	return out
}

// rgb8 returns the 8-bit, non-premultiplied colour of a pixel.
func rgb8(img image.Image, x, y int) (r, g, b uint32) {
	switch m := img.(type) {
	case *image.NRGBA:
		p := m.Pix[m.PixOffset(x, y):]
		return uint32(p[0]), uint32(p[1]), uint32(p[2])
	case *image.RGBA:
		p := m.Pix[m.PixOffset(x, y):]
		if a := uint32(p[3]); a != 0xff && a != 0 {
			return uint32(p[0]) * 255 / a, uint32(p[1]) * 255 / a, uint32(p[2]) * 255 / a
		}
		return uint32(p[0]), uint32(p[1]), uint32(p[2])
	case *image.Gray:
		v := uint32(m.Pix[m.PixOffset(x, y)])
		return v, v, v
	}
	r16, g16, b16, a16 := img.At(x, y).RGBA()
	if a16 != 0 && a16 != 0xffff {
		r16, g16, b16 = r16*0xffff/a16, g16*0xffff/a16, b16*0xffff/a16
	}
	return r16 >> 8, g16 >> 8, b16 >> 8
}

// DecodeHash decodes the image file at path (PNG, JPEG, GIF or WebP) and returns its DHash.
func DecodeHash(path string) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return 0, fmt.Errorf("decode %q: %w", path, err)
	}
	return DHash(img), nil
}
