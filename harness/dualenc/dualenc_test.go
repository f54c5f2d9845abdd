package dualenc

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/srbench/srbench/harness/imageproc"
	"github.com/srbench/srbench/harness/modeldir"
	"github.com/srbench/srbench/harness/onnx"
	"github.com/srbench/srbench/harness/onnx/clipmodel"
	"github.com/srbench/srbench/harness/scorer"
	"github.com/srbench/srbench/harness/tokenize"
	"github.com/srbench/srbench/internal/testmodels"
)

// embedTol bounds |ONNX Runtime − reference| per embedding component. The
// reference (clipmodel.Weights.TextEmbeds/ImageEmbeds) is a float64 forward
// pass; ONNX Runtime computes in float32 through two transformer layers, so
// components of a unit vector (|x| ≈ 0.2 at dimension 32) differ by about
// 1e-7..1e-6. 1e-5 is the tolerance clipmodel's own tests use.
const embedTol = 1e-5

var (
	splitFiles    = clipmodel.WriteOptions{Text: true, Vision: true}
	combinedFiles = clipmodel.WriteOptions{Combined: true}
	clipSpec      = Spec{Kind: "clipscore", DefaultPipeline: imageproc.PipelineOpenAI}
	// layouts are the two model directory layouts a test runs on.
	layouts = []struct {
		name  string
		files clipmodel.WriteOptions
	}{{"split", splitFiles}, {"combined", combinedFiles}}
)

