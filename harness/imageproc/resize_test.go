package imageproc

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResizeErrors(t *testing.T) {
	t.Parallel()
	good := synthImage(ModeRGB, 8, 8, 0)
	tests := []struct {
		name string
		im   *Image
		w, h int
		f    Filter
	}{
		{"nil", nil, 4, 4, FilterBicubic},
		{"zero width", good, 0, 4, FilterBicubic},
		{"negative height", good, 4, -1, FilterBicubic},
		{"huge", good, 1 << 21, 4, FilterBicubic},
		{"unknown filter", good, 4, 4, Filter(6)},
		{"Pix too long", &Image{Mode: ModeL, W: 2, H: 2, Pix: make([]uint8, 5)}, 1, 1, FilterBicubic},
		{"I without Pix32", &Image{Mode: ModeI, W: 2, H: 2, Pix: make([]uint8, 16)}, 1, 1, FilterBicubic},
		{"unknown mode", &Image{Mode: "F", W: 1, H: 1}, 1, 1, FilterBicubic},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Resize(tc.im, tc.w, tc.h, tc.f); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestResizeSameSizeCopies(t *testing.T) {
	t.Parallel()
	// Pillow returns a copy for the same size: no premultiplication round
	// trip, so transparent pixels keep their colour.
	im := synthImage(ModeRGBA, 9, 7, 0)
	out, err := Resize(im, 9, 7, FilterBicubic)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(im.Pix, out.Pix); d != "" {
		t.Fatalf("same-size resize changed pixels:\n%s", d)
	}
	out.Pix[0]++
	if out.Pix[0] == im.Pix[0] {
		t.Error("result aliases the input")
	}
}

func TestResizeConstantImage(t *testing.T) {
	t.Parallel()
	// The coefficients of every output sum to 1, so a constant image stays
	// constant in every filter, scale and mode (the fixed-point rounding of
	// a normalised sum of 255 gives 255 back).
	for _, f := range []Filter{FilterNearest, FilterLanczos, FilterBilinear, FilterBicubic, FilterBox, FilterHamming} {
		for _, sz := range [][2]int{{3, 2}, {17, 29}, {100, 61}} {
			im := &Image{Mode: ModeRGB, W: 23, H: 31, Pix: make([]uint8, 23*31*3)}
			for i := range im.Pix {
				im.Pix[i] = []uint8{0, 255, 77}[i%3]
			}
			out, err := Resize(im, sz[0], sz[1], f)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range out.Pix {
				if want := []uint8{0, 255, 77}[i%3]; v != want {
					t.Fatalf("%s %v: value %d = %d, want %d", f, sz, i, v, want)
				}
			}
			iim := &Image{Mode: ModeI, W: 23, H: 31, Pix32: make([]int32, 23*31)}
			for i := range iim.Pix32 {
				iim.Pix32[i] = 40000
			}
			iout, err := Resize(iim, sz[0], sz[1], f)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range iout.Pix32 {
				if v != 40000 {
					t.Fatalf("%s %v: mode I value %d, want 40000", f, sz, v)
				}
			}
		}
	}
}

func TestBicubicKernel(t *testing.T) {
	t.Parallel()
	// Keys' kernel with a = -0.5: 1 at 0, 0 at the integers, the textbook
	// values at 0.5 and 1.5, and 0 outside (-2, 2).
	tests := []struct{ x, want float64 }{
		{0, 1}, {1, 0}, {-1, 0}, {2, 0}, {-2, 0}, {3, 0},
		{0.5, 0.5625}, {-0.5, 0.5625}, {1.5, -0.0625}, {-1.5, -0.0625},
	}
	for _, tc := range tests {
		if got := bicubicFilter(tc.x); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("bicubic(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
}

func TestMulDiv255(t *testing.T) {
	t.Parallel()
	// MULDIV255 rounds a*b/255 to nearest for all bytes.
	for a := uint32(0); a < 256; a++ {
		for b := uint32(0); b < 256; b++ {
			want := uint32(math.Floor(float64(a*b)/255 + 0.5))
			if got := muldiv255(a, b); got != want {
				t.Fatalf("muldiv255(%d, %d) = %d, want %d", a, b, got, want)
			}
		}
	}
}

func TestToRGBHandValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		im   *Image
		want []uint8
	}{
		{"CMYK no ink is white", &Image{Mode: ModeCMYK, W: 1, H: 1, Pix: []uint8{0, 0, 0, 0}}, []uint8{255, 255, 255}},
		{"CMYK full black", &Image{Mode: ModeCMYK, W: 1, H: 1, Pix: []uint8{0, 0, 0, 255}}, []uint8{0, 0, 0}},
		{"CMYK cyan", &Image{Mode: ModeCMYK, W: 1, H: 1, Pix: []uint8{255, 0, 0, 0}}, []uint8{0, 255, 255}},
		// nk = 155; 155 - round(100*155/255) = 155 - 61 = 94; 155 - round(200*155/255) = 155 - 122 = 33
		{"CMYK mixed", &Image{Mode: ModeCMYK, W: 1, H: 1, Pix: []uint8{100, 200, 0, 100}}, []uint8{94, 33, 155}},
		{"I clips", &Image{Mode: ModeI, W: 4, H: 1, Pix32: []int32{-7, 0, 254, 65535}}, []uint8{0, 0, 0, 0, 0, 0, 254, 254, 254, 255, 255, 255}},
		{"LA drops alpha", &Image{Mode: ModeLA, W: 1, H: 1, Pix: []uint8{9, 0}}, []uint8{9, 9, 9}},
		{"RGBA keeps colour of transparent pixels", &Image{Mode: ModeRGBA, W: 1, H: 1, Pix: []uint8{1, 2, 3, 0}}, []uint8{1, 2, 3}},
		{"P past a short palette is gray", &Image{Mode: ModeP, W: 2, H: 1, Pix: []uint8{0, 200}, Palette: [][3]uint8{{7, 8, 9}}}, []uint8{7, 8, 9, 200, 200, 200}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ToRGB(tc.im)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got.Pix); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	if _, err := ToRGB(&Image{Mode: ModeRGB, W: 1, H: 1}); err == nil {
		t.Error("invalid image: no error")
	}
}

// TestLuma: ITU-R 601-2 luma in Pillow's fixed point, worked by hand:
// (19595·R + 38470·G + 7471·B + 32768) >> 16; the weights sum to 65536, so
// a gray stays itself.
func TestLuma(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		r, g, b uint8
		want    uint8
	}{
		{"black", 0, 0, 0, 0},
		{"white", 255, 255, 255, 255},   // 255.5 truncated
		{"red", 255, 0, 0, 76},          // 76.74
		{"green", 0, 255, 0, 150},       // 150.19
		{"blue", 0, 0, 255, 29},         // 29.57
		{"gray", 77, 77, 77, 77},        // 77.5
		{"mixed", 10, 200, 30, 124},     // 8146848 / 65536 = 124.31
		{"CMYK mixed", 94, 33, 155, 65}, // 65.65
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Luma(tc.r, tc.g, tc.b); got != tc.want {
				t.Errorf("Luma(%d, %d, %d) = %d, want %d", tc.r, tc.g, tc.b, got, tc.want)
			}
		})
	}
}

func TestToLHandValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		im   *Image
		want []uint8
	}{
		{"RGB", &Image{Mode: ModeRGB, W: 3, H: 1, Pix: []uint8{255, 0, 0, 0, 255, 0, 0, 0, 255}}, []uint8{76, 150, 29}},
		// CMYK goes through RGB (94, 33, 155), see TestToRGBHandValues.
		{"CMYK mixed", &Image{Mode: ModeCMYK, W: 1, H: 1, Pix: []uint8{100, 200, 0, 100}}, []uint8{65}},
		{"I clips", &Image{Mode: ModeI, W: 4, H: 1, Pix32: []int32{-7, 0, 254, 65535}}, []uint8{0, 0, 254, 255}},
		{"LA drops alpha", &Image{Mode: ModeLA, W: 1, H: 1, Pix: []uint8{9, 0}}, []uint8{9}},
		// (19595 + 2·38470 + 3·7471 + 32768) / 65536 = 2.3
		{"RGBA ignores alpha", &Image{Mode: ModeRGBA, W: 1, H: 1, Pix: []uint8{1, 2, 3, 0}}, []uint8{2}},
		// (7, 8, 9) gives 8.3; index 200 past the palette is gray 200.
		{"P", &Image{Mode: ModeP, W: 2, H: 1, Pix: []uint8{0, 200}, Palette: [][3]uint8{{7, 8, 9}}}, []uint8{8, 200}},
		{"L", &Image{Mode: ModeL, W: 2, H: 1, Pix: []uint8{3, 250}}, []uint8{3, 250}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ToL(tc.im)
			if err != nil {
				t.Fatal(err)
			}
			if got.Mode != ModeL || got.W != tc.im.W || got.H != tc.im.H {
				t.Errorf("got %s %dx%d", got.Mode, got.W, got.H)
			}
			if d := cmp.Diff(tc.want, got.Pix); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	if _, err := ToL(&Image{Mode: ModeRGB, W: 1, H: 1}); err == nil {
		t.Error("invalid image: no error")
	}
}

func TestResizeFErrorsAndCopies(t *testing.T) {
	t.Parallel()
	pix := []float32{1, 2, 3, 4, 5, 6}
	tests := []struct {
		name         string
		pix          []float32
		w, h, ow, oh int
		f            Filter
	}{
		{"short", pix[:5], 3, 2, 1, 1, FilterBox},
		{"zero width", nil, 0, 2, 1, 1, FilterBox},
		{"zero output", pix, 3, 2, 0, 1, FilterBox},
		{"huge output", pix, 3, 2, 1 << 21, 1, FilterBox},
		{"unknown filter", pix, 3, 2, 1, 1, Filter(9)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ResizeF(tc.pix, tc.w, tc.h, tc.ow, tc.oh, tc.f); err == nil {
				t.Error("no error")
			}
		})
	}
	same, err := ResizeF(pix, 3, 2, 3, 2, FilterBicubic)
	if err != nil || !cmp.Equal(same, pix) {
		t.Fatalf("same size: %v, %v", same, err)
	}
	same[0] = 99
	if pix[0] != 1 {
		t.Error("same-size result aliases the input")
	}
	// BOX 3x2 -> 1x1 is the mean; 2x2 -> 1x1 of a 2x2 block too.
	if got, err := ResizeF(pix, 3, 2, 1, 1, FilterBox); err != nil || !cmp.Equal(got, []float32{3.5}) {
		t.Errorf("BOX to 1x1 = %v, %v; want [3.5]", got, err)
	}
}

