package imageproc

// Decoding
//
// Decode turns the bytes of a JPEG, PNG, GIF or WebP file into an Image whose
// pixels are those Pillow 9.4.0 gives for Image.open(f) - with libjpeg-turbo
// 2.1.5 and libwebp 1.2.4, the Debian bookworm stack the golden tensors were
// made with - in the file's own PIL mode: no conversion, no EXIF rotation.
// Measured: bit-identical to PIL (max abs difference 0) on all 14 golden
// images and on every fixture of testdata/decode (JPEG 4:4:4, 4:2:2, 4:2:0,
// 4:4:0, 4:1:1, odd and tiny sizes, progressive, restart intervals, gray,
// RGB, CMYK, YCCK; PNG of every colour type and bit depth, interlaced, with
// tRNS; GIF sub-frames, interlace, grey-ramp palettes; WebP lossy, lossless,
// alpha with every filter). testdata/make_decode_fixtures.py makes them.
//
// Limits and errors. Decode reads the header first (DecodeConfig) and
// refuses an image of more than DecodeOptions.MaxPixels pixels (default
// 50 MP) with ErrTooLarge before allocating any pixel memory. Every error
// wraps ErrCorrupt (empty, truncated, damaged or self-contradictory data),
// ErrUnsupportedFormat (not one of the four formats, or an unimplemented
// variant) or ErrTooLarge; DecodeFile adds the file name. Decoders check
// their bounds and never panic on input (FuzzDecode); a final recover turns
// a panic escaping a decoder into ErrCorrupt as a safety net only.
//
// JPEG. Entropy decoding is a fork of Go's image/jpeg (jpeg_reader.go,
// jpeg_huffman.go, jpeg_scan.go; BSD licence) that keeps the component
// sample planes, latches quantisation tables at a component's first scan
// (libjpeg's latch_quant_tables), stores coefficients as 16-bit JCOEFs,
// accepts any integral sampling factors, counts one block per MCU in
// non-interleaved scans (restart intervals of progressive 4:2:0 files),
// treats (r, 0) codes of sequential scans as end-of-block as libjpeg does,
// and installs the standard Annex K.3 Huffman tables when a file defines
// none (libjpeg-turbo does this for Motion-JPEG frames). The IDCT is
// libjpeg's ISLOW (jidctint.c, 13-bit constants, PASS1_BITS 2, its
// range-limit table); Go's own IDCT differs by ±1 on ~1% of samples.
// Upsampling follows jdsample.c per component: fullsize; h2v1 and h2v2
// "fancy" (triangular, with the alternating +1/+2 and +8/+7 biases) when the
// downsampled width exceeds 2, box otherwise; h1v2 fancy (4:4:0) always; any
// other integral ratio by replication. Rows above and below the image
// replicate the first and last real sample rows (jdmainct.c context rows);
// columns replicate the edge samples. YCbCr->RGB uses jdcolor.c's
// SCALEBITS-16 tables. The colour space is decided as jdapimin.c does: JFIF
// APP0 -> YCbCr; else Adobe APP14 transform 0 -> RGB, other -> YCbCr; else
// component ids 'R','G','B' -> RGB; else YCbCr. Modes: 1 component -> L,
// 3 -> RGB, 4 -> CMYK. PIL reads CMYK with rawmode "CMYK;I", so every
// channel is inverted (255 - v) whether or not an Adobe marker is present;
// YCCK (Adobe transform 2) is first converted by libjpeg's ycck_cmyk_convert,
// so C, M, Y are the clamped R, G, B of the YCC triple and K is 255 - K.
// Info.Subsampling names the Y:chroma ratio ("4:0:0" for gray, "other" for
// unusual factor sets). Not implemented (ErrUnsupportedFormat): arithmetic
// coding, lossless and hierarchical JPEG, 12-bit samples, 2-component files,
// fractional sampling ratios (libjpeg refuses these too) and files of more
// than 500 scans (a denial-of-service guard; real files have about ten).
// Differences left: libjpeg's block smoothing of progressive files whose
// scans leave some low-frequency AC coefficients unrefined (never the case
// for files libjpeg or Pillow write), and libjpeg's tolerance of damaged
// entropy data (it warns and fills zeros where we return ErrCorrupt; PIL
// raises for truncated files unless LOAD_TRUNCATED_IMAGES is set, and so do
// we, including a missing EOI marker).
//
// PNG. Go's image/png decodes (CRC-checked, interlaced, all bit depths); its
// types are mapped to the mode PIL 9.4 uses (PngImagePlugin._MODES): gray
// 1/2/4/8-bit -> L (PIL opens 1-bit gray as mode "1"; we return L with 0 and
// 255, what PIL's convert("L") gives; 2- and 4-bit values scale by 85 and
// 17 as in PIL); 16-bit gray -> I (0..65535 in Pix32); gray+alpha 8-bit ->
// LA; gray+alpha 16-bit -> RGBA (PIL's rawmode LA;16B, high bytes); RGB and
// RGBA 16-bit -> RGB and RGBA from the high bytes; palette (any depth, with
// or without tRNS) -> P with Palette = the PLTE entries, as PIL's
// getpalette() returns them (indices beyond them are kept; PIL converts
// them as grey i,i,i). A tRNS chunk never changes the mode. When image/png
// refuses a file PIL reads, the file is rewritten the way PIL reads it and
// decoded again: PIL ignores the CRCs of IDAT and later chunks and accepts a
// missing or cut IEND and a cut final IDAT CRC.
//
// GIF. The first frame, decoded here with compress/lzw under PIL 9.4's
// GifImagePlugin rules: the canvas is the logical screen grown to contain
// the first frame; pixels outside the frame hold the frame's transparency
// index if it has one, else 0; the palette is the local colour table if
// present, else the global one, stored as read (2^n entries); a colour
// table that is exactly the identity grey ramp (entry i = (i,i,i)) is
// dropped by PIL, and a frame without a table opens as L. Pixel indices
// beyond the table are kept (image/gif would reject them). LZW data that
// end before the frame is full are ErrCorrupt, as in PIL.
//
// WebP. RIFF/VP8X parsing, ALPH decoding and alpha unfiltering
// (dsp/filters.c: horizontal, vertical, gradient) are ours;
// golang.org/x/image/vp8 and vp8l decode the bitstreams. PIL 9.4 decodes
// through WebPAnimDecoder in MODE_RGBA (not premultiplied) and reports RGBA
// when WebPGetFeatures says has_alpha - for VP8L frames the header's alpha
// bit alone, for VP8 frames the VP8X alpha flag or an ALPH chunk - and RGB
// otherwise. Lossy frames are converted with libwebp's fancy upsampler
// (dsp/upsampling.c UPSAMPLE_FUNC: the (9,3,3,1)/16 weights computed through
// its two diagonal averages, vertical-only (3,1)/4 in the first column and,
// for even widths, the last) and its 14-bit YUV->RGB (dsp/yuv.h VP8YUVToR/G/B:
// MultHi(y,19077), 26149, 6419, 13320, 33050, 6-bit descale with clipping).
// Animated WebP (VP8X animation flag, ANIM/ANMF chunks) is
// ErrUnsupportedFormat.
//
// EXIF. Info.Orientation is tag 0x0112 of IFD0 from the first JPEG APP1
// "Exif" segment, a PNG eXIf chunk or a WebP EXIF chunk (0 when absent or
// outside 1..8). It is reported, never applied: PIL's Image.open does not
// apply it either.

