package imageproc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// jpegHeader is what the markers before the first scan say.
type jpegHeader struct {
	info       Info
	nComp      int
	h, v       [4]int
	ids        [4]uint8
	jfif       bool
	adobe      bool
	adobeXform uint8
	sofSeen    bool
	exifSeen   bool
}

// jpegSubsampling names the chroma subsampling of a header.
func jpegSubsampling(h jpegHeader) string {
	switch h.nComp {
	case 1:
		return "4:0:0"
	case 3, 4:
	default:
		return "other"
	}
	if h.h[1] != h.h[2] || h.v[1] != h.v[2] || h.h[0]%h.h[1] != 0 || h.v[0]%h.v[1] != 0 {
		return "other"
	}
	if h.nComp == 4 && (h.h[3] != h.h[0] || h.v[3] != h.v[0]) {
		return "other"
	}
	switch [2]int{h.h[0] / h.h[1], h.v[0] / h.v[1]} {
	case [2]int{1, 1}:
		return "4:4:4"
	case [2]int{2, 1}:
		return "4:2:2"
	case [2]int{2, 2}:
		return "4:2:0"
	case [2]int{1, 2}:
		return "4:4:0"
	case [2]int{4, 1}:
		return "4:1:1"
	case [2]int{4, 2}:
		return "4:1:0"
	}
	return "other"
}

// jpegParseHeader walks the marker segments up to the first SOS.
func jpegParseHeader(data []byte) (jpegHeader, error) {
	var h jpegHeader
	h.info.Format = "jpeg"
	corrupt := func(format string, a ...any) error {
		return fmt.Errorf("jpeg: "+format+": %w", append(a, ErrCorrupt)...)
	}
	pos := 2 // after SOI
	for {
		// Find the next marker, skipping fill bytes and (as libjpeg does,
		// with a warning) extraneous bytes.
		for pos < len(data) && data[pos] != 0xff {
			pos++
		}
		for pos < len(data) && data[pos] == 0xff {
			pos++
		}
		if pos >= len(data) {
			if h.sofSeen {
				return h, corrupt("truncated before the first scan (%d bytes)", len(data))
			}
			return h, corrupt("no SOF marker in %d bytes", len(data))
		}
		m := data[pos]
		pos++
		switch {
		case m == 0x00 || m == 0x01 || (m >= 0xd0 && m <= 0xd7):
			continue // stuffed byte, TEM, RSTn: no length
		case m == 0xd8:
			return h, corrupt("repeated SOI marker")
		case m == 0xd9:
			return h, corrupt("EOI marker before any scan")
		}
		if pos+2 > len(data) {
			return h, corrupt("truncated marker 0x%02x", m)
		}
		n := int(data[pos])<<8 | int(data[pos+1])
		if n < 2 {
			return h, corrupt("marker 0x%02x has length %d", m, n)
		}
		if pos+n > len(data) {
			return h, corrupt("marker 0x%02x of %d bytes runs past the end of the data (truncated?)", m, n)
		}
		seg := data[pos+2 : pos+n]
		pos += n
		switch {
		case m == 0xc0 || m == 0xc1 || m == 0xc2:
			if h.sofSeen {
				return h, corrupt("multiple SOF markers")
			}
			h.sofSeen = true
			if len(seg) < 6 {
				return h, corrupt("SOF segment of %d bytes", len(seg))
			}
			if seg[0] != 8 {
				return h, fmt.Errorf("jpeg: %d-bit samples are not supported (want 8): %w", seg[0], ErrUnsupportedFormat)
			}
			h.info.H = int(seg[1])<<8 | int(seg[2])
			h.info.W = int(seg[3])<<8 | int(seg[4])
			h.nComp = int(seg[5])
			if len(seg) != 6+3*h.nComp {
				return h, corrupt("SOF segment of %d bytes for %d components", len(seg), h.nComp)
			}
			switch h.nComp {
			case 1:
				h.info.Mode = ModeL
			case 3:
				h.info.Mode = ModeRGB
			case 4:
				h.info.Mode = ModeCMYK
			default:
				return h, fmt.Errorf("jpeg: %d components are not supported (want 1, 3 or 4): %w", h.nComp, ErrUnsupportedFormat)
			}
			hmax, vmax := 1, 1
			for i := 0; i < h.nComp; i++ {
				h.ids[i] = seg[6+3*i]
				h.h[i], h.v[i] = int(seg[7+3*i]>>4), int(seg[7+3*i]&15)
				if h.h[i] < 1 || h.h[i] > 4 || h.v[i] < 1 || h.v[i] > 4 {
					return h, corrupt("component %d has sampling factors %dx%d, want 1..4", i, h.h[i], h.v[i])
				}
				if h.nComp == 1 {
					h.h[i], h.v[i] = 1, 1 // non-interleaved by definition
				}
				hmax, vmax = max(hmax, h.h[i]), max(vmax, h.v[i])
			}
			for i := 0; i < h.nComp; i++ {
				if hmax%h.h[i] != 0 || vmax%h.v[i] != 0 {
					return h, fmt.Errorf("jpeg: fractional sampling ratio (component %d is %dx%d of %dx%d) is not supported: %w",
						i, h.h[i], h.v[i], hmax, vmax, ErrUnsupportedFormat)
				}
			}
			h.info.Progressive = m == 0xc2
		case m == 0xc3 || (m >= 0xc5 && m <= 0xc7) || (m >= 0xc9 && m <= 0xcb) || (m >= 0xcd && m <= 0xcf):
			return h, fmt.Errorf("jpeg: SOF%d (lossless, hierarchical or arithmetic-coded JPEG) is not supported: %w", m-0xc0, ErrUnsupportedFormat)
		case m == 0xda:
			if !h.sofSeen {
				return h, corrupt("SOS marker before SOF")
			}
			h.info.Subsampling = jpegSubsampling(h)
			return h, nil
		case m == 0xe0:
			if len(seg) >= 14 && string(seg[:5]) == "JFIF\x00" {
				h.jfif = true
			}
		case m == 0xe1:
			// PIL keeps the first "Exif\0" APP1 segment.
			if !h.exifSeen && len(seg) >= 6 && string(seg[:5]) == "Exif\x00" {
				h.exifSeen = true
				h.info.Orientation = exifOrientation(seg[6:])
			}
		case m == 0xee:
			if len(seg) >= 12 && string(seg[:5]) == "Adobe" {
				h.adobe, h.adobeXform = true, seg[11]
			}
		}
	}
}

