package imageproc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(decodeFixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pngChunk builds a PNG chunk with a correct CRC.
func pngChunk(typ string, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	b = append(b, typ...)
	b = append(b, body...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(append([]byte(typ), body...)))
}

// hugePNG is a PNG whose IHDR claims w x h RGB pixels, followed by a tiny
// IDAT and IEND.
func hugePNG(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	b := []byte(pngSignature)
	b = append(b, pngChunk("IHDR", ihdr)...)
	b = append(b, pngChunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	return append(b, pngChunk("IEND", nil)...)
}

// hugeJPEG is a JPEG whose SOF claims w x h with three components.
func hugeJPEG(w, h int) []byte {
	sof := []byte{0xff, 0xc0, 0, 17, 8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 3,
		1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1}
	sos := []byte{0xff, 0xda, 0, 12, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0}
	b := append([]byte{0xff, 0xd8}, sof...)
	b = append(b, sos...)
	return append(b, 0, 0, 0, 0, 0xff, 0xd9)
}

// hugeGIF is a GIF whose logical screen and first frame are w x h.
func hugeGIF(w, h int) []byte {
	b := []byte("GIF89a")
	b = binary.LittleEndian.AppendUint16(b, uint16(w))
	b = binary.LittleEndian.AppendUint16(b, uint16(h))
	b = append(b, 0x80, 0, 0, 0, 0, 0, 255, 255, 255)
	b = append(b, ',', 0, 0, 0, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(w))
	b = binary.LittleEndian.AppendUint16(b, uint16(h))
	return append(b, 0, 8, 2, 0x00, 0x01, 0, ';')
}

// hugeWebP is a lossless WebP whose VP8L header claims w x h.
func hugeWebP(w, h int) []byte {
	hdr := uint32(w-1) | uint32(h-1)<<14
	vp8l := append([]byte{0x2f}, binary.LittleEndian.AppendUint32(nil, hdr)...)
	vp8l = append(vp8l, 0, 0, 0, 0, 0, 0, 0)
	body := append([]byte("WEBPVP8L"), binary.LittleEndian.AppendUint32(nil, uint32(len(vp8l)))...)
	body = append(body, vp8l...)
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...), body...)
}

func withByte(b []byte, i int, v byte) []byte {
	c := bytes.Clone(b)
	c[i] = v
	return c
}

// TestDecodeBadInput checks that bad input yields the right error kind and
// a message naming the reason.
func TestDecodeBadInput(t *testing.T) {
	t.Parallel()
	j422 := readFixture(t, "j422.jpg")
	prog := readFixture(t, "prog420.jpg")
	pngRGB := readFixture(t, "interlaced.png")
	gifData := readFixture(t, "pillow.gif")
	lossy := readFixture(t, "lossy_alpha.webp")
	lossless := readFixture(t, "lossless_alpha.webp")
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 256)
	for i := range random {
		random[i] = byte(rng.IntN(256))
	}
	// Flip a bit of the IHDR chunk's CRC; and, separately, one inside the
	// compressed IDAT data.
	idat := bytes.Index(pngRGB, []byte("IDAT"))
	badCRC := withByte(pngRGB, 8+8+13, pngRGB[8+8+13]^0x40)
	badIDAT := withByte(pngRGB, idat+20, pngRGB[idat+20]^0x40)
	// A JPEG whose SOF says 12-bit samples.
	sof := bytes.Index(j422, []byte{0xff, 0xc0})
	twelveBit := withByte(j422, sof+4, 12)
	// A WebP whose VP8X says "animated".
	anim := []byte("RIFF\x16\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00")

	tests := []struct {
		name string
		data []byte
		opt  DecodeOptions
		want error
		msg  string
	}{
		{"empty", nil, DecodeOptions{}, ErrCorrupt, "empty"},
		{"bmp", append([]byte("BM"), make([]byte, 60)...), DecodeOptions{}, ErrUnsupportedFormat, "BMP"},
		{"random bytes", random, DecodeOptions{}, ErrUnsupportedFormat, "without a JPEG, PNG, GIF or WebP signature"},
		{"tiny", []byte{0x89, 'P'}, DecodeOptions{}, ErrUnsupportedFormat, "too few"},
		{"jpeg SOI only", []byte{0xff, 0xd8, 0xff}, DecodeOptions{}, ErrCorrupt, "no SOF"},
		{"jpeg cut in the header", j422[:sof+10], DecodeOptions{}, ErrCorrupt, "truncated"},
		{"jpeg cut mid-scan", j422[:len(j422)/2], DecodeOptions{}, ErrCorrupt, "truncated"},
		{"jpeg without EOI", j422[:len(j422)-2], DecodeOptions{}, ErrCorrupt, "truncated"},
		{"progressive jpeg cut", prog[:len(prog)*2/3], DecodeOptions{}, ErrCorrupt, "truncated"},
		{"jpeg 12-bit", twelveBit, DecodeOptions{}, ErrUnsupportedFormat, "12-bit"},
		{"jpeg arithmetic", readFixture(t, "arith.jpg"), DecodeOptions{}, ErrUnsupportedFormat, "arithmetic"},
		{"png bad CRC", badCRC, DecodeOptions{}, ErrCorrupt, "checksum"},
		{"png corrupt IDAT", badIDAT, DecodeOptions{}, ErrCorrupt, "corrupt input"},
		{"png cut in IDAT", pngRGB[:idat+30], DecodeOptions{}, ErrCorrupt, "png"},
		{"png cut in IHDR", pngRGB[:20], DecodeOptions{}, ErrCorrupt, "IHDR"},
		{"png 100000x100000", hugePNG(100000, 100000), DecodeOptions{}, ErrTooLarge, "10000000000 pixels"},
		{"gif cut", gifData[:len(gifData)/2], DecodeOptions{}, ErrCorrupt, "gif"},
		{"gif header only", gifData[:13], DecodeOptions{}, ErrCorrupt, "truncated"},
		{"webp cut", lossy[:len(lossy)/2], DecodeOptions{}, ErrCorrupt, "truncated"},
		{"webp lossless corrupt", withByte(lossless, 40, lossless[40]^0xff), DecodeOptions{}, ErrCorrupt, "webp"},
		{"webp animated", anim, DecodeOptions{}, ErrUnsupportedFormat, "animated"},
		{"over a small budget", j422, DecodeOptions{MaxPixels: 96*64 - 1}, ErrTooLarge, "MaxPixels"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			im, _, err := Decode(tc.data, tc.opt)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if im != nil {
				t.Errorf("image returned with an error")
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
			if strings.Contains(err.Error(), "decoder panic") {
				t.Errorf("error came from the panic safety net: %v", err)
			}
		})
	}
}