import (
	"bytes"
	"errors"
	"fmt"
)

// Errors callers can test with errors.Is. Every error Decode, DecodeFile and
// DecodeConfig return wraps exactly one of them (file-system errors from
// DecodeFile excepted).
var (
	// ErrTooLarge: the header declares more pixels than DecodeOptions.MaxPixels.
	ErrTooLarge = errors.New("image too large")
	// ErrUnsupportedFormat: not JPEG, PNG, GIF or WebP, or a variant of one
	// that is not implemented (e.g. arithmetic-coded JPEG, animated WebP).
	ErrUnsupportedFormat = errors.New("unsupported image format")
	// ErrCorrupt: the data are truncated, empty, or damaged.
	ErrCorrupt = errors.New("corrupt image data")
)

// DefaultMaxPixels is the pixel budget used when DecodeOptions.MaxPixels is 0.
const DefaultMaxPixels = 50_000_000

// DecodeOptions controls Decode. The zero value is the documented default.
type DecodeOptions struct {
	// MaxPixels is the largest W*H accepted; 0 means DefaultMaxPixels
	// (50 MP) and a negative value disables the check.
	MaxPixels int64
	// MaxFileBytes is the largest file DecodeFile reads; 0 means
	// DefaultMaxFileBytes and a negative value disables the check.
	MaxFileBytes int64
	// Check, when set, is called with the header's Info before any pixel
	// memory is allocated; an error refuses the image (e.g. an aspect
	// ratio the pipeline cannot resize: Pipeline.CheckSize).
	Check func(Info) error
}