func jpegConfig(data []byte) (Info, error) {
	h, err := jpegParseHeader(data)
	return h.info, err
}

// jpegDecodeImage decodes the component planes, then upsamples and converts
// colours as libjpeg-turbo does for PIL.
func jpegDecodeImage(data []byte, info Info) (*Image, error) {
	d := new(jpegDecoder)
	if err := d.decode(bytes.NewReader(data)); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("jpeg: data end before the end of the image (truncated file): %w", ErrCorrupt)
		}
		if errors.Is(err, jpegErrShortHuffmanData) {
			return nil, fmt.Errorf("jpeg: entropy-coded data end early (truncated file?): %w", err)
		}
		return nil, err
	}
	if d.width != info.W || d.height != info.H {
		return nil, fmt.Errorf("jpeg: decoded %dx%d but the header says %dx%d: %w", d.width, d.height, info.W, info.H, ErrCorrupt)
	}
	w, h := d.width, d.height
	out := &Image{Mode: info.Mode, W: w, H: h, Pix: make([]uint8, w*h*info.Mode.Channels())}
	// A component that no scan carried decodes as zero coefficients: 128.
	for i := 0; i < d.nComp; i++ {
		if !d.quantLatched[i] {
			for k := range d.planes[i] {
				d.planes[i][k] = 128
			}
		}
	}
	if d.nComp == 1 {
		for y := 0; y < h; y++ {
			copy(out.Pix[y*w:(y+1)*w], d.planes[0][y*d.strides[0]:])
		}
		return out, nil
	}
	var ups [jpegMaxComponents]jpegUpsampler
	for i := 0; i < d.nComp; i++ {
		ups[i] = newJPEGUpsampler(d, i)
	}
	var rows [jpegMaxComponents][]uint8
	t := &jpegYCCTables
	switch d.nComp {
	case 3:
		rgb := d.jpegColorspaceRGB()
		for y := 0; y < h; y++ {
			for i := 0; i < 3; i++ {
				rows[i] = ups[i].row(y)
			}
			o := out.Pix[3*y*w : 3*(y+1)*w]
			r0, r1, r2 := rows[0][:w], rows[1][:w], rows[2][:w]
			if rgb {
				for x := range r0 {
					o[3*x], o[3*x+1], o[3*x+2] = r0[x], r1[x], r2[x]
				}
				continue
			}
			jpegYCCRowToRGB(o, r0, r1, r2, t)
		}
	case 4:
		// libjpeg outputs CMYK (converting YCCK with ycck_cmyk_convert); PIL
		// reads it with rawmode "CMYK;I", inverting every channel.
		ycck := d.adobeTransformValid && d.adobeTransform != jpegAdobeUnknown
		for y := 0; y < h; y++ {
			for i := 0; i < 4; i++ {
				rows[i] = ups[i].row(y)
			}
			o := out.Pix[4*y*w : 4*(y+1)*w]
			r0, r1, r2, r3 := rows[0][:w], rows[1][:w], rows[2][:w], rows[3][:w]
			for x := range r0 {
				if ycck {
					// 255 - (255 - clamp(Y + ...)) = clamp(Y + ...).
					o[4*x], o[4*x+1], o[4*x+2] = t.toRGB(r0[x], r1[x], r2[x])
				} else {
					o[4*x], o[4*x+1], o[4*x+2] = 255-r0[x], 255-r1[x], 255-r2[x]
				}
				o[4*x+3] = 255 - r3[x]
			}
		}
	}
	return out, nil
}

// jpegColorspaceRGB reports whether a 3-component file holds RGB rather than
// YCbCr, decided as libjpeg's default_decompress_parms does.
func (d *jpegDecoder) jpegColorspaceRGB() bool {
	switch {
	case d.jfif:
		return false
	case d.adobeTransformValid:
		return d.adobeTransform == jpegAdobeUnknown
	}
	return d.comp[0].c == 'R' && d.comp[1].c == 'G' && d.comp[2].c == 'B'
}

// jpegYCCRowToRGB converts one row of full-resolution Y, Cb and Cr samples
// to interleaved RGB in o (ycc_rgb_convert). The slices are re-cut to one
// length and o is walked three bytes at a time, so that the loop body has
// no bounds checks: this loop runs for every pixel of every JPEG.
func jpegYCCRowToRGB(o, y, cb, cr []uint8, t *jpegYCC) {
	n := len(y)
	cb, cr = cb[:n], cr[:n]
	o = o[:3*n]
	for x, yy := range y {
		b, r := cb[x], cr[x]
		Y := int32(yy)
		p := o[:3:3]
		p[0] = jpegClamp(Y + t.crR[r])
		p[1] = jpegClamp(Y + (t.cbG[b]+t.crG[r])>>16)
		p[2] = jpegClamp(Y + t.cbB[b])
		o = o[3:]
	}
}
