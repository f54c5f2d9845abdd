package imageproc

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"

	"golang.org/x/image/vp8"
	"golang.org/x/image/vp8l"
)

// webpHeader is what the RIFF container and the frame header say.
type webpHeader struct {
	info     Info
	frame    []byte // VP8 or VP8L chunk payload
	lossless bool   // frame is VP8L
	alph     []byte // first ALPH chunk payload (VP8X + VP8 only), nil if none
}

// webpParse walks the RIFF chunks the way libwebp's WebPGetFeatures and the
// demuxer PIL decodes through do, and reads the frame header.
func webpParse(data []byte) (webpHeader, error) {
	var h webpHeader
	h.info.Format = "webp"
	corrupt := func(format string, a ...any) error {
		return fmt.Errorf("webp: "+format+": %w", append(a, ErrCorrupt)...)
	}
	riffSize := int64(binary.LittleEndian.Uint32(data[4:8]))
	if riffSize < 4 || riffSize > int64(len(data))-8 {
		return h, corrupt("RIFF size %d does not fit the %d bytes of data (truncated?)", riffSize, len(data))
	}
	body := data[12 : 8+riffSize]
	var (
		seenVP8X  bool
		vp8xAlpha bool
		canvasW   int
		canvasH   int
		exif      []byte
	)
	for first := true; ; first = false {
		if len(body) < 8 {
			return h, corrupt("no VP8 or VP8L image chunk")
		}
		tag := string(body[:4])
		n := int64(binary.LittleEndian.Uint32(body[4:8]))
		if n > int64(len(body))-8 {
			return h, corrupt("chunk %q of %d bytes runs past the end of the data (truncated?)", tag, n)
		}
		payload := body[8 : 8+n]
		next := 8 + n + n&1
		if next > int64(len(body)) {
			next = int64(len(body))
		}
		body = body[next:]
		switch tag {
		case "VP8X":
			if !first {
				return h, corrupt("VP8X chunk is not the first chunk")
			}
			if n < 10 {
				return h, corrupt("VP8X chunk of %d bytes, want 10", n)
			}
			seenVP8X = true
			flags := payload[0]
			if flags&0x02 != 0 {
				return h, fmt.Errorf("webp: animated WebP (VP8X animation flag) is not supported: %w", ErrUnsupportedFormat)
			}
			vp8xAlpha = flags&0x10 != 0
			canvasW = 1 + (int(payload[4]) | int(payload[5])<<8 | int(payload[6])<<16)
			canvasH = 1 + (int(payload[7]) | int(payload[8])<<8 | int(payload[9])<<16)
			continue
		case "ANIM", "ANMF":
			return h, fmt.Errorf("webp: animated WebP (%s chunk) is not supported: %w", tag, ErrUnsupportedFormat)
		case "ALPH":
			if seenVP8X && h.alph == nil {
				h.alph = payload
			}
			continue
		case "EXIF":
			if exif == nil {
				exif = payload
			}
			continue
		case "VP8 ", "VP8L":
		default:
			if !seenVP8X {
				return h, corrupt("first chunk is %q, want VP8, VP8L or VP8X", tag)
			}
			continue // ICCP, XMP and unknown chunks
		}
		// The image chunk.
		h.frame = payload
		h.lossless = tag == "VP8L"
		var hasAlpha bool
		if h.lossless {
			if len(payload) < 5 || payload[0] != 0x2f {
				return h, corrupt("VP8L header missing or without signature 0x2f")
			}
			bits := binary.LittleEndian.Uint32(payload[1:5])
			h.info.W = int(bits&0x3fff) + 1
			h.info.H = int(bits>>14&0x3fff) + 1
			hasAlpha = bits>>28&1 != 0 // libwebp: the VP8L header decides
			if bits>>29 != 0 {
				return h, corrupt("VP8L version %d, want 0", bits>>29)
			}
			h.alph = nil
		} else {
			if len(payload) < 10 {
				return h, corrupt("VP8 frame header truncated (%d bytes)", len(payload))
			}
			if payload[0]&1 != 0 {
				return h, corrupt("VP8 frame is not a key frame")
			}
			if payload[3] != 0x9d || payload[4] != 0x01 || payload[5] != 0x2a {
				return h, corrupt("VP8 start code % x, want 9d 01 2a", payload[3:6])
			}
			h.info.W = int(binary.LittleEndian.Uint16(payload[6:8]) & 0x3fff)
			h.info.H = int(binary.LittleEndian.Uint16(payload[8:10]) & 0x3fff)
			hasAlpha = vp8xAlpha || h.alph != nil
		}
		if seenVP8X && (canvasW != h.info.W || canvasH != h.info.H) {
			return h, corrupt("VP8X canvas %dx%d differs from the frame %dx%d", canvasW, canvasH, h.info.W, h.info.H)
		}
		// EXIF may follow the image chunk.
		for len(body) >= 8 && exif == nil {
			n := int64(binary.LittleEndian.Uint32(body[4:8]))
			if n > int64(len(body))-8 {
				break
			}
			if string(body[:4]) == "EXIF" {
				exif = body[8 : 8+n]
			}
			body = body[min(int64(len(body)), 8+n+n&1):]
		}
		if exif != nil {
			h.info.Orientation = exifOrientation(exif)
		}
		h.info.Mode = ModeRGB
		if hasAlpha {
			h.info.Mode = ModeRGBA
		}
		h.info.Lossless = h.lossless
		return h, nil
	}
}

