package imageproc

import (
	"fmt"
	"math"
	"slices"
	"sync"
)

// Filter is a PIL resampling filter. The values are those of Pillow's
// Image.Resampling enum, so the "resample" field of a Hugging Face
// preprocessor_config.json converts directly.
type Filter int

// The PIL resampling filters.
const (
	FilterNearest  Filter = 0
	FilterLanczos  Filter = 1
	FilterBilinear Filter = 2
	FilterBicubic  Filter = 3
	FilterBox      Filter = 4
	FilterHamming  Filter = 5
)

// String returns the PIL name of the filter ("BICUBIC", ...).
func (f Filter) String() string {
	switch f {
	case FilterNearest:
		return "NEAREST"
	case FilterLanczos:
		return "LANCZOS"
	case FilterBilinear:
		return "BILINEAR"
	case FilterBicubic:
		return "BICUBIC"
	case FilterBox:
		return "BOX"
	case FilterHamming:
		return "HAMMING"
	}
	return fmt.Sprintf("Filter(%d)", int(f))
}

// maxResizeSide and maxResizePixels bound the output of Resize so that a bad
// size can neither overflow an int nor allocate without limit.
const (
	maxResizeSide   = 1 << 20
	maxResizePixels = 1 << 28
)

// Resize returns im resized to w×h exactly as Pillow 9.4's
// Image.resize((w, h), f) does, byte for byte:
//
//   - the same size returns a copy;
//   - mode P is always resized with FilterNearest, whatever f is;
//   - modes RGBA and LA are premultiplied (PIL "RGBa"/"La", MULDIV255),
//     resized, and unpremultiplied with integer division, so fully
//     transparent pixels come back black;
//   - 8-bit modes use Pillow's two-pass separable convolution (horizontal
//     first) with 22-bit fixed-point coefficients and rounding to 8 bits
//     between the passes; mode I uses double coefficients and rounds half away
//     from zero to int32 after each pass;
//   - FilterNearest takes, for output column x, the source column
//     int(a/2 + a + ... + a) with a = srcW/w accumulated in double x times,
//     as Pillow's ImagingScaleAffine does (not always int((x+0.5)*a));
//     likewise for rows.
//
// The result's pixels never alias im's (a palette is shared).
func Resize(im *Image, w, h int, f Filter) (*Image, error) {
	if err := checkImage(im); err != nil {
		return nil, fmt.Errorf("resize: %w", err)
	}
	if err := checkResizeSize(w, h); err != nil {
		return nil, fmt.Errorf("resize to %dx%d: %w", w, h, err)
	}
	if _, ok := filterKernel(f); !ok && f != FilterNearest {
		return nil, fmt.Errorf("resize: unknown filter %d (want 0..5, PIL's Image.Resampling)", int(f))
	}
	return resizeRegion(im, w, h, f, window{0, 0, w, h}), nil
}

func checkResizeSize(w, h int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("size must be positive")
	}
	if w > maxResizeSide || h > maxResizeSide || w*h > maxResizePixels {
		return fmt.Errorf("size exceeds the limit of %d pixels a side and %d pixels", maxResizeSide, maxResizePixels)
	}
	return nil
}

// window is the rectangle [X0, X1) × [Y0, Y1) of an image.
type window struct{ X0, Y0, X1, Y1 int }

func (r window) dx() int { return r.X1 - r.X0 }
func (r window) dy() int { return r.Y1 - r.Y0 }

// resizeRegion returns the window r of Resize(im, w, h, f) without computing
// the pixels outside it (each output pixel depends only on its own source
// footprint, so the result is identical to resizing everything and cropping).
// im must be valid, r must lie inside [0,w)×[0,h) and be non-empty.
func resizeRegion(im *Image, w, h int, f Filter, r window) *Image {
	if r.X0 < 0 || r.Y0 < 0 || r.X1 > w || r.Y1 > h || r.dx() <= 0 || r.dy() <= 0 {
		panic(fmt.Sprintf("imageproc: resize window %+v outside %dx%d", r, w, h))
	}
	if w == im.W && h == im.H {
		return cropCopy(im, r)
	}
	if im.Mode == ModeP {
		f = FilterNearest
	}
	if f == FilterNearest {
		return resizeNearest(im, w, h, r)
	}
	k, _ := filterKernel(f)
	switch im.Mode {
	case ModeRGBA, ModeLA:
		pm := premultiply(im)
		out := resampleRegion(pm, w, h, k, r)
		unpremultiplyInPlace(out)
		return out
	}
	return resampleRegion(im, w, h, k, r)
}

