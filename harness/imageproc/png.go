package imageproc

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"strings"
)

const pngSignature = "\x89PNG\r\n\x1a\n"

// pngHeader is what the IHDR, PLTE and eXIf chunks say.
type pngHeader struct {
	info      Info
	bitDepth  int
	colorType int
	palette   [][3]uint8 // PLTE entries (colour type 3 only)
}

// pngMode maps (bit depth, colour type) to the mode PIL 9.4 opens the file
// in (PngImagePlugin._MODES), with 1-bit gray mapped to L; ok is false for
// combinations PNG does not allow.
func pngMode(bitDepth, colorType int) (Mode, bool) {
	switch colorType {
	case 0: // gray
		switch bitDepth {
		case 1, 2, 4, 8:
			return ModeL, true
		case 16:
			return ModeI, true
		}
	case 2: // RGB
		if bitDepth == 8 || bitDepth == 16 {
			return ModeRGB, true
		}
	case 3: // palette
		switch bitDepth {
		case 1, 2, 4, 8:
			return ModeP, true
		}
	case 4: // gray + alpha
		switch bitDepth {
		case 8:
			return ModeLA, true
		case 16:
			return ModeRGBA, true // PIL: rawmode "LA;16B" unpacked to RGBA
		}
	case 6: // RGBA
		if bitDepth == 8 || bitDepth == 16 {
			return ModeRGBA, true
		}
	}
	return "", false
}

// pngParseHeader reads IHDR and walks the chunk list (lengths only, no CRC
// checks; image/png verifies those when decoding) for PLTE and eXIf.
func pngParseHeader(data []byte) (pngHeader, error) {
	var h pngHeader
	h.info.Format = "png"
	h.info.Lossless = true
	p := data[len(pngSignature):]
	if len(p) < 8+13 {
		return h, fmt.Errorf("png: truncated before the end of the IHDR chunk (%d bytes): %w", len(data), ErrCorrupt)
	}
	if n := binary.BigEndian.Uint32(p[:4]); n != 13 || string(p[4:8]) != "IHDR" {
		return h, fmt.Errorf("png: first chunk is %q of length %d, want IHDR of length 13: %w", p[4:8], n, ErrCorrupt)
	}
	ihdr := p[8:21]
	w, ht := binary.BigEndian.Uint32(ihdr[0:4]), binary.BigEndian.Uint32(ihdr[4:8])
	if w == 0 || ht == 0 || w > 1<<31-1 || ht > 1<<31-1 {
		return h, fmt.Errorf("png: IHDR size %dx%d: each side must be 1..2^31-1: %w", w, ht, ErrCorrupt)
	}
	h.info.W, h.info.H = int(w), int(ht)
	h.bitDepth, h.colorType = int(ihdr[8]), int(ihdr[9])
	mode, ok := pngMode(h.bitDepth, h.colorType)
	if !ok {
		return h, fmt.Errorf("png: IHDR bit depth %d with colour type %d is not a valid combination: %w", h.bitDepth, h.colorType, ErrCorrupt)
	}
	if ihdr[10] != 0 || ihdr[11] != 0 || ihdr[12] > 1 {
		return h, fmt.Errorf("png: IHDR compression %d, filter %d, interlace %d: want 0, 0, 0 or 1: %w", ihdr[10], ihdr[11], ihdr[12], ErrUnsupportedFormat)
	}
	h.info.Mode = mode
	// Walk the remaining chunks for PLTE and eXIf. A truncated chunk list
	// simply ends the walk; the decoder reports the truncation.
	if len(p) < 8+13+4 {
		return h, nil // IHDR's CRC is missing; image/png reports it
	}
	for q := p[8+13+4:]; len(q) >= 12; {
		n := int64(binary.BigEndian.Uint32(q[:4]))
		typ := string(q[4:8])
		if n > int64(len(q))-12 {
			break
		}
		body := q[8 : 8+n]
		switch typ {
		case "PLTE":
			if h.colorType == 3 && h.palette == nil {
				h.palette = make([][3]uint8, len(body)/3)
				for i := range h.palette {
					copy(h.palette[i][:], body[3*i:3*i+3])
				}
			}
		case "eXIf":
			h.info.Orientation = exifOrientation(body)
		}
		if typ == "IEND" {
			break
		}
		q = q[12+n:]
	}
	return h, nil
}