func webpDecodeImage(data []byte, info Info) (*Image, error) {
	h, err := webpParse(data)
	if err != nil {
		return nil, err
	}
	w, ht := info.W, info.H
	ch := info.Mode.Channels()
	out := &Image{Mode: info.Mode, W: w, H: ht, Pix: make([]uint8, w*ht*ch)}
	if h.lossless {
		m, err := vp8l.Decode(bytes.NewReader(h.frame))
		if err != nil {
			return nil, fmt.Errorf("webp: VP8L: %v: %w", err, ErrCorrupt)
		}
		nm, ok := m.(*image.NRGBA)
		if !ok || nm.Rect.Dx() != w || nm.Rect.Dy() != ht {
			return nil, fmt.Errorf("webp: VP8L decoder returned %T %v, want NRGBA %dx%d: %w", m, m.Bounds(), w, ht, ErrCorrupt)
		}
		for y := 0; y < ht; y++ {
			row := nm.Pix[nm.PixOffset(0, y):]
			o := out.Pix[y*w*ch:]
			if ch == 4 {
				copy(o[:4*w], row)
				continue
			}
			for x := 0; x < w; x++ {
				o[3*x], o[3*x+1], o[3*x+2] = row[4*x], row[4*x+1], row[4*x+2]
			}
		}
		return out, nil
	}
	d := vp8.NewDecoder()
	d.Init(bytes.NewReader(h.frame), len(h.frame))
	fh, err := d.DecodeFrameHeader()
	if err != nil {
		return nil, fmt.Errorf("webp: VP8 frame header: %v: %w", err, ErrCorrupt)
	}
	if fh.Width != w || fh.Height != ht {
		return nil, fmt.Errorf("webp: VP8 frame %dx%d differs from the header %dx%d: %w", fh.Width, fh.Height, w, ht, ErrCorrupt)
	}
	yuv, err := d.DecodeFrame()
	if err != nil {
		return nil, fmt.Errorf("webp: VP8: %v: %w", err, ErrCorrupt)
	}
	webpFancyRGB(out.Pix, ch, yuv, w, ht)
	if ch == 4 {
		alpha := make([]uint8, w*ht)
		if h.alph != nil {
			if err := webpDecodeAlpha(alpha, h.alph, w, ht); err != nil {
				return nil, err
			}
		} else {
			for i := range alpha {
				alpha[i] = 0xff
			}
		}
		for i, a := range alpha {
			out.Pix[4*i+3] = a
		}
	}
	return out, nil
}

// webpYUVToRGB is libwebp's VP8YuvToRgb (dsp/yuv.h): 14-bit fixed point,
// MultHi(v, c) = (v*c) >> 8, then a 6-bit descale with clipping.
func webpYUVToRGB(y, u, v int) (r, g, b uint8) {
	yy := (y * 19077) >> 8
	return webpClip8(yy + (v*26149)>>8 - 14234),
		webpClip8(yy - (u*6419)>>8 - (v*13320)>>8 + 8708),
		webpClip8(yy + (u*33050)>>8 - 17685)
}

// webpClip8 is VP8Clip8 with YUV_FIX2 = 6.
func webpClip8(v int) uint8 {
	const mask = (256 << 6) - 1
	if v&^mask == 0 {
		return uint8(v >> 6)
	}
	if v < 0 {
		return 0
	}
	return 255
}

// webpFancyRGB converts a 4:2:0 frame to RGB(A) with libwebp's fancy
// upsampler. Each output row y pairs its nearest chroma row n with the
// farther neighbour f (rows above the top and below the bottom replicate
// the edge row, which is what libwebp's first-row and last-row calls do).
// Alpha bytes (ch == 4) are left for the caller.
func webpFancyRGB(dst []uint8, ch int, m *image.YCbCr, w, h int) {
	cw := (w + 1) / 2
	ch2 := (h + 1) / 2
	upU := make([]uint8, w)
	upV := make([]uint8, w)
	for y := 0; y < h; y++ {
		var n, f int
		if y&1 == 1 { // "top" row of libwebp's pair: near = (y-1)/2, far = (y+1)/2
			n, f = (y-1)/2, (y+1)/2
		} else { // "bottom" row: near = y/2, far = y/2-1
			n, f = y/2, y/2-1
		}
		f = max(0, min(f, ch2-1))
		nu := m.Cb[n*m.CStride : n*m.CStride+cw]
		nv := m.Cr[n*m.CStride : n*m.CStride+cw]
		fu := m.Cb[f*m.CStride : f*m.CStride+cw]
		fv := m.Cr[f*m.CStride : f*m.CStride+cw]
		webpUpsampleRow(upU, nu, fu, w)
		webpUpsampleRow(upV, nv, fv, w)
		yrow := m.Y[y*m.YStride : y*m.YStride+w]
		o := dst[y*w*ch : (y+1)*w*ch]
		for x, yv := range yrow {
			r, g, b := webpYUVToRGB(int(yv), int(upU[x]), int(upV[x]))
			o[ch*x], o[ch*x+1], o[ch*x+2] = r, g, b
		}
	}
}

