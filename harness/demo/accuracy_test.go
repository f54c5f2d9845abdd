package demo

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/srbench/srbench/harness/curate"
	"github.com/srbench/srbench/harness/dualenc"
	"github.com/srbench/srbench/harness/imageproc"
	"github.com/srbench/srbench/harness/onnx"
	"github.com/srbench/srbench/harness/onnx/blipmodel"
	"github.com/srbench/srbench/harness/scorer"
	"github.com/srbench/srbench/harness/simworld"
	"github.com/srbench/srbench/harness/tokenize"
	"github.com/srbench/srbench/harness/train"
)

// evalPair is one line of a pairs-jsonl file with absolute image paths.
type evalPair struct {
	Prompt string
	A, B   string
	AWins  bool
	ID     string
}

// readPairs reads pairs-jsonl (image paths relative to the file's directory).
func readPairs(t testing.TB, path string) []evalPair {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	root := filepath.Dir(path)
	var out []evalPair
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		var r struct {
			Prompt string `json:"prompt"`
			A      string `json:"image_a"`
			B      string `json:"image_b"`
			Label  string `json:"label"`
			ID     string `json:"id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		out = append(out, evalPair{Prompt: r.Prompt, A: filepath.Join(root, filepath.FromSlash(r.A)), B: filepath.Join(root, filepath.FromSlash(r.B)), AWins: r.Label == "a", ID: r.ID})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// pairItems turns pairs into scorer items: 2i is image A, 2i+1 image B.
func pairItems(ps []evalPair) []scorer.Item {
	items := make([]scorer.Item, 0, 2*len(ps))
	for _, p := range ps {
		items = append(items, scorer.Item{ID: p.ID + "/a", Prompt: p.Prompt, ImagePath: p.A}, scorer.Item{ID: p.ID + "/b", Prompt: p.Prompt, ImagePath: p.B})
	}
	return items
}

// pairAccuracy is the share of pairs whose preferred image scores higher,
// ties counting one half.
func pairAccuracy(ps []evalPair, scores []float64) float64 {
	var ok float64
	for i, p := range ps {
		a, b := scores[2*i], scores[2*i+1]
		if !p.AWins {
			a, b = b, a
		}
		switch {
		case a > b:
			ok++
		case a == b:
			ok += 0.5
		}
	}
	return ok / float64(len(ps))
}

// clipScores scores items with a designed CLIP directory through dualenc,
// with the scorer plugins' formulas.
func clipScores(t testing.TB, dir, kind string, items []scorer.Item) []float64 {
	t.Helper()
	pipeline := imageproc.PipelineOpenAI // the clipscore and socialreward plugins' default
	if kind == ScorerPickScore {
		pipeline = "hf"
	}
	enc, err := dualenc.Open(scorer.Config{ModelDir: dir, IntraOpThreads: 1}, dualenc.Spec{Kind: kind, DefaultPipeline: pipeline})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	prefix, score := "", func(c float64) float64 { return c }
	switch kind {
	case ScorerCLIPScore:
		prefix, score = "A photo depicts ", func(c float64) float64 { return 2.5 * math.Max(c, 0) }
	case ScorerPickScore:
		s, err := enc.LogitScaleFromModel()
		if err != nil {
			t.Fatal(err)
		}
		score = func(c float64) float64 { return s * c }
	}
	emb, err := enc.Embed(context.Background(), items, prefix)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, len(items))
	for i := range items {
		if emb.Err[i] != "" {
			t.Fatalf("item %s: %s", items[i].ID, emb.Err[i])
		}
		out[i] = score(dualenc.Cosine(emb.Text[i], emb.Image[i]))
	}
	return out
}

// imageRewardScores runs the designed ImageReward model as the imagereward
// plugin does (ImageReward tokenizer set-up, "openai" pipeline,
// normalisation with ImageReward's mean and std).
func imageRewardScores(t testing.TB, dir string, items []scorer.Item) []float64 {
	t.Helper()
	rt, err := onnx.Init(onnx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := rt.NewSession(filepath.Join(dir, blipmodel.ModelFile), onnx.SessionOptions{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.CheckSignature(blipmodel.Signature(inputSize)); err != nil {
		t.Fatal(err)
	}
	tok, err := tokenize.LoadImageRewardBERT(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	pipe, err := imageproc.NewPipeline(imageproc.PipelineOpenAI)
	if err != nil {
		t.Fatal(err)
	}
	const batch = 32
	per := 3 * inputSize * inputSize
	out := make([]float64, 0, len(items))
	for lo := 0; lo < len(items); lo += batch {
		chunk := items[lo:min(lo+batch, len(items))]
		prompts := make([]string, len(chunk))
		px := make([]float32, len(chunk)*per)
		for i, it := range chunk {
			prompts[i] = it.Prompt
			x, _, err := imageproc.PreprocessFile(it.ImagePath, pipe, imageproc.DecodeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			copy(px[i*per:], x)
		}
		b, err := tokenize.EncodeBatch(tok, prompts)
		if err != nil {
			t.Fatal(err)
		}
		res, err := sess.Run(map[string]onnx.Tensor{
			"input_ids":      {Shape: []int64{int64(b.Size), int64(b.SeqLen)}, Int64: b.IDs},
			"attention_mask": {Shape: []int64{int64(b.Size), int64(b.SeqLen)}, Int64: b.AttentionMask},
			"pixel_values":   {Shape: []int64{int64(len(chunk)), 3, inputSize, inputSize}, Float32: px},
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range res[blipmodel.RewardRaw].Float32 {
			out = append(out, (float64(v)-0.16717362830052426)/1.0333394966054072)
		}
	}
	return out
}

// worldEval holds the acceptance numbers of the designed models on one
// world.
type worldEval struct {
	Alignment, Social map[string]float64
	AlignmentByKind   map[string]map[string]float64
	// OracleSocial is the social accuracy of the truth's alignment alone
	// (ties one half): what a perfect alignment scorer gets.
	OracleSocial float64
	// R2 is the held-out R² of a linear readout of appeal from the image
	// embeddings.
	R2 float64
	// Untrained and Trained are Social Reward's test accuracies (ties count
	// as correct, harness/train's rule) before and after training Linear
	// adapters on the train split.
	Untrained, Trained float64
	NumAlign, NumSoc   int
}

func (ev worldEval) String() string {
	b, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// evaluate builds the designed models and measures them on a written
// world (worldDir, simworld.Write) and its curation (curatedDir, curate.Run).
func evaluate(t testing.TB, worldDir, curatedDir string) worldEval {
	t.Helper()
	models := t.TempDir()
	if _, err := BuildModels(models, ModelOptions{}); err != nil {
		t.Fatal(err)
	}
	align := readPairs(t, filepath.Join(worldDir, simworld.AlignmentFile))
	social := readPairs(t, filepath.Join(curatedDir, "test.jsonl"))
	ev := worldEval{Alignment: map[string]float64{}, Social: map[string]float64{}, AlignmentByKind: map[string]map[string]float64{},
		NumAlign: len(align), NumSoc: len(social)}
	alignItems, socialItems := pairItems(align), pairItems(social)
	for _, s := range Scorers() {
		dir := filepath.Join(models, s)
		score := func(items []scorer.Item) []float64 {
			if s == ScorerImageReward {
				return imageRewardScores(t, dir, items)
			}
			return clipScores(t, dir, s, items)
		}
		scores := score(alignItems)
		ev.Alignment[s] = pairAccuracy(align, scores)
		byKind := map[string][]evalPair{}
		byKindScores := map[string][]float64{}
		for i, p := range align {
			k := kindOf(p.ID)
			byKind[k] = append(byKind[k], p)
			byKindScores[k] = append(byKindScores[k], scores[2*i], scores[2*i+1])
		}
		ev.AlignmentByKind[s] = map[string]float64{}
		for k, ps := range byKind {
			ev.AlignmentByKind[s][k] = pairAccuracy(ps, byKindScores[k])
		}
		ev.Social[s] = pairAccuracy(social, score(socialItems))
	}
	ev.OracleSocial = oracleAccuracy(t, worldDir, social)
	ev.R2 = appealR2(t, filepath.Join(models, ScorerSocialReward), worldDir)
	ev.Untrained, ev.Trained = trainedSocial(t, filepath.Join(models, ScorerSocialReward), curatedDir)
	return ev
}

// oracleAccuracy scores pairs by the truth's alignment of each image.
func oracleAccuracy(t testing.TB, worldDir string, ps []evalPair) float64 {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(worldDir, simworld.TruthFile))
	if err != nil {
		t.Fatal(err)
	}
	align := map[string]float64{}
	dec := json.NewDecoder(bytes.NewReader(data))
	for dec.More() {
		var r simworld.TruthRecord
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		align[r.ImageID] = r.Alignment
	}
	scores := make([]float64, 0, 2*len(ps))
	for _, p := range ps {
		for _, path := range []string{p.A, p.B} {
			id := strings.TrimSuffix(filepath.Base(path), ".png")
			a, ok := align[id]
			if !ok {
				t.Fatalf("image %s is not in the truth", path)
			}
			scores = append(scores, a)
		}
	}
	return pairAccuracy(ps, scores)
}

// kindOf is the alignment pair's kind, the id's suffix after the last "-".
func kindOf(id string) string {
	for i := len(id) - 1; i >= 0; i-- {
		if id[i] == '-' {
			return id[i+1:]
		}
	}
	return id
}

// appealR2 fits appeal ≈ c + wᵀ·image_embedding by least squares on the
// images of 80% of the prompts and returns R² on the images of the other
// 20% (every fifth prompt).
func appealR2(t testing.TB, modelDir, worldDir string) float64 {
	t.Helper()
	f, err := os.Open(filepath.Join(worldDir, simworld.TruthFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var items []scorer.Item
	var appeal []float64
	var held []bool
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	prompts := map[string]int{}
	for sc.Scan() {
		var r simworld.TruthRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if _, ok := prompts[r.PromptID]; !ok {
			prompts[r.PromptID] = len(prompts)
		}
		items = append(items, scorer.Item{ID: r.ImageID, ImagePath: filepath.Join(worldDir, simworld.ImagesDir, r.ImageID+".png")})
		appeal = append(appeal, r.Appeal)
		held = append(held, prompts[r.PromptID]%5 == 4)
	}
	enc, err := dualenc.Open(scorer.Config{ModelDir: modelDir, IntraOpThreads: 1}, dualenc.Spec{Kind: ScorerSocialReward, DefaultPipeline: "openai"})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	emb, errs, err := enc.EmbedImages(context.Background(), items)
	if err != nil {
		t.Fatal(err)
	}
	var xTrain, xTest [][]float64
	var yTrain, yTest []float64
	for i, e := range emb {
		if errs[i] != "" {
			t.Fatalf("image %s: %s", items[i].ID, errs[i])
		}
		row := []float64{1}
		for _, v := range e {
			row = append(row, float64(v))
		}
		if held[i] {
			xTest, yTest = append(xTest, row), append(yTest, appeal[i])
		} else {
			xTrain, yTrain = append(xTrain, row), append(yTrain, appeal[i])
		}
	}
	w := leastSquares(t, xTrain, yTrain)
	var mean, ssTot, ssRes float64
	for _, y := range yTest {
		mean += y
	}
	mean /= float64(len(yTest))
	for i, x := range xTest {
		var p float64
		for j, v := range x {
			p += w[j] * v
		}
		ssRes += (yTest[i] - p) * (yTest[i] - p)
		ssTot += (yTest[i] - mean) * (yTest[i] - mean)
	}
	return 1 - ssRes/ssTot
}

// leastSquares solves min ‖X·w − y‖ by QR (gonum).
func leastSquares(t testing.TB, x [][]float64, y []float64) []float64 {
	t.Helper()
	n, p := len(x), len(x[0])
	a := mat.NewDense(n, p, nil)
	for i, row := range x {
		a.SetRow(i, row)
	}
	var qr mat.QR
	qr.Factorize(a)
	var w mat.Dense
	if err := qr.SolveTo(&w, false, mat.NewDense(n, 1, y)); err != nil {
		t.Fatal(fmt.Errorf("least squares: %w", err))
	}
	return mat.Col(nil, 0, &w)
}

// trainedSocial trains the default Linear adapters (harness/train) on the
// curated train split's embeddings and returns (untrained, trained)
// accuracy on the test split.
func trainedSocial(t testing.TB, modelDir, curatedDir string) (float64, float64) {
	t.Helper()
	enc, err := dualenc.Open(scorer.Config{ModelDir: modelDir, IntraOpThreads: 1}, dualenc.Spec{Kind: ScorerSocialReward, DefaultPipeline: "openai"})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	triplets := func(split string) []train.Triplet {
		ps := readPairs(t, filepath.Join(curatedDir, split+".jsonl"))
		emb, err := enc.Embed(context.Background(), pairItems(ps), "")
		if err != nil {
			t.Fatal(err)
		}
		var out []train.Triplet
		for i, p := range ps {
			pos, neg := emb.Image[2*i], emb.Image[2*i+1]
			if !p.AWins {
				pos, neg = neg, pos
			}
			out = append(out, train.Triplet{Text: emb.Text[2*i], Pos: pos, Neg: neg})
		}
		return out
	}
	tr, val, te := triplets("train"), triplets("validation"), triplets("test")
	res, err := train.Train(context.Background(), train.Config{Seed: 1}, train.Data{Train: tr, Val: val}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return train.PairwiseAccuracy(nil, te), train.PairwiseAccuracy(res.Model, te)
}

var fullWorld = flag.Bool("demo.full", false, "also measure the designed models on default-size worlds (300 prompts, seeds 0 and 1)")

// writeWorld simulates a world and curates it into a temporary directory.
func writeWorld(t testing.TB, seed uint64, prompts int, copts curate.Options) (worldDir, curatedDir string) {
	t.Helper()
	dir := t.TempDir()
	worldDir, curatedDir = filepath.Join(dir, "world"), filepath.Join(dir, "curated")
	if _, err := simworld.Write(worldDir, simworld.Options{Seed: seed, Prompts: prompts}); err != nil {
		t.Fatal(err)
	}
	if _, err := curate.Run(filepath.Join(worldDir, simworld.LogJSONL), curatedDir, copts); err != nil {
		t.Fatal(err)
	}
	return worldDir, curatedDir
}

// TestWorldAccuracy measures the designed models through ONNX Runtime with
// the scorer plugins' formulas on a 120-prompt world (seed 1). Its
// curation keeps 40% of the prompts for the test split (48 prompts, about
// 470 pairs) so that the social accuracy is measured on enough pairs.
func TestWorldAccuracy(t *testing.T) {
	w, c := writeWorld(t, 1, 120, curate.Options{Seed: 1, TrainFrac: 0.5, ValidationFrac: 0.1, TestFrac: 0.4})
	ev := evaluate(t, w, c)
	t.Logf("120-prompt world, seed 1:\n%s", ev)
	for _, s := range Scorers() {
		t.Run("alignment/"+s, func(t *testing.T) {
			want := 0.85 // CLIPScore and Social Reward's backbone
			if s == ScorerPickScore || s == ScorerImageReward {
				want = 0.75 // the proxies: clearly above chance
			}
			if ev.Alignment[s] < want {
				t.Errorf("%s: %.3f of %d alignment pairs, want ≥ %.2f", s, ev.Alignment[s], ev.NumAlign, want)
			}
		})
	}
	t.Run("social/clipscore", func(t *testing.T) {
		if a := ev.Social[ScorerCLIPScore]; a < 0.40 || a > 0.65 {
			t.Errorf("CLIPScore: %.3f of %d social test pairs, want within [0.40, 0.65] (alignment alone: %.3f)", a, ev.NumSoc, ev.OracleSocial)
		}
	})
	t.Run("appeal readout", func(t *testing.T) {
		if ev.R2 < 0.3 {
			t.Errorf("held-out R² of appeal from image embeddings = %.3f, want ≥ 0.3", ev.R2)
		}
	})
	t.Run("social reward trains", func(t *testing.T) {
		if ev.Trained < ev.Untrained+0.05 {
			t.Errorf("Social Reward test accuracy %.3f after training, %.3f before: want a gain of at least 5 points", ev.Trained, ev.Untrained)
		}
	})
}

// TestWorldAccuracyDefaultSize reports the same numbers on default-size
// worlds (300 prompts, default curation, world and curation seed 0 as
// `srbench demo` uses, and seed 1); run with -demo.full.
func TestWorldAccuracyDefaultSize(t *testing.T) {
	if !*fullWorld {
		t.Skip("run with -demo.full")
	}
	for _, seed := range []uint64{0, 1} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			w, c := writeWorld(t, seed, 0, curate.Options{Seed: seed})
			t.Logf("300-prompt world, seed %d:\n%s", seed, evaluate(t, w, c))
		})
	}
}