// openEnc opens dir with cfg and spec and closes the encoder when the test ends.
func openEnc(t *testing.T, dir string, cfg scorer.Config, spec Spec) *Encoder {
	t.Helper()
	cfg.ModelDir = dir
	e, err := Open(cfg, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func golden(t *testing.T, name string) string {
	return testmodels.Shared(t, "golden/images/"+name)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// setManifest rewrites dir's srbench.yaml with edit applied.
func setManifest(t *testing.T, dir string, edit func(*modeldir.Manifest)) {
	t.Helper()
	d, err := modeldir.LoadManifest(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	m := d.Manifest
	edit(&m)
	if err := modeldir.Write(dir, m); err != nil {
		t.Fatal(err)
	}
}

// mixedItems pairs distinct prompts with golden images of several formats,
// the second and fourth given as bytes, the others as paths.
func mixedItems(t *testing.T) []scorer.Item {
	prompts := []string{"an astronaut", "a cup of coffee", "a cat", "a red rocket on a launch pad", "a blurry astronaut"}
	images := []string{"astronaut.png", "coffee_q90_420.jpg", "chelsea_rgba.png", "rocket_palette.gif", "astronaut_lossy.webp"}
	items := make([]scorer.Item, len(prompts))
	for i := range items {
		items[i] = scorer.Item{ID: images[i], Prompt: prompts[i], ImagePath: golden(t, images[i])}
	}
	for _, i := range []int{1, 3} {
		items[i].ImageBytes, items[i].ImagePath = readFile(t, items[i].ImagePath), ""
	}
	return items
}

// The reference's inputs are cached across tests: loading the CLIP
// vocabulary and decoding the golden images dominate the package's test
// time otherwise. Both are pure functions of their keys.
var refInputs struct {
	mu     sync.Mutex
	tok    tokenize.Tokenizer
	pixels map[string][]float32 // pipeline + "\x00" + path or bytes
}

// refTokenizer is the CLIP tokenizer of the shared OpenAI vocabulary
// (checked against OpenAI's clip.tokenize in harness/tokenize).
func refTokenizer(t *testing.T) tokenize.Tokenizer {
	t.Helper()
	refInputs.mu.Lock()
	defer refInputs.mu.Unlock()
	if refInputs.tok == nil {
		tok, err := tokenize.Load(testmodels.Shared(t, "data/clip/bpe_simple_vocab_16e6.txt.gz"), tokenize.Options{})
		if err != nil {
			t.Fatal(err)
		}
		refInputs.tok = tok
	}
	return refInputs.tok
}

// refPixels is an item's image decoded and preprocessed by the named
// pipeline (checked against the Python goldens in harness/imageproc).
func refPixels(t *testing.T, it scorer.Item, pipeline string) []float32 {
	t.Helper()
	key := pipeline + "\x00" + it.ImagePath
	if it.ImageBytes != nil {
		key = pipeline + "\x00bytes:" + string(it.ImageBytes)
	}
	refInputs.mu.Lock()
	defer refInputs.mu.Unlock()
	if px, ok := refInputs.pixels[key]; ok {
		return px
	}
	var im *imageproc.Image
	var err error
	if it.ImageBytes != nil {
		im, _, err = imageproc.Decode(it.ImageBytes, imageproc.DecodeOptions{})
	} else {
		im, _, err = imageproc.DecodeFile(it.ImagePath, imageproc.DecodeOptions{})
	}
	if err != nil {
		t.Fatal(err)
	}
	p, err := imageproc.NewPipeline(pipeline)
	if err != nil {
		t.Fatal(err)
	}
	px, err := p.Preprocess(im)
	if err != nil {
		t.Fatal(err)
	}
	if refInputs.pixels == nil {
		refInputs.pixels = map[string][]float32{}
	}
	refInputs.pixels[key] = px
	return px
}

// refText is the reference text embedding of text: refTokenizer, then the
// plain-Go forward pass of w (clipmodel, written independently of the ONNX
// graph).
func refText(t *testing.T, w *clipmodel.Weights, text string) []float64 {
	t.Helper()
	enc, err := refTokenizer(t).Encode(text)
	if err != nil {
		t.Fatal(err)
	}
	e, err := w.TextEmbeds([][]int64{enc.IDs}, [][]int64{enc.AttentionMask})
	if err != nil {
		t.Fatal(err)
	}
	return e[0]
}

// refImage is the reference image embedding of an item's image: refPixels,
// then the plain-Go forward pass of w.
func refImage(t *testing.T, w *clipmodel.Weights, it scorer.Item, pipeline string) []float64 {
	t.Helper()
	e, err := w.ImageEmbeds(refPixels(t, it, pipeline), 1)
	if err != nil {
		t.Fatal(err)
	}
	return e[0]
}

// checkClose fails unless got and want have the same length and every
// component is within tol.
func checkClose(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, reference %d", what, len(got), len(want))
		return
	}
	worst, at := 0.0, 0
	for i := range got {
		d := math.Abs(float64(got[i]) - want[i])
		if math.IsNaN(d) || d > worst {
			worst, at = d, i
		}
	}
	if !(worst <= tol) {
		t.Errorf("%s[%d] = %.8f, reference %.8f (|diff| %.3g > %g)", what, at, got[at], want[at], worst, tol)
	}
}

// TestEmbedMatchesReference: Embed's text and image embeddings equal the
// plain-Go forward pass of the same weights, for split and combined models,
// images given as paths and as bytes, several batch sizes, a prompt prefix
// and both pipelines; EmbedTexts and EmbedImages agree with it too.
func TestEmbedMatchesReference(t *testing.T) {
	tests := []struct {
		name     string
		files    clipmodel.WriteOptions
		pipeline string // srbench.yaml strings.pipeline; "" = the Spec default (openai)
		prefix   string
		batch    int
	}{
		{"split", splitFiles, "", "", 0},
		{"combined", combinedFiles, "", "", 0},
		{"split/prefix/batch 2", splitFiles, "", "A photo depicts ", 2},
		{"combined/prefix/batch 1", combinedFiles, "", "A photo depicts ", 1},
		{"split/hf pipeline/batch 3", splitFiles, imageproc.PipelineHF, "", 3},
		{"combined/hf pipeline/batch 4", combinedFiles, imageproc.PipelineHF, "", 4},
	}
	items := mixedItems(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, w := testmodels.CLIPDir(t, "clipscore", "", tc.files, 7)
			pipeline := imageproc.PipelineOpenAI
			if tc.pipeline != "" {
				pipeline = tc.pipeline
				setManifest(t, dir, func(m *modeldir.Manifest) { m.Strings = map[string]string{"pipeline": tc.pipeline} })
			}
			e := openEnc(t, dir, scorer.Config{BatchSize: tc.batch, IntraOpThreads: 1}, clipSpec)
			if e.Split() != tc.files.Text {
				t.Fatalf("Split() = %v for files %+v", e.Split(), tc.files)
			}
			got, err := e.Embed(context.Background(), items, tc.prefix)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(make([]string, len(items)), got.Err); diff != "" {
				t.Fatalf("per-item errors (-want +got):\n%s", diff)
			}
			prompts := make([]string, len(items))
			wantText, wantImage := make([][]float64, len(items)), make([][]float64, len(items))
			for i, it := range items {
				prompts[i] = tc.prefix + it.Prompt
				wantText[i], wantImage[i] = refText(t, w, prompts[i]), refImage(t, w, it, pipeline)
				checkClose(t, "Embed text "+it.ID, got.Text[i], wantText[i], embedTol)
				checkClose(t, "Embed image "+it.ID, got.Image[i], wantImage[i], embedTol)
			}

			texts, err := e.EmbedTexts(context.Background(), prompts)
			if err != nil {
				t.Fatal(err)
			}
			images, errs, err := e.EmbedImages(context.Background(), items)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(make([]string, len(items)), errs); diff != "" {
				t.Fatalf("EmbedImages errors (-want +got):\n%s", diff)
			}
			for i, it := range items {
				checkClose(t, "EmbedTexts "+it.ID, texts[i], wantText[i], embedTol)
				checkClose(t, "EmbedImages "+it.ID, images[i], wantImage[i], embedTol)
			}
		})
	}
}

// sameRow reports whether a and b are the same embedding row (one backing
// array), i.e. one model output row handed to both items.
func sameRow(a, b []float32) bool { return len(a) > 0 && len(b) > 0 && &a[0] == &b[0] }

// TestEmbedEachDistinctInputOnce: within a request, each distinct prompt and
// each distinct image (same path, or equal bytes) is embedded once and its
// row shared by the items that repeat it; an image given once as a path and
// once as bytes is keyed differently within the request, and gets an equal
// embedding (the same row when its content was embedded by an earlier
// batch and remembered).
func TestEmbedEachDistinctInputOnce(t *testing.T) {
	astronaut := golden(t, "astronaut.png")
	coffee := readFile(t, golden(t, "coffee_q90_420.jpg"))
	items := []scorer.Item{
		{ID: "0", Prompt: "a cat", ImagePath: astronaut},
		{ID: "1", Prompt: "a cat", ImagePath: astronaut},                        // same prompt, same path
		{ID: "2", Prompt: "a dog", ImageBytes: coffee},                          // bytes
		{ID: "3", Prompt: "a dog", ImageBytes: append([]byte(nil), coffee...)},  // equal bytes in another slice
		{ID: "4", Prompt: "a cat ", ImageBytes: readFile(t, astronaut)},         // another prompt string, same image as bytes
		{ID: "5", Prompt: "a dog", ImagePath: golden(t, "coffee_q90_420.jpg")},  // the coffee image again, as a path
		{ID: "6", Prompt: "a cat", ImagePath: astronaut},                        // a third repeat, after other images
		{ID: "7", Prompt: "a bird", ImagePath: golden(t, "rocket_palette.gif")}, // distinct
	}
	const maybe = -1 // same content under another key: may share a remembered row
	pairs := []struct {
		i, j      int
		sameText  bool
		sameImage int // 1: shared row, 0: not, maybe
	}{
		{0, 1, true, 1},
		{0, 6, true, 1},
		{2, 3, true, 1},
		{2, 5, true, maybe},
		{0, 4, false, maybe},
		{0, 2, false, 0},
		{4, 7, false, 0},
	}
	for _, layout := range layouts {
		t.Run(layout.name, func(t *testing.T) {
			dir, _ := testmodels.CLIPDir(t, "clipscore", "", layout.files, 3)
			e := openEnc(t, dir, scorer.Config{BatchSize: 2}, clipSpec)
			got, err := e.Embed(context.Background(), items, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range pairs {
				a, b := items[p.i], items[p.j]
				if s := sameRow(got.Text[p.i], got.Text[p.j]); s != p.sameText {
					t.Errorf("items %s and %s (prompts %q, %q): shared text row %v, want %v", a.ID, b.ID, a.Prompt, b.Prompt, s, p.sameText)
				}
				if s := sameRow(got.Image[p.i], got.Image[p.j]); p.sameImage != maybe && s != (p.sameImage == 1) {
					t.Errorf("items %s and %s: shared image row %v, want %v", a.ID, b.ID, s, p.sameImage == 1)
				}
			}
			// 4 distinct prompt strings went through the model; of the 5
			// distinct image keys (astronaut path, coffee bytes, astronaut
			// bytes, coffee path, rocket path), 3 contents at least and 5
			// at most (a repeated content is looked up by the batch after
			// the one that embedded it, which may still be running).
			texts, images := e.Embedded()
			if texts != 4 || images < 3 || images > 5 {
				t.Errorf("%d texts and %d images embedded, want 4 and 3 to 5", texts, images)
			}
			// Inputs embedded separately that are the same content agree.
			checkClose(t, `text "a cat " vs "a cat"`, got.Text[4], f64(got.Text[0]), embedTol)
			checkClose(t, "astronaut bytes vs path", got.Image[4], f64(got.Image[0]), embedTol)
			checkClose(t, "coffee path vs bytes", got.Image[5], f64(got.Image[2]), embedTol)
		})
	}
}

// TestEmbedRemembersAcrossRequests: a prompt or an image content embedded
// by one request is not run through the model again by the next ones (the
// counts below are of the inputs each request is expected to run: new
// prompt strings, new image contents), whatever path or bytes carry it,
// and the remembered embeddings are the reference's.
func TestEmbedRemembersAcrossRequests(t *testing.T) {
	astronaut, coffee, rocket := golden(t, "astronaut.png"), golden(t, "coffee_q90_420.jpg"), golden(t, "rocket_palette.gif")
	// A copy of the astronaut under another name: same content, new path.
	copied := filepath.Join(t.TempDir(), "copy.png")
	writeFile(t, copied, readFile(t, astronaut))
	requests := []struct {
		name                string
		items               []scorer.Item
		newTexts, newImages int64
	}{
		{"first", []scorer.Item{{ID: "a", Prompt: "a cat", ImagePath: astronaut}, {ID: "b", Prompt: "a cat", ImagePath: coffee}}, 1, 2},
		{"same again", []scorer.Item{{ID: "c", Prompt: "a cat", ImagePath: coffee}, {ID: "d", Prompt: "a cat", ImagePath: astronaut}}, 0, 0},
		{"new prompt, copied file, bytes", []scorer.Item{{ID: "e", Prompt: "a dog", ImagePath: copied}, {ID: "f", Prompt: "a cat", ImageBytes: readFile(t, coffee)}}, 1, 0},
		{"one new image", []scorer.Item{{ID: "g", Prompt: "a dog", ImagePath: rocket}, {ID: "h", Prompt: "a dog", ImagePath: astronaut}}, 0, 1},
	}
	for _, layout := range layouts {
		t.Run(layout.name, func(t *testing.T) {
			dir, w := testmodels.CLIPDir(t, "clipscore", "", layout.files, 5)
			e := openEnc(t, dir, scorer.Config{BatchSize: 2, IntraOpThreads: 1}, clipSpec)
			var texts, images int64
			for _, r := range requests {
				got, err := e.Embed(context.Background(), r.items, "")
				if err != nil {
					t.Fatal(err)
				}
				nt, ni := e.Embedded()
				if nt-texts != r.newTexts || ni-images != r.newImages {
					t.Errorf("request %q ran %d prompts and %d images through the model, want %d and %d", r.name, nt-texts, ni-images, r.newTexts, r.newImages)
				}
				texts, images = nt, ni
				for i, it := range r.items {
					checkClose(t, r.name+" text "+it.ID, got.Text[i], refText(t, w, it.Prompt), embedTol)
					checkClose(t, r.name+" image "+it.ID, got.Image[i], refImage(t, w, it, imageproc.PipelineOpenAI), embedTol)
				}
			}
		})
	}
}

func f64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// TestEmbedPerItemErrors: an unreadable, a truncated and an undecodable
// image fail their own item with a message naming the file (or the item,
// for bytes); the other items' embeddings are still the reference ones, and
// every item's prompt is embedded. A request whose images all fail is not
// an error either.
func TestEmbedPerItemErrors(t *testing.T) {
	tmp := t.TempDir()
	missing := filepath.Join(tmp, "no-such-image.png")
	truncated := filepath.Join(tmp, "truncated.jpg")
	rocket := readFile(t, golden(t, "rocket.jpg"))
	writeFile(t, truncated, rocket[:len(rocket)/3])
	notImage := filepath.Join(tmp, "notes.png")
	writeFile(t, notImage, []byte("these are notes, not a PNG"))
	good := mixedItems(t)[:2] // a path and bytes
	bad := []scorer.Item{
		{ID: "missing", Prompt: "gone", ImagePath: missing},
		{ID: "truncated", Prompt: "half a rocket", ImagePath: truncated},
		{ID: "notes", Prompt: "text", ImagePath: notImage},
		{ID: "junk", Prompt: "junk", ImageBytes: []byte("not an image")},
	}
	wantErr := map[string][]string{
		"missing":   {"no-such-image.png"},
		"truncated": {"truncated.jpg"},
		"notes":     {"notes.png"},
		"junk":      {`image bytes of item "junk"`},
	}
	tests := []struct {
		name  string
		files clipmodel.WriteOptions
		items []scorer.Item
	}{
		{"split", splitFiles, []scorer.Item{good[0], bad[0], bad[1], good[1], bad[2], bad[3]}},
		{"combined", combinedFiles, []scorer.Item{bad[0], good[0], bad[1], bad[2], bad[3], good[1]}},
		{"split/all fail", splitFiles, bad},
		{"combined/all fail", combinedFiles, bad},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, w := testmodels.CLIPDir(t, "clipscore", "", tc.files, 5)
			e := openEnc(t, dir, scorer.Config{BatchSize: 2}, clipSpec)
			got, err := e.Embed(context.Background(), tc.items, "")
			if err != nil {
				t.Fatal(err)
			}
			for i, it := range tc.items {
				checkClose(t, "text "+it.ID, got.Text[i], refText(t, w, it.Prompt), embedTol)
				want, failing := wantErr[it.ID]
				if !failing {
					if got.Err[i] != "" {
						t.Errorf("item %s failed: %s", it.ID, got.Err[i])
						continue
					}
					checkClose(t, "image "+it.ID, got.Image[i], refImage(t, w, it, imageproc.PipelineOpenAI), embedTol)
					continue
				}
				if got.Image[i] != nil {
					t.Errorf("item %s: image embedding %v, want none", it.ID, got.Image[i][:2])
				}
				msg := strings.ReplaceAll(got.Err[i], tmp, "DIR") // the message itself must name the file
				for _, s := range want {
					if !strings.Contains(msg, s) {
						t.Errorf("item %s: error %q does not contain %q", it.ID, got.Err[i], s)
					}
				}
			}
		})
	}
}

