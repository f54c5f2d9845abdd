package imageproc

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to DecodeConfig and Decode (seeded with
// the small fixtures of every format). Neither may panic - including
// through Decode's safety net - every error must wrap one of the three
// sentinels, and a decoded image must have the size and mode its header
// announced with W*H*channels bytes.
func FuzzDecode(f *testing.F) {
	// Fixtures, plus inputs that once failed (fuzz_regressions/).
	seeds, err := filepath.Glob(filepath.Join(decodeFixtureDir, "*"))
	if err != nil {
		f.Fatal(err)
	}
	regress, err := filepath.Glob(filepath.Join(decodeFixtureDir, "fuzz_regressions", "*"))
	if err != nil {
		f.Fatal(err)
	}
	seeds = append(seeds, regress...)
	for _, p := range seeds {
		switch filepath.Ext(p) {
		case ".jpg", ".png", ".gif", ".webp":
		default:
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if len(data) <= 16<<10 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, cfgErr := DecodeConfig(data)
		im, info, err := Decode(data, DecodeOptions{MaxPixels: 1 << 20})
		for _, e := range []error{cfgErr, err} {
			if e == nil {
				continue
			}
			if strings.Contains(e.Error(), "decoder panic") {
				t.Fatalf("panic reached the safety net: %v", e)
			}
			if !errors.Is(e, ErrCorrupt) && !errors.Is(e, ErrUnsupportedFormat) && !errors.Is(e, ErrTooLarge) {
				t.Fatalf("error wraps no sentinel: %v", e)
			}
		}
		if err != nil {
			return
		}
		if cfgErr != nil || cfg != info {
			t.Fatalf("Decode succeeded with %+v but DecodeConfig gave %+v, %v", info, cfg, cfgErr)
		}
		if im.W != info.W || im.H != info.H || im.Mode != info.Mode {
			t.Fatalf("image %s %dx%d, header %s %dx%d", im.Mode, im.W, im.H, info.Mode, info.W, info.H)
		}
		if im.Mode == ModeI {
			if len(im.Pix32) != im.W*im.H {
				t.Fatalf("Pix32 has %d values for %dx%d", len(im.Pix32), im.W, im.H)
			}
			return
		}
		if len(im.Pix) != im.W*im.H*im.Mode.Channels() {
			t.Fatalf("Pix has %d bytes for %s %dx%d", len(im.Pix), im.Mode, im.W, im.H)
		}
	})
}