// ---------------------------------------------------------------- filters

type resampleKernel struct {
	fn      func(float64) float64
	support float64
}

func filterKernel(f Filter) (resampleKernel, bool) {
	switch f {
	case FilterBox:
		return resampleKernel{boxFilter, 0.5}, true
	case FilterBilinear:
		return resampleKernel{bilinearFilter, 1}, true
	case FilterHamming:
		return resampleKernel{hammingFilter, 1}, true
	case FilterBicubic:
		return resampleKernel{bicubicFilter, 2}, true
	case FilterLanczos:
		return resampleKernel{lanczosFilter, 3}, true
	}
	return resampleKernel{}, false
}

// The filters follow Pillow's Resample.c operation by operation. Explicit
// float64(...) conversions around products keep the compiler from fusing a
// multiply and an add into one FMA (allowed by the Go spec on some
// architectures), which would change the last bit relative to C.

func boxFilter(x float64) float64 {
	if x > -0.5 && x <= 0.5 {
		return 1
	}
	return 0
}

func bilinearFilter(x float64) float64 {
	if x < 0 {
		x = -x
	}
	if x < 1 {
		return 1 - x
	}
	return 0
}

func hammingFilter(x float64) float64 {
	if x < 0 {
		x = -x
	}
	if x == 0 {
		return 1
	}
	if x >= 1 {
		return 0
	}
	x = float64(x * math.Pi)
	// Pillow writes the constants as C floats (0.54f, 0.46f).
	c := float64(float64(float32(0.46)) * math.Cos(x))
	return float64(math.Sin(x)/x) * (float64(float32(0.54)) + c)
}

// bicubicFilter is Keys' cubic convolution resampleKernel with a = -0.5.
func bicubicFilter(x float64) float64 {
	const a = -0.5
	if x < 0 {
		x = -x
	}
	if x < 1 {
		t := float64((a+2.0)*x) - (a + 3.0)
		t = float64(float64(t*x) * x)
		return t + 1
	}
	if x < 2 {
		t := float64((x-5)*x) + 8
		t = float64(t*x) - 4
		return t * a
	}
	return 0
}

func sincFilter(x float64) float64 {
	if x == 0 {
		return 1
	}
	x = float64(x * math.Pi)
	return math.Sin(x) / x
}

func lanczosFilter(x float64) float64 {
	if -3 <= x && x < 3 {
		return sincFilter(x) * sincFilter(x/3)
	}
	return 0
}

// ------------------------------------------------------------ coefficients

// precisionBits is Pillow's PRECISION_BITS: 8 bits for the result, 2 for
// overshoot and sign, the rest for the fraction.
const precisionBits = 32 - 8 - 2

// resampleCoeffs holds the resampling weights of the outputs lo..lo+n-1 along one
// axis: output i reads inputs start[i]..start[i]+count[i]-1 with weights
// kf[i*ksize:] (double, normalised to sum 1) and ki[i*ksize:] (fixed point).
type resampleCoeffs struct {
	ksize        int
	start, count []int
	kf           []float64
	ki           []int32
}