// TestEmbedConcurrent: one Encoder serves concurrent requests (its sessions
// load once, on first use, under concurrent callers) with the reference
// embeddings. Run with -race.
func TestEmbedConcurrent(t *testing.T) {
	for _, layout := range layouts {
		t.Run(layout.name, func(t *testing.T) {
			dir, w := testmodels.CLIPDir(t, "clipscore", "", layout.files, 11)
			e := openEnc(t, dir, scorer.Config{BatchSize: 2}, clipSpec)
			// A small image (as a path and as bytes) keeps this quick under -race.
			tiny := golden(t, "astronaut_tiny_10x7.png")
			items := []scorer.Item{
				{ID: "path", Prompt: "an astronaut", ImagePath: tiny},
				{ID: "bytes", Prompt: "a small astronaut", ImageBytes: readFile(t, tiny)},
				{ID: "path again", Prompt: "an astronaut", ImagePath: tiny},
			}
			results := make([]Embeddings, 4)
			errs := make([]error, len(results))
			var wg sync.WaitGroup
			for g := range results {
				wg.Go(func() { results[g], errs[g] = e.Embed(context.Background(), items, "") })
			}
			wg.Wait()
			for i, it := range items {
				wantText, wantImage := refText(t, w, it.Prompt), refImage(t, w, it, imageproc.PipelineOpenAI)
				for g, got := range results {
					if errs[g] != nil {
						t.Fatalf("request %d: %v", g, errs[g])
					}
					checkClose(t, fmt.Sprintf("request %d: text %s", g, it.ID), got.Text[i], wantText, embedTol)
					checkClose(t, fmt.Sprintf("request %d: image %s", g, it.ID), got.Image[i], wantImage, embedTol)
				}
			}
		})
	}
}