// webpUpsampleRow is one channel of libwebp's UPSAMPLE_FUNC for a row whose
// nearest chroma row is n and farther one f: (9,3,3,1)/16 weights computed
// as libwebp does, through the two diagonal averages and a final halving,
// with (3,1)/4 vertical-only interpolation in the first column and, for
// even widths, the last one.
func webpUpsampleRow(out, n, f []uint8, w int) {
	out[0] = uint8((3*int(n[0]) + int(f[0]) + 2) >> 2)
	last := (w - 1) >> 1
	for x := 1; x <= last; x++ {
		n0, n1, f0, f1 := int(n[x-1]), int(n[x]), int(f[x-1]), int(f[x])
		s := n0 + n1 + f0 + f1 + 8
		out[2*x-1] = uint8((((s + 2*(n1+f0)) >> 3) + n0) >> 1)
		out[2*x] = uint8((((s + 2*(n0+f1)) >> 3) + n1) >> 1)
	}
	if w&1 == 0 {
		out[w-1] = uint8((3*int(n[last]) + int(f[last]) + 2) >> 2)
	}
}

// webpDecodeAlpha decodes an ALPH chunk payload into dst (w*h bytes):
// raw or VP8L-compressed (the green channel of a headerless VP8L stream),
// then libwebp's unfiltering (dsp/filters.c).
func webpDecodeAlpha(dst, p []byte, w, h int) error {
	if len(p) < 1 {
		return fmt.Errorf("webp: empty ALPH chunk: %w", ErrCorrupt)
	}
	method, filter, pre, rsrv := p[0]&3, (p[0]>>2)&3, (p[0]>>4)&3, p[0]>>6
	if method > 1 || pre > 1 || rsrv != 0 {
		return fmt.Errorf("webp: ALPH header 0x%02x: compression %d, pre-processing %d, reserved %d: %w", p[0], method, pre, rsrv, ErrCorrupt)
	}
	src := p[1:]
	switch method {
	case 0:
		if len(src) < w*h {
			return fmt.Errorf("webp: raw ALPH data has %d bytes, want %d: %w", len(src), w*h, ErrCorrupt)
		}
		copy(dst, src[:w*h])
	case 1:
		hdr := []byte{0x2f, uint8(w - 1), uint8((w-1)>>8) | uint8((h-1)<<6), uint8((h - 1) >> 2), uint8((h - 1) >> 10)}
		m, err := vp8l.Decode(bytes.NewReader(append(hdr, src...)))
		if err != nil {
			return fmt.Errorf("webp: ALPH VP8L data: %v: %w", err, ErrCorrupt)
		}
		nm, ok := m.(*image.NRGBA)
		if !ok || nm.Rect.Dx() != w || nm.Rect.Dy() != h {
			return fmt.Errorf("webp: ALPH VP8L decoder returned %T %v, want %dx%d: %w", m, m.Bounds(), w, h, ErrCorrupt)
		}
		for y := 0; y < h; y++ {
			row := nm.Pix[nm.PixOffset(0, y):]
			for x := 0; x < w; x++ {
				dst[y*w+x] = row[4*x+1]
			}
		}
	}
	if filter == 0 {
		return nil
	}
	for y := 0; y < h; y++ {
		row := dst[y*w : (y+1)*w]
		if y == 0 || filter == 1 {
			// Horizontal: the first pixel is predicted from the one above
			// (0 for the first row), the others from their left neighbour.
			var pred uint8
			if y > 0 {
				pred = dst[(y-1)*w]
			}
			for x := range row {
				row[x] += pred
				pred = row[x]
			}
			continue
		}
		prev := dst[(y-1)*w : y*w]
		if filter == 2 { // vertical
			for x := range row {
				row[x] += prev[x]
			}
			continue
		}
		// Gradient: clip(left + top - topleft); the first pixel uses top.
		left, topLeft := int(prev[0]), int(prev[0])
		for x := range row {
			top := int(prev[x])
			g := left + top - topLeft
			if g < 0 {
				g = 0
			} else if g > 255 {
				g = 255
			}
			row[x] += uint8(g)
			left, topLeft = int(row[x]), top
		}
	}
	return nil
}