// precomputeCoeffs mirrors Pillow's precompute_coeffs for the box [0, inSize)
// and the outputs lo..hi-1 of outSize.
func precomputeCoeffs(inSize, outSize, lo, hi int, k resampleKernel, fixed bool) resampleCoeffs {
	// Pillow's box is float; (in1 - in0) is computed in float, then widened.
	scale := float64(float32(inSize)) / float64(outSize)
	filterscale := scale
	if filterscale < 1 {
		filterscale = 1
	}
	support := k.support * filterscale
	ksize := int(math.Ceil(support))*2 + 1
	n := hi - lo
	c := resampleCoeffs{
		ksize: ksize,
		start: make([]int, n),
		count: make([]int, n),
		kf:    make([]float64, n*ksize),
	}
	ss := 1.0 / filterscale
	for i := 0; i < n; i++ {
		xx := lo + i
		center := float64((float64(xx) + 0.5) * scale)
		// C's (int) truncates toward zero, as Go's conversion does.
		xmin := int(center - support + 0.5)
		if xmin < 0 {
			xmin = 0
		}
		xmax := int(center + support + 0.5)
		if xmax > inSize {
			xmax = inSize
		}
		xmax -= xmin
		kk := c.kf[i*ksize : i*ksize+ksize]
		ww := 0.0
		for x := 0; x < xmax; x++ {
			wt := k.fn((float64(x+xmin) - center + 0.5) * ss)
			kk[x] = wt
			ww += wt
		}
		if ww != 0 {
			for x := 0; x < xmax; x++ {
				kk[x] /= ww
			}
		}
		c.start[i] = xmin
		c.count[i] = xmax
	}
	if fixed {
		c.ki = make([]int32, len(c.kf))
		const one = float64(1 << precisionBits)
		for i, v := range c.kf {
			if v < 0 {
				c.ki[i] = int32(-0.5 + float64(v*one))
			} else {
				c.ki[i] = int32(0.5 + float64(v*one))
			}
		}
	}
	return c
}

// clip8Table is Pillow's clip8 as a table: entry uint32(v)>>precisionBits
// is v>>precisionBits clamped to 0..255. The shift of the unsigned value
// keeps the low 10 bits of the arithmetic one, so indexes 512..1023 are the
// negative sums (0) and the index is always in range (no bounds check).
var clip8Table = func() (t [1 << (32 - precisionBits)]uint8) {
	for i := range t {
		if i < len(t)/2 {
			t[i] = uint8(min(i, 255))
		}
	}
	return t
}()

// clip8fixed is Pillow's clip8: drop the fraction (arithmetic shift) and clamp.
func clip8fixed(v int32) uint8 {
	return clip8Table[uint32(v)>>precisionBits]
}

// pilRoundUp is Pillow's ROUND_UP: round half away from zero, then convert to a
// C int. Values outside int32 (undefined behaviour in C) are clamped.
func pilRoundUp(f float64) int32 {
	if f >= 0 {
		f += 0.5
	} else {
		f -= 0.5
	}
	if f >= math.MaxInt32 {
		return math.MaxInt32
	}
	if f <= math.MinInt32 {
		return math.MinInt32
	}
	return int32(f)
}

// ------------------------------------------------------------- two passes

