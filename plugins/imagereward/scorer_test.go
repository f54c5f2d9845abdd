package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/srbench/srbench/harness/imageproc"
	"github.com/srbench/srbench/harness/modeldir"
	"github.com/srbench/srbench/harness/onnx/blipmodel"
	"github.com/srbench/srbench/harness/onnx/clipmodel"
	"github.com/srbench/srbench/harness/scorer"
	"github.com/srbench/srbench/harness/tokenize"
	"github.com/srbench/srbench/internal/testmodels"
)

const tol = 1e-5

// dirSpec describes a tiny model directory.
type dirSpec struct {
	seed       uint64
	nanTokenID int64 // > 0: the model outputs NaN for prompts with this token
	manifest   modeldir.Manifest
}

func bertTokenizerPath(t testing.TB) string {
	return testmodels.Shared(t, "data/bert/bert-base-uncased.tokenizer.json")
}

// modelDir writes a Tiny blipmodel, the bert-base-uncased tokenizer.json
// and srbench.yaml (kind imagereward unless the spec's manifest says
// otherwise) into a temp dir.
func modelDir(t testing.TB, spec dirSpec) (string, *blipmodel.Weights) {
	t.Helper()
	cfg := blipmodel.Tiny()
	if spec.seed != 0 {
		cfg.Seed = spec.seed
	}
	w, err := blipmodel.NewWeights(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := w.WriteDir(dir, blipmodel.WriteOptions{GraphOptions: blipmodel.GraphOptions{NaNTokenID: spec.nanTokenID}}); err != nil {
		t.Fatal(err)
	}
	copyFile(t, bertTokenizerPath(t), filepath.Join(dir, "tokenizer.json"))
	m := spec.manifest
	if m.Kind == "" {
		m.Kind = Kind
	}
	m.Description = "test model, random weights"
	if err := modeldir.Write(dir, m); err != nil {
		t.Fatal(err)
	}
	return dir, w
}

func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func newScorer(t testing.TB, cfg scorer.Config) *ImageReward {
	t.Helper()
	sc, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := sc.(*ImageReward)
	t.Cleanup(func() { s.Close() })
	return s
}

// referenceRaw computes reward_raw of each item with the plain-Go forward
// pass of w (independent of ONNX Runtime and of the plugin's batching),
// tokenizing with ImageReward's BERT set-up and preprocessing with the
// named pipeline; both are checked against the Python goldens in their own
// packages.
func referenceRaw(t testing.TB, w *blipmodel.Weights, items []scorer.Item, pipeline string) []float64 {
	t.Helper()
	tok, err := tokenize.LoadImageRewardBERT(bertTokenizerPath(t))
	if err != nil {
		t.Fatal(err)
	}
	pipe, err := imageproc.NewPipeline(pipeline)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, len(items))
	for i, it := range items {
		enc, err := tok.Encode(it.Prompt)
		if err != nil {
			t.Fatal(err)
		}
		var im *imageproc.Image
		if it.ImageBytes != nil {
			im, _, err = imageproc.Decode(it.ImageBytes, imageproc.DecodeOptions{})
		} else {
			im, _, err = imageproc.DecodeFile(it.ImagePath, imageproc.DecodeOptions{})
		}
		if err != nil {
			t.Fatal(err)
		}
		px, err := pipe.Preprocess(im)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := w.RawRewards([][]int64{enc.IDs}, [][]int64{enc.AttentionMask}, px)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = raw[0]
	}
	return out
}

// testItems pairs prompts with the golden images (one passed as bytes).
func testItems(t testing.TB) []scorer.Item {
	items := testmodels.GoldenItems(t)
	// A prompt longer than 33 word pieces, so truncation is exercised.
	items[2].Prompt = "a cat " + strings.Repeat("sitting on a very comfortable red sofa in the afternoon sun ", 4)
	return items
}

func checkScores(t *testing.T, items []scorer.Item, res []scorer.Result, raw []float64, mean, std float64) {
	t.Helper()
	if len(res) != len(items) {
		t.Fatalf("%d results for %d items", len(res), len(items))
	}
	for i, r := range res {
		if r.Failed() {
			t.Errorf("item %d (%s) failed: %s", i, items[i].ID, r.Err)
			continue
		}
		want := (raw[i] - mean) / std
		if d := math.Abs(r.Score - want); !(d <= tol*math.Max(1, math.Abs(want))) {
			t.Errorf("item %d (%s): score %.8f, want (%.8f - %v) / %v = %.8f", i, items[i].ID, r.Score, raw[i], mean, std, want)
		}
	}
}