// DefaultMaxFileBytes is the file size limit used when
// DecodeOptions.MaxFileBytes is 0: 64 MiB.
const DefaultMaxFileBytes = 64 << 20

func (opt DecodeOptions) maxFileBytes() int64 { return limitOr(opt.MaxFileBytes, DefaultMaxFileBytes) }

// Info describes an image file as its header declares it.
type Info struct {
	Format      string // "jpeg", "png", "gif" or "webp"
	Mode        Mode   // the PIL mode Decode returns
	W, H        int
	Orientation int    // EXIF orientation tag 1..8, 0 if absent; reported, never applied
	Progressive bool   // JPEG only
	Subsampling string // JPEG: "4:4:4", "4:2:2", "4:2:0", "4:4:0", "4:1:1", "4:1:0", "4:0:0" (gray) or "other"; "" for other formats
	Lossless    bool   // PNG, GIF and lossless WebP
}

// decodeFormat names the container detected from the leading bytes.
type decodeFormat int

const (
	decodeUnknown decodeFormat = iota
	decodeJPEG
	decodePNG
	decodeGIF
	decodeWebP
)

// sniffFormat recognises a format by its signature.
func sniffFormat(data []byte) decodeFormat {
	switch {
	case len(data) >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff:
		return decodeJPEG
	case bytes.HasPrefix(data, []byte(pngSignature)):
		return decodePNG
	case bytes.HasPrefix(data, []byte("GIF87a")) || bytes.HasPrefix(data, []byte("GIF89a")):
		return decodeGIF
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return decodeWebP
	}
	return decodeUnknown
}

// describeUnknown gives a short reason for an unrecognised file.
func describeUnknown(data []byte) error {
	switch {
	case len(data) == 0:
		return fmt.Errorf("empty data (0 bytes): %w", ErrCorrupt)
	case bytes.HasPrefix(data, []byte("BM")):
		return fmt.Errorf("BMP files are not supported (want JPEG, PNG, GIF or WebP): %w", ErrUnsupportedFormat)
	case len(data) < 12:
		return fmt.Errorf("%d bytes are too few to recognise a format (want JPEG, PNG, GIF or WebP): %w", len(data), ErrUnsupportedFormat)
	}
	// The file's bytes are not quoted: an error message must never echo
	// the content of a file a dataset pointed at (it could be anything).
	return fmt.Errorf("%d bytes without a JPEG, PNG, GIF or WebP signature: %w", len(data), ErrUnsupportedFormat)
}