// TestEmbedCancelledAndClosed: a cancelled context and a closed encoder are
// request errors, not per-item ones.
func TestEmbedCancelledAndClosed(t *testing.T) {
	dir, _ := testmodels.CLIPDir(t, "clipscore", "", splitFiles, 1)
	items := mixedItems(t)[:2]
	t.Run("cancelled", func(t *testing.T) {
		e := openEnc(t, dir, scorer.Config{}, clipSpec)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := e.Embed(ctx, items, ""); !errors.Is(err, context.Canceled) {
			t.Errorf("Embed with a cancelled context: %v, want context.Canceled", err)
		}
	})
	t.Run("closed before use", func(t *testing.T) {
		e := openEnc(t, dir, scorer.Config{}, clipSpec)
		e.Close()
		if _, err := e.Embed(context.Background(), items, ""); err == nil || !strings.Contains(err.Error(), "closed") {
			t.Errorf("Embed after Close: %v, want an error saying the encoder is closed", err)
		}
	})
	t.Run("closed after use", func(t *testing.T) {
		e := openEnc(t, dir, scorer.Config{}, clipSpec)
		if _, err := e.Embed(context.Background(), items, ""); err != nil {
			t.Fatal(err)
		}
		e.Close()
		if _, err := e.Embed(context.Background(), items, ""); !errors.Is(err, onnx.ErrClosed) {
			t.Errorf("Embed after Close: %v, want onnx.ErrClosed", err)
		}
	})
}

