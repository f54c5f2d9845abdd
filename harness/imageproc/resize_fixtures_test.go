package imageproc

import (
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// The fixtures in testdata/resize were written by
// testdata/make_resize_fixtures.py with Pillow 9.4.0 from synthetic images
// that synthImage rebuilds here from the same integer formulas.

func synthV8(x, y, c int) uint8 {
	v := (x*x*3 + y*y*5 + x*y*7 + c*71 + ((x^y)&7)*29) & 255
	if (x/4+y/3)%2 == 0 {
		v = 255 - v
	}
	if (x+y*3)%11 == 0 {
		if c%2 == 0 {
			v = 0
		} else {
			v = 255
		}
	}
	return uint8(v)
}

func synthAlpha(x, y int) uint8 {
	if (x+2*y)%7 == 0 {
		return 0
	}
	if (3*x+y)%5 == 0 {
		return 255
	}
	return uint8((x*31 + y*17) & 255)
}

// synthImage rebuilds synth(mode, w, h, palette_len) of the fixture script.
func synthImage(mode Mode, w, h, paletteLen int) *Image {
	im := &Image{Mode: mode, W: w, H: h}
	switch mode {
	case ModeI:
		im.Pix32 = make([]int32, w*h)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				im.Pix32[y*w+x] = int32((x*977+y*1321+x*y*13)%70000 - 500)
			}
		}
		return im
	case ModeP:
		im.Pix = make([]uint8, w*h)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				im.Pix[y*w+x] = uint8((x*13 + y*7 + x*y) & 255)
			}
		}
		for i := 0; i < paletteLen; i++ {
			im.Palette = append(im.Palette, [3]uint8{uint8(i * 67), uint8(i*151 + 13), uint8(i*29 + 200)})
		}
		return im
	}
	n := mode.Channels()
	im.Pix = make([]uint8, w*h*n)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := im.Pix[(y*w+x)*n : (y*w+x+1)*n]
			for c := range p {
				p[c] = synthV8(x, y, c)
			}
			if mode == ModeLA || mode == ModeRGBA {
				p[n-1] = synthAlpha(x, y)
			}
		}
	}
	return im
}

type fixtureEntry struct {
	Kind       string  `json:"kind"`
	Mode       Mode    `json:"mode"`
	Filter     string  `json:"filter"`
	Pipeline   string  `json:"pipeline"`
	N          int     `json:"n"`
	PaletteLen int     `json:"palette_len"`
	Src        [2]int  `json:"src"`
	Dst        [2]int  `json:"dst"`
	CropLT     [2]int  `json:"crop_left_top"`
	Shortest   int     `json:"shortest_edge"`
	Crop       [2]int  `json:"crop"`
	ResizeTo   [2]int  `json:"resize"`
	Rescale    float64 `json:"rescale"`
	Offset     int     `json:"offset"`
	Length     int     `json:"length"`
}

func (e fixtureEntry) name() string {
	switch e.Kind {
	case "resize":
		return fmt.Sprintf("%s/%s/%dx%d->%dx%d", e.Mode, e.Filter, e.Src[0], e.Src[1], e.Dst[0], e.Dst[1])
	case "convert":
		return fmt.Sprintf("%s/palette%d", e.Mode, e.PaletteLen)
	case "pipeline_custom":
		return fmt.Sprintf("%s/%s/shortest%d/resize%v/crop%v", e.Pipeline, e.Mode, e.Shortest, e.ResizeTo, e.Crop)
	}
	return fmt.Sprintf("%s/%s/%dx%d/n%d", e.Pipeline, e.Mode, e.Src[0], e.Src[1], e.N)
}

