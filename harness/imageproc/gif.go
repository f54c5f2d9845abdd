package imageproc

import (
	"compress/lzw"
	"errors"
	"fmt"
	"io"
)

// gifHeader is what a GIF says before the first frame's pixel data: the
// canvas, the first frame's rectangle, palette and transparency, and where
// its LZW data start.
type gifHeader struct {
	info         Info
	x0, y0       int // frame origin on the canvas
	fw, fh       int // frame size
	interlaced   bool
	palette      [][3]uint8 // colour table PIL uses (nil: none, mode L)
	transparency int        // transparency index of the first frame, -1 if none
	litWidth     int        // LZW minimum code size
	dataOffset   int        // offset of the first data sub-block
}

// gifPaletteNeeded mirrors GifImagePlugin._is_palette_needed: a colour table
// that is exactly the identity grey ramp is dropped by PIL.
func gifPaletteNeeded(p []byte) bool {
	for i := 0; i+2 < len(p); i += 3 {
		if !(i/3 == int(p[i]) && p[i] == p[i+1] && p[i+1] == p[i+2]) {
			return true
		}
	}
	return false
}

func gifTable(p []byte) [][3]uint8 {
	t := make([][3]uint8, len(p)/3)
	for i := range t {
		copy(t[i][:], p[3*i:3*i+3])
	}
	return t
}

// gifParseHeader reads the GIF up to the first frame's pixel data,
// following GifImagePlugin (Pillow 9.4) _open and _seek(0).
func gifParseHeader(data []byte) (gifHeader, error) {
	h := gifHeader{transparency: -1}
	h.info.Format = "gif"
	h.info.Lossless = true
	short := func(what string) error {
		return fmt.Errorf("gif: truncated in the %s (%d bytes): %w", what, len(data), ErrCorrupt)
	}
	if len(data) < 13 {
		return h, short("logical screen descriptor")
	}
	sw := int(data[6]) | int(data[7])<<8
	sh := int(data[8]) | int(data[9])<<8
	flags := data[10]
	pos := 13
	var global [][3]uint8
	if flags&0x80 != 0 {
		n := 3 << ((flags & 7) + 1)
		if pos+n > len(data) {
			return h, short("global colour table")
		}
		if p := data[pos : pos+n]; gifPaletteNeeded(p) {
			global = gifTable(p)
		}
		pos += n
	}
	for {
		if pos >= len(data) {
			return h, short("block list before the first image")
		}
		switch data[pos] {
		case ';':
			return h, fmt.Errorf("gif: trailer before any image: %w", ErrCorrupt)
		case '!':
			if pos+2 > len(data) {
				return h, short("extension")
			}
			label := data[pos+1]
			pos += 2
			first := true
			for {
				if pos >= len(data) {
					return h, short("extension")
				}
				n := int(data[pos])
				if pos+1+n > len(data) {
					return h, short("extension")
				}
				block := data[pos+1 : pos+1+n]
				pos += 1 + n
				if first && label == 0xf9 {
					// PIL reads the transparency index from the first
					// sub-block of a graphic control extension.
					if len(block) >= 4 && block[0]&1 != 0 {
						h.transparency = int(block[3])
					}
				}
				first = false
				if n == 0 {
					break
				}
			}
		case ',':
			if pos+10 > len(data) {
				return h, short("image descriptor")
			}
			d := data[pos+1 : pos+10]
			h.x0, h.y0 = int(d[0])|int(d[1])<<8, int(d[2])|int(d[3])<<8
			h.fw, h.fh = int(d[4])|int(d[5])<<8, int(d[6])|int(d[7])<<8
			iflags := d[8]
			h.interlaced = iflags&0x40 != 0
			pos += 10
			h.palette = global
			if iflags&0x80 != 0 {
				n := 3 << ((iflags & 7) + 1)
				if pos+n > len(data) {
					return h, short("local colour table")
				}
				h.palette = nil // a grey-ramp local table hides the global one
				if p := data[pos : pos+n]; gifPaletteNeeded(p) {
					h.palette = gifTable(p)
				}
				pos += n
			}
			if pos >= len(data) {
				return h, short("image data")
			}
			h.litWidth = int(data[pos])
			h.dataOffset = pos + 1
			// PIL grows the canvas to hold the first frame.
			h.info.W, h.info.H = max(sw, h.x0+h.fw), max(sh, h.y0+h.fh)
			h.info.Mode = ModeL
			if h.palette != nil {
				h.info.Mode = ModeP
			}
			return h, nil
		default:
			pos++ // PIL skips unknown bytes between blocks
		}
	}
}

// gifBlockReader concatenates the data sub-blocks of an image.
type gifBlockReader struct {
	data []byte
	pos  int // offset of the next length byte
	cur  []byte
	done bool
}

func (r *gifBlockReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.done {
			return 0, io.EOF
		}
		if r.pos >= len(r.data) {
			return 0, io.ErrUnexpectedEOF
		}
		n := int(r.data[r.pos])
		if n == 0 {
			r.done = true
			return 0, io.EOF
		}
		if r.pos+1+n > len(r.data) {
			return 0, io.ErrUnexpectedEOF
		}
		r.cur = r.data[r.pos+1 : r.pos+1+n]
		r.pos += 1 + n
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

func gifDecodeImage(data []byte, info Info) (*Image, error) {
	h, err := gifParseHeader(data)
	if err != nil {
		return nil, err
	}
	if h.litWidth < 2 || h.litWidth > 8 {
		return nil, fmt.Errorf("gif: LZW minimum code size %d: want 2..8: %w", h.litWidth, ErrCorrupt)
	}
	out := &Image{Mode: h.info.Mode, W: h.info.W, H: h.info.H, Pix: make([]uint8, h.info.W*h.info.H)}
	if h.palette != nil {
		out.Palette = h.palette
	}
	if h.transparency >= 0 {
		for i := range out.Pix {
			out.Pix[i] = uint8(h.transparency)
		}
	}
	if h.fw == 0 || h.fh == 0 {
		return out, nil
	}
	lz := lzw.NewReader(&gifBlockReader{data: data, pos: h.dataOffset}, lzw.LSB, h.litWidth)
	defer lz.Close()
	row := make([]uint8, h.fw)
	for i := 0; i < h.fh; i++ {
		if _, err := io.ReadFull(lz, row); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("gif: image data end after %d of %d rows: %w", i, h.fh, ErrCorrupt)
			}
			return nil, fmt.Errorf("gif: image data: %v: %w", err, ErrCorrupt)
		}
		y := gifRow(i, h.fh, h.interlaced)
		copy(out.Pix[(h.y0+y)*out.W+h.x0:], row)
	}
	return out, nil
}

// gifRow maps the i-th transmitted row to its frame row, undoing the
// four-pass interlace (rows 0,8,16,… then 4,12,… then 2,6,… then 1,3,…).
func gifRow(i, height int, interlaced bool) int {
	if !interlaced {
		return i
	}
	for _, p := range [4]struct{ start, step int }{{0, 8}, {4, 8}, {2, 4}, {1, 2}} {
		n := (height - p.start + p.step - 1) / p.step
		if n < 0 {
			n = 0
		}
		if i < n {
			return p.start + i*p.step
		}
		i -= n
	}
	return 0 // unreachable for i < height
}