// identityParts are what Encoder.Identity promises to cover (besides the
// plugin executable and the runtime version, fixed within a test binary).
type identityParts struct {
	Fingerprint, Provider, Tokenizer string
	Pipeline                         imageproc.Pipeline // Source cleared
}

func partsOf(e *Encoder) identityParts {
	p := e.Pipeline
	p.Source = ""
	return identityParts{e.Dir.Fingerprint, e.Provider, e.TokDesc, p}
}

// differing names the parts in which a and b differ.
func differing(a, b identityParts) []string {
	var out []string
	if a.Fingerprint != b.Fingerprint {
		out = append(out, "fingerprint")
	}
	if a.Provider != b.Provider {
		out = append(out, "provider")
	}
	if !cmp.Equal(a.Pipeline, b.Pipeline) {
		out = append(out, "pipeline")
	}
	if a.Tokenizer != b.Tokenizer {
		out = append(out, "tokenizer")
	}
	return out
}

const hfPreprocessorConfig = `{
  "crop_size": 224, "do_center_crop": true, "do_normalize": true, "do_resize": true,
  "feature_extractor_type": "CLIPFeatureExtractor",
  "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
  "resample": 3, "size": 224
}`

// TestIdentity: Encoder.Identity changes when the model fingerprint, the
// provider, the pipeline or the tokenizer description changes, and not when
// only options that leave embeddings alone (batch size, threads, image
// limits) or the directory's location change. Each case first checks which
// of those parts differ between its two encoders, so a case tests what it
// says. Encoders come from Open, except where Open cannot produce the change
// on this machine (another provider needs CUDA) or alone (a tokenizer
// description comes from the directory's files, so a change through Open
// also changes the fingerprint; the isolated case sets the field).
func TestIdentity(t *testing.T) {
	base, _ := testmodels.CLIPDir(t, "clipscore", "", splitFiles, 1)
	other, _ := testmodels.CLIPDir(t, "clipscore", "", splitFiles, 2)
	withConfig := testmodels.CopyDir(t, base)
	writeFile(t, filepath.Join(withConfig, "preprocessor_config.json"), []byte(hfPreprocessorConfig))
	renamedVocab := testmodels.CopyDir(t, base)
	if err := os.Rename(filepath.Join(renamedVocab, "bpe_simple_vocab_16e6.txt.gz"), filepath.Join(renamedVocab, "vocab.txt.gz")); err != nil {
		t.Fatal(err)
	}
	setManifest(t, renamedVocab, func(m *modeldir.Manifest) { m.Strings = map[string]string{"tokenizer": "vocab.txt.gz"} })

	hfSpec := Spec{Kind: "clipscore", DefaultPipeline: imageproc.PipelineHF}
	// Encoders opened unchanged are shared between cases (opening loads
	// the vocabulary, the slow part).
	opened := map[string]*Encoder{}
	from := func(dir string, cfg scorer.Config, spec Spec) func(*testing.T) *Encoder {
		return func(*testing.T) *Encoder {
			key := fmt.Sprintf("%s\x00%+v\x00%+v", dir, cfg, spec)
			if opened[key] == nil {
				opened[key] = openEnc(t, dir, cfg, spec) // closed when TestIdentity ends
			}
			return opened[key]
		}
	}
	set := func(dir string, change func(*Encoder)) func(*testing.T) *Encoder {
		return func(t *testing.T) *Encoder {
			e := openEnc(t, dir, scorer.Config{}, clipSpec)
			change(e)
			return e
		}
	}
	tests := []struct {
		name string
		a, b func(*testing.T) *Encoder
		want []string // the parts that differ; none = equal identities
	}{
		{"opened twice", from(base, scorer.Config{}, clipSpec), from(base, scorer.Config{}, clipSpec), nil},
		{"batch size, threads, image limits", from(base, scorer.Config{}, clipSpec),
			from(base, scorer.Config{BatchSize: 3, IntraOpThreads: 1, MaxImageBytes: 1 << 20, DecodeMemoryBytes: 1 << 26}, clipSpec), nil},
		{"provider empty and cpu", from(base, scorer.Config{}, clipSpec), from(base, scorer.Config{Provider: "cpu"}, clipSpec), nil},
		{"copy elsewhere", from(base, scorer.Config{}, clipSpec), from(testmodels.CopyDir(t, base), scorer.Config{}, clipSpec), nil},
		{"copy elsewhere with preprocessor_config.json", from(withConfig, scorer.Config{}, clipSpec), from(testmodels.CopyDir(t, withConfig), scorer.Config{}, clipSpec), nil},
		{"other weights", from(base, scorer.Config{}, clipSpec), from(other, scorer.Config{}, clipSpec), []string{"fingerprint"}},
		{"default pipeline openai vs hf", from(base, scorer.Config{}, clipSpec), from(base, scorer.Config{}, hfSpec), []string{"pipeline"}},
		{"preprocessor_config.json added", from(base, scorer.Config{}, hfSpec), from(withConfig, scorer.Config{}, hfSpec), []string{"fingerprint", "pipeline"}},
		{"provider", from(base, scorer.Config{}, clipSpec), set(base, func(e *Encoder) { e.Provider = onnx.ProviderCUDA }), []string{"provider"}},
		{"tokenizer description", from(base, scorer.Config{}, clipSpec), set(base, func(e *Encoder) { e.TokDesc += " (changed)" }), []string{"tokenizer"}},
		{"tokenizer file renamed", from(base, scorer.Config{}, clipSpec), from(renamedVocab, scorer.Config{}, clipSpec), []string{"fingerprint", "tokenizer"}},
	}
	form := regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := tc.a(t), tc.b(t)
			if diff := cmp.Diff(tc.want, differing(partsOf(a), partsOf(b))); diff != "" {
				t.Fatalf("the encoders differ in other parts than the case says (-want +got):\n%s", diff)
			}
			ida, err := a.Identity()
			if err != nil {
				t.Fatal(err)
			}
			idb, err := b.Identity()
			if err != nil {
				t.Fatal(err)
			}
			if !form.MatchString(ida) || !form.MatchString(idb) {
				t.Errorf("identities %q, %q: want sha256:<64 hex>", ida, idb)
			}
			if same := ida == idb; same != (len(tc.want) == 0) {
				t.Errorf("identities equal = %v, want %v (parts differing: %v)", same, len(tc.want) == 0, tc.want)
			}
		})
	}
}