// TestDecodeBudget checks the pixel budget boundary and the options' zero
// value.
func TestDecodeBudget(t *testing.T) {
	t.Parallel()
	data := readFixture(t, "j422.jpg") // 96x64 = 6144 pixels
	tests := []struct {
		opt DecodeOptions
		ok  bool
	}{
		{DecodeOptions{}, true},
		{DecodeOptions{MaxPixels: 6144}, true},
		{DecodeOptions{MaxPixels: 6143}, false},
		{DecodeOptions{MaxPixels: -1}, true},
	}
	for _, tc := range tests {
		_, _, err := Decode(data, tc.opt)
		if (err == nil) != tc.ok {
			t.Errorf("MaxPixels %d: err = %v, want ok=%v", tc.opt.MaxPixels, err, tc.ok)
		}
	}
	if _, _, err := Decode(hugePNG(50_000_000, 1), DecodeOptions{}); !errors.Is(err, ErrCorrupt) {
		// Exactly the default budget passes the check and fails on the data.
		t.Errorf("50 MP header: err = %v, want ErrCorrupt after passing the budget", err)
	}
	if _, _, err := Decode(hugePNG(50_000_001, 1), DecodeOptions{}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("50 MP + 1 header: err = %v, want ErrTooLarge", err)
	}
}

// TestDecodeRefusesHugeHeadersWithoutAllocating checks that headers
// claiming gigapixel images are refused with bounded memory: a decoder that
// allocated first would need gigabytes.
func TestDecodeRefusesHugeHeadersWithoutAllocating(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"png 100000x100000", hugePNG(100000, 100000)},
		{"png 2^31-1 x 2^31-1", hugePNG(1<<31-1, 1<<31-1)},
		{"jpeg 65535x65535", hugeJPEG(65535, 65535)},
		{"gif 65535x65535", hugeGIF(65535, 65535)},
		{"webp 16384x16384", hugeWebP(16384, 16384)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := Decode(tc.data, DecodeOptions{}); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err = %v, want ErrTooLarge", err)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for range 10 {
				_, _, _ = Decode(tc.data, DecodeOptions{})
			}
			runtime.ReadMemStats(&after)
			if n := after.TotalAlloc - before.TotalAlloc; n > 64<<10 {
				t.Errorf("10 refusals allocated %d bytes, want < 64 KiB", n)
			}
			allocs := testing.AllocsPerRun(10, func() { _, _, _ = Decode(tc.data, DecodeOptions{}) })
			if allocs > 20 {
				t.Errorf("%.0f allocations per refusal, want <= 20", allocs)
			}
		})
	}
}