func TestCrop(t *testing.T) {
	t.Parallel()
	im := &Image{Mode: ModeL, W: 3, H: 2, Pix: []uint8{1, 2, 3, 4, 5, 6}}
	tests := []struct {
		name            string
		left, top, w, h int
		want            []uint8
	}{
		{"inside", 1, 0, 2, 2, []uint8{2, 3, 5, 6}},
		{"padded all round", -1, -1, 5, 4, []uint8{0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 4, 5, 6, 0, 0, 0, 0, 0, 0}},
		{"outside", 5, 5, 2, 1, []uint8{0, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Crop(im, tc.left, tc.top, tc.w, tc.h)
			if err != nil {
				t.Fatal(err)
			}
			if got.W != tc.w || got.H != tc.h {
				t.Fatalf("size %dx%d, want %dx%d", got.W, got.H, tc.w, tc.h)
			}
			if d := cmp.Diff(tc.want, got.Pix); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	i32 := &Image{Mode: ModeI, W: 2, H: 1, Pix32: []int32{-5, 70000}}
	got, err := Crop(i32, 1, 0, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]int32{70000, 0}, got.Pix32); d != "" {
		t.Errorf("mode I crop (-want +got):\n%s", d)
	}
	if _, err := Crop(im, 0, 0, 0, 1); err == nil {
		t.Error("empty crop: no error")
	}
}

func TestFilterString(t *testing.T) {
	t.Parallel()
	got := []string{}
	for f := Filter(0); f <= 6; f++ {
		got = append(got, f.String())
	}
	want := []string{"NEAREST", "LANCZOS", "BILINEAR", "BICUBIC", "BOX", "HAMMING", "Filter(6)"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