// TestOpenPipeline: the image pipeline comes from srbench.yaml
// strings.pipeline, else preprocessor_config.json, else the Spec default.
func TestOpenPipeline(t *testing.T) {
	newPipeline := func(name string) imageproc.Pipeline {
		p, err := imageproc.NewPipeline(name)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The HF CLIP config is the hf pipeline under the processor's name.
	fromConfig := newPipeline(imageproc.PipelineHF)
	fromConfig.Name = "CLIPFeatureExtractor"
	base, _ := testmodels.CLIPDir(t, "clipscore", "", splitFiles, 1)
	tests := []struct {
		name        string
		config      bool   // write preprocessor_config.json
		manifest    string // srbench.yaml strings.pipeline
		defaultPipe string
		want        imageproc.Pipeline
		wantSource  bool // Source is the preprocessor_config.json path
	}{
		{"default openai", false, "", imageproc.PipelineOpenAI, newPipeline(imageproc.PipelineOpenAI), false},
		{"default hf", false, "", imageproc.PipelineHF, newPipeline(imageproc.PipelineHF), false},
		{"preprocessor_config.json over the default", true, "", imageproc.PipelineOpenAI, fromConfig, true},
		{"srbench.yaml over preprocessor_config.json", true, imageproc.PipelineOpenAI, imageproc.PipelineHF, newPipeline(imageproc.PipelineOpenAI), false},
		{"srbench.yaml over the default", false, imageproc.PipelineHF, imageproc.PipelineOpenAI, newPipeline(imageproc.PipelineHF), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := testmodels.CopyDir(t, base)
			if tc.config {
				writeFile(t, filepath.Join(dir, "preprocessor_config.json"), []byte(hfPreprocessorConfig))
			}
			if tc.manifest != "" {
				setManifest(t, dir, func(m *modeldir.Manifest) { m.Strings = map[string]string{"pipeline": tc.manifest} })
			}
			e := openEnc(t, dir, scorer.Config{}, Spec{Kind: "clipscore", DefaultPipeline: tc.defaultPipe})
			want := tc.want
			if tc.wantSource {
				want.Source = filepath.Join(e.Dir.Path, "preprocessor_config.json")
			}
			if diff := cmp.Diff(want, e.Pipeline); diff != "" {
				t.Errorf("pipeline (-want +got):\n%s", diff)
			}
		})
	}
}