// resampleRegion runs Pillow's ImagingResampleInner restricted to window r.
// im is any mode but P; it has been premultiplied if needed.
func resampleRegion(im *Image, w, h int, k resampleKernel, r window) *Image {
	needH := w != im.W
	needV := h != im.H
	fixed := im.Mode != ModeI
	ch := im.Mode.Channels()
	out := &Image{Mode: im.Mode, W: r.dx(), H: r.dy(), Palette: im.Palette}

	var cv resampleCoeffs
	rowLo, rowHi := r.Y0, r.Y1 // source rows the horizontal pass must produce
	if needV {
		cv = precomputeCoeffs(im.H, h, r.Y0, r.Y1, k, fixed)
		last := len(cv.start) - 1
		rowLo, rowHi = cv.start[0], cv.start[last]+cv.count[last]
	}

	// Horizontal pass into tmp (rows rowLo..rowHi-1, columns of the window),
	// or, without one, a view of the source columns.
	var tmp *Image
	if needH {
		chz := precomputeCoeffs(im.W, w, r.X0, r.X1, k, fixed)
		tmp = &Image{Mode: im.Mode, W: r.dx(), H: rowHi - rowLo}
		switch {
		case fixed && needV:
			// tmp is scratch the vertical pass consumes: reuse a buffer
			// (horizontal8 writes every byte, so it need not be zeroed).
			buf := getScratch(tmp.W * tmp.H * ch)
			defer putScratch(buf)
			tmp.Pix = *buf
			horizontal8(tmp.Pix, im.Pix, im.W, ch, rowLo, tmp.H, &chz)
		case fixed:
			tmp.Pix = make([]uint8, tmp.W*tmp.H*ch)
			horizontal8(tmp.Pix, im.Pix, im.W, ch, rowLo, tmp.H, &chz)
		default:
			tmp.Pix32 = make([]int32, tmp.W*tmp.H)
			horizontal32(tmp.Pix32, im.Pix32, im.W, rowLo, tmp.H, &chz, pilRoundUp)
		}
	} else {
		tmp = cropCopy(im, window{r.X0, rowLo, r.X1, rowHi})
	}
	if !needV {
		out.Pix, out.Pix32 = tmp.Pix, tmp.Pix32
		return out
	}
	for i := range cv.start {
		cv.start[i] -= rowLo
	}
	if fixed {
		out.Pix = make([]uint8, out.W*out.H*ch)
		vertical8(out.Pix, tmp.Pix, tmp.W*ch, &cv)
	} else {
		out.Pix32 = make([]int32, out.W*out.H)
		vertical32(out.Pix32, tmp.Pix32, tmp.W, &cv, pilRoundUp)
	}
	return out
}

// scratchPool holds the intermediate buffers of the two-pass resize, which
// are as large as the output or larger: allocating (and zeroing) one per call
// is a measurable part of a resize.
var scratchPool sync.Pool // of *[]uint8

// maxPooledScratch keeps the pool from holding on to the buffer of an
// occasional huge resize.
const maxPooledScratch = 16 << 20

func getScratch(n int) *[]uint8 {
	if p, _ := scratchPool.Get().(*[]uint8); p != nil && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	b := make([]uint8, n)
	return &b
}

func putScratch(p *[]uint8) {
	if cap(*p) <= maxPooledScratch {
		scratchPool.Put(p)
	}
}

// horizontal8 fills dst (rows × len(c.start) pixels of ch bytes) from the
// source rows row0.. of an image srcW pixels wide. It is the hot loop of
// every 8-bit resize. With 1 to 3 channels the rows go by pairs, which share
// each output pixel's coefficients, bounds checks and loop overhead; the
// eight sums of a pair of 4-channel rows no longer fit in registers, and
// pairing them does not pay.
func horizontal8(dst, src []uint8, srcW, ch, row0, rows int, c *resampleCoeffs) {
	rowIn, rowOut := srcW*ch, len(c.start)*ch
	src = src[row0*rowIn : (row0+rows)*rowIn]
	dst = dst[:rows*rowOut]
	y := 0
	if ch <= 3 {
		for ; y+2 <= rows; y += 2 {
			horizontalPair(dst[y*rowOut:(y+2)*rowOut], src[y*rowIn:(y+2)*rowIn], ch, c)
		}
	}
	for ; y < rows; y++ {
		horizontalRow(dst[y*rowOut:(y+1)*rowOut], src[y*rowIn:(y+1)*rowIn], ch, c)
	}
}

