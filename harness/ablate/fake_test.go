package ablate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/srbench/srbench/harness/results"
)

// The fake world of the tests: 20 test pairs; a trained model is right on
// the pairs (i - start) mod 20 < count[seed], its window chosen from the
// training config (see window). testdata/expected.py computes the expected
// statistics of this design independently.
const fakePairs = 20

var fakeSeeds = []uint64{1, 2, 3}

type fakeWindow struct {
	start  int
	counts [3]int // by seed 1, 2, 3
}

// window returns the correctness window of a model trained with cfg on
// curation.
func window(cfg map[string]any, curation string) fakeWindow {
	switch {
	case cfg["loss"] == "logistic":
		return fakeWindow{0, [3]int{15, 16, 18}}
	case cfg["margin"] == 0.5:
		return fakeWindow{2, [3]int{12, 13, 14}}
	case curation == "raw":
		return fakeWindow{0, [3]int{10, 10, 11}}
	case cfg["train_fraction"] == 0.5:
		return fakeWindow{0, [3]int{8, 9, 9}}
	}
	return fakeWindow{0, [3]int{12, 13, 14}}
}

// fake implements Deps on files, counting calls per cell-seed directory.
type fake struct {
	dir string

	mu         sync.Mutex
	trainCalls map[string]int // seed dir → calls
	evalCalls  map[string]int
	// failTrain / failEval make Train / Evaluate fail for a config.
	failTrain, failEval func(cfg map[string]any) bool
}

func newFake(dir string) *fake {
	return &fake{dir: dir, trainCalls: map[string]int{}, evalCalls: map[string]int{}}
}

func (f *fake) deps() Deps {
	return Deps{Data: f.data, Train: f.train, Evaluate: f.evaluate}
}

func (f *fake) data(_ context.Context, curation string) (string, string, string, error) {
	d := filepath.Join(f.dir, "data", curation)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", "", "", err
	}
	tr, va := filepath.Join(d, "train.jsonl"), filepath.Join(d, "validation.jsonl")
	for _, p := range []string{tr, va} {
		if err := os.WriteFile(p, []byte(curation+"\n"), 0o644); err != nil {
			return "", "", "", err
		}
	}
	// One test split for every curation.
	return tr, va, filepath.Join(f.dir, "data", "test.jsonl"), nil
}

func seedIndex(cfg map[string]any) int {
	return int(cfg["seed"].(float64)) - 1
}

func (f *fake) train(_ context.Context, trainPath, valPath, configJSON, outDir string) error {
	var cfg map[string]any
	if err := json.Unmarshal([]byte(configJSON), &cfg); err != nil {
		return err
	}
	f.mu.Lock()
	f.trainCalls[filepath.Dir(outDir)]++
	f.mu.Unlock()
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	if f.failTrain != nil && f.failTrain(cfg) {
		// A half-written model directory, as a crash would leave it.
		os.WriteFile(filepath.Join(outDir, "partial"), nil, 0o644)
		return errors.New("fake training failure")
	}
	curation := filepath.Base(filepath.Dir(trainPath))
	seed := int(cfg["seed"].(float64))
	epochs := int(cfg["epochs"].(float64))
	if seed == 3 {
		epochs-- // seed 3 stops early
	}
	var hist []map[string]any
	for e := 1; e <= epochs; e++ {
		hist = append(hist, map[string]any{"epoch": e, "steps": 10 * e, "train_loss": 1.0 / float64(e),
			"val_accuracy": 0.5 + 0.05*float64(e) + 0.01*float64(seed)})
	}
	frac := 1.0
	if v, ok := cfg["train_fraction"].(float64); ok {
		frac = v
	}
	size := int(math.Round(100 * frac))
	if curation == "raw" {
		size = int(math.Round(120 * frac))
	}
	rec := map[string]any{"config": cfg, "fake_curation": curation,
		"result": map[string]any{"history": hist, "initial_val_accuracy": 0.5, "best_val_accuracy": 0.7,
			"best_epoch": epochs, "train_size": size}}
	if err := results.WriteJSON(filepath.Join(outDir, TrainingFile), rec); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(outDir, "marker"), []byte(configJSON), 0o644)
}

func (f *fake) evaluate(_ context.Context, modelDir, testPath, runDir string) (*results.Results, error) {
	b, err := os.ReadFile(filepath.Join(modelDir, TrainingFile))
	if err != nil {
		return nil, err
	}
	var rec struct {
		Config   map[string]any `json:"config"`
		Curation string         `json:"fake_curation"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.evalCalls[filepath.Dir(runDir)]++
	f.mu.Unlock()
	if f.failEval != nil && f.failEval(rec.Config) {
		return nil, errors.New("fake evaluation failure")
	}
	if filepath.Base(testPath) != "test.jsonl" {
		return nil, fmt.Errorf("test path %s", testPath)
	}
	w := window(rec.Config, rec.Curation)
	k := seedIndex(rec.Config)
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return nil, err
	}
	var lines []string
	right := 0
	for i := range fakePairs {
		correct := ((i-w.start)%fakePairs+fakePairs)%fakePairs < w.counts[k]
		if correct {
			right++
		}
		s := results.Sample{Index: i, ID: fmt.Sprintf("pair-%02d", i), Label: "a"}
		hi, lo := 0.9, 0.1
		if i%5 == 0 {
			hi, lo = 0.5, 0.5 // a tie: correct under Social Reward's rule
		}
		a, bb := hi, lo
		if !correct {
			a, bb = 0.1, 0.9
		}
		if i%2 == 1 { // label b: the same correctness, mirrored
			s.Label, a, bb = "b", bb, a
		}
		s.Scores = map[string]results.SampleScore{"socialreward": {A: a, B: bb}}
		line, err := json.Marshal(s)
		if err != nil {
			return nil, err
		}
		lines = append(lines, string(line))
	}
	if w.start != 0 || rec.Config["loss"] == "logistic" {
		// Another order than the reference's: pairs must be matched by id.
		for i, j := 0, len(lines)-1; i < j; i, j = i+1, j-1 {
			lines[i], lines[j] = lines[j], lines[i]
		}
	}
	if err := os.WriteFile(filepath.Join(runDir, "samples.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		return nil, err
	}
	res := &results.Results{SchemaVersion: results.SchemaVersion,
		Dataset: results.DatasetInfo{Format: "pairs-jsonl", Path: testPath, SHA256: "sha256:test", NPairs: fakePairs},
		Scorers: []results.ScorerResult{{Name: "socialreward", Kind: "socialreward", ModelDir: modelDir,
			Accuracy: ptr(float64(right) / fakePairs), NPairs: fakePairs}}}
	return res, results.WriteJSON(filepath.Join(runDir, "results.json"), res)
}

// testSpec is the small one-at-a-time grid of the tests: 5 cells × 3 seeds.
func testSpec() *Spec {
	return &Spec{
		Name: "test-grid", Version: "1",
		Grid: map[string][]any{
			"loss": {"triplet", "logistic"}, "margin": {0.3, 0.5},
			"curation": {"debiased", "raw"}, "fraction": {0.5, 1.0},
		},
		Reference: map[string]any{"loss": "triplet", "margin": 0.3, "curation": "debiased", "fraction": 1.0},
		Seeds:     append([]uint64(nil), fakeSeeds...),
		Base:      map[string]any{"epochs": 3, "batch_size": 16},
	}
}

type reportResults = results.Results

func writeJSON(path string, v any) error { return results.WriteJSON(path, v) }

func ptr(f float64) *float64 { return &f }