func pngConfig(data []byte) (Info, error) {
	h, err := pngParseHeader(data)
	return h.info, err
}

// pngDecodeImage decodes with image/png and maps its image type to the PIL
// mode chosen from the header.
func pngDecodeImage(data []byte, info Info) (*Image, error) {
	h, err := pngParseHeader(data)
	if err != nil {
		return nil, err
	}
	src, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		// PIL reads a PNG more leniently than image/png; retry on the
		// equivalent file image/png accepts when there is one.
		if fixed, ok := pngLenientCopy(data); ok {
			src, err = png.Decode(bytes.NewReader(fixed))
		}
	}
	if err != nil {
		return nil, fmt.Errorf("png: %s: %w", strings.TrimPrefix(err.Error(), "png: "), ErrCorrupt)
	}
	if b := src.Bounds(); b.Min.X != 0 || b.Min.Y != 0 || b.Dx() != info.W || b.Dy() != info.H {
		return nil, fmt.Errorf("png: decoded bounds %v differ from the IHDR size %dx%d: %w", b, info.W, info.H, ErrCorrupt)
	}
	w, ht := info.W, info.H
	out := &Image{Mode: info.Mode, W: w, H: ht}
	if info.Mode == ModeI {
		out.Pix32 = make([]int32, w*ht)
	} else {
		out.Pix = make([]uint8, w*ht*info.Mode.Channels())
	}
	bad := func() error {
		return fmt.Errorf("png: image/png returned %T for mode %s (bit depth %d, colour type %d): %w",
			src, info.Mode, h.bitDepth, h.colorType, ErrCorrupt)
	}
	switch info.Mode {
	case ModeL:
		switch m := src.(type) {
		case *image.Gray:
			for y := 0; y < ht; y++ {
				copy(out.Pix[y*w:(y+1)*w], m.Pix[m.PixOffset(0, y):])
			}
		case *image.NRGBA: // gray with tRNS: image/png widens to NRGBA
			for y := 0; y < ht; y++ {
				row := m.Pix[m.PixOffset(0, y):]
				for x := 0; x < w; x++ {
					out.Pix[y*w+x] = row[4*x]
				}
			}
		default:
			return nil, bad()
		}
	case ModeI:
		switch m := src.(type) {
		case *image.Gray16:
			for y := 0; y < ht; y++ {
				row := m.Pix[m.PixOffset(0, y):]
				for x := 0; x < w; x++ {
					out.Pix32[y*w+x] = int32(row[2*x])<<8 | int32(row[2*x+1])
				}
			}
		case *image.NRGBA64: // 16-bit gray with tRNS
			for y := 0; y < ht; y++ {
				row := m.Pix[m.PixOffset(0, y):]
				for x := 0; x < w; x++ {
					out.Pix32[y*w+x] = int32(row[8*x])<<8 | int32(row[8*x+1])
				}
			}
		default:
			return nil, bad()
		}
	case ModeLA:
		m, ok := src.(*image.NRGBA)
		if !ok {
			return nil, bad()
		}
		for y := 0; y < ht; y++ {
			row := m.Pix[m.PixOffset(0, y):]
			for x := 0; x < w; x++ {
				out.Pix[2*(y*w+x)] = row[4*x]
				out.Pix[2*(y*w+x)+1] = row[4*x+3]
			}
		}
	case ModeRGB:
		var (
			pix    []uint8
			stride int
			step   int // bytes per pixel; 16-bit samples use the high byte
		)
		switch m := src.(type) {
		case *image.RGBA: // opaque: no premultiplication happened
			pix, stride, step = m.Pix, m.Stride, 4
		case *image.NRGBA:
			pix, stride, step = m.Pix, m.Stride, 4
		case *image.RGBA64:
			pix, stride, step = m.Pix, m.Stride, 8
		case *image.NRGBA64:
			pix, stride, step = m.Pix, m.Stride, 8
		default:
			return nil, bad()
		}
		c := step / 4 // distance between channel bytes
		for y := 0; y < ht; y++ {
			row := pix[y*stride:]
			o := out.Pix[3*y*w:]
			for x := 0; x < w; x++ {
				o[3*x] = row[step*x]
				o[3*x+1] = row[step*x+c]
				o[3*x+2] = row[step*x+2*c]
			}
		}
	case ModeRGBA:
		switch m := src.(type) {
		case *image.NRGBA:
			for y := 0; y < ht; y++ {
				copy(out.Pix[4*y*w:4*(y+1)*w], m.Pix[m.PixOffset(0, y):])
			}
		case *image.NRGBA64: // RGBA 16-bit, or gray+alpha 16-bit (R=G=B)
			for y := 0; y < ht; y++ {
				row := m.Pix[m.PixOffset(0, y):]
				o := out.Pix[4*y*w:]
				for x := 0; x < w; x++ {
					o[4*x] = row[8*x]
					o[4*x+1] = row[8*x+2]
					o[4*x+2] = row[8*x+4]
					o[4*x+3] = row[8*x+6]
				}
			}
		default:
			return nil, bad()
		}
	case ModeP:
		m, ok := src.(*image.Paletted)
		if !ok {
			return nil, bad()
		}
		for y := 0; y < ht; y++ {
			copy(out.Pix[y*w:(y+1)*w], m.Pix[m.PixOffset(0, y):])
		}
		out.Palette = h.palette
		if out.Palette == nil {
			out.Palette = [][3]uint8{}
		}
	default:
		return nil, bad()
	}
	return out, nil
}