// horizontalPair resamples two consecutive rows: src holds both source rows,
// d both output rows.
func horizontalPair(d, src []uint8, ch int, c *resampleCoeffs) {
	count, ki, ksize := c.count[:len(c.start)], c.ki, c.ksize
	da, db := d[:len(d)/2], d[len(d)/2:]
	sa, sb := src[:len(src)/2], src[len(src)/2:]
	switch ch {
	case 1:
		for xx, st := range c.start {
			kk := ki[xx*ksize:][:count[xx]]
			a, b := dot1x2(sa[st:][:len(kk)], sb[st:][:len(kk)], kk)
			da[xx], db[xx] = clip8fixed(a), clip8fixed(b)
		}
	case 2:
		for xx, st := range c.start {
			kk := ki[xx*ksize:][:count[xx]]
			a0, a1, b0, b1 := dot2x2(sa[st*2:][:2*len(kk)], sb[st*2:][:2*len(kk)], kk)
			o := da[2*xx : 2*xx+2 : 2*xx+2]
			o[0], o[1] = clip8fixed(a0), clip8fixed(a1)
			o = db[2*xx : 2*xx+2 : 2*xx+2]
			o[0], o[1] = clip8fixed(b0), clip8fixed(b1)
		}
	case 3:
		for xx, st := range c.start {
			kk := ki[xx*ksize:][:count[xx]]
			a0, a1, a2, b0, b1, b2 := dot3x2(sa[st*3:][:3*len(kk)], sb[st*3:][:3*len(kk)], kk)
			o := da[3*xx : 3*xx+3 : 3*xx+3]
			o[0], o[1], o[2] = clip8fixed(a0), clip8fixed(a1), clip8fixed(a2)
			o = db[3*xx : 3*xx+3 : 3*xx+3]
			o[0], o[1], o[2] = clip8fixed(b0), clip8fixed(b1), clip8fixed(b2)
		}
	default:
		panic("imageproc: bad channel count")
	}
}

// horizontalRow resamples one row.
func horizontalRow(d, srow []uint8, ch int, c *resampleCoeffs) {
	count, ki, ksize := c.count[:len(c.start)], c.ki, c.ksize
	switch ch {
	case 1:
		for xx, st := range c.start {
			kk := ki[xx*ksize:][:count[xx]]
			a, _ := dot1x2(srow[st:][:len(kk)], nil, kk)
			d[xx] = clip8fixed(a)
		}
	case 2:
		for xx, st := range c.start {
			kk := ki[xx*ksize:][:count[xx]]
			s0, s1, _, _ := dot2x2(srow[st*2:][:2*len(kk)], nil, kk)
			o := d[2*xx : 2*xx+2 : 2*xx+2]
			o[0], o[1] = clip8fixed(s0), clip8fixed(s1)
		}
	case 3:
		for xx, st := range c.start {
			kk := ki[xx*ksize:][:count[xx]]
			s0, s1, s2 := dot3(srow[st*3:][:3*len(kk)], kk)
			o := d[3*xx : 3*xx+3 : 3*xx+3]
			o[0], o[1], o[2] = clip8fixed(s0), clip8fixed(s1), clip8fixed(s2)
		}
	case 4:
		for xx, st := range c.start {
			kk := ki[xx*ksize:][:count[xx]]
			s0, s1, s2, s3 := dot4(srow[st*4:][:4*len(kk)], kk)
			o := d[4*xx : 4*xx+4 : 4*xx+4]
			o[0], o[1], o[2], o[3] = clip8fixed(s0), clip8fixed(s1), clip8fixed(s2), clip8fixed(s3)
		}
	default:
		panic("imageproc: bad channel count")
	}
}

// The dot functions are the per-pixel sums over the taps kk of one or two
// source rows (sb nil: one row, its sums are not used). They start at half
// so that the shift in clip8fixed rounds, as in Pillow. They are kept out of
// line on purpose: inlined into the loops over the pixels, the compiler
// spills the sums to the stack inside the tap loop, which costs more than
// the call.

//go:noinline
func dot1x2(sa, sb []uint8, kk []int32) (a, b int32) {
	const half = int32(1) << (precisionBits - 1)
	a, b = half, half
	sa = sa[:len(kk)]
	if sb == nil {
		for i, kv := range kk {
			a += int32(sa[i]) * kv
		}
		return a, b
	}
	sb = sb[:len(kk)]
	for i, kv := range kk {
		a += int32(sa[i]) * kv
		b += int32(sb[i]) * kv
	}
	return a, b
}

