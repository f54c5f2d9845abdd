package main

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/srbench/srbench/harness/host"
	"github.com/srbench/srbench/harness/imageproc"
	"github.com/srbench/srbench/harness/modeldir"
	"github.com/srbench/srbench/harness/onnx"
	"github.com/srbench/srbench/harness/onnx/clipmodel"
	"github.com/srbench/srbench/harness/scorer"
	"github.com/srbench/srbench/harness/tokenize"
	"github.com/srbench/srbench/internal/testmodels"
)

// baseFixture is a ViT-B/32-shaped model directory (random weights) and 32
// distinct 512x384 JPEGs, built once per benchmark binary run.
type baseFixture struct {
	dir    string
	images []string
}

func buildBase(b *testing.B) baseFixture {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "srbench-bench-base-b32")
	if _, err := os.Stat(filepath.Join(dir, modeldir.ManifestName)); err != nil {
		w, err := clipmodel.NewWeights(clipmodel.BaseB32())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.WriteDir(dir, clipmodel.WriteOptions{Text: true, Vision: true}); err != nil {
			b.Fatal(err)
		}
		vocab := testmodels.Shared(b, "data/clip/bpe_simple_vocab_16e6.txt.gz")
		data, err := os.ReadFile(vocab)
		if err != nil {
			b.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "bpe_simple_vocab_16e6.txt.gz"), data, 0o644)
		if err := modeldir.Write(dir, modeldir.Manifest{Kind: "clipscore", Description: "benchmark model, ViT-B/32 shape, random weights"}); err != nil {
			b.Fatal(err)
		}
	}
	f := baseFixture{dir: dir}
	imgDir := filepath.Join(dir, "..", "srbench-bench-images")
	os.MkdirAll(imgDir, 0o755)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 32; i++ {
		p := filepath.Join(imgDir, fmt.Sprintf("img%02d.jpg", i))
		f.images = append(f.images, p)
		if _, err := os.Stat(p); err == nil {
			continue
		}
		im := image.NewRGBA(image.Rect(0, 0, 512, 384))
		for y := 0; y < 384; y++ {
			for x := 0; x < 512; x++ {
				im.Set(x, y, color.RGBA{uint8(x/2 + i*7), uint8(y/2 + r.IntN(16)), uint8((x + y) / 4), 255})
			}
		}
		out, _ := os.Create(p)
		jpeg.Encode(out, im, &jpeg.Options{Quality: 90})
		out.Close()
	}
	return f
}

// distinct returns b.N batches of n items whose images are the fixture's
// with a JPEG comment segment naming the iteration and position inserted
// after the start-of-image marker: the same pixels, but other bytes, so the
// scorer's recent-embedding cache (keyed by the image bytes' sha256) never
// serves them and every iteration embeds its images.
func (f baseFixture) distinct(b *testing.B, n int) [][]scorer.Item {
	b.Helper()
	dir := b.TempDir()
	out := make([][]scorer.Item, b.N)
	for i := range out {
		out[i] = make([]scorer.Item, n)
		for k := range n {
			src, err := os.ReadFile(f.images[k%len(f.images)])
			if err != nil {
				b.Fatal(err)
			}
			tag := fmt.Sprintf("srbench benchmark %d/%d", i, k)
			com := append([]byte{0xFF, 0xFE, byte((len(tag) + 2) >> 8), byte(len(tag) + 2)}, tag...)
			data := append(append(append([]byte{}, src[:2]...), com...), src[2:]...)
			p := filepath.Join(dir, fmt.Sprintf("i%d-%d.jpg", i, k))
			if err := os.WriteFile(p, data, 0o644); err != nil {
				b.Fatal(err)
			}
			out[i][k] = scorer.Item{ID: fmt.Sprint(k), Prompt: "a photo of a cat", ImagePath: p}
		}
	}
	return out
}

