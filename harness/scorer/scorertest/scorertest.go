// Package scorertest provides a trivial, deterministic scorer for testing the
// host, the runner and the contract without ONNX Runtime.
//
// Its score for an item is len(prompt) + (number of image bytes)/1000, which a
// test can compute independently. Options steer failure modes:
//
//	fail_prompt=S  items whose prompt contains S get a per-item error
//	nan_prompt=S   items whose prompt contains S score NaN (the shim must turn it into an error)
//	crash_after=N  the process exits abruptly on the N-th Score call (N >= 1)
//	delay_ms=N     each Score call sleeps N milliseconds
//	fingerprint=S  reported fingerprint (default "sha256:trivial")
//	log=PATH       append the id of every scored item to PATH, one per line
//	trainable=1    the scorer implements scorer.Trainer (see TrivialTrainer)
//	jitter=S       add Jitter(S, prompt, image path), a deterministic value in
//	               [0, 1), so that two instances with different S disagree
//	               and scores rarely tie (for load and memory tests)
package scorertest

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/srbench/srbench/harness/scorer"
)

// Trivial is the test scorer.
type Trivial struct {
	cfg        scorer.Config
	crashAfter int64
	delay      time.Duration
	calls      atomic.Int64
	exit       func(code int)
	bonus      float64
}

// Jitter is the value the jitter=seed option adds to a score: the FNV-1a
// hash of seed, prompt and image path mapped to [0, 1).
func Jitter(seed, prompt, image string) float64 {
	h := fnv.New64a()
	for _, s := range []string{seed, prompt, image} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return float64(h.Sum64()>>11) / (1 << 53)
}

// Expected is the score Trivial gives a prompt and an image of n bytes.
func Expected(prompt string, n int) float64 { return float64(len(prompt)) + float64(n)/1000 }

// WithBonus is the Factory of a trivial scorer that adds bonus to every
// score (New is WithBonus(0)).
func WithBonus(bonus float64) scorer.Factory {
	return func(ctx context.Context, cfg scorer.Config) (scorer.Scorer, error) {
		sc, err := New(ctx, cfg)
		if err != nil || bonus == 0 {
			return sc, err
		}
		switch t := sc.(type) {
		case *Trivial:
			t.bonus = bonus
		case *TrivialTrainer:
			t.bonus = bonus
		}
		return sc, nil
	}
}

// New is the Factory of the trivial scorer.
func New(_ context.Context, cfg scorer.Config) (scorer.Scorer, error) {
	if err := cfg.CheckOptions("fail_prompt", "nan_prompt", "crash_after", "delay_ms", "fingerprint", "log", "trainable", "jitter"); err != nil {
		return nil, err
	}
	t := &Trivial{cfg: cfg, exit: os.Exit}
	if v, ok := cfg.Options["crash_after"]; ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("option crash_after: want an integer >= 1, got %q", v)
		}
		t.crashAfter = n
	}
	if v, ok := cfg.Options["delay_ms"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("option delay_ms: want an integer >= 0, got %q", v)
		}
		t.delay = time.Duration(n) * time.Millisecond
	}
	if cfg.Options["trainable"] == "1" {
		return &TrivialTrainer{Trivial: t}, nil
	}
	return t, nil
}

// TrivialTrainer is the trainable variant: Train emits one event per epoch
// (loss 1/epoch) and writes OutDir/trained.txt with one line per triplet it
// received, training then validation: the split, the prompt and the two
// images (path or byte count), tab-separated.
type TrivialTrainer struct{ *Trivial }

// Train implements scorer.Trainer.
func (t *TrivialTrainer) Train(ctx context.Context, req scorer.TrainRequest, emit func(scorer.TrainEvent) error) error {
	if len(req.Train) == 0 {
		return fmt.Errorf("no training triplets")
	}
	for e := 1; e <= 3; e++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := emit(scorer.TrainEvent{Epoch: e, Step: int64(10 * e), TotalSteps: 30, Loss: 1 / float64(e)}); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(req.OutDir, 0o755); err != nil {
		return err
	}
	var b strings.Builder
	image := func(im scorer.ImageRef) string {
		if im.Data != nil {
			return fmt.Sprintf("%d bytes", len(im.Data))
		}
		return im.Path
	}
	for _, x := range []struct {
		split string
		ts    []scorer.Triplet
	}{{"train", req.Train}, {"validation", req.Validation}} {
		for _, t := range x.ts {
			fmt.Fprintf(&b, "%s\t%s\t%s\t%s\n", x.split, t.Prompt, image(t.Preferred), image(t.Other))
		}
	}
	if err := os.WriteFile(req.OutDir+"/trained.txt", []byte(b.String()), 0o644); err != nil {
		return err
	}
	return emit(scorer.TrainEvent{Epoch: 3, Step: 30, TotalSteps: 30, CheckpointDir: req.OutDir, Metrics: `{"loss":0.333}`})
}

// Describe implements scorer.Scorer.
func (t *Trivial) Describe(context.Context, scorer.DescribeRequest) (scorer.Description, error) {
	fp := t.cfg.Options["fingerprint"]
	if fp == "" {
		fp = "sha256:trivial"
	}
	return scorer.Description{
		Name: "trivial", Version: "1.0.0", Kind: "trivial", Variant: "length",
		Fingerprint: fp, PreferredBatchSize: 4, Runtime: "none", Provider: "cpu",
		Formula: "len(prompt) + image_bytes/1000", ModelDir: t.cfg.ModelDir,
	}, nil
}

// Score implements scorer.Scorer.
func (t *Trivial) Score(ctx context.Context, req scorer.ScoreRequest) (scorer.ScoreResponse, error) {
	items := req.Items
	if n := t.calls.Add(1); t.crashAfter > 0 && n >= t.crashAfter {
		t.exit(3)
	}
	if t.delay > 0 {
		select {
		case <-time.After(t.delay):
		case <-ctx.Done():
			return scorer.ScoreResponse{}, ctx.Err()
		}
	}
	if path := t.cfg.Options["log"]; path != "" {
		if err := appendIDs(path, items); err != nil {
			return scorer.ScoreResponse{}, err
		}
	}
	out := make([]scorer.Result, len(items))
	for i, it := range items {
		if s := t.cfg.Options["fail_prompt"]; s != "" && strings.Contains(it.Prompt, s) {
			out[i].Err = "trivial: asked to fail on this prompt"
			continue
		}
		if s := t.cfg.Options["nan_prompt"]; s != "" && strings.Contains(it.Prompt, s) {
			out[i].Score = math.NaN()
			continue
		}
		n := len(it.ImageBytes)
		if it.ImageBytes == nil {
			st, err := os.Stat(it.ImagePath)
			if err != nil {
				out[i].Err = fmt.Sprintf("image %q: %v", it.ImagePath, err)
				continue
			}
			n = int(st.Size())
		}
		out[i].Score = Expected(it.Prompt, n) + t.bonus
		if seed, ok := t.cfg.Options["jitter"]; ok {
			out[i].Score += Jitter(seed, it.Prompt, it.ImagePath)
		}
	}
	return scorer.ScoreResponse{Results: out}, nil
}

func appendIDs(path string, items []scorer.Item) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, it := range items {
		b.WriteString(it.ID)
		b.WriteByte('\n')
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