// DecodeConfig reads only the header of an image file and returns what Decode
// would report, without decoding pixels.
func DecodeConfig(data []byte) (Info, error) {
	var (
		info Info
		err  error
	)
	switch sniffFormat(data) {
	case decodeJPEG:
		info, err = jpegConfig(data)
	case decodePNG:
		info, err = pngConfig(data)
	case decodeGIF:
		var h gifHeader
		h, err = gifParseHeader(data)
		info = h.info
	case decodeWebP:
		var h webpHeader
		h, err = webpParse(data)
		info = h.info
	default:
		return Info{}, describeUnknown(data)
	}
	if err != nil {
		return Info{}, err
	}
	if info.W <= 0 || info.H <= 0 {
		return Info{}, fmt.Errorf("%s: image size %dx%d: must be positive: %w", info.Format, info.W, info.H, ErrCorrupt)
	}
	return info, nil
}

// Decode decodes an image file held in memory. It reads the header first and
// refuses images over the pixel budget before allocating pixel memory.
func Decode(data []byte, opt DecodeOptions) (im *Image, info Info, err error) {
	info, err = DecodeConfig(data)
	if err != nil {
		return nil, Info{}, err
	}
	if err := checkPixelBudget(info, opt); err != nil {
		return nil, Info{}, err
	}
	if opt.Check != nil {
		if err := opt.Check(info); err != nil {
			return nil, Info{}, err
		}
	}
	defer func() {
		// Safety net only: the decoders check their bounds. A panic that
		// still escapes (from a standard-library decoder) is reported as
		// corrupt data rather than crashing the caller.
		if r := recover(); r != nil {
			im, info, err = nil, Info{}, fmt.Errorf("%s: decoder panic (%v): %w", info.Format, r, ErrCorrupt)
		}
	}()
	switch sniffFormat(data) {
	case decodeJPEG:
		im, err = jpegDecodeImage(data, info)
	case decodePNG:
		im, err = pngDecodeImage(data, info)
	case decodeGIF:
		im, err = gifDecodeImage(data, info)
	case decodeWebP:
		im, err = webpDecodeImage(data, info)
	}
	if err != nil {
		return nil, Info{}, err
	}
	if err := checkDecoded(im, info); err != nil {
		return nil, Info{}, err
	}
	return im, info, nil
}

// DecodeFile reads and decodes the file at path; errors name the file. It
// reads only a regular file of at most DecodeOptions.MaxFileBytes (never
// blocking on a FIFO, never following /dev/zero), and its errors never quote
// the file's content.
func DecodeFile(path string, opt DecodeOptions) (*Image, Info, error) {
	data, err := ReadFile(path, opt)
	if err != nil {
		return nil, Info{}, err
	}
	im, info, err := Decode(data, opt)
	if err != nil {
		return nil, Info{}, fmt.Errorf("image file %q: %w", path, err)
	}
	return im, info, nil
}

// checkDecoded verifies that a decoder produced what the header promised;
// a mismatch is a bug in this package, reported as an error rather than
// handed on to callers.
func checkDecoded(im *Image, info Info) error {
	if im == nil {
		return fmt.Errorf("%s: decoder returned no image: %w", info.Format, ErrCorrupt)
	}
	if im.W != info.W || im.H != info.H || im.Mode != info.Mode {
		return fmt.Errorf("%s: decoded %s %dx%d but the header says %s %dx%d: %w",
			info.Format, im.Mode, im.W, im.H, info.Mode, info.W, info.H, ErrCorrupt)
	}
	if im.Mode == ModeI {
		if len(im.Pix32) != im.W*im.H {
			return fmt.Errorf("%s: Pix32 has %d values, want %d: %w", info.Format, len(im.Pix32), im.W*im.H, ErrCorrupt)
		}
		return nil
	}
	if want := im.W * im.H * im.Mode.Channels(); len(im.Pix) != want {
		return fmt.Errorf("%s: Pix has %d bytes, want %d: %w", info.Format, len(im.Pix), want, ErrCorrupt)
	}
	return nil
}