//go:noinline
func dot2x2(sa, sb []uint8, kk []int32) (a0, a1, b0, b1 int32) {
	const half = int32(1) << (precisionBits - 1)
	a0, a1, b0, b1 = half, half, half, half
	sa = sa[:2*len(kk)]
	if sb == nil {
		for i, kv := range kk {
			p := sa[2*i : 2*i+2 : 2*i+2]
			a0 += int32(p[0]) * kv
			a1 += int32(p[1]) * kv
		}
		return
	}
	sb = sb[:2*len(kk)]
	for i, kv := range kk {
		p := sa[2*i : 2*i+2 : 2*i+2]
		q := sb[2*i : 2*i+2 : 2*i+2]
		a0 += int32(p[0]) * kv
		a1 += int32(p[1]) * kv
		b0 += int32(q[0]) * kv
		b1 += int32(q[1]) * kv
	}
	return
}

//go:noinline
func dot3(s []uint8, kk []int32) (s0, s1, s2 int32) {
	const half = int32(1) << (precisionBits - 1)
	s0, s1, s2 = half, half, half
	s = s[:3*len(kk)]
	for i, kv := range kk {
		p := s[3*i : 3*i+3 : 3*i+3]
		s0 += int32(p[0]) * kv
		s1 += int32(p[1]) * kv
		s2 += int32(p[2]) * kv
	}
	return
}

//go:noinline
func dot3x2(sa, sb []uint8, kk []int32) (a0, a1, a2, b0, b1, b2 int32) {
	const half = int32(1) << (precisionBits - 1)
	a0, a1, a2, b0, b1, b2 = half, half, half, half, half, half
	sa, sb = sa[:3*len(kk)], sb[:3*len(kk)]
	for i, kv := range kk {
		p := sa[3*i : 3*i+3 : 3*i+3]
		q := sb[3*i : 3*i+3 : 3*i+3]
		a0 += int32(p[0]) * kv
		a1 += int32(p[1]) * kv
		a2 += int32(p[2]) * kv
		b0 += int32(q[0]) * kv
		b1 += int32(q[1]) * kv
		b2 += int32(q[2]) * kv
	}
	return
}

//go:noinline
func dot4(s []uint8, kk []int32) (s0, s1, s2, s3 int32) {
	const half = int32(1) << (precisionBits - 1)
	s0, s1, s2, s3 = half, half, half, half
	s = s[:4*len(kk)]
	for i, kv := range kk {
		p := s[4*i : 4*i+4 : 4*i+4]
		s0 += int32(p[0]) * kv
		s1 += int32(p[1]) * kv
		s2 += int32(p[2]) * kv
		s3 += int32(p[3]) * kv
	}
	return
}

// vertical8 fills dst (len(c.start) rows of rowBytes) from src rows. The
// sums of a strip of columns live in a small array on the stack and take up
// to four source rows per pass over it, so that they stay in L1 and are
// loaded and stored a quarter as often (the sums are integer, so the order of
// the additions does not matter).
func vertical8(dst, src []uint8, rowBytes int, c *resampleCoeffs) {
	var buf [512]int32
	count := c.count[:len(c.start)]
	for yy, st := range c.start {
		kk := c.ki[yy*c.ksize:][:count[yy]]
		rows := src[st*rowBytes:][:len(kk)*rowBytes]
		d := dst[yy*rowBytes:][:rowBytes]
		for x0 := 0; x0 < rowBytes; x0 += len(buf) {
			w := min(len(buf), rowBytes-x0)
			verticalStrip(d[x0:x0+w], buf[:w], rows, x0, rowBytes, kk)
		}
	}
}

// verticalStrip computes the output bytes o, len(acc) columns of one row,
// from the columns at rows[x0:], rows[x0+stride:], ... weighted by kk.
//
//go:noinline
func verticalStrip(o []uint8, acc []int32, rows []uint8, x0, stride int, kk []int32) {
	const half = int32(1) << (precisionBits - 1)
	for i := range acc {
		acc[i] = half
	}
	for len(kk) > 4 {
		verticalAdd(acc, rows[x0:], stride, kk[:4])
		kk, rows = kk[4:], rows[4*stride:]
	}
	if len(kk) > 0 {
		verticalAdd(acc, rows[x0:], stride, kk)
	}
	o = o[:len(acc)]
	for i, v := range acc {
		o[i] = clip8fixed(v)
	}
}

