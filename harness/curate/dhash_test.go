package curate

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// TestDHashPillowReference compares DecodeHash with hashes computed by Pillow 9.4.0
// (libjpeg-turbo 2.1.5, libwebp 1.2.4; testdata/dhash/make_fixtures.py) for PNG, JPEG
// (baseline 4:2:0, 4:2:2, 4:4:4, progressive 4:2:0, grayscale), lossy WebP and GIF
// files: they must agree bit for bit.
func TestDHashPillowReference(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "dhash", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]string
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) < 17 {
		t.Fatalf("only %d fixtures", len(names))
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			h, err := DecodeHash(filepath.Join("testdata", "dhash", name))
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%016x", h); got != want[name] {
				t.Errorf("DHash = %s, Pillow reference %s (Hamming %d)", got, want[name], bitsDiff(got, want[name]))
			}
		})
	}
}

func bitsDiff(a, b string) int {
	var x, y uint64
	fmt.Sscanf(a, "%x", &x)
	fmt.Sscanf(b, "%x", &y)
	return Hamming(x, y)
}

// TestDHashHandMade checks 9×8 images, where the resampling is the identity and the
// hash is the comparisons themselves.
func TestDHashHandMade(t *testing.T) {
	grid := func(f func(x, y int) uint8) *image.Gray {
		g := image.NewGray(image.Rect(0, 0, 9, 8))
		for y := 0; y < 8; y++ {
			for x := 0; x < 9; x++ {
				g.SetGray(x, y, color.Gray{Y: f(x, y)})
			}
		}
		return g
	}
	tests := []struct {
		name string
		img  image.Image
		want uint64
	}{
		{"brighter to the right", grid(func(x, y int) uint8 { return uint8(10 * x) }), 0xffffffffffffffff},
		{"darker to the right", grid(func(x, y int) uint8 { return uint8(200 - 10*x) }), 0},
		{"flat", grid(func(x, y int) uint8 { return 77 }), 0},
		// Row 0 rises only between columns 0 and 1: the most significant bit.
		{"one step in row 0", grid(func(x, y int) uint8 {
			if y == 0 && x >= 1 {
				return 100
			}
			return 50
		}), 1 << 63},
		// Row 7 rises only between columns 7 and 8: the least significant bit.
		{"one step in row 7", grid(func(x, y int) uint8 {
			if y == 7 && x == 8 {
				return 100
			}
			return 50
		}), 1},
		// Alternating columns: rises at even c (c -> c+1 with c even is dark -> bright).
		{"stripes", grid(func(x, y int) uint8 {
			if x%2 == 1 {
				return 200
			}
			return 20
		}), 0xaaaaaaaaaaaaaaaa},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DHash(tc.img); got != tc.want {
				t.Errorf("DHash = %016x, want %016x", got, tc.want)
			}
		})
	}
}

func TestHamming(t *testing.T) {
	tests := []struct {
		a, b uint64
		want int
	}{
		{0, 0, 0}, {0, ^uint64(0), 64}, {0xf0, 0x0f, 8}, {1 << 63, 0, 1},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%x_%x", tc.a, tc.b), func(t *testing.T) {
			if got := Hamming(tc.a, tc.b); got != tc.want {
				t.Errorf("Hamming = %d, want %d", got, tc.want)
			}
		})
	}
}
