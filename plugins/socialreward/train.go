package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/srbench/srbench/harness/dualenc"
	"github.com/srbench/srbench/harness/modeldir"
	"github.com/srbench/srbench/harness/scorer"
	"github.com/srbench/srbench/harness/train"
	"github.com/srbench/srbench/harness/trainexport"
	"github.com/srbench/srbench/internal/cachedir"
)

// AdaptersFile holds trained adapters in a model directory (the plugin
// scores through them when present); TrainingFile records the training run.
// The names are shared with `srbench train export`.
const (
	AdaptersFile = trainexport.AdaptersFile
	TrainingFile = trainexport.TrainingFile
)

// trainConfig is the JSON configuration of Train: train.Config's fields plus
// the plugin's own.
type trainConfig struct {
	train.Config
	// TrainFraction keeps a seeded random share of the training triplets
	// (0 or 1 = all), for data-scaling curves.
	TrainFraction float64 `json:"train_fraction"`
	// EmbeddingCache is the SQLite embedding cache; "" = the srbench cache
	// dir's embeddings.sqlite, "off" = none.
	EmbeddingCache string `json:"embedding_cache"`
}

// Train implements scorer.Trainer: it embeds the triplets with the frozen
// backbone of the configured model directory (cached per backbone
// fingerprint and content), trains adapters on the embeddings and writes a
// model directory holding the backbone files, adapters.safetensors and
// training.json.
func (s *SocialReward) Train(ctx context.Context, req scorer.TrainRequest, emit func(scorer.TrainEvent) error) error {
	if s.adapters != nil {
		return errors.New("the configured model already has adapters; train from its backbone directory")
	}
	var cfg trainConfig
	if req.Config != "" {
		dec := json.NewDecoder(bytes.NewReader([]byte(req.Config)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return fmt.Errorf("training config: %w", err)
		}
	}
	if cfg.TrainFraction < 0 || cfg.TrainFraction > 1 {
		return fmt.Errorf("training config: field \"train_fraction\": %v, want 0 < f <= 1", cfg.TrainFraction)
	}
	if req.OutDir == "" {
		return errors.New("no output directory for the trained model")
	}
	var cache *dualenc.EmbeddingCache
	if cfg.EmbeddingCache != "off" {
		path := cfg.EmbeddingCache
		if path == "" {
			path = filepath.Join(cachedir.Dir(nil), "embeddings.sqlite")
		}
		var err error
		if cache, err = dualenc.OpenEmbeddingCache(path); err != nil {
			return err
		}
		defer cache.Close()
	}
	note := func(format string, a ...any) error {
		return emit(scorer.TrainEvent{Message: fmt.Sprintf(format, a...)})
	}

	if len(req.Train) == 0 {
		return errors.New("no training triplets")
	}
	trainSet, err := s.triplets(ctx, cache, req.Train)
	if err != nil {
		return fmt.Errorf("training data: %w", err)
	}
	trainSet = train.Fraction(trainSet, cfg.TrainFraction, cfg.Seed)
	var valSet []train.Triplet
	if len(req.Validation) > 0 {
		if valSet, err = s.triplets(ctx, cache, req.Validation); err != nil {
			return fmt.Errorf("validation data: %w", err)
		}
	}
	if err := note("embedded %d training and %d validation triplets with backbone %s", len(trainSet), len(valSet), s.enc.Dir.Fingerprint); err != nil {
		return err
	}
	bs, ep := cfg.BatchSize, cfg.Epochs
	if bs == 0 {
		bs = train.DefaultBatchSize
	}
	if ep == 0 {
		ep = train.DefaultEpochs
	}
	total := int64(ep * ((len(trainSet) + bs - 1) / bs))
	var emitErr error
	res, err := train.Train(ctx, cfg.Config, train.Data{Train: trainSet, Val: valSet}, func(ev train.Event) {
		if emitErr != nil || !ev.EpochEnd {
			return
		}
		emitErr = emit(scorer.TrainEvent{Epoch: ev.Epoch, Step: int64(ev.Step), TotalSteps: total, Loss: ev.Loss,
			HasValidation: len(valSet) > 0, ValAccuracy: ev.ValAccuracy})
	})
	if emitErr != nil {
		return emitErr
	}
	if err != nil {
		// Keep the last good parameters beside the error, as the issue asks.
		if res.Model != nil {
			if werr := s.writeTrained(req.OutDir, res, cfg); werr == nil {
				return fmt.Errorf("%w (the last good parameters are in %s)", err, req.OutDir)
			}
		}
		return err
	}
	if err := s.writeTrained(req.OutDir, res, cfg); err != nil {
		return err
	}
	metrics, err := json.Marshal(map[string]any{
		"initial_val_accuracy": res.InitialValAccuracy, "best_val_accuracy": res.BestValAccuracy,
		"best_epoch": res.BestEpoch, "steps": res.Steps, "stop_reason": res.StopReason,
		"train_triplets": len(trainSet), "val_triplets": len(valSet), "history": res.History,
	})
	if err != nil {
		return err
	}
	return emit(scorer.TrainEvent{Epoch: res.BestEpoch, Step: int64(res.Steps), TotalSteps: total,
		HasValidation: len(valSet) > 0, ValAccuracy: res.BestValAccuracy, CheckpointDir: req.OutDir, Metrics: string(metrics)})
}

// triplets embeds the host's triplets (cached per backbone and content).
func (s *SocialReward) triplets(ctx context.Context, cache *dualenc.EmbeddingCache, raw []scorer.Triplet) ([]train.Triplet, error) {
	// Distinct prompts and images, embedded once (and cached).
	var prompts []string
	pIdx := map[string]int{}
	var imgs []scorer.Item
	iIdx := map[string]int{}
	imgKey := func(im scorer.ImageRef) (string, error) {
		b := im.Data
		if b == nil {
			var err error
			if b, err = os.ReadFile(im.Path); err != nil {
				return "", err
			}
		}
		h := sha256.Sum256(b)
		return "i:" + hex.EncodeToString(h[:]), nil
	}
	type idx struct{ p, pos, neg int }
	ix := make([]idx, len(raw))
	for k, t := range raw {
		if _, ok := pIdx[t.Prompt]; !ok {
			pIdx[t.Prompt] = len(prompts)
			prompts = append(prompts, t.Prompt)
		}
		ix[k].p = pIdx[t.Prompt]
		for side, im := range []scorer.ImageRef{t.Preferred, t.Other} {
			key, err := imgKey(im)
			if err != nil {
				return nil, fmt.Errorf("triplet %q: %w", t.ID, err)
			}
			j, ok := iIdx[key]
			if !ok {
				j = len(imgs)
				iIdx[key] = j
				imgs = append(imgs, scorer.Item{ID: key, ImagePath: im.Path, ImageBytes: im.Data})
			}
			if side == 0 {
				ix[k].pos = j
			} else {
				ix[k].neg = j
			}
		}
	}
	tkeys := make([]string, len(prompts))
	for i, p := range prompts {
		h := sha256.Sum256([]byte(p))
		tkeys[i] = "t:" + hex.EncodeToString(h[:])
	}
	temb, err := s.cached(cache, tkeys, func(missing []int) ([][]float32, error) {
		sub := make([]string, len(missing))
		for k, i := range missing {
			sub[k] = prompts[i]
		}
		return s.enc.EmbedTexts(ctx, sub)
	})
	if err != nil {
		return nil, err
	}
	ikeys := make([]string, len(imgs))
	for i, it := range imgs {
		ikeys[i] = it.ID
	}
	iemb, err := s.cached(cache, ikeys, func(missing []int) ([][]float32, error) {
		sub := make([]scorer.Item, len(missing))
		for k, i := range missing {
			sub[k] = imgs[i]
		}
		emb, errs, err := s.enc.EmbedImages(ctx, sub)
		if err != nil {
			return nil, err
		}
		for k, e := range errs {
			if e != "" {
				name := sub[k].ImagePath
				if name == "" {
					name = fmt.Sprintf("of %d bytes", len(sub[k].ImageBytes))
				}
				return nil, fmt.Errorf("image %s: %s", name, e)
			}
		}
		return emb, nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]train.Triplet, len(raw))
	for k, t := range raw {
		w := t.Weight
		if w == 0 {
			w = 1
		}
		out[k] = train.Triplet{Text: temb[ix[k].p], Pos: iemb[ix[k].pos], Neg: iemb[ix[k].neg], Weight: w}
	}
	return out, nil
}

// cached returns the embeddings of keys, computing the missing ones with compute.
func (s *SocialReward) cached(cache *dualenc.EmbeddingCache, keys []string, compute func(missing []int) ([][]float32, error)) ([][]float32, error) {
	out := make([][]float32, len(keys))
	var identity string
	if cache != nil {
		var err error
		if identity, err = s.enc.Identity(); err != nil {
			return nil, fmt.Errorf("embedding cache: %w", err)
		}
		if out, err = cache.Get(identity, keys); err != nil {
			return nil, err
		}
	}
	var missing []int
	for i, v := range out {
		if v == nil {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	vecs, err := compute(missing)
	if err != nil {
		return nil, err
	}
	mk := make([]string, len(missing))
	for k, i := range missing {
		out[i] = vecs[k]
		mk[k] = keys[i]
	}
	if cache != nil {
		if err := cache.Put(identity, mk, vecs); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// writeTrained writes the trained model directory: the backbone's files
// (hard-linked, or copied), the adapters and training.json, and a manifest
// naming the backbone.
func (s *SocialReward) writeTrained(out string, res train.Result, cfg trainConfig) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	ents, err := os.ReadDir(s.enc.Dir.Path)
	if err != nil {
		return err
	}
	for _, e := range ents {
		name := e.Name()
		if !e.Type().IsRegular() || slices.Contains([]string{modeldir.ManifestName, AdaptersFile, TrainingFile}, name) {
			continue
		}
		dst := filepath.Join(out, name)
		os.Remove(dst)
		if err := os.Link(filepath.Join(s.enc.Dir.Path, name), dst); err != nil {
			if err := copyFile(filepath.Join(s.enc.Dir.Path, name), dst); err != nil {
				return err
			}
		}
	}
	meta, err := res.Metadata()
	if err != nil {
		return err
	}
	meta["backbone_fingerprint"] = s.enc.Dir.Fingerprint
	if err := train.SaveCheckpoint(filepath.Join(out, AdaptersFile), res.Model, meta, train.CheckpointOptions{}); err != nil {
		return err
	}
	rec, err := json.MarshalIndent(map[string]any{"config": cfg, "result": res,
		// No paths: the trained directory's fingerprint must not depend on where it was made.
		"backbone_fingerprint": s.enc.Dir.Fingerprint}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, TrainingFile), rec, 0o644); err != nil {
		return err
	}
	m := s.enc.Dir.Manifest
	m.Kind = "socialreward"
	m.Variant = "adapters"
	m.Description = fmt.Sprintf("Social Reward adapters (%s loss, %s side) on backbone %s", res.Config.Loss, res.Config.Side, s.enc.Dir.Fingerprint)
	return modeldir.Write(out, m)
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}