// verticalAdd adds to acc the weighted bytes of up to four rows, rows[0:]
// and the next ones every stride bytes, with the weights kk. It is kept out
// of line so that the compiler keeps its loop variables in registers.
//
//go:noinline
func verticalAdd(acc []int32, rows []uint8, stride int, kk []int32) {
	switch len(kk) {
	case 4:
		k0, k1, k2, k3 := kk[0], kk[1], kk[2], kk[3]
		r0 := rows[:len(acc)]
		r1 := rows[stride:][:len(acc)]
		r2 := rows[2*stride:][:len(acc)]
		r3 := rows[3*stride:][:len(acc)]
		for i := range acc {
			acc[i] += int32(r0[i])*k0 + int32(r1[i])*k1 + int32(r2[i])*k2 + int32(r3[i])*k3
		}
	case 3:
		k0, k1, k2 := kk[0], kk[1], kk[2]
		r0 := rows[:len(acc)]
		r1 := rows[stride:][:len(acc)]
		r2 := rows[2*stride:][:len(acc)]
		for i := range acc {
			acc[i] += int32(r0[i])*k0 + int32(r1[i])*k1 + int32(r2[i])*k2
		}
	case 2:
		k0, k1 := kk[0], kk[1]
		r0 := rows[:len(acc)]
		r1 := rows[stride:][:len(acc)]
		for i := range acc {
			acc[i] += int32(r0[i])*k0 + int32(r1[i])*k1
		}
	case 1:
		k0 := kk[0]
		r0 := rows[:len(acc)]
		for i := range acc {
			acc[i] += int32(r0[i]) * k0
		}
	default:
		panic("imageproc: verticalAdd takes 1 to 4 rows")
	}
}

// sample32 is a 32-bit sample of the modes Pillow resamples with double
// coefficients: I (int32) and F (float32).
type sample32 interface{ ~int32 | ~float32 }

// horizontal32 is the mode I and F horizontal pass: double sums in tap order,
// stored by round (ROUND_UP to int32 for I, a float32 conversion for F).
func horizontal32[T sample32](dst, src []T, srcW, row0, rows int, c *resampleCoeffs, round func(float64) T) {
	dw := len(c.start)
	for y := 0; y < rows; y++ {
		srow := src[(row0+y)*srcW : (row0+y+1)*srcW]
		drow := dst[y*dw : (y+1)*dw]
		for xx := range drow {
			n := c.count[xx]
			kk := c.kf[xx*c.ksize : xx*c.ksize+n]
			s := srow[c.start[xx] : c.start[xx]+n]
			ss := 0.0
			for x, kv := range kk {
				ss += float64(float64(s[x]) * kv)
			}
			drow[xx] = round(ss)
		}
	}
}

// vertical32 is the mode I and F vertical pass. Each pixel's sum still runs
// over the taps in order (row by row), as in Pillow.
func vertical32[T sample32](dst, src []T, w int, c *resampleCoeffs, round func(float64) T) {
	acc := make([]float64, w)
	for yy := range c.start {
		clear(acc)
		n := c.count[yy]
		kk := c.kf[yy*c.ksize : yy*c.ksize+n]
		for j, kv := range kk {
			row := src[(c.start[yy]+j)*w : (c.start[yy]+j+1)*w]
			for i, p := range row {
				acc[i] += float64(float64(p) * kv)
			}
		}
		d := dst[yy*w : (yy+1)*w]
		for i, v := range acc {
			d[i] = round(v)
		}
	}
}

// toFloat32 stores a double sum in a mode F pixel, as C's assignment does.
func toFloat32(v float64) float32 { return float32(v) }