// TestDecodeTruncatedPrefixes decodes every prefix of a few files: no
// prefix may panic (or reach the panic safety net), every error must wrap a
// sentinel, and every success must be a well-formed image.
func TestDecodeTruncatedPrefixes(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"j420_33x17.jpg", "prog420.jpg", "restart_prog420.jpg", "cmyk.jpg", "interlaced.png",
		"pal4bit.png", "gif_subframe_trns.gif", "pillow.gif", "lossy_alpha.webp", "lossless_alpha.webp", "alph_raw_filter3.webp"} {
		t.Run(name, func(t *testing.T) {
			data := readFixture(t, name)
			full, _, err := Decode(data, DecodeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			step := max(1, len(data)/300)
			for n := 0; n < len(data); n += step {
				im, info, err := Decode(data[:n], DecodeOptions{})
				if err != nil {
					if strings.Contains(err.Error(), "decoder panic") {
						t.Fatalf("prefix %d: %v", n, err)
					}
					if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupportedFormat) {
						t.Fatalf("prefix %d: error %v wraps no sentinel", n, err)
					}
					continue
				}
				if err := checkDecoded(im, info); err != nil {
					t.Fatalf("prefix %d: %v", n, err)
				}
				// Only trailing bytes may be missing (GIF trailer, EOI-free
				// data is refused): the pixels must be complete.
				if !bytes.Equal(im.Pix, full.Pix) {
					t.Fatalf("prefix %d of %d decoded without error but to different pixels", n, len(data))
				}
			}
		})
	}
}

// TestDecodeFileNamesFile checks that DecodeFile errors carry the path.
func TestDecodeFileNamesFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "broken.jpg")
	if err := os.WriteFile(bad, readFixture(t, "j422.jpg")[:500], 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.png")
	for _, path := range []string{bad, missing} {
		_, _, err := DecodeFile(path, DecodeOptions{})
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("DecodeFile(%q): err = %v, want an error naming the file", path, err)
		}
	}
	if _, _, err := DecodeFile(bad, DecodeOptions{}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("truncated file: err = %v, want ErrCorrupt", err)
	}
	if _, _, err := DecodeFile(missing, DecodeOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want os.ErrNotExist", err)
	}
}

// TestExifOrientation checks the TIFF walker on hand-built payloads.
func TestExifOrientation(t *testing.T) {
	t.Parallel()
	ifd := func(bo binary.AppendByteOrder, magic string, typ uint16, val uint32) []byte {
		b := []byte(magic)
		b = bo.AppendUint16(b, 42)
		b = bo.AppendUint32(b, 8)
		b = bo.AppendUint16(b, 2)
		b = bo.AppendUint16(b, 0x010f) // Make, ignored
		b = bo.AppendUint16(b, 2)
		b = bo.AppendUint32(b, 0)
		b = bo.AppendUint32(b, 0)
		b = bo.AppendUint16(b, 0x0112)
		b = bo.AppendUint16(b, typ)
		b = bo.AppendUint32(b, 1)
		if typ == 3 {
			b = bo.AppendUint16(b, uint16(val))
			b = bo.AppendUint16(b, 0)
		} else {
			b = bo.AppendUint32(b, val)
		}
		return bo.AppendUint32(b, 0)
	}
	le, be := binary.LittleEndian, binary.BigEndian
	tests := []struct {
		name string
		p    []byte
		want int
	}{
		{"II short 6", ifd(le, "II", 3, 6), 6},
		{"MM short 3", ifd(be, "MM", 3, 3), 3},
		{"Exif prefix", append([]byte("Exif\x00\x00"), ifd(le, "II", 3, 8)...), 8},
		{"long 5", ifd(le, "II", 4, 5), 5},
		{"out of range 9", ifd(le, "II", 3, 9), 0},
		{"wrong type", ifd(le, "II", 7, 6), 0},
		{"bad magic", ifd(le, "XX", 3, 6), 0},
		{"truncated IFD", ifd(le, "II", 3, 6)[:20], 0},
		{"offset past end", []byte("II\x2a\x00\xff\x00\x00\x00"), 0},
		{"empty", nil, 0},
	}
	for _, tc := range tests {
		if got := exifOrientation(tc.p); got != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestJPEGSubsamplingNames checks the Info.Subsampling names.
func TestJPEGSubsamplingNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		f    [][2]int
		want string
	}{
		{[][2]int{{1, 1}}, "4:0:0"},
		{[][2]int{{1, 1}, {1, 1}, {1, 1}}, "4:4:4"},
		{[][2]int{{2, 2}, {2, 2}, {2, 2}}, "4:4:4"},
		{[][2]int{{2, 1}, {1, 1}, {1, 1}}, "4:2:2"},
		{[][2]int{{2, 2}, {1, 1}, {1, 1}}, "4:2:0"},
		{[][2]int{{1, 2}, {1, 1}, {1, 1}}, "4:4:0"},
		{[][2]int{{4, 1}, {1, 1}, {1, 1}}, "4:1:1"},
		{[][2]int{{4, 2}, {1, 1}, {1, 1}}, "4:1:0"},
		{[][2]int{{1, 1}, {2, 2}, {2, 2}}, "other"},
		{[][2]int{{2, 2}, {1, 1}, {2, 1}}, "other"},
		{[][2]int{{2, 2}, {1, 1}, {1, 1}, {2, 2}}, "4:2:0"},
		{[][2]int{{2, 2}, {1, 1}, {1, 1}, {1, 1}}, "other"},
	}
	for _, tc := range tests {
		if got := subsamplingFromFactors(tc.f); got != tc.want {
			t.Errorf("%v: got %q, want %q", tc.f, got, tc.want)
		}
	}
}
