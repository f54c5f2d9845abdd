// This file and jpeg_huffman.go, jpeg_scan.go are a fork of Go's image/jpeg
// (Go 1.26, src/image/jpeg/reader.go, huffman.go, scan.go):
//
//	Copyright 2009 The Go Authors. All rights reserved.
//	Use of this source code is governed by a BSD-style
//	license that can be found in Go's LICENSE file (https://go.dev/LICENSE).
//
// Changes: identifiers carry a jpeg prefix; the decoder keeps each
// component's sample plane instead of building an image.Image; the IDCT is
// libjpeg's ISLOW (jpeg_idct.go); quantisation tables are latched when a
// component's first scan starts, as libjpeg's latch_quant_tables does;
// coefficients are stored as int16 (libjpeg's JCOEF); any integral sampling
// factors are accepted; non-interleaved scans count one block per MCU for
// restart intervals; the JFIF test requires a 14-byte APP0 as libjpeg's does;
// errors wrap ErrCorrupt or ErrUnsupportedFormat.

package imageproc

import (
	"io"
)

// A jpegFormatError reports that the input is not a valid JPEG.
type jpegFormatError string

func (e jpegFormatError) Error() string { return "jpeg: invalid format: " + string(e) }
func (e jpegFormatError) Unwrap() error { return ErrCorrupt }

// A jpegUnsupportedError reports that the input uses a valid but unimplemented JPEG feature.
type jpegUnsupportedError string

func (e jpegUnsupportedError) Error() string { return "jpeg: unsupported feature: " + string(e) }
func (e jpegUnsupportedError) Unwrap() error { return ErrUnsupportedFormat }

// Component specification, specified in section B.2.2.
type jpegComponent struct {
	h  int   // Horizontal sampling factor.
	v  int   // Vertical sampling factor.
	c  uint8 // Component identifier.
	tq uint8 // Quantization table destination selector.
}

const (
	jpegDCTable = 0
	jpegACTable = 1
	jpegMaxTc   = 1
	jpegMaxTh   = 3
	jpegMaxTq   = 3

	jpegMaxComponents = 4

	jpegMaxScans = 500
)

const (
	jpegSOF0  = 0xc0 // Start Of Frame (Baseline Sequential).
	jpegSOF1  = 0xc1 // Start Of Frame (Extended Sequential).
	jpegSOF2  = 0xc2 // Start Of Frame (Progressive).
	jpegDHT   = 0xc4 // Define Huffman Table.
	jpegRST0  = 0xd0 // ReSTart (0).
	jpegRST7  = 0xd7 // ReSTart (7).
	jpegSOI   = 0xd8 // Start Of Image.
	jpegEOI   = 0xd9 // End Of Image.
	jpegSOS   = 0xda // Start Of Scan.
	jpegDQT   = 0xdb // Define Quantization Table.
	jpegDRI   = 0xdd // Define Restart Interval.
	jpegCOM   = 0xfe // COMment.
	jpegAPP0  = 0xe0
	jpegAPP14 = 0xee
	jpegAPP15 = 0xef
)

// Adobe APP14 transform values.
const (
	jpegAdobeUnknown = 0 // RGB or CMYK
	jpegAdobeYCbCr   = 1
	jpegAdobeYCCK    = 2
)

// jpegUnzig maps from the zig-zag ordering to the natural ordering.
var jpegUnzig = [jpegBlockSize]int{
	0, 1, 8, 16, 9, 2, 3, 10,
	17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34,
	27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36,
	29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46,
	53, 60, 61, 54, 47, 55, 62, 63,
}

// jpegBlock holds one 8x8 block of coefficients (natural order) while it is
// decoded; jpegCoefBlock is its stored form between progressive scans.
type (
	jpegBlock     [jpegBlockSize]int32
	jpegCoefBlock [jpegBlockSize]int16
)

const jpegBlockSize = 64

// jpegBits holds the unprocessed bits that have been taken from the byte-stream.
// The n least significant bits of a form the unread bits, to be read in MSB to
// LSB order.
type jpegBits struct {
	a uint32 // accumulator.
	m uint32 // mask. m==1<<(n-1) when n>0, with m==0 when n==0.
	n int32  // the number of unread bits in a.
}