func report(b *testing.B, n int) {
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkCLIPBase compares, on a ViT-B/32-shaped model with 2 intra-op
// threads, batches of JPEGs sharing one prompt scored
//   - bare: ONNX Runtime sessions only (1 prompt through the text model, the
//     batch of already-preprocessed pixels through the vision model);
//   - inprocess: the clipscore scorer in this process (decode, preprocess,
//     ORT; the prompt is embedded once and remembered, each iteration's
//     images are new bytes, see distinct);
//   - plugin: the clipscore plugin binary through the host (adds gRPC; one
//     call at a time, where `srbench run` keeps two in flight).
//
// It shows where time goes call by call; `make bench-e2e` is the end-to-end
// comparison (docs/performance.md).
//
// Run: go test ./plugins/clipscore -run '^$' -bench CLIPBase -benchtime 3x
func BenchmarkCLIPBase(b *testing.B) {
	f := buildBase(b)
	ctx := context.Background()
	for _, n := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("bare/batch=%d", n), func(b *testing.B) {
			rt, err := onnx.Init(onnx.Options{})
			if err != nil {
				b.Fatal(err)
			}
			so := onnx.SessionOptions{IntraOpThreads: 2}
			text, err := rt.NewSession(filepath.Join(f.dir, "text_model.onnx"), so)
			if err != nil {
				b.Fatal(err)
			}
			defer text.Close()
			vision, err := rt.NewSession(filepath.Join(f.dir, "vision_model.onnx"), so)
			if err != nil {
				b.Fatal(err)
			}
			defer vision.Close()
			tok, _ := tokenize.Load(filepath.Join(f.dir, "bpe_simple_vocab_16e6.txt.gz"), tokenize.Options{})
			tb, _ := tokenize.EncodeBatch(tok, []string{"a photo of a cat"})
			pipe, _ := imageproc.NewPipeline("openai")
			px := make([]float32, n*3*224*224)
			for i := 0; i < n; i++ {
				x, _, err := imageproc.PreprocessFile(f.images[i%len(f.images)], pipe, imageproc.DecodeOptions{})
				if err != nil {
					b.Fatal(err)
				}
				copy(px[i*3*224*224:], x)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := text.Run(map[string]onnx.Tensor{
					"input_ids":      {Shape: []int64{1, 77}, Int64: tb.IDs},
					"attention_mask": {Shape: []int64{1, 77}, Int64: tb.AttentionMask},
				}); err != nil {
					b.Fatal(err)
				}
				if _, err := vision.Run(map[string]onnx.Tensor{"pixel_values": {Shape: []int64{int64(n), 3, 224, 224}, Float32: px}}); err != nil {
					b.Fatal(err)
				}
			}
			report(b, n)
		})
		b.Run(fmt.Sprintf("inprocess/batch=%d", n), func(b *testing.B) {
			sc, err := New(ctx, scorer.Config{ModelDir: f.dir, IntraOpThreads: 2, BatchSize: n})
			if err != nil {
				b.Fatal(err)
			}
			defer sc.(*ClipScore).Close()
			batches := f.distinct(b, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := scorer.ScoreItems(ctx, sc, batches[i]); err != nil {
					b.Fatal(err)
				}
			}
			report(b, n)
		})
		b.Run(fmt.Sprintf("plugin/batch=%d", n), func(b *testing.B) {
			bin, err := testmodels.BuildPlugin(b.TempDir(), "clipscore", "./plugins/clipscore")
			if err != nil {
				b.Fatal(err)
			}
			info, _ := host.FromPath(bin)
			h := host.New(host.Options{})
			defer h.Close()
			p, err := h.Launch(ctx, info, scorer.Config{ModelDir: f.dir, IntraOpThreads: 2, BatchSize: n})
			if err != nil {
				b.Fatal(err)
			}
			batches := f.distinct(b, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := scorer.ScoreItems(ctx, p, batches[i]); err != nil {
					b.Fatal(err)
				}
			}
			report(b, n)
		})
	}
}

// bigImages writes one 7000×7000 JPEG (49 megapixels, just under the 50 MP
// decode limit) and n hard links to it: n distinct paths, so the plugin
// decodes each. Built once in the temp directory.
func bigImages(b *testing.B, n int) []string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "srbench-bench-big")
	src := filepath.Join(dir, "big.jpg")
	if _, err := os.Stat(src); err != nil {
		os.MkdirAll(dir, 0o755)
		const side = 7000
		im := image.NewRGBA(image.Rect(0, 0, side, side))
		r := rand.New(rand.NewPCG(3, 4))
		for y := 0; y < side; y++ {
			for x := 0; x < side; x++ {
				o := im.PixOffset(x, y)
				im.Pix[o], im.Pix[o+1], im.Pix[o+2], im.Pix[o+3] = uint8(x*255/side), uint8(y*255/side), uint8(r.IntN(32)), 255
			}
		}
		tmp := src + ".tmp"
		out, err := os.Create(tmp)
		if err != nil {
			b.Fatal(err)
		}
		if err := jpeg.Encode(out, im, &jpeg.Options{Quality: 90}); err != nil {
			b.Fatal(err)
		}
		out.Close()
		os.Rename(tmp, src)
	}
	var paths []string
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("link%02d.jpg", i))
		if _, err := os.Stat(p); err != nil {
			if err := os.Link(src, p); err != nil {
				b.Fatal(err)
			}
		}
		paths = append(paths, p)
	}
	return paths
}

// BenchmarkDecodeMemory (issue #14) scores one batch of 32 images of 49
// megapixels through the plugin, with srbench's default decode budget
// (--decode-memory 512MiB) and with none, at this machine's GOMAXPROCS and
// at 8 (a larger machine's worker count), and reports the plugin's peak
// resident memory (VmHWM, MiB) and images per second. Run it with
//
//	go test ./plugins/clipscore -run '^$' -bench DecodeMemory -benchtime 1x
func BenchmarkDecodeMemory(b *testing.B) {
	f := buildBase(b)
	paths := bigImages(b, 32)
	items := make([]scorer.Item, len(paths))
	for i, p := range paths {
		items[i] = scorer.Item{ID: fmt.Sprint(i), Prompt: "a photo of a gradient", ImagePath: p}
	}
	bin, err := testmodels.BuildPlugin(b.TempDir(), "clipscore", "./plugins/clipscore")
	if err != nil {
		b.Fatal(err)
	}
	info, err := host.FromPath(bin)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, procs := range []int{runtime.GOMAXPROCS(0), 8} {
		for _, budget := range []struct {
			name  string
			bytes int64
		}{{"default-512MiB", 0}, {"none", -1}} {
			b.Run(fmt.Sprintf("procs=%d/budget=%s", procs, budget.name), func(b *testing.B) {
				b.Setenv("GOMAXPROCS", fmt.Sprint(procs))
				var peak int64
				for i := 0; i < b.N; i++ {
					h := host.New(host.Options{})
					p, err := h.Launch(ctx, info, scorer.Config{ModelDir: f.dir, IntraOpThreads: 2, BatchSize: 32,
						DecodeMemoryBytes: budget.bytes, MaxImageBytes: -1})
					if err != nil {
						b.Fatal(err)
					}
					res, err := scorer.ScoreItems(ctx, p, items)
					if err != nil {
						b.Fatal(err)
					}
					for _, r := range res {
						if r.Failed() {
							b.Fatalf("item failed: %s", r.Err)
						}
					}
					peak = max(peak, p.PeakRSS())
					h.Close()
				}
				b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
				b.ReportMetric(float64(len(items)*b.N)/b.Elapsed().Seconds(), "images/s")
			})
		}
	}
}