// pngLenientCopy rewrites data into the file image/png would read the way
// PIL 9.4 reads data, and reports whether that differs from data. PIL checks
// the CRC of every chunk before the first IDAT (as image/png does) but
// never those of IDAT and later chunks, and once the image data are
// complete it stops at a missing or cut IEND chunk, at a cut IDAT CRC, or at
// fewer than 8 trailing bytes. A chunk body cut short is an error in both.
func pngLenientCopy(data []byte) ([]byte, bool) {
	out := make([]byte, 0, len(data)+12)
	out = append(out, data[:len(pngSignature)]...)
	pos := len(pngSignature)
	seenIDAT := false
	appendChunk := func(typ string, body []byte) {
		out = binary.BigEndian.AppendUint32(out, uint32(len(body)))
		out = append(out, typ...)
		out = append(out, body...)
		c := crc32.NewIEEE()
		c.Write([]byte(typ))
		c.Write(body)
		out = binary.BigEndian.AppendUint32(out, c.Sum32())
	}
	for pos+8 <= len(data) {
		n := int64(binary.BigEndian.Uint32(data[pos : pos+4]))
		typ := string(data[pos+4 : pos+8])
		if typ == "IEND" && seenIDAT {
			break
		}
		end := int64(pos) + 8 + n
		if end > int64(len(data)) {
			return nil, false // a cut chunk body: PIL fails too
		}
		body := data[pos+8 : end]
		if typ == "IDAT" {
			seenIDAT = true
		}
		if !seenIDAT {
			if end+4 > int64(len(data)) {
				return nil, false
			}
			out = append(out, data[pos:end+4]...)
		} else {
			appendChunk(typ, body) // PIL ignores these CRCs
		}
		pos = int(min(end+4, int64(len(data))))
	}
	if !seenIDAT {
		return nil, false
	}
	appendChunk("IEND", nil)
	return out, !bytes.Equal(out, data)
}