type jpegDecoder struct {
	r    io.Reader
	bits jpegBits
	// bytes is a byte buffer, similar to a bufio.Reader, except that it
	// has to be able to unread more than 1 byte, due to byte stuffing.
	// Byte stuffing is specified in section F.1.2.3.
	bytes struct {
		// buf[i:j] are the buffered bytes read from the underlying
		// io.Reader that haven't yet been passed further on.
		buf  [4096]byte
		i, j int
		// nUnreadable is the number of bytes to back up i after
		// overshooting. It can be 0, 1 or 2.
		nUnreadable int
	}
	width, height int

	// Sample planes, one per component, covering whole MCUs.
	planes  [jpegMaxComponents][]byte
	strides [jpegMaxComponents]int
	// hmax, vmax are the largest sampling factors; mxx, myy the number of
	// MCUs of an interleaved scan.
	hmax, vmax int
	mxx, myy   int

	ri     int // Restart Interval.
	nComp  int
	nScans int

	// As per section 4.5, there are four modes of operation (selected by the
	// SOF? markers): sequential DCT, progressive DCT, lossless and
	// hierarchical, although this implementation does not support the latter
	// two non-DCT modes. Sequential DCT is further split into baseline and
	// extended, as per section 4.11.
	baseline    bool
	progressive bool

	jfif                bool
	adobeTransformValid bool
	adobeTransform      uint8
	eobRun              uint16 // End-of-Band run, specified in section G.1.2.2.

	comp       [jpegMaxComponents]jpegComponent
	progCoeffs [jpegMaxComponents][]jpegCoefBlock // Saved state between progressive-mode scans.
	huff       [jpegMaxTc + 1][jpegMaxTh + 1]jpegHuffman
	quant      [jpegMaxTq + 1]jpegBlock // Quantization tables, in zig-zag order.
	quantSeen  [jpegMaxTq + 1]bool
	// compQuant is each component's quantisation table in natural order,
	// latched at the component's first scan.
	compQuant    [jpegMaxComponents]jpegBlock
	quantLatched [jpegMaxComponents]bool
	tmp          [2 * jpegBlockSize]byte
}

