package imageproc

// libjpeg-turbo's decompression colour path (jdsample.c, jdcolor.c) for
// PIL's default settings: fancy upsampling on, ISLOW IDCT, no merged
// upsampler (libjpeg only merges when fancy upsampling is off).

// jpegYCC holds jdcolor.c's build_ycc_rgb_table tables (SCALEBITS 16).
type jpegYCC struct {
	crR, cbB, crG, cbG [256]int32
}

// jpegYCCTables is read-only after initialisation.
var jpegYCCTables = func() (t jpegYCC) {
	const (
		scaleBits = 16
		oneHalf   = 1 << (scaleBits - 1)
	)
	fix := func(x float64) int64 { return int64(x*(1<<scaleBits) + 0.5) }
	for i := range 256 {
		x := int64(i - 128)
		t.crR[i] = int32((fix(1.40200)*x + oneHalf) >> scaleBits)
		t.cbB[i] = int32((fix(1.77200)*x + oneHalf) >> scaleBits)
		t.crG[i] = int32(-fix(0.71414) * x)
		t.cbG[i] = int32(-fix(0.34414)*x + oneHalf)
	}
	return t
}()

func jpegClamp(v int32) uint8 {
	if uint32(v) <= 255 {
		return uint8(v)
	}
	if v < 0 {
		return 0
	}
	return 255
}

// toRGB is ycc_rgb_convert for one pixel.
func (t *jpegYCC) toRGB(y, cb, cr uint8) (r, g, b uint8) {
	yy := int32(y)
	return jpegClamp(yy + t.crR[cr]),
		jpegClamp(yy + (t.cbG[cb]+t.crG[cr])>>16),
		jpegClamp(yy + t.cbB[cb])
}

// jpegUpsampleMethod is the jdsample.c method chosen for a component.
type jpegUpsampleMethod int

const (
	jpegFullsize    jpegUpsampleMethod = iota
	jpegH2V1Fancy                      // h2v1_fancy_upsample
	jpegH1V2Fancy                      // h1v2_fancy_upsample
	jpegH2V2Fancy                      // h2v2_fancy_upsample
	jpegIntUpsample                    // h2v1_upsample, h2v2_upsample, int_upsample: replication
)

// jpegUpsampler produces full-resolution rows of one component.
type jpegUpsampler struct {
	method     jpegUpsampleMethod
	plane      []uint8
	stride     int
	dw, dh     int // downsampled_width, downsampled_height
	hexp, vexp int
	buf        []uint8 // output row (2*dw or more samples)
}

// newJPEGUpsampler chooses the method as jinit_upsampler does.
func newJPEGUpsampler(d *jpegDecoder, i int) jpegUpsampler {
	c := d.comp[i]
	u := jpegUpsampler{
		plane:  d.planes[i],
		stride: d.strides[i],
		dw:     (d.width*c.h + d.hmax - 1) / d.hmax,
		dh:     (d.height*c.v + d.vmax - 1) / d.vmax,
		hexp:   d.hmax / c.h,
		vexp:   d.vmax / c.v,
	}
	switch {
	case u.hexp == 1 && u.vexp == 1:
		u.method = jpegFullsize
	case u.hexp == 2 && u.vexp == 1 && u.dw > 2:
		u.method = jpegH2V1Fancy
	case u.hexp == 1 && u.vexp == 2:
		u.method = jpegH1V2Fancy
	case u.hexp == 2 && u.vexp == 2 && u.dw > 2:
		u.method = jpegH2V2Fancy
	default:
		u.method = jpegIntUpsample
	}
	if u.method != jpegFullsize {
		u.buf = make([]uint8, max(u.dw*u.hexp, d.width))
	}
	return u
}

// srcRow returns downsampled row r, clamped to the real rows as jdmainct.c's
// context pointers replicate the first and last sample rows.
func (u *jpegUpsampler) srcRow(r int) []uint8 {
	r = max(0, min(r, u.dh-1))
	return u.plane[r*u.stride : r*u.stride+u.dw]
}

// row returns the upsampled samples of output row y (at least width long).
func (u *jpegUpsampler) row(y int) []uint8 {
	out := u.buf
	switch u.method {
	case jpegFullsize:
		return u.plane[y*u.stride : (y+1)*u.stride]
	case jpegH2V1Fancy: // dw > 2
		in := u.srcRow(y)
		last := u.dw - 1
		out = out[:2*u.dw]
		// First and last columns replicate their edge sample. The interior
		// walks the row with the previous and current samples in
		// registers and no bounds checks (this runs for every chroma
		// sample of most JPEGs).
		out[0] = in[0]
		out[1] = uint8((3*int32(in[0]) + int32(in[1]) + 2) >> 2)
		o := out[2 : 2*last]
		prev, cur := int32(in[0]), int32(in[1])
		for _, nx := range in[2 : last+1] {
			v := 3 * cur
			p := o[:2:2]
			p[0] = uint8((v + prev + 1) >> 2)
			p[1] = uint8((v + int32(nx) + 2) >> 2)
			o = o[2:]
			prev, cur = cur, int32(nx)
		}
		out[2*last] = uint8((3*int32(in[last]) + int32(in[last-1]) + 1) >> 2)
		out[2*last+1] = in[last]
	case jpegH1V2Fancy:
		near := u.srcRow(y / 2)
		far, bias := u.srcRow(y/2-1), int32(1)
		if y&1 == 1 {
			far, bias = u.srcRow(y/2+1), 2
		}
		for j := range near {
			out[j] = uint8((3*int32(near[j]) + int32(far[j]) + bias) >> 2)
		}
	case jpegH2V2Fancy: // dw > 2
		near := u.srcRow(y / 2)
		far := u.srcRow(y/2 - 1)
		if y&1 == 1 {
			far = u.srcRow(y/2 + 1)
		}
		far = far[:len(near)]
		last := u.dw - 1
		out = out[:2*u.dw]
		// The column sums 3*near+far are computed as the row is walked,
		// three of them in registers (previous, current, next), with no
		// bounds checks in the interior. First and last columns use the
		// edge column sum twice.
		prev := 3*int32(near[0]) + int32(far[0])
		cur := 3*int32(near[1]) + int32(far[1])
		out[0] = uint8((4*prev + 8) >> 4)
		out[1] = uint8((3*prev + cur + 7) >> 4)
		o := out[2 : 2*last]
		nr, fr := near[2:last+1], far[2:last+1]
		fr = fr[:len(nr)]
		for j, n := range nr {
			next := 3*int32(n) + int32(fr[j])
			v := 3 * cur
			p := o[:2:2]
			p[0] = uint8((v + prev + 8) >> 4)
			p[1] = uint8((v + next + 7) >> 4)
			o = o[2:]
			prev, cur = cur, next
		}
		// Now cur is the last column's sum and prev the one before it.
		out[2*last] = uint8((3*cur + prev + 8) >> 4)
		out[2*last+1] = uint8((4*cur + 7) >> 4)
	case jpegIntUpsample:
		in := u.srcRow(y / u.vexp)
		for x := range out {
			out[x] = in[min(x/u.hexp, u.dw-1)]
		}
	}
	return out
}