// loadFixtures returns the entries of one kind with their data.
func loadFixtures(t *testing.T, kind string) ([]fixtureEntry, [][]byte) {
	t.Helper()
	dir := filepath.Join("testdata", "resize")
	idx, err := os.ReadFile(filepath.Join(dir, "fixtures.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Pillow  string         `json:"pillow"`
		Entries []fixtureEntry `json:"entries"`
	}
	if err := json.Unmarshal(idx, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Pillow != "9.4.0" {
		t.Fatalf("fixtures made with Pillow %s, want 9.4.0", doc.Pillow)
	}
	f, err := os.Open(filepath.Join(dir, "fixtures.bin.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	blob, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var es []fixtureEntry
	var data [][]byte
	for _, e := range doc.Entries {
		if e.Kind != kind {
			continue
		}
		if e.Offset < 0 || e.Offset+e.Length > len(blob) {
			t.Fatalf("fixture %s: bytes %d+%d outside the blob of %d", e.name(), e.Offset, e.Length, len(blob))
		}
		es = append(es, e)
		data = append(data, blob[e.Offset:e.Offset+e.Length])
	}
	if len(es) == 0 {
		t.Fatalf("no %q fixtures", kind)
	}
	return es, data
}

func filterByName(t *testing.T, s string) Filter {
	for f := FilterNearest; f <= FilterHamming; f++ {
		if f.String() == map[string]string{
			"nearest": "NEAREST", "lanczos": "LANCZOS", "bilinear": "BILINEAR",
			"bicubic": "BICUBIC", "box": "BOX", "hamming": "HAMMING",
		}[s] {
			return f
		}
	}
	t.Fatalf("unknown filter %q", s)
	return 0
}

// imageBytes returns the pixels as PIL's tobytes() lays them out.
func imageBytes(im *Image) []byte {
	if im.Mode == ModeI {
		b := make([]byte, 4*len(im.Pix32))
		for i, v := range im.Pix32 {
			binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
		}
		return b
	}
	return im.Pix
}

// diffBytes returns the number of differing values and the largest
// difference (bytes, or int32 values for mode I).
func diffBytes(mode Mode, got, want []byte) (n int, maxd int64) {
	step := 1
	if mode == ModeI {
		step = 4
	}
	for i := 0; i+step <= len(want) && i+step <= len(got); i += step {
		var a, b int64
		if step == 4 {
			a = int64(int32(binary.LittleEndian.Uint32(got[i:])))
			b = int64(int32(binary.LittleEndian.Uint32(want[i:])))
		} else {
			a, b = int64(got[i]), int64(want[i])
		}
		if a != b {
			n++
			if d := max(a-b, b-a); d > maxd {
				maxd = d
			}
		}
	}
	return n, maxd
}

func TestResizeMatchesPillow(t *testing.T) {
	t.Parallel()
	es, data := loadFixtures(t, "resize")
	for i, e := range es {
		t.Run(e.name(), func(t *testing.T) {
			src := synthImage(e.Mode, e.Src[0], e.Src[1], 256)
			got, err := Resize(src, e.Dst[0], e.Dst[1], filterByName(t, e.Filter))
			if err != nil {
				t.Fatal(err)
			}
			if got.Mode != e.Mode || got.W != e.Dst[0] || got.H != e.Dst[1] {
				t.Fatalf("got %s %dx%d, want %s %dx%d", got.Mode, got.W, got.H, e.Mode, e.Dst[0], e.Dst[1])
			}
			b := imageBytes(got)
			if len(b) != len(data[i]) {
				t.Fatalf("got %d bytes, Pillow %d", len(b), len(data[i]))
			}
			if n, maxd := diffBytes(e.Mode, b, data[i]); n != 0 {
				t.Errorf("%d values differ from Pillow, max difference %d", n, maxd)
			}
		})
	}
}

func TestResizeRegionMatchesFullResize(t *testing.T) {
	t.Parallel()
	for _, mode := range []Mode{ModeL, ModeLA, ModeRGB, ModeRGBA, ModeP, ModeI, ModeCMYK} {
		src := synthImage(mode, 37, 23, 256)
		for _, sz := range [][2]int{{16, 11}, {50, 31}, {37, 9}, {13, 23}} {
			t.Run(fmt.Sprintf("%s/%dx%d", mode, sz[0], sz[1]), func(t *testing.T) {
				full, err := Resize(src, sz[0], sz[1], FilterBicubic)
				if err != nil {
					t.Fatal(err)
				}
				r := window{sz[0] / 4, sz[1] / 3, sz[0] - sz[0]/5, sz[1] - 1}
				got := resizeRegion(src, sz[0], sz[1], FilterBicubic, r)
				want := cropCopy(full, r)
				if n, maxd := diffBytes(mode, imageBytes(got), imageBytes(want)); n != 0 || got.W != want.W || got.H != want.H {
					t.Errorf("window differs from the full resize: %d values, max %d", n, maxd)
				}
			})
		}
	}
}

// TestConvertMatchesPillow: ToRGB and ToL equal Pillow's convert("RGB") and
// convert("L") from every mode.
func TestConvertMatchesPillow(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		kind    string
		mode    Mode
		convert func(*Image) (*Image, error)
	}{{"convert", ModeRGB, ToRGB}, {"convert_l", ModeL, ToL}} {
		es, data := loadFixtures(t, c.kind)
		for i, e := range es {
			t.Run(c.kind+"/"+e.name(), func(t *testing.T) {
				src := synthImage(e.Mode, e.Src[0], e.Src[1], e.PaletteLen)
				got, err := c.convert(src)
				if err != nil {
					t.Fatal(err)
				}
				if got.Mode != c.mode || got.W != src.W || got.H != src.H {
					t.Fatalf("got %s %dx%d, want %s %dx%d", got.Mode, got.W, got.H, c.mode, src.W, src.H)
				}
				if n, maxd := diffBytes(c.mode, got.Pix, data[i]); n != 0 || len(got.Pix) != len(data[i]) {
					t.Errorf("%d bytes differ from Pillow (max %d); lengths %d, %d", n, maxd, len(got.Pix), len(data[i]))
				}
			})
		}
	}
}

// TestResizeFMatchesPillow: mode F resizes (of im.convert("F") of the L and
// I sources) equal Pillow's float32 outputs bit for bit.
func TestResizeFMatchesPillow(t *testing.T) {
	t.Parallel()
	es, data := loadFixtures(t, "resize_f")
	for i, e := range es {
		t.Run(e.name(), func(t *testing.T) {
			src := synthImage(e.Mode, e.Src[0], e.Src[1], 256)
			pix := make([]float32, e.Src[0]*e.Src[1])
			for j := range pix {
				if e.Mode == ModeI {
					pix[j] = float32(src.Pix32[j]) // Pillow's i2f
				} else {
					pix[j] = float32(src.Pix[j]) // Pillow's l2f
				}
			}
			got, err := ResizeF(pix, e.Src[0], e.Src[1], e.Dst[0], e.Dst[1], filterByName(t, e.Filter))
			if err != nil {
				t.Fatal(err)
			}
			if len(got)*4 != len(data[i]) {
				t.Fatalf("got %d samples, Pillow %d", len(got), len(data[i])/4)
			}
			n := 0
			for j, v := range got {
				if w := math.Float32frombits(binary.LittleEndian.Uint32(data[i][4*j:])); math.Float32bits(v) != math.Float32bits(w) {
					if n++; n <= 3 {
						t.Errorf("sample %d = %v, Pillow %v", j, v, w)
					}
				}
			}
			if n > 0 {
				t.Errorf("%d of %d samples differ from Pillow", n, len(got))
			}
		})
	}
}

func TestPipelinesMatchPillowSmall(t *testing.T) {
	t.Parallel()
	es, data := loadFixtures(t, "pipeline")
	for i, e := range es {
		t.Run(e.name(), func(t *testing.T) {
			p, err := NewPipeline(e.Pipeline)
			if err != nil {
				t.Fatal(err)
			}
			p.ShortestEdge, p.CropW, p.CropH = e.N, e.N, e.N
			src := synthImage(e.Mode, e.Src[0], e.Src[1], 256)
			rw, rh := p.ResizedSize(src.W, src.H)
			if l, tp := p.CropOrigin(rw, rh); l != e.CropLT[0] || tp != e.CropLT[1] {
				t.Errorf("crop origin (%d, %d), reference (%d, %d)", l, tp, e.CropLT[0], e.CropLT[1])
			}
			compareTensor(t, p, src, data[i])
		})
	}
}

// TestCustomPipelinesMatchReference covers crops larger than the resized
// image (torchvision pads with zeros in the image's own mode before the RGB
// conversion, transformers pads the RGB array, and they centre differently),
// and exact resizes with another rescale factor.
func TestCustomPipelinesMatchReference(t *testing.T) {
	t.Parallel()
	es, data := loadFixtures(t, "pipeline_custom")
	for i, e := range es {
		t.Run(e.name(), func(t *testing.T) {
			p, err := NewPipeline(e.Pipeline)
			if err != nil {
				t.Fatal(err)
			}
			p.ShortestEdge = e.Shortest
			p.ResizeW, p.ResizeH = e.ResizeTo[0], e.ResizeTo[1]
			p.CropW, p.CropH = e.Crop[0], e.Crop[1]
			if e.Rescale != 0 {
				p.RescaleFactor = e.Rescale
			}
			compareTensor(t, p, synthImage(e.Mode, e.Src[0], e.Src[1], 256), data[i])
		})
	}
}

// compareTensor runs p on src and requires bit-identical float32 output.
func compareTensor(t *testing.T, p Pipeline, src *Image, ref []byte) {
	t.Helper()
	got, err := p.Preprocess(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(got)*4 != len(ref) {
		t.Fatalf("got %d values, reference %d", len(got), len(ref)/4)
	}
	bad := 0
	for j, v := range got {
		w := math.Float32frombits(binary.LittleEndian.Uint32(ref[4*j:]))
		if math.Float32bits(v) != math.Float32bits(w) {
			if bad < 3 {
				t.Errorf("value %d: got %v, reference %v", j, v, w)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d values are not bit-identical", bad, len(got))
	}
}