// TestOpenErrors: Open refuses a directory it cannot use, naming the file
// or field at fault.
func TestOpenErrors(t *testing.T) {
	good, _ := testmodels.CLIPDir(t, "clipscore", "", splitFiles, 1)
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) // changes a copy of good
		spec  Spec
		want  []string
	}{
		{"no tokenizer", func(t *testing.T, d string) { os.Remove(filepath.Join(d, "bpe_simple_vocab_16e6.txt.gz")) }, clipSpec,
			[]string{"no tokenizer", "tokenizer.json", "bpe_simple_vocab_16e6.txt.gz"}},
		{"tokenizer named in srbench.yaml missing", func(t *testing.T, d string) {
			setManifest(t, d, func(m *modeldir.Manifest) { m.Strings = map[string]string{"tokenizer": "vocab.json"} })
		}, clipSpec, []string{"vocab.json"}},
		{"non-square crop in preprocessor_config.json", func(t *testing.T, d string) {
			writeFile(t, filepath.Join(d, "preprocessor_config.json"), []byte(`{"crop_size": {"height": 224, "width": 200}}`))
		}, clipSpec, []string{"preprocessor_config.json", "square", "200x224"}},
		{"no crop in preprocessor_config.json", func(t *testing.T, d string) {
			writeFile(t, filepath.Join(d, "preprocessor_config.json"), []byte(`{"do_center_crop": false}`))
		}, clipSpec, []string{"preprocessor_config.json", "fixed square output", "depends on the image"}},
		{"unknown field in preprocessor_config.json", func(t *testing.T, d string) {
			writeFile(t, filepath.Join(d, "preprocessor_config.json"), []byte(`{"do_pad": true}`))
		}, clipSpec, []string{"preprocessor_config.json", `"do_pad"`}},
		{"unknown pipeline in srbench.yaml", func(t *testing.T, d string) {
			setManifest(t, d, func(m *modeldir.Manifest) { m.Strings = map[string]string{"pipeline": "square"} })
		}, clipSpec, []string{`srbench.yaml": field "strings.pipeline"`, `unknown pipeline "square"`}},
		{"unknown default pipeline", func(*testing.T, string) {}, Spec{Kind: "clipscore", DefaultPipeline: "squre"},
			[]string{`unknown pipeline "squre"`}},
		{"other kind", func(*testing.T, string) {}, Spec{Kind: "pickscore", DefaultPipeline: "openai"},
			[]string{"srbench.yaml", `"kind" is "clipscore"`, "pickscore"}},
		{"no ONNX model", func(t *testing.T, d string) { os.Remove(filepath.Join(d, "vision_model.onnx")) }, clipSpec,
			[]string{"no ONNX model: expected model.onnx, or text_model.onnx and vision_model.onnx"}},
		{"vision model as text model", func(t *testing.T, d string) {
			writeFile(t, filepath.Join(d, "text_model.onnx"), readFile(t, filepath.Join(d, "vision_model.onnx")))
		}, clipSpec, []string{"text_model.onnx", "input_ids"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := testmodels.CopyDir(t, good)
			tc.setup(t, dir)
			e, err := Open(scorer.Config{ModelDir: dir}, tc.spec)
			if err == nil {
				e.Close()
				t.Fatal("Open succeeded")
			}
			// The temporary directory's name repeats the test's, so it is
			// cut out: the message itself must name the file or field.
			msg := strings.ReplaceAll(err.Error(), dir, "DIR")
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	t.Run("no directory given", func(t *testing.T) {
		if _, err := Open(scorer.Config{}, clipSpec); err == nil || !strings.Contains(err.Error(), "no model directory") {
			t.Errorf("Open without a directory: %v", err)
		}
	})
}

// TestLogitScaleFromModel: the combined model's logit scale is read back as
// exp(logit_scale) of its weights (CLIP's initial 1/0.07); a split model has
// none and says so.
func TestLogitScaleFromModel(t *testing.T) {
	dir, w := testmodels.CLIPDir(t, "clipscore", "", combinedFiles, 4)
	got, err := openEnc(t, dir, scorer.Config{}, clipSpec).LogitScaleFromModel()
	if err != nil {
		t.Fatal(err)
	}
	// The ratio of a float32 logit to a cosine of float32 embeddings: about
	// 1e-6 relative, more where the cosine is small (it is refused below 1e-3).
	want := math.Exp(float64(w.Config.LogitScale))
	if math.Abs(got-want) > 1e-5*want || math.Abs(got-1/0.07) > 1e-5/0.07 {
		t.Errorf("LogitScaleFromModel = %.8f, want exp(%v) = %.8f ≈ 1/0.07", got, w.Config.LogitScale, want)
	}

	split, _ := testmodels.CLIPDir(t, "clipscore", "", splitFiles, 4)
	if _, err := openEnc(t, split, scorer.Config{}, clipSpec).LogitScaleFromModel(); err == nil || !strings.Contains(err.Error(), "split text/vision models") {
		t.Errorf("split model: %v, want an error saying split models carry no logit scale", err)
	}
}

// TestDescribe: Describe fills the model fields (fingerprint as modeldir
// computes it, runtime, provider, preprocessing, tokenizer, directory, batch
// size, ONNX files, the manifest's description, the threads: the ones asked
// for, else one per CPU available, which is GOMAXPROCS) and keeps the others.
func TestDescribe(t *testing.T) {
	tests := []struct {
		name    string
		files   clipmodel.WriteOptions
		batch   int
		threads int
		want    string // Details["onnx_files"]
	}{
		{"split", splitFiles, 0, 0, "text_model.onnx + vision_model.onnx"},
		{"combined", combinedFiles, 5, 3, "model.onnx"},
	}
	openai, err := imageproc.NewPipeline(imageproc.PipelineOpenAI)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, _ := testmodels.CLIPDir(t, "clipscore", "", tc.files, 1)
			fp, err := modeldir.Fingerprint(dir)
			if err != nil {
				t.Fatal(err)
			}
			abs, err := filepath.Abs(dir)
			if err != nil {
				t.Fatal(err)
			}
			e := openEnc(t, dir, scorer.Config{BatchSize: tc.batch, IntraOpThreads: tc.threads}, clipSpec)
			got := scorer.Description{Name: "clipscore", Variant: "hessel", Details: map[string]string{"formula_source": "kept"}}
			// By default: one single-threaded run per CPU (onnx.PlanRuns).
			threads, runs := tc.threads, 1
			if threads == 0 {
				threads, runs = 1, runtime.GOMAXPROCS(0)
			}
			e.Describe(&got)
			batch := tc.batch
			if batch == 0 {
				batch = DefaultBatchSize
			}
			want := scorer.Description{
				Name: "clipscore", Variant: "hessel",
				Fingerprint:        fp,
				Runtime:            "onnxruntime " + e.Runtime.Version(),
				Provider:           "cpu",
				Preprocessing:      openai.Describe(),
				Tokenizer:          "CLIP BPE, OpenAI clip.tokenize semantics, length 77 (bpe_simple_vocab_16e6.txt.gz)",
				ModelDir:           abs,
				PreferredBatchSize: batch,
				Details: map[string]string{"formula_source": "kept", "onnx_files": tc.want, "model_description": "test model, random weights",
					"intra_op_threads": fmt.Sprint(threads), "model_runs": fmt.Sprint(runs), "decode_workers": fmt.Sprint(runtime.GOMAXPROCS(0))},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Describe (-want +got):\n%s", diff)
			}
			if !strings.HasPrefix(got.Runtime, "onnxruntime 1.") {
				t.Errorf("Runtime %q", got.Runtime)
			}
		})
	}
}

