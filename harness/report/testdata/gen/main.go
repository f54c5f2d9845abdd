// Command gen writes the report package's test fixture: a synthetic run
// directory (samples.jsonl and results.json) of 3 scorers × 400 pairs over
// 100 prompts, with label strength, a few label ties and a few scoring
// failures. results.json is computed from the samples by bench.Analyze, the
// same analysis `srbench run` does. It was run once:
//
//	go run ./harness/report/testdata/gen -out harness/report/testdata/run
//
// The files are committed; the golden tests do not rerun this program, so a
// later change to the analysis does not silently change the fixture.
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/srbench/srbench/harness/bench"
	"github.com/srbench/srbench/harness/results"
)

// scorer is a synthetic scorer: score = offset + scale·(quality + shared +
// own noise), optionally rounded to a grid (which makes exact ties).
type scorer struct {
	name, kind, variant string
	offset, scale       float64
	noise               float64 // sd of the scorer's own noise per image
	round               float64 // 0 = no rounding
	failEvery           int     // every failEvery-th pair fails (0 = never)
}

func main() {
	out := flag.String("out", "harness/report/testdata/run", "run directory to write")
	flag.Parse()
	if err := run(*out); err != nil {
		log.Fatal(err)
	}
}

func run(out string) error {
	rng := rand.New(rand.NewPCG(20240214, 1))
	scorers := []scorer{
		{name: "socialreward", kind: "socialreward", variant: "vit-l-14", offset: 0.25, scale: 0.02, noise: 0.9},
		{name: "pickscore", kind: "pickscore", variant: "vit-h-14", offset: 21, scale: 0.8, noise: 1.7},
		{name: "clipscore", kind: "clipscore", variant: "hessel2021", offset: 0.75, scale: 0.05, noise: 3.0, round: 0.01, failEvery: 131},
	}
	const nPrompts, perPrompt = 100, 4
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(out, "samples.jsonl"))
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	h := sha256.New()
	idx := 0
	for p := range nPrompts {
		promptID := fmt.Sprintf("p%03d", p)
		base := rng.NormFloat64()
		for k := range perPrompt {
			m := rng.NormFloat64() // true quality margin of the preferred side
			qA, qB := base+m/2, base-m/2
			label := "a"
			if m < 0 {
				label = "b"
			}
			strength := 1 - math.Exp(-math.Abs(m))
			if math.Abs(m) < 0.03 {
				label, strength = "tie", 0
			}
			strength = math.Round(strength*1000) / 1000
			shA, shB := 0.6*rng.NormFloat64(), 0.6*rng.NormFloat64()
			s := results.Sample{
				Index: idx, ID: fmt.Sprintf("%s-%d", promptID, k), PromptID: promptID,
				Prompt: fmt.Sprintf("synthetic prompt %d", p),
				ImageA: fmt.Sprintf("images/%s/%d-a.png", promptID, k), ImageB: fmt.Sprintf("images/%s/%d-b.png", promptID, k),
				Label: label, Weight: 1, Strength: &strength, Scores: map[string]results.SampleScore{},
			}
			for _, sc := range scorers {
				a := sc.offset + sc.scale*(qA+shA+sc.noise*rng.NormFloat64())
				b := sc.offset + sc.scale*(qB+shB+sc.noise*rng.NormFloat64())
				if sc.round > 0 {
					a, b = math.Round(a/sc.round)*sc.round, math.Round(b/sc.round)*sc.round
				}
				a, b = math.Round(a*1e6)/1e6, math.Round(b*1e6)/1e6
				ss := results.SampleScore{A: a, B: b}
				if sc.failEvery > 0 && idx%sc.failEvery == sc.failEvery-1 {
					ss = results.SampleScore{Error: fmt.Sprintf("image b: %s: decode: unsupported WebP feature", s.ImageB)}
				}
				s.Scores[sc.name] = ss
			}
			line, err := json.Marshal(s)
			if err != nil {
				return err
			}
			line = append(line, '\n')
			w.Write(line)
			h.Write(line)
			idx++
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}

	res := &results.Results{
		SchemaVersion: results.SchemaVersion,
		Benchmark:     results.Benchmark{Name: "synthetic-pairs", Version: "1", Description: "Fixture for the report tests: 400 synthetic pairs over 100 prompts."},
		Dataset: results.DatasetInfo{
			Format: "pairs-jsonl", Path: "data/synthetic-pairs.jsonl", SHA256: hex.EncodeToString(h.Sum(nil)),
			NSkippedRows: 2, SkipReasons: map[string]int{`missing field "prompt"`: 2},
			NFilteredRows: 5, FilterReasons: map[string]int{`split "validation"`: 5},
			Warnings: []string{
				`2 malformed rows skipped (--lenient): missing field "prompt"`,
				`unknown field "seed" ignored (first on line 1)`,
			},
		},
		Provenance: results.Provenance{
			Command:   []string{"srbench", "run", "--dataset", "data/synthetic-pairs.jsonl", "--scorers", "socialreward,pickscore,clipscore", "--lenient", "--out", "runs/fixture"},
			Commit:    "0123456789abcdef0123456789abcdef01234567",
			GoVersion: "go1.26.0", Srbench: "0.1.0", StartedAt: "2025-01-01T00:00:00Z", Seconds: 12.5, Cached: 0,
		},
		Notes: []string{"Synthetic world, demo models: these numbers say nothing about real scorers."},
	}
	for _, sc := range scorers {
		res.Scorers = append(res.Scorers, results.ScorerResult{
			Name: sc.name, Kind: sc.kind, Variant: sc.variant, Version: "0.1.0",
			Fingerprint: "sha256:" + fmt.Sprintf("%x", sha256.Sum256([]byte(sc.name))),
			Runtime:     "onnxruntime 1.22.0", Provider: "cpu",
			Formula:    "synthetic: offset + scale·(quality + noise)",
			Preprocess: "none (synthetic)", Tokenizer: "none (synthetic)",
			ModelDir: "models/" + sc.name,
		})
	}
	if err := bench.Analyze(out, res, bench.AnalyzeOptions{}); err != nil {
		return err
	}
	return results.WriteJSON(filepath.Join(out, "results.json"), res)
}
