package imageproc

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// goldenDir holds the reference images and tensors made with Pillow 9.4.0
// (see /work/shared/README.md, section golden/images/).
var goldenDir = filepath.Join("..", "..", "..", "shared", "golden", "images")

type goldenManifest struct {
	Size   int          `json:"size"`
	Mean   [3]float64   `json:"mean"`
	Std    [3]float64   `json:"std"`
	Images []goldenFile `json:"images"`
}

type goldenFile struct {
	File     string         `json:"file"`
	Format   string         `json:"format"`
	Mode     Mode           `json:"mode"`
	Size     [2]int         `json:"size"`
	SHA256   string         `json:"sha256"`
	Lossless bool           `json:"lossless"`
	Tensors  []goldenTensor `json:"tensors"`
}

type goldenTensor struct {
	File        string `json:"file"`
	Pipeline    string `json:"pipeline"`
	Shape       [3]int `json:"shape"`
	ResizedSize [2]int `json:"resized_size"`
	CropLT      [2]int `json:"crop_left_top"`
	SHA256      string `json:"sha256"`
}

func readGoldenManifest(t testing.TB) goldenManifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(goldenDir, "manifest.json"))
	if err != nil {
		t.Fatalf("golden images missing: %v", err)
	}
	var m goldenManifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if len(m.Images) == 0 {
		t.Fatal("manifest.json lists no images")
	}
	return m
}

func readGoldenFile(t testing.TB, name, wantSHA string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(goldenDir, name))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != wantSHA {
		t.Fatalf("%s: sha256 %s, manifest says %s", name, got, wantSHA)
	}
	return data
}

// TestGoldenImages runs both pipelines on every golden image and compares
// with the Pillow reference tensors after undoing the normalisation:
// max |x*std+mean - ref*std+mean| must be <= 1/255 for lossless files and
// <= 3/255 for JPEG and lossy WebP. The measured maxima are logged.
func TestGoldenImages(t *testing.T) {
	t.Parallel()
	m := readGoldenManifest(t)
	if m.Size != 224 {
		t.Fatalf("manifest size %d, want 224", m.Size)
	}
	var summary []string
	for _, gf := range m.Images {
		t.Run(gf.File, func(t *testing.T) {
			data := readGoldenFile(t, gf.File, gf.SHA256)
			im, info, err := Decode(data, DecodeOptions{})
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if im.Mode != gf.Mode || im.W != gf.Size[0] || im.H != gf.Size[1] {
				t.Fatalf("decoded %s %dx%d, manifest %s %dx%d", im.Mode, im.W, im.H, gf.Mode, gf.Size[0], gf.Size[1])
			}
			if !strings.EqualFold(info.Format, gf.Format) || info.Lossless != gf.Lossless {
				t.Errorf("Info format %q lossless %v, manifest %q %v", info.Format, info.Lossless, gf.Format, gf.Lossless)
			}
			tol := 3.0 / 255
			if gf.Lossless {
				tol = 1.0 / 255
			}
			for _, gt := range gf.Tensors {
				t.Run(gt.Pipeline, func(t *testing.T) {
					p, err := NewPipeline(gt.Pipeline)
					if err != nil {
						t.Fatal(err)
					}
					for c := 0; c < 3; c++ {
						if p.Mean[c] != m.Mean[c] || p.Std[c] != m.Std[c] {
							t.Fatalf("channel %d: pipeline mean/std %v/%v, manifest %v/%v", c, p.Mean[c], p.Std[c], m.Mean[c], m.Std[c])
						}
					}
					rw, rh := p.ResizedSize(im.W, im.H)
					if rw != gt.ResizedSize[0] || rh != gt.ResizedSize[1] {
						t.Errorf("resized size %dx%d, manifest %dx%d", rw, rh, gt.ResizedSize[0], gt.ResizedSize[1])
					}
					if l, tp := p.CropOrigin(rw, rh); l != gt.CropLT[0] || tp != gt.CropLT[1] {
						t.Errorf("crop origin (%d, %d), manifest (%d, %d)", l, tp, gt.CropLT[0], gt.CropLT[1])
					}
					got, err := p.Preprocess(im)
					if err != nil {
						t.Fatal(err)
					}
					ref := readGoldenFile(t, gt.File, gt.SHA256)
					n := gt.Shape[0] * gt.Shape[1] * gt.Shape[2]
					if len(ref) != 4*n || len(got) != n {
						t.Fatalf("got %d values, reference %d bytes, shape %v", len(got), len(ref), gt.Shape)
					}
					plane := gt.Shape[1] * gt.Shape[2]
					maxd, exact := 0.0, 0
					for i, v := range got {
						r := math.Float32frombits(binary.LittleEndian.Uint32(ref[4*i:]))
						if math.Float32bits(r) == math.Float32bits(v) {
							exact++
						}
						c := i / plane
						d := math.Abs((float64(v)*m.Std[c] + m.Mean[c]) - (float64(r)*m.Std[c] + m.Mean[c]))
						if d > maxd || math.IsNaN(d) {
							maxd = d
						}
					}
					line := fmt.Sprintf("%-28s %-6s max|diff| = %.6f (%.2f/255), bit-identical %d/%d, tolerance %.0f/255",
						gf.File, gt.Pipeline, maxd, maxd*255, exact, n, tol*255)
					t.Log(line)
					summary = append(summary, line)
					if !(maxd <= tol+1e-7) {
						t.Errorf("max difference %.6f (%.2f/255) exceeds %.0f/255", maxd, maxd*255, tol*255)
					}
				})
			}
		})
	}
	sort.Strings(summary)
	t.Logf("golden summary:\n%s", strings.Join(summary, "\n"))
}

func TestPreprocessFile(t *testing.T) {
	t.Parallel()
	m := readGoldenManifest(t)
	var gf goldenFile
	for _, f := range m.Images {
		if f.File == "chelsea_rgba.png" {
			gf = f
		}
	}
	if gf.File == "" {
		t.Fatal("chelsea_rgba.png not in the manifest")
	}
	for _, gt := range gf.Tensors {
		t.Run(gt.Pipeline, func(t *testing.T) {
			p, err := NewPipeline(gt.Pipeline)
			if err != nil {
				t.Fatal(err)
			}
			x, info, err := PreprocessFile(filepath.Join(goldenDir, gf.File), p, DecodeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if info.Mode != ModeRGBA || info.W != 451 || info.H != 300 {
				t.Errorf("info %+v, want RGBA 451x300", info)
			}
			ref := readGoldenFile(t, gt.File, gt.SHA256)
			for i, v := range x {
				if math.Float32bits(v) != binary.LittleEndian.Uint32(ref[4*i:]) {
					t.Fatalf("value %d: %v differs from the reference %v", i, v, math.Float32frombits(binary.LittleEndian.Uint32(ref[4*i:])))
				}
			}
		})
	}
	p, _ := NewPipeline(PipelineOpenAI)
	missing := filepath.Join(t.TempDir(), "missing.png")
	if _, _, err := PreprocessFile(missing, p, DecodeOptions{}); err == nil || !strings.Contains(err.Error(), "missing.png") {
		t.Errorf("missing file: err = %v, want the path", err)
	}
	if _, _, err := PreprocessFile(filepath.Join(goldenDir, gf.File), p, DecodeOptions{MaxPixels: 1000}); err == nil || !errors.Is(err, ErrTooLarge) {
		t.Errorf("pixel limit: err = %v, want ErrTooLarge", err)
	}
}