// TestCosine checks textbook cases: orthogonal 0, parallel 1, opposite −1,
// 45° 1/√2, and NaN for a zero vector or different lengths.
func TestCosine(t *testing.T) {
	tests := []struct {
		name string
		a, b []float32
		want float64 // NaN: want NaN
	}{
		{"orthogonal", []float32{1, 0, 0}, []float32{0, 3, 0}, 0},
		{"orthogonal, oblique", []float32{1, 1}, []float32{2, -2}, 0},
		{"parallel", []float32{1, 2, 3}, []float32{2, 4, 6}, 1},
		{"same vector", []float32{0.6, 0.8}, []float32{0.6, 0.8}, 1},
		{"opposite", []float32{1, -2, 3}, []float32{-0.5, 1, -1.5}, -1},
		{"45 degrees", []float32{1, 0}, []float32{1, 1}, 1 / math.Sqrt2},
		{"3-4-5", []float32{3, 4}, []float32{4, 3}, 24.0 / 25},
		{"zero vector", []float32{0, 0, 0}, []float32{1, 2, 3}, math.NaN()},
		{"both zero", []float32{0, 0}, []float32{0, 0}, math.NaN()},
		{"length mismatch", []float32{1, 2, 3}, []float32{1, 2}, math.NaN()},
		{"empty", nil, nil, math.NaN()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Cosine(tc.a, tc.b)
			if math.IsNaN(tc.want) {
				if !math.IsNaN(got) {
					t.Errorf("Cosine(%v, %v) = %v, want NaN", tc.a, tc.b, got)
				}
				return
			}
			if math.Abs(got-tc.want) > 1e-15 {
				t.Errorf("Cosine(%v, %v) = %.17g, want %.17g", tc.a, tc.b, got, tc.want)
			}
		})
	}
}

// TestSplit: split cuts a [rows, dim] output into rows that cannot grow
// into each other, and refuses a missing output or another shape.
func TestSplit(t *testing.T) {
	out := map[string]onnx.Tensor{"text_embeds": {Shape: []int64{3, 2}, Float32: []float32{1, 2, 3, 4, 5, 6}}}
	rows, err := split(out, "text_embeds", 3)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]float32{{1, 2}, {3, 4}, {5, 6}}, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	for i, r := range rows {
		if cap(r) != 2 {
			t.Errorf("row %d has capacity %d, want 2 (appending must not overwrite the next row)", i, cap(r))
		}
	}
	_ = append(rows[0], 9)
	if rows[1][0] != 3 {
		t.Errorf("appending to row 0 changed row 1: %v", rows[1])
	}

	tests := []struct {
		name string
		res  map[string]onnx.Tensor
		rows int
		want string
	}{
		{"missing", map[string]onnx.Tensor{"image_embeds": out["text_embeds"]}, 3, `model output "text_embeds" missing`},
		{"rank 1", map[string]onnx.Tensor{"text_embeds": {Shape: []int64{6}, Float32: make([]float32, 6)}}, 6, "has shape [6], want [6, dim]"},
		{"wrong rows", out, 2, "has shape [3 2], want [2, dim]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := split(tc.res, "text_embeds", tc.rows); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("split: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
