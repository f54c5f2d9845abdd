package imageproc

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// decodeFixtureDir holds the inputs and PIL reference pixels written by
// testdata/make_decode_fixtures.py.
const decodeFixtureDir = "testdata/decode"

// decodeGoldenDir is /work/shared/golden/images seen from this package.
var decodeGoldenDir = filepath.Join("..", "..", "..", "shared", "golden", "images")

// decodeKnownUnsupported names the fixtures PIL opens but this package
// deliberately does not, with the error kind they must return (nil for
// the others).
func decodeKnownUnsupported(file string) error {
	switch file {
	case "arith.jpg": // arithmetic-coded JPEG
		return ErrUnsupportedFormat
	}
	return nil
}

type decodeFixture struct {
	File          string   `json:"file"`
	Format        string   `json:"format"`
	Mode          Mode     `json:"mode"`
	Size          [2]int   `json:"size"`
	Orientation   int      `json:"orientation"`
	Progressive   bool     `json:"progressive"`
	Sampling      [][2]int `json:"sampling"`
	Palette       int      `json:"palette"`
	PaletteSHA256 string   `json:"palette_sha256"`
	SHA256        string   `json:"sha256"`
	Pixels        string   `json:"pixels"`
	PILError      string   `json:"pil_error"`
}

func loadDecodeFixtures(t testing.TB) []decodeFixture {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(decodeFixtureDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Entries []decodeFixture `json:"entries"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("expected.json: %v", err)
	}
	if len(doc.Entries) < 40 {
		t.Fatalf("expected.json lists %d fixtures, want at least 40", len(doc.Entries))
	}
	return doc.Entries
}

func readGzip(t testing.TB, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

// pilBytes returns im's pixels the way PIL's tobytes() lays them out
// (mode I: native little-endian int32).
func pilBytes(im *Image) []byte {
	if im.Mode != ModeI {
		return im.Pix
	}
	b := make([]byte, 4*len(im.Pix32))
	for i, v := range im.Pix32 {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
	}
	return b
}

// maxAbsDiff compares two equally laid out pixel buffers; for mode I it
// compares int32 values.
func maxAbsDiff(mode Mode, a, b []byte) (maxd int64, n int) {
	step := 1
	if mode == ModeI {
		step = 4
	}
	for i := 0; i+step <= len(a) && i+step <= len(b); i += step {
		var d int64
		if step == 4 {
			d = int64(int32(binary.LittleEndian.Uint32(a[i:]))) - int64(int32(binary.LittleEndian.Uint32(b[i:])))
		} else {
			d = int64(a[i]) - int64(b[i])
		}
		if d < 0 {
			d = -d
		}
		if d != 0 {
			n++
		}
		maxd = max(maxd, d)
	}
	return maxd, n
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// decodeTolerance is the project's tolerance: exact for lossless formats,
// 3/255 for JPEG and lossy WebP.
func decodeTolerance(info Info) int64 {
	if info.Lossless {
		return 0
	}
	return 3
}

func subsamplingFromFactors(s [][2]int) string {
	h := jpegHeader{nComp: len(s)}
	for i, f := range s {
		h.h[i], h.v[i] = f[0], f[1]
	}
	return jpegSubsampling(h)
}

// TestDecodeFixtures decodes every fixture and compares mode, size, header
// fields and pixels with what PIL 9.4 gives (testdata/decode/expected.json).
func TestDecodeFixtures(t *testing.T) {
	t.Parallel()
	for _, fx := range loadDecodeFixtures(t) {
		t.Run(fx.File, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(decodeFixtureDir, fx.File))
			if err != nil {
				t.Fatal(err)
			}
			im, info, err := Decode(data, DecodeOptions{})
			if want := decodeKnownUnsupported(fx.File); want != nil {
				if !errors.Is(err, want) {
					t.Fatalf("Decode: err = %v, want %v (documented limitation)", err, want)
				}
				t.Logf("refused as documented: %v", err)
				return
			}
			if fx.PILError != "" {
				if err == nil {
					t.Fatalf("PIL fails (%s) but Decode succeeded", fx.PILError)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			want := Info{
				Format: fx.Format, Mode: fx.Mode, W: fx.Size[0], H: fx.Size[1],
				Orientation: fx.Orientation, Progressive: fx.Progressive,
				Lossless: info.Lossless, // checked below from the format
			}
			if fx.Format == "jpeg" {
				want.Subsampling = subsamplingFromFactors(fx.Sampling)
			}
			if diff := cmp.Diff(want, info); diff != "" {
				t.Errorf("Info mismatch (-PIL +got):\n%s", diff)
			}
			switch {
			case fx.Format == "png" || fx.Format == "gif":
				if !info.Lossless {
					t.Errorf("Lossless = false for %s", fx.Format)
				}
			case fx.Format == "jpeg" && info.Lossless:
				t.Errorf("Lossless = true for JPEG")
			}
			if fx.Mode == ModeP {
				flat := make([]byte, 0, 3*len(im.Palette))
				for _, c := range im.Palette {
					flat = append(flat, c[:]...)
				}
				if len(im.Palette) != fx.Palette || sha256Hex(flat) != fx.PaletteSHA256 {
					t.Errorf("palette: %d entries (sha256 %s), PIL has %d (%s)", len(im.Palette), sha256Hex(flat), fx.Palette, fx.PaletteSHA256)
				}
			}
			ref := readGzip(t, filepath.Join(decodeFixtureDir, fx.Pixels))
			got := pilBytes(im)
			if len(got) != len(ref) {
				t.Fatalf("pixel bytes: %d, PIL has %d", len(got), len(ref))
			}
			maxd, n := maxAbsDiff(im.Mode, got, ref)
			t.Logf("%s %s %dx%d: max abs diff %d, %d samples differ", info.Format, info.Mode, info.W, info.H, maxd, n)
			if tol := decodeTolerance(info); maxd > tol {
				t.Errorf("max abs diff %d exceeds the tolerance %d", maxd, tol)
			}
			if sha256Hex(got) != fx.SHA256 {
				t.Errorf("pixels are not bit-identical to PIL's (sha256 %s, PIL %s)", sha256Hex(got), fx.SHA256)
			}
		})
	}
}

type decodeGoldenRef struct {
	File         string `json:"file"`
	Mode         Mode   `json:"mode"`
	Size         [2]int `json:"size"`
	PixelsSHA256 string `json:"pixels_sha256"`
	Rows         []int  `json:"rows"`
	RowsFile     string `json:"rows_file"`
}

// TestDecodeGolden decodes every image of /work/shared/golden/images: mode
// and size must match manifest.json, and pixels the PIL reference of
// testdata/decode/golden.json (sha256 of PIL's tobytes(); for JPEG and
// lossy WebP also every 8th row, which gives the max abs difference).
func TestDecodeGolden(t *testing.T) {
	t.Parallel()
	mdata, err := os.ReadFile(filepath.Join(decodeGoldenDir, "manifest.json"))
	if err != nil {
		t.Fatalf("golden images missing: %v", err)
	}
	var manifest struct {
		Images []struct {
			File     string `json:"file"`
			Format   string `json:"format"`
			Mode     Mode   `json:"mode"`
			Size     [2]int `json:"size"`
			SHA256   string `json:"sha256"`
			Lossless bool   `json:"lossless"`
		} `json:"images"`
	}
	if err := json.Unmarshal(mdata, &manifest); err != nil {
		t.Fatal(err)
	}
	rdata, err := os.ReadFile(filepath.Join(decodeFixtureDir, "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var refs struct {
		Images []decodeGoldenRef `json:"images"`
	}
	if err := json.Unmarshal(rdata, &refs); err != nil {
		t.Fatal(err)
	}
	byName := map[string]decodeGoldenRef{}
	for _, r := range refs.Images {
		byName[r.File] = r
	}
	if len(manifest.Images) == 0 {
		t.Fatal("manifest lists no images")
	}
	for _, g := range manifest.Images {
		t.Run(g.File, func(t *testing.T) {
			ref, ok := byName[g.File]
			if !ok {
				t.Fatalf("no PIL reference in golden.json; rerun make_decode_fixtures.py")
			}
			path := filepath.Join(decodeGoldenDir, g.File)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := sha256Hex(data); got != g.SHA256 {
				t.Fatalf("file sha256 %s, manifest says %s", got, g.SHA256)
			}
			im, info, err := DecodeFile(path, DecodeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([3]any{strings.ToLower(g.Format), g.Mode, g.Size}, [3]any{info.Format, im.Mode, [2]int{im.W, im.H}}); diff != "" {
				t.Errorf("format/mode/size (-manifest +got):\n%s", diff)
			}
			if info.Lossless != g.Lossless {
				t.Errorf("Lossless = %v, manifest says %v", info.Lossless, g.Lossless)
			}
			got := pilBytes(im)
			exact := sha256Hex(got) == ref.PixelsSHA256
			if ref.RowsFile == "" {
				if !exact {
					t.Errorf("pixels differ from PIL's (lossless: must be identical)")
				}
				t.Logf("%s %s %dx%d: bit-identical to PIL: %v", info.Format, im.Mode, im.W, im.H, exact)
				return
			}
			rows := readGzip(t, filepath.Join(decodeFixtureDir, ref.RowsFile))
			rb := len(got) / im.H
			var sample []byte
			for _, r := range ref.Rows {
				sample = append(sample, got[r*rb:(r+1)*rb]...)
			}
			maxd, n := maxAbsDiff(im.Mode, sample, rows)
			t.Logf("%s %s %dx%d: bit-identical to PIL: %v; max abs diff over %d sampled rows %d (%d samples differ)",
				info.Format, im.Mode, im.W, im.H, exact, len(ref.Rows), maxd, n)
			if tol := decodeTolerance(info); maxd > tol {
				t.Errorf("max abs diff %d exceeds the tolerance %d", maxd, tol)
			}
			if !exact {
				t.Errorf("pixels are not bit-identical to PIL's")
			}
		})
	}
}

// TestDecodeConfigMatchesDecode checks that the header-only Info equals the
// one Decode reports, for every fixture.
func TestDecodeConfigMatchesDecode(t *testing.T) {
	t.Parallel()
	for _, fx := range loadDecodeFixtures(t) {
		if decodeKnownUnsupported(fx.File) != nil || fx.PILError != "" {
			continue
		}
		t.Run(fx.File, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(decodeFixtureDir, fx.File))
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := DecodeConfig(data)
			if err != nil {
				t.Fatal(err)
			}
			_, info, err := Decode(data, DecodeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(info, cfg); diff != "" {
				t.Errorf("DecodeConfig differs from Decode (-Decode +DecodeConfig):\n%s", diff)
			}
		})
	}
}