func TestScoresMatchFormulaOnReferenceModel(t *testing.T) {
	items := testItems(t)
	for _, tc := range []struct {
		name      string
		manifest  modeldir.Manifest
		batch     int
		mean, std float64
		pipeline  string
		formula   []string // substrings of Describe().Formula
		// pipelineSrc is Describe().Details["pipeline"] up to its first ':'.
		pipelineSrc string
		// preprocessor, when set, is written as preprocessor_config.json.
		preprocessor string
	}{
		{"ImageReward's constants, batches of 2", modeldir.Manifest{}, 2, 0.16717362830052426, 1.0333394966054072, "openai",
			[]string{"- 0.16717362830052426) / 1.0333394966054072", "ImageReward's defaults"}, "ImageReward's _transform", ""},
		{"constants from srbench.yaml", modeldir.Manifest{Constants: map[string]float64{"mean": -0.25, "std": 2}}, 16, -0.25, 2, "openai",
			[]string{"- -0.25) / 2", "srbench.yaml constants"}, "ImageReward's _transform", ""},
		{"only mean overridden, hf pipeline", modeldir.Manifest{Constants: map[string]float64{"mean": 1}, Strings: map[string]string{"pipeline": "hf"}}, 3, 1, 1.0333394966054072, "hf",
			[]string{"- 1) / 1.0333394966054072", "and ImageReward's defaults"}, "srbench.yaml strings.pipeline", ""},
		{"preprocessor_config.json", modeldir.Manifest{}, 4, 0.16717362830052426, 1.0333394966054072, "hf",
			[]string{"- 0.16717362830052426) / 1.0333394966054072"}, "preprocessor_config.json", `{"image_processor_type": "CLIPImageProcessor"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, w := modelDir(t, dirSpec{seed: 7, manifest: tc.manifest})
			if tc.preprocessor != "" {
				if err := os.WriteFile(filepath.Join(dir, "preprocessor_config.json"), []byte(tc.preprocessor), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			s := newScorer(t, scorer.Config{ModelDir: dir, BatchSize: tc.batch, IntraOpThreads: 1})
			res, err := scorer.ScoreItems(context.Background(), s, items)
			if err != nil {
				t.Fatal(err)
			}
			raw := referenceRaw(t, w, items, tc.pipeline)
			checkScores(t, items, res, raw, tc.mean, tc.std)
			for i := range raw {
				for j := range i {
					if math.Abs(raw[i]-raw[j]) < 100*tol {
						t.Errorf("items %d and %d: reward_raw %.8f and %.8f; different pairs should differ", i, j, raw[i], raw[j])
					}
				}
			}

			d, err := s.Describe(context.Background(), scorer.DescribeRequest{})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct{ field, got, want string }{
				{"Name", d.Name, "imagereward"},
				{"Kind", d.Kind, "imagereward"},
				{"Variant", d.Variant, DefaultVariant},
				{"Provider", d.Provider, "cpu"},
				{"PreferredBatchSize", fmt.Sprint(d.PreferredBatchSize), fmt.Sprint(tc.batch)},
				{"Details[onnx_files]", d.Details["onnx_files"], "model.onnx"},
				{"Details[mean]", d.Details["mean"], fmtFloat(tc.mean)},
				{"Details[pipeline] starts", strings.SplitN(d.Details["pipeline"], ":", 2)[0], tc.pipelineSrc},
			} {
				if c.got != c.want {
					t.Errorf("Describe().%s = %q, want %q", c.field, c.got, c.want)
				}
			}
			preprocessingPrefix := tc.pipeline + ": "
			if tc.preprocessor != "" {
				preprocessingPrefix = "CLIPImageProcessor (" + filepath.Join(dir, "preprocessor_config.json") + "): hf convention"
			}
			for _, c := range []struct{ field, got, prefix string }{
				{"Fingerprint", d.Fingerprint, "sha256:"},
				{"Runtime", d.Runtime, "onnxruntime 1."},
				{"Preprocessing", d.Preprocessing, preprocessingPrefix},
			} {
				if !strings.HasPrefix(c.got, c.prefix) {
					t.Errorf("Describe().%s = %q, want prefix %q", c.field, c.got, c.prefix)
				}
			}
			if !strings.Contains(d.Tokenizer, "length 35") || !strings.Contains(d.Tokenizer, "tokenizer.json") {
				t.Errorf("Describe().Tokenizer = %q", d.Tokenizer)
			}
			for _, f := range tc.formula {
				if !strings.Contains(d.Formula, f) {
					t.Errorf("Describe().Formula = %q, want it to contain %q", d.Formula, f)
				}
			}
		})
	}
}

// TestAddedSpecialTokens (issue #13): the plugin tokenizes with ImageReward's set-up
// (modeltok.ImageReward, the function `srbench inspect tokens` uses too), so the
// literal "[DEC]" and "[ENC]" in a prompt are the added tokens 30522 and 30523 (ids
// of the reference set-up, ../shared/README.md); other ids are bert-base-uncased's:
// [CLS] 101, [SEP] 102, a 1037, cat 4937, dog 3899. Such prompts also score as the
// plain-Go reference model does with those ids.
func TestAddedSpecialTokens(t *testing.T) {
	dir, w := modelDir(t, dirSpec{seed: 3})
	s := newScorer(t, scorer.Config{ModelDir: dir, IntraOpThreads: 1})
	tests := []struct {
		prompt string
		ids    []int64
	}{
		{"a [DEC] cat", []int64{101, 1037, 30522, 4937, 102}},
		{"a [ENC] dog", []int64{101, 1037, 30523, 3899, 102}},
		{"[DEC][ENC]", []int64{101, 30522, 30523, 102}},
	}
	items := testmodels.GoldenItems(t)[:len(tests)]
	for i, tc := range tests {
		items[i].Prompt = tc.prompt
		e, err := s.tok.Encode(tc.prompt)
		if err != nil {
			t.Fatal(err)
		}
		want := append(append([]int64{}, tc.ids...), make([]int64, 35-len(tc.ids))...)
		if diff := cmp.Diff(want, e.IDs); diff != "" {
			t.Errorf("%q: ids (-want +got):\n%s", tc.prompt, diff)
		}
	}
	res, err := scorer.ScoreItems(context.Background(), s, items)
	if err != nil {
		t.Fatal(err)
	}
	checkScores(t, items, res, referenceRaw(t, w, items, "openai"), DefaultMean, DefaultStd)
}

func TestBatchSizeInvariance(t *testing.T) {
	dir, _ := modelDir(t, dirSpec{seed: 3})
	items := testItems(t)
	score := func(batch int, its []scorer.Item) []scorer.Result {
		t.Helper()
		s := newScorer(t, scorer.Config{ModelDir: dir, BatchSize: batch})
		r, err := scorer.ScoreItems(context.Background(), s, its)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	whole := score(32, items)
	byThree := score(3, items)
	for i, it := range items {
		one := score(1, []scorer.Item{it})[0]
		for _, other := range []struct {
			name string
			r    scorer.Result
		}{{"alone", one}, {"in batches of 3", byThree[i]}} {
			if other.r.Failed() || whole[i].Failed() || math.Abs(other.r.Score-whole[i].Score) > tol {
				t.Errorf("item %d: %s %+v, in one batch %+v", i, other.name, other.r, whole[i])
			}
		}
	}
}

func TestBadModelDirectory(t *testing.T) {
	good, _ := modelDir(t, dirSpec{seed: 1})
	manifest := func(m modeldir.Manifest) func(string) error {
		return func(d string) error { return modeldir.Write(d, m) }
	}
	tests := []struct {
		name  string
		setup func(dir string) error // mutates a copy of a good model dir
		opts  map[string]string
		want  []string
	}{
		{"wrong ONNX signature", func(d string) error {
			// A CLIP vision tower where the ImageReward model should be.
			w, err := clipmodel.NewWeights(clipmodel.Tiny())
			if err != nil {
				return err
			}
			tmp := t.TempDir()
			if _, err := w.WriteDir(tmp, clipmodel.WriteOptions{Vision: true}); err != nil {
				return err
			}
			return os.Rename(filepath.Join(tmp, clipmodel.VisionModelFile), filepath.Join(d, "model.onnx"))
		}, nil, []string{
			`input "input_ids" is missing`, `input "attention_mask" is missing`, `output "reward_raw" is missing`,
			"expected inputs:  input_ids int64[?,35], attention_mask int64[?,35], pixel_values float32[?,3,224,224]",
			"found inputs:     pixel_values float32[?,3,224,224]",
			"expected outputs: reward_raw float32[?,1]",
			"found outputs:    image_embeds float32[?,32]",
		}},
		{"no model.onnx", func(d string) error { return os.Remove(filepath.Join(d, "model.onnx")) }, nil,
			[]string{"no ONNX model: expected model.onnx"}},
		{"no tokenizer", func(d string) error { return os.Remove(filepath.Join(d, "tokenizer.json")) }, nil,
			[]string{"no tokenizer: expected one of tokenizer.json"}},
		{"tokenizer named in srbench.yaml is missing", manifest(modeldir.Manifest{Kind: Kind, Strings: map[string]string{"tokenizer": "vocab.json"}}), nil,
			[]string{"no tokenizer named in srbench.yaml: expected one of vocab.json"}},
		{"wrong kind", manifest(modeldir.Manifest{Kind: "clipscore"}), nil,
			[]string{`field "kind" is "clipscore", but this is the imagereward scorer`}},
		{"zero std", manifest(modeldir.Manifest{Kind: Kind, Constants: map[string]float64{"std": 0}}), nil,
			[]string{`field "constants.std" is 0, want a finite non-zero number`, "srbench.yaml"}},
		{"unknown constant", manifest(modeldir.Manifest{Kind: Kind, Constants: map[string]float64{"stdev": 1}}), nil,
			[]string{`field "constants": unknown key "stdev" (this scorer knows: mean, std)`}},
		{"unknown pipeline", manifest(modeldir.Manifest{Kind: Kind, Strings: map[string]string{"pipeline": "blip"}}), nil,
			[]string{`field "strings.pipeline"`, `unknown pipeline "blip"`}},
		{"unknown option", func(string) error { return nil }, map[string]string{"variant": "x"},
			[]string{"unknown option(s) variant"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := testmodels.CopyDir(t, good)
			if err := tc.setup(dir); err != nil {
				t.Fatal(err)
			}
			sc, err := New(context.Background(), scorer.Config{ModelDir: dir, Options: tc.opts})
			if err == nil {
				sc.(*ImageReward).Close()
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

// TestPerItemErrors mixes undecodable images and an invalid prompt into a
// request: those items fail with a message naming them, every other item
// still gets its reference score.
func TestPerItemErrors(t *testing.T) {
	dir, w := modelDir(t, dirSpec{seed: 5})
	s := newScorer(t, scorer.Config{ModelDir: dir, BatchSize: 3})
	good := testItems(t)
	bad := filepath.Join(t.TempDir(), "truncated.jpg")
	b, err := os.ReadFile(testmodels.Shared(t, "golden/images/rocket.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, b[:len(b)/3], 0o644); err != nil {
		t.Fatal(err)
	}
	items := []scorer.Item{
		good[0],
		{ID: "truncated", Prompt: "a rocket", ImagePath: bad},
		good[1],
		{ID: "junk", Prompt: "a rocket", ImageBytes: []byte("not an image")},
		{ID: "latin1 prompt", Prompt: "caf\xe9", ImagePath: good[0].ImagePath},
		good[2], good[3],
		{ID: "missing", Prompt: "x", ImagePath: filepath.Join(t.TempDir(), "nope.png")},
		good[4],
	}
	wantErr := map[int][]string{
		1: {`item "truncated"`, "truncated.jpg"},
		3: {`image bytes of item "junk"`},
		4: {`item "latin1 prompt": prompt:`, "not valid UTF-8"},
		7: {`item "missing"`, "nope.png"},
	}
	res, err := scorer.ScoreItems(context.Background(), s, items)
	if err != nil {
		t.Fatal(err)
	}
	var okItems []scorer.Item
	var okRes []scorer.Result
	for i, r := range res {
		want, shouldFail := wantErr[i]
		switch {
		case shouldFail && !r.Failed():
			t.Errorf("item %d (%s): score %v, want a per-item error", i, items[i].ID, r.Score)
		case shouldFail:
			for _, w := range want {
				if !strings.Contains(r.Err, w) {
					t.Errorf("item %d: error %q does not contain %q", i, r.Err, w)
				}
			}
			if r.Score != 0 {
				t.Errorf("item %d: failed item carries score %v", i, r.Score)
			}
		default:
			okItems, okRes = append(okItems, items[i]), append(okRes, r)
		}
	}
	checkScores(t, okItems, okRes, referenceRaw(t, w, okItems, "openai"), DefaultMean, DefaultStd)
}

// TestNaNOutputIsPerItemError uses a model whose reward_raw is NaN for
// prompts containing "cat": those items fail, the rest of each batch
// scores as the plain model does.
func TestNaNOutputIsPerItemError(t *testing.T) {
	tok, err := tokenize.LoadImageRewardBERT(bertTokenizerPath(t))
	if err != nil {
		t.Fatal(err)
	}
	e, err := tok.Encode("cat")
	if err != nil {
		t.Fatal(err)
	}
	cat := e.IDs[1] // [CLS] cat [SEP]
	dir, w := modelDir(t, dirSpec{seed: 2, nanTokenID: cat})
	s := newScorer(t, scorer.Config{ModelDir: dir, BatchSize: 2})
	items := testItems(t)
	items = append(items, scorer.Item{ID: "second cat", Prompt: "A CAT on a sofa", ImagePath: items[0].ImagePath})
	res, err := scorer.ScoreItems(context.Background(), s, items)
	if err != nil {
		t.Fatal(err)
	}
	var okItems []scorer.Item
	var okRes []scorer.Result
	nan := 0
	for i, it := range items {
		hasCat := strings.Contains(strings.ToLower(it.Prompt), "cat ")
		if !hasCat {
			okItems, okRes = append(okItems, it), append(okRes, res[i])
			continue
		}
		nan++
		if !res[i].Failed() || res[i].Score != 0 || !strings.Contains(res[i].Err, "reward_raw is NaN") || !strings.Contains(res[i].Err, "not finite") {
			t.Errorf("item %d (%q): %+v, want a per-item error about the NaN output", i, it.Prompt, res[i])
		}
	}
	if nan != 2 || len(okItems) != 4 {
		t.Fatalf("test set-up: %d cat prompts, %d others", nan, len(okItems))
	}
	checkScores(t, okItems, okRes, referenceRaw(t, w, okItems, "openai"), DefaultMean, DefaultStd)
}

func TestCancelledContext(t *testing.T) {
	dir, _ := modelDir(t, dirSpec{seed: 1})
	s := newScorer(t, scorer.Config{ModelDir: dir, BatchSize: 1})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := scorer.ScoreItems(ctx, s, testItems(t)); err == nil {
		t.Error("Score with a cancelled context succeeded")
	}
}

// TestConcurrentScore runs two requests at once on one scorer (the host may
// do that) and checks both get the scores of a lone request.
func TestConcurrentScore(t *testing.T) {
	dir, _ := modelDir(t, dirSpec{seed: 4})
	s := newScorer(t, scorer.Config{ModelDir: dir, BatchSize: 2})
	items := testItems(t)
	want, err := scorer.ScoreItems(context.Background(), s, items)
	if err != nil {
		t.Fatal(err)
	}
	results := make([][]scorer.Result, 2)
	errs := make([]error, 2)
	done := make(chan int)
	for g := range results {
		go func() {
			results[g], errs[g] = scorer.ScoreItems(context.Background(), s, items)
			done <- g
		}()
	}
	<-done
	<-done
	for g := range results {
		if errs[g] != nil {
			t.Fatal(errs[g])
		}
		for i := range want {
			if r := results[g][i]; r.Err != want[i].Err || math.Abs(r.Score-want[i].Score) > 1e-6 {
				t.Errorf("request %d, item %d: %+v, alone %+v", g, i, results[g][i], want[i])
			}
		}
	}
}