// ResizeF resizes a Pillow mode F image — 32-bit float gray, w×h samples in
// row-major order, such as im.convert("F") of an L image (each byte as a
// float) — to outW×outH exactly as Pillow 9.4's Image.resize((outW, outH), f)
// does for mode F: the same size is a copy; FilterNearest takes the source
// pixels Resize would; the other filters run the two-pass convolution
// (horizontal first) with double coefficients and double sums in tap order,
// stored as float32 after each pass, so the result is bit for bit Pillow's.
// The output is bounded like Resize's; the input is whatever pix holds.
func ResizeF(pix []float32, w, h, outW, outH int, f Filter) ([]float32, error) {
	if w <= 0 || h <= 0 || len(pix) != w*h {
		return nil, fmt.Errorf("resize F: %d samples for a %dx%d image", len(pix), w, h)
	}
	if err := checkResizeSize(outW, outH); err != nil {
		return nil, fmt.Errorf("resize F to %dx%d: %w", outW, outH, err)
	}
	k, ok := filterKernel(f)
	switch {
	case outW == w && outH == h:
		return slices.Clone(pix), nil
	case f == FilterNearest:
		xs, ys := nearestTable(w, outW, 0, outW), nearestTable(h, outH, 0, outH)
		out := make([]float32, outW*outH)
		for y, sy := range ys {
			for x, sx := range xs {
				out[y*outW+x] = pix[sy*w+sx]
			}
		}
		return out, nil
	case !ok:
		return nil, fmt.Errorf("resize F: unknown filter %d (want 0..5, PIL's Image.Resampling)", int(f))
	}
	tmp, tw := pix, w
	if outW != w {
		c := precomputeCoeffs(w, outW, 0, outW, k, false)
		tmp, tw = make([]float32, outW*h), outW
		horizontal32(tmp, pix, w, 0, h, &c, toFloat32)
	}
	if outH == h {
		return tmp, nil
	}
	c := precomputeCoeffs(h, outH, 0, outH, k, false)
	out := make([]float32, tw*outH)
	vertical32(out, tmp, tw, &c, toFloat32)
	return out, nil
}

// ---------------------------------------------------------------- nearest

// resizeNearest is Pillow's NEAREST resize, an affine transform run by
// ImagingScaleAffine: the source position of output column x is accumulated
// in double, xo = a/2, then xo += a per column (a = srcW/w), and truncated.
// The accumulated rounding error matters: 640→335 takes column 63 where
// int((33+0.5)*640/335) would be 64.
func resizeNearest(im *Image, w, h int, r window) *Image {
	xs := nearestTable(im.W, w, r.X0, r.X1)
	ys := nearestTable(im.H, h, r.Y0, r.Y1)
	out := &Image{Mode: im.Mode, W: r.dx(), H: r.dy(), Palette: im.Palette}
	if im.Mode == ModeI {
		out.Pix32 = make([]int32, out.W*out.H)
		for y, sy := range ys {
			srow := im.Pix32[sy*im.W : (sy+1)*im.W]
			drow := out.Pix32[y*out.W : (y+1)*out.W]
			for x, sx := range xs {
				drow[x] = srow[sx]
			}
		}
		return out
	}
	ch := im.Mode.Channels()
	out.Pix = make([]uint8, out.W*out.H*ch)
	for y, sy := range ys {
		srow := im.Pix[sy*im.W*ch : (sy+1)*im.W*ch]
		drow := out.Pix[y*out.W*ch : (y+1)*out.W*ch]
		if ch == 1 {
			for x, sx := range xs {
				drow[x] = srow[sx]
			}
			continue
		}
		for x, sx := range xs {
			copy(drow[x*ch:x*ch+ch], srow[sx*ch:sx*ch+ch])
		}
	}
	return out
}

func nearestTable(inSize, outSize, lo, hi int) []int {
	a := float64(float32(inSize)) / float64(outSize)
	t := make([]int, hi-lo)
	xo := 0 + a*0.5
	for x := 0; x < hi; x++ {
		if x >= lo {
			// COORD(v): negative → -1, else truncate. A position outside
			// the source (which the accumulation cannot reach for a box
			// covering the whole source) would be filled with zeros by
			// Pillow; clamp defensively instead.
			xi := int(xo)
			if xo < 0 {
				xi = 0
			}
			if xi >= inSize {
				xi = inSize - 1
			}
			t[x-lo] = xi
		}
		xo += a
	}
	return t
}
