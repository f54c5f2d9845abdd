package imageproc

// Mode names a pixel layout the way PIL does. The reference pipelines resize an
// image in its own mode and convert to RGB last, so the decoders keep the
// file's mode instead of converting early.
type Mode string

// The PIL modes srbench decodes into.
const (
	ModeL    Mode = "L"    // 8-bit gray, 1 byte per pixel
	ModeLA   Mode = "LA"   // 8-bit gray + alpha, 2 bytes per pixel
	ModeRGB  Mode = "RGB"  // 3 bytes per pixel
	ModeRGBA Mode = "RGBA" // 4 bytes per pixel, straight (not premultiplied) alpha
	ModeP    Mode = "P"    // 1 byte palette index per pixel; Palette holds the colours
	ModeCMYK Mode = "CMYK" // 4 bytes per pixel, PIL's CMYK (0 = no ink)
	ModeI    Mode = "I"    // 32-bit signed integer gray (16-bit PNGs open as this); Pix32
)

// Channels is the number of interleaved bytes per pixel in Image.Pix, or 0 for ModeI.
func (m Mode) Channels() int {
	switch m {
	case ModeL, ModeP:
		return 1
	case ModeLA:
		return 2
	case ModeRGB:
		return 3
	case ModeRGBA, ModeCMYK:
		return 4
	}
	return 0
}

// Image is a decoded image in a PIL mode. Rows are stored top to bottom with
// no padding: for 8-bit modes pixel (x, y) starts at Pix[(y*W+x)*Mode.Channels()];
// for ModeI the value is Pix32[y*W+x].
type Image struct {
	Mode    Mode
	W, H    int
	Pix     []uint8
	Pix32   []int32    // ModeI only
	Palette [][3]uint8 // ModeP only: RGB colour of each index
}