// fill fills up the d.bytes.buf buffer from the underlying io.Reader. It
// should only be called when there are no unread bytes in d.bytes.
func (d *jpegDecoder) fill() error {
	if d.bytes.i != d.bytes.j {
		panic("jpeg: fill called when unread bytes exist")
	}
	// Move the last 2 bytes to the start of the buffer, in case we need
	// to call unreadByteStuffedByte.
	if d.bytes.j > 2 {
		d.bytes.buf[0] = d.bytes.buf[d.bytes.j-2]
		d.bytes.buf[1] = d.bytes.buf[d.bytes.j-1]
		d.bytes.i, d.bytes.j = 2, 2
	}
	// Fill in the rest of the buffer.
	n, err := d.r.Read(d.bytes.buf[d.bytes.j:])
	d.bytes.j += n
	if n > 0 {
		return nil
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// unreadByteStuffedByte undoes the most recent readByteStuffedByte call,
// giving a byte of data back from d.bits to d.bytes. The Huffman look-up table
// requires at least 8 bits for look-up, which means that Huffman decoding can
// sometimes overshoot and read one or two too many bytes. Two-byte overshoot
// can happen when expecting to read a 0xff 0x00 byte-stuffed byte.
func (d *jpegDecoder) unreadByteStuffedByte() {
	d.bytes.i -= d.bytes.nUnreadable
	d.bytes.nUnreadable = 0
	if d.bits.n >= 8 {
		d.bits.a >>= 8
		d.bits.n -= 8
		d.bits.m >>= 8
	}
}

// readByte returns the next byte, whether buffered or not buffered. It does
// not care about byte stuffing.
func (d *jpegDecoder) readByte() (x byte, err error) {
	for d.bytes.i == d.bytes.j {
		if err = d.fill(); err != nil {
			return 0, err
		}
	}
	x = d.bytes.buf[d.bytes.i]
	d.bytes.i++
	d.bytes.nUnreadable = 0
	return x, nil
}

// jpegErrMissingFF00 means that readByteStuffedByte encountered an 0xff byte (a
// marker byte) that wasn't the expected byte-stuffed sequence 0xff, 0x00.
var jpegErrMissingFF00 = jpegFormatError("missing 0xff00 sequence")

// readByteStuffedByte is like readByte but is for byte-stuffed Huffman data.
func (d *jpegDecoder) readByteStuffedByte() (x byte, err error) {
	// Take the fast path if d.bytes.buf contains at least two bytes.
	if d.bytes.i+2 <= d.bytes.j {
		x = d.bytes.buf[d.bytes.i]
		d.bytes.i++
		d.bytes.nUnreadable = 1
		if x != 0xff {
			return x, err
		}
		if d.bytes.buf[d.bytes.i] != 0x00 {
			return 0, jpegErrMissingFF00
		}
		d.bytes.i++
		d.bytes.nUnreadable = 2
		return 0xff, nil
	}

	d.bytes.nUnreadable = 0

	x, err = d.readByte()
	if err != nil {
		return 0, err
	}
	d.bytes.nUnreadable = 1
	if x != 0xff {
		return x, nil
	}

	x, err = d.readByte()
	if err != nil {
		return 0, err
	}
	d.bytes.nUnreadable = 2
	if x != 0x00 {
		return 0, jpegErrMissingFF00
	}
	return 0xff, nil
}

// readFull reads exactly len(p) bytes into p. It does not care about byte
// stuffing.
func (d *jpegDecoder) readFull(p []byte) error {
	// Unread the overshot bytes, if any.
	if d.bytes.nUnreadable != 0 {
		if d.bits.n >= 8 {
			d.unreadByteStuffedByte()
		}
		d.bytes.nUnreadable = 0
	}

	for {
		n := copy(p, d.bytes.buf[d.bytes.i:d.bytes.j])
		p = p[n:]
		d.bytes.i += n
		if len(p) == 0 {
			break
		}
		if err := d.fill(); err != nil {
			return err
		}
	}
	return nil
}

// ignore ignores the next n bytes.
func (d *jpegDecoder) ignore(n int) error {
	// Unread the overshot bytes, if any.
	if d.bytes.nUnreadable != 0 {
		if d.bits.n >= 8 {
			d.unreadByteStuffedByte()
		}
		d.bytes.nUnreadable = 0
	}

	for {
		m := d.bytes.j - d.bytes.i
		if m > n {
			m = n
		}
		d.bytes.i += m
		n -= m
		if n == 0 {
			break
		}
		if err := d.fill(); err != nil {
			return err
		}
	}
	return nil
}

// Specified in section B.2.2.
// Specified in section B.2.2.
func (d *jpegDecoder) processSOF(n int) error {
	if d.nComp != 0 {
		return jpegFormatError("multiple SOF markers")
	}
	switch n {
	case 6 + 3*1: // Grayscale image.
		d.nComp = 1
	case 6 + 3*3: // YCbCr or RGB image.
		d.nComp = 3
	case 6 + 3*4: // YCbCrK or CMYK image.
		d.nComp = 4
	default:
		return jpegUnsupportedError("number of components")
	}
	if err := d.readFull(d.tmp[:n]); err != nil {
		return err
	}
	// We only support 8-bit precision.
	if d.tmp[0] != 8 {
		return jpegUnsupportedError("precision")
	}
	d.height = int(d.tmp[1])<<8 + int(d.tmp[2])
	d.width = int(d.tmp[3])<<8 + int(d.tmp[4])
	if d.width == 0 || d.height == 0 {
		return jpegFormatError("zero image width or height")
	}
	if int(d.tmp[5]) != d.nComp {
		return jpegFormatError("SOF has wrong length")
	}

	d.hmax, d.vmax = 1, 1
	for i := 0; i < d.nComp; i++ {
		d.comp[i].c = d.tmp[6+3*i]
		// Section B.2.2 states that "the value of C_i shall be different from
		// the values of C_1 through C_(i-1)".
		for j := 0; j < i; j++ {
			if d.comp[i].c == d.comp[j].c {
				return jpegFormatError("repeated component identifier")
			}
		}

		d.comp[i].tq = d.tmp[8+3*i]
		if d.comp[i].tq > jpegMaxTq {
			return jpegFormatError("bad Tq value")
		}

		hv := d.tmp[7+3*i]
		h, v := int(hv>>4), int(hv&0x0f)
		if h < 1 || 4 < h || v < 1 || 4 < v {
			return jpegFormatError("luma/chroma subsampling ratio")
		}
		if d.nComp == 1 {
			// A single-component image is non-interleaved by definition
			// (sections A.2, A.2.2, 4.8.2): its (h, v) is effectively (1, 1).
			h, v = 1, 1
		}
		d.comp[i].h = h
		d.comp[i].v = v
		d.hmax, d.vmax = max(d.hmax, h), max(d.vmax, v)
	}
	// libjpeg (jdsample.c) upsamples only by integral factors.
	for i := 0; i < d.nComp; i++ {
		if d.hmax%d.comp[i].h != 0 || d.vmax%d.comp[i].v != 0 {
			return jpegUnsupportedError("fractional sampling ratio")
		}
	}
	d.mxx = (d.width + 8*d.hmax - 1) / (8 * d.hmax)
	d.myy = (d.height + 8*d.vmax - 1) / (8 * d.vmax)
	return nil
}

// Specified in section B.2.4.1.
func (d *jpegDecoder) processDQT(n int) error {
loop:
	for n > 0 {
		n--
		x, err := d.readByte()
		if err != nil {
			return err
		}
		tq := x & 0x0f
		if tq > jpegMaxTq {
			return jpegFormatError("bad Tq value")
		}
		switch x >> 4 {
		default:
			return jpegFormatError("bad Pq value")
		case 0:
			if n < jpegBlockSize {
				break loop
			}
			n -= jpegBlockSize
			if err := d.readFull(d.tmp[:jpegBlockSize]); err != nil {
				return err
			}
			for i := range d.quant[tq] {
				d.quant[tq][i] = int32(d.tmp[i])
			}
			d.quantSeen[tq] = true
		case 1:
			if n < 2*jpegBlockSize {
				break loop
			}
			n -= 2 * jpegBlockSize
			if err := d.readFull(d.tmp[:2*jpegBlockSize]); err != nil {
				return err
			}
			for i := range d.quant[tq] {
				d.quant[tq][i] = int32(d.tmp[2*i])<<8 | int32(d.tmp[2*i+1])
			}
			d.quantSeen[tq] = true
		}
	}
	if n != 0 {
		return jpegFormatError("DQT has wrong length")
	}
	return nil
}

// Specified in section B.2.4.4.
func (d *jpegDecoder) processDRI(n int) error {
	if n != 2 {
		return jpegFormatError("DRI has wrong length")
	}
	if err := d.readFull(d.tmp[:2]); err != nil {
		return err
	}
	d.ri = int(d.tmp[0])<<8 + int(d.tmp[1])
	return nil
}

func (d *jpegDecoder) processApp14Marker(n int) error {
	if n < 12 {
		return d.ignore(n)
	}
	if err := d.readFull(d.tmp[:12]); err != nil {
		return err
	}
	n -= 12

	if d.tmp[0] == 'A' && d.tmp[1] == 'd' && d.tmp[2] == 'o' && d.tmp[3] == 'b' && d.tmp[4] == 'e' {
		d.adobeTransformValid = true
		d.adobeTransform = d.tmp[11]
	}

	if n > 0 {
		return d.ignore(n)
	}
	return nil
}

// decode reads a JPEG image from r and returns it as an image.Image.
// processApp0Marker records a JFIF marker the way libjpeg's examine_app0
// does: "JFIF\x00" followed by at least 9 more bytes.
func (d *jpegDecoder) processApp0Marker(n int) error {
	if n < 14 {
		return d.ignore(n)
	}
	if err := d.readFull(d.tmp[:5]); err != nil {
		return err
	}
	n -= 5

	d.jfif = d.jfif || string(d.tmp[:5]) == "JFIF\x00"

	if n > 0 {
		return d.ignore(n)
	}
	return nil
}

// decode reads a JPEG image from r into the component planes.
func (d *jpegDecoder) decode(r io.Reader) error {
	d.r = r

	// Check for the Start Of Image marker.
	if err := d.readFull(d.tmp[:2]); err != nil {
		return err
	}
	if d.tmp[0] != 0xff || d.tmp[1] != jpegSOI {
		return jpegFormatError("missing SOI marker")
	}

	// Process the remaining segments until the End Of Image marker.
	for {
		err := d.readFull(d.tmp[:2])
		if err != nil {
			return err
		}
		for d.tmp[0] != 0xff {
			// Strictly speaking, this is a format error. However, libjpeg is
			// liberal in what it accepts. As of version 9, next_marker in
			// jdmarker.c treats this as a warning (JWRN_EXTRANEOUS_DATA) and
			// continues to decode the stream. Even before next_marker sees
			// extraneous data, jpeg_fill_bit_buffer in jdhuff.c reads as many
			// bytes as it can, possibly past the end of a scan's data. It
			// effectively puts back any markers that it overscanned (e.g. an
			// "\xff\xd9" EOI marker), but it does not put back non-marker data,
			// and thus it can silently ignore a small number of extraneous
			// non-marker bytes before next_marker has a chance to see them (and
			// print a warning).
			//
			// We are therefore also liberal in what we accept. Extraneous data
			// is silently ignored.
			//
			// This is similar to, but not exactly the same as, the restart
			// mechanism within a scan (the RST[0-7] markers).
			//
			// Note that extraneous 0xff bytes in e.g. SOS data are escaped as
			// "\xff\x00", and so are detected a little further down below.
			d.tmp[0] = d.tmp[1]
			d.tmp[1], err = d.readByte()
			if err != nil {
				return err
			}
		}
		marker := d.tmp[1]
		if marker == 0 {
			// Treat "\xff\x00" as extraneous data.
			continue
		}
		for marker == 0xff {
			// Section B.1.1.2 says, "Any marker may optionally be preceded by any
			// number of fill bytes, which are bytes assigned code X'FF'".
			marker, err = d.readByte()
			if err != nil {
				return err
			}
		}
		if marker == jpegEOI { // End Of Image.
			break
		}
		if jpegRST0 <= marker && marker <= jpegRST7 {
			// Figures B.2 and B.16 of the specification suggest that restart markers should
			// only occur between Entropy Coded Segments and not after the final ECS.
			// However, some encoders may generate incorrect JPEGs with a final restart
			// marker. That restart marker will be seen here instead of inside the processSOS
			// method, and is ignored as a harmless error. Restart markers have no extra data,
			// so we check for this before we read the 16-bit length of the segment.
			continue
		}

		// Read the 16-bit length of the segment. The value includes the 2 bytes for the
		// length itself, so we subtract 2 to get the number of remaining bytes.
		if err = d.readFull(d.tmp[:2]); err != nil {
			return err
		}
		n := int(d.tmp[0])<<8 + int(d.tmp[1]) - 2
		if n < 0 {
			return jpegFormatError("short segment length")
		}

		switch marker {
		case jpegSOF0, jpegSOF1, jpegSOF2:
			d.baseline = marker == jpegSOF0
			d.progressive = marker == jpegSOF2
			err = d.processSOF(n)
		case jpegDHT:
			err = d.processDHT(n)
		case jpegDQT:
			err = d.processDQT(n)
		case jpegSOS:
			err = d.processSOS(n)
		case jpegDRI:
			err = d.processDRI(n)
		case jpegAPP0:
			err = d.processApp0Marker(n)
		case jpegAPP14:
			err = d.processApp14Marker(n)
		default:
			if jpegAPP0 <= marker && marker <= jpegAPP15 || marker == jpegCOM {
				err = d.ignore(n)
			} else if marker < 0xc0 { // See Table B.1 "Marker code assignments".
				err = jpegFormatError("unknown marker")
			} else {
				err = jpegUnsupportedError("unknown marker")
			}
		}
		if err != nil {
			return err
		}
	}

	if d.planes[0] == nil {
		return jpegFormatError("missing SOS marker")
	}
	if d.progressive {
		return d.reconstructProgressiveImage()
	}
	return nil
}
