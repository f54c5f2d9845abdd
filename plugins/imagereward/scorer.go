package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/srbench/srbench/harness/imageproc"
	"github.com/srbench/srbench/harness/modeldir"
	"github.com/srbench/srbench/harness/modeltok"
	"github.com/srbench/srbench/harness/onnx"
	"github.com/srbench/srbench/harness/onnx/blipmodel"
	"github.com/srbench/srbench/harness/scorer"
	"github.com/srbench/srbench/harness/tokenize"
)

// Version is the plugin's version.
const Version = "0.1.0"

// Kind is the srbench.yaml kind this scorer loads.
const Kind = "imagereward"

// DefaultBatchSize is the items per ONNX Runtime call when the host does
// not say.
const DefaultBatchSize = 16

// DefaultVariant names the released model when srbench.yaml names none.
const DefaultVariant = "ImageReward-v1.0"

// ImageReward's normalisation of the MLP output (ImageReward.py:
// self.mean, self.std).
const (
	DefaultMean = 0.16717362830052426
	DefaultStd  = 1.0333394966054072
)

// Keys srbench.yaml may use under constants and strings.
var (
	knownConstants = []string{"mean", "std"}
	knownStrings   = []string{"pipeline", "tokenizer"}
)

// ImageReward scores (prompt, image) pairs with a BLIP-shaped ImageReward
// model. It is safe for concurrent use.
type ImageReward struct {
	dir       *modeldir.Dir
	tok       tokenize.Tokenizer
	tokDesc   string
	pipe      imageproc.Pipeline
	size      int // the side of the square pixel tensor
	rt        *onnx.Runtime
	so        onnx.SessionOptions
	loadOnce  sync.Once
	loadErr   error
	sess      *onnx.Session // loaded by session()
	provider  string
	batchSize int
	workers   int
	par       *onnx.Parallel // runs the model (onnx.PlanRuns)
	variant   string
	mean, std float64
	constSrc  string
	pipeSrc   string
	loader    *imageproc.Loader
}

// New loads the model directory named by cfg. The scorer takes no options.
func New(_ context.Context, cfg scorer.Config) (scorer.Scorer, error) {
	if err := cfg.CheckOptions(); err != nil {
		return nil, fmt.Errorf("imagereward: %w", err)
	}
	if cfg.ModelDir == "" {
		return nil, errors.New("imagereward: no model directory given")
	}
	// The fingerprint (hashing every file unless remembered) runs in the
	// background while the rest of the directory is checked.
	dir, waitFingerprint, err := modeldir.LoadAsync(cfg.ModelDir, Kind)
	if err != nil {
		return nil, fmt.Errorf("imagereward: %w", err)
	}
	s := &ImageReward{dir: dir, batchSize: cfg.BatchSize, workers: runtime.GOMAXPROCS(0), provider: cfg.Provider}
	if s.batchSize <= 0 {
		s.batchSize = DefaultBatchSize
	}
	if s.provider == "" {
		s.provider = onnx.ProviderCPU
	}
	if s.variant = dir.Manifest.Variant; s.variant == "" {
		s.variant = DefaultVariant
	}
	if err := s.loadConstants(); err != nil {
		return nil, err
	}
	if err := s.loadTokenizer(); err != nil {
		return nil, err
	}
	if err := s.loadPipeline(); err != nil {
		return nil, err
	}
	s.loader = imageproc.NewLoader(s.pipe, cfg.MaxImageBytes, cfg.DecodeMemoryBytes)
	if s.rt, err = onnx.Init(onnx.Options{}); err != nil {
		return nil, fmt.Errorf("imagereward: %w", err)
	}
	model := dir.File(blipmodel.ModelFile)
	if !dir.Has(blipmodel.ModelFile) {
		return nil, fmt.Errorf("imagereward: model directory %s: no ONNX model: expected %s", dir.Path, blipmodel.ModelFile)
	}
	// The signature is checked now, from the file; ONNX Runtime loads the
	// model on first use, so a run served from the score cache never pays
	// for it.
	if err := onnx.CheckModelFile(model, blipmodel.Signature(s.size)); err != nil {
		return nil, fmt.Errorf("imagereward: %w", err)
	}
	s.so, s.par = onnx.PlanRuns(onnx.SessionOptions{IntraOpThreads: cfg.IntraOpThreads, ExecutionProvider: cfg.Provider})
	if err := s.rt.CheckSessionOptions(s.so); err != nil {
		return nil, fmt.Errorf("imagereward: %w", err)
	}
	if err := waitFingerprint(); err != nil {
		return nil, fmt.Errorf("imagereward: %w", err)
	}
	return s, nil
}

func (s *ImageReward) manifestPath() string { return s.dir.File(modeldir.ManifestName) }

// loadConstants reads mean and std from srbench.yaml, rejecting unknown
// keys so a typo cannot silently leave the default in place.
func (s *ImageReward) loadConstants() error {
	m := s.dir.Manifest
	for _, kv := range []struct {
		section string
		keys    []string
		known   []string
	}{
		{"constants", slices.Sorted(maps.Keys(m.Constants)), knownConstants},
		{"strings", slices.Sorted(maps.Keys(m.Strings)), knownStrings},
	} {
		for _, k := range kv.keys {
			if !slices.Contains(kv.known, k) {
				return fmt.Errorf("imagereward: file %q: field %q: unknown key %q (this scorer knows: %s)", s.manifestPath(), kv.section, k, strings.Join(kv.known, ", "))
			}
		}
	}
	s.mean = s.dir.Constant("mean", DefaultMean)
	s.std = s.dir.Constant("std", DefaultStd)
	if math.IsNaN(s.mean) || math.IsInf(s.mean, 0) {
		return fmt.Errorf("imagereward: file %q: field \"constants.mean\" is %v, want a finite number", s.manifestPath(), s.mean)
	}
	if s.std == 0 || math.IsNaN(s.std) || math.IsInf(s.std, 0) {
		return fmt.Errorf("imagereward: file %q: field \"constants.std\" is %v, want a finite non-zero number", s.manifestPath(), s.std)
	}
	_, hasMean := m.Constants["mean"]
	_, hasStd := m.Constants["std"]
	switch {
	case hasMean && hasStd:
		s.constSrc = "srbench.yaml constants"
	case hasMean || hasStd:
		s.constSrc = "srbench.yaml constants and ImageReward's defaults"
	default:
		s.constSrc = "ImageReward's defaults (ImageReward.py)"
	}
	return nil
}

// loadTokenizer loads ImageReward's tokenizer set-up (modeltok.ImageReward,
// shared with `srbench inspect tokens`).
func (s *ImageReward) loadTokenizer() error {
	tok, err := modeltok.ImageReward(s.dir)
	if err != nil {
		return fmt.Errorf("imagereward: %w", err)
	}
	s.tok, s.tokDesc = tok.Tokenizer, tok.Description
	return nil
}

// loadPipeline picks the image pipeline: srbench.yaml strings.pipeline,
// else preprocessor_config.json, else ImageReward's own transform, which is
// the "openai" pipeline (Resize(224, BICUBIC), CenterCrop(224), RGB last,
// ToTensor, Normalize with the CLIP mean and std).
func (s *ImageReward) loadPipeline() error {
	var err error
	switch name := s.dir.Manifest.Strings["pipeline"]; {
	case name != "":
		s.pipe, err = imageproc.NewPipeline(name)
		s.pipeSrc = "srbench.yaml strings.pipeline"
		if err != nil {
			err = fmt.Errorf("file %q: field \"strings.pipeline\": %w", s.manifestPath(), err)
		}
	case s.dir.Has("preprocessor_config.json"):
		s.pipe, err = imageproc.LoadPreprocessorConfig(s.dir.File("preprocessor_config.json"))
		s.pipeSrc = "preprocessor_config.json"
	default:
		s.pipe, err = imageproc.NewPipeline(imageproc.PipelineOpenAI)
		s.pipeSrc = "ImageReward's _transform: Resize(224, BICUBIC), CenterCrop(224), convert RGB, ToTensor, Normalize(CLIP mean, std)"
	}
	if err != nil {
		return fmt.Errorf("imagereward: model directory %s: %w", s.dir.Path, err)
	}
	if s.size, err = s.pipe.SquareSize(); err != nil {
		return fmt.Errorf("imagereward: model directory %s: %w", s.dir.Path, err)
	}
	return nil
}

// Close releases the model.
func (s *ImageReward) Close() error {
	s.loadOnce.Do(func() { s.loadErr = errors.New("imagereward: scorer is closed") })
	if s.sess == nil {
		return nil
	}
	return s.sess.Close()
}

// session loads the ONNX Runtime session on first use and reports a load
// failure every time.
func (s *ImageReward) session() (*onnx.Session, error) {
	s.loadOnce.Do(func() {
		sess, err := s.rt.NewSession(s.dir.File(blipmodel.ModelFile), s.so)
		if err == nil {
			if err = sess.CheckSignature(blipmodel.Signature(s.size)); err != nil {
				sess.Close()
			}
		}
		if err != nil {
			s.loadErr = fmt.Errorf("imagereward: %w", err)
			return
		}
		s.sess = sess
	})
	return s.sess, s.loadErr
}

// Describe implements scorer.Scorer.
func (s *ImageReward) Describe(ctx context.Context, _ scorer.DescribeRequest) (scorer.Description, error) {
	d := scorer.Description{
		Name:    "imagereward",
		Version: Version,
		Kind:    Kind,
		Variant: s.variant,
		Formula: fmt.Sprintf("(mlp([CLS] state of the BLIP text encoder cross-attending to the ViT image tokens) - %s) / %s, mean and std from %s",
			fmtFloat(s.mean), fmtFloat(s.std), s.constSrc),
		Fingerprint:        s.dir.Fingerprint,
		PreferredBatchSize: s.batchSize,
		Runtime:            "onnxruntime " + s.rt.Version(),
		Provider:           s.provider,
		Preprocessing:      s.pipe.Describe(),
		Tokenizer:          s.tokDesc,
		ModelDir:           s.dir.Path,
		Details: map[string]string{
			"onnx_files": blipmodel.ModelFile,
			"output":     blipmodel.RewardRaw + " (the MLP head before normalisation)",
			"mean":       fmtFloat(s.mean),
			"std":        fmtFloat(s.std),
			"pipeline":   s.pipeSrc,
			// What this process runs with (scorer.MachineDetails).
			scorer.DetailIntraOpThreads: strconv.Itoa(s.so.IntraOpThreadCount()),
			scorer.DetailDecodeWorkers:  strconv.Itoa(s.workers),
			scorer.DetailModelRuns:      strconv.Itoa(s.par.Runs()),
		},
	}
	if s.dir.Manifest.Description != "" {
		d.Details["model_description"] = s.dir.Manifest.Description
	}
	return d, nil
}

// Score implements scorer.Scorer.
func (s *ImageReward) Score(ctx context.Context, req scorer.ScoreRequest) (scorer.ScoreResponse, error) {
	res, err := s.score(ctx, req.Items)
	return scorer.ScoreResponse{Results: res}, err
}

// Score implements scorer.Scorer. Prompts are tokenized first (cheap, once
// per distinct prompt); then imageproc.Loader.Batches cuts the items into
// batches and decodes and preprocesses batch k+1 on a worker pool while
// ONNX Runtime runs batch k.
func (s *ImageReward) score(ctx context.Context, items []scorer.Item) ([]scorer.Result, error) {
	out := make([]scorer.Result, len(items))
	enc := map[string]tokenize.Encoding{} // per distinct prompt
	encErr := map[string]error{}
	for _, it := range items {
		if _, ok := enc[it.Prompt]; ok {
			continue
		}
		if _, bad := encErr[it.Prompt]; bad {
			continue
		}
		if e, err := s.tok.Encode(it.Prompt); err != nil {
			encErr[it.Prompt] = err
		} else {
			enc[it.Prompt] = e
		}
	}
	// The first batch is prepared while the model loads (on first use).
	loaded := make(chan error, 1)
	go func() {
		_, err := s.session()
		loaded <- err
	}()
	var sessErr error
	waited := false
	n := int64(s.size)
	seq := int64(s.tok.MaxLength())
	errs, err := s.loader.Batches(ctx, len(items), imageproc.BatchOptions{BatchSize: s.batchSize, Workers: s.workers},
		func(i int) (string, []byte, string) {
			it := items[i]
			if err := encErr[it.Prompt]; err != nil {
				return "", nil, fmt.Sprintf("item %q: prompt: %v", it.ID, err)
			}
			return it.ImagePath, it.ImageBytes, ""
		},
		func(idx []int, pixels []float32) error {
			if !waited {
				waited, sessErr = true, <-loaded
			}
			if sessErr != nil {
				return sessErr
			}
			sess, _ := s.session()
			rows := int64(len(idx))
			ids := make([]int64, 0, len(idx)*int(seq))
			mask := make([]int64, 0, len(idx)*int(seq))
			for _, i := range idx {
				e := enc[items[i].Prompt]
				ids, mask = append(ids, e.IDs...), append(mask, e.AttentionMask...)
			}
			// Concurrent requests decode in parallel and share the model
			// runs (onnx.PlanRuns).
			res, err := s.par.Run(sess, map[string]onnx.Tensor{
				blipmodel.InputIDs:      {Shape: []int64{rows, seq}, Int64: ids},
				blipmodel.AttentionMask: {Shape: []int64{rows, seq}, Int64: mask},
				blipmodel.PixelValues:   {Shape: []int64{rows, 3, n, n}, Float32: pixels},
			})
			if err != nil {
				return fmt.Errorf("imagereward: %w", err)
			}
			raw, ok := res[blipmodel.RewardRaw]
			if !ok || len(raw.Shape) != 2 || raw.Shape[0] != rows || raw.Shape[1] != 1 || len(raw.Float32) != len(idx) {
				return fmt.Errorf("imagereward: model %s: output %q has shape %v, want [%d, 1]", sess.Path(), blipmodel.RewardRaw, raw.Shape, rows)
			}
			for k, i := range idx {
				r := float64(raw.Float32[k])
				score := (r - s.mean) / s.std
				if math.IsNaN(score) || math.IsInf(score, 0) {
					out[i] = scorer.Result{Err: fmt.Sprintf("item %q: model output %s is %v, reward (%v - %s) / %s is not finite; no score",
						items[i].ID, blipmodel.RewardRaw, r, r, fmtFloat(s.mean), fmtFloat(s.std))}
					continue
				}
				out[i] = scorer.Result{Score: score}
			}
			return nil
		})
	if !waited {
		if serr := <-loaded; serr != nil && err == nil {
			err = serr
		}
	}
	if err != nil {
		return nil, err
	}
	for i, msg := range errs {
		if msg == "" {
			continue
		}
		if encErr[items[i].Prompt] == nil {
			if items[i].ImageBytes != nil {
				msg = fmt.Sprintf("image bytes of item %q: %s", items[i].ID, msg)
			} else {
				msg = fmt.Sprintf("item %q: %s", items[i].ID, msg)
			}
		}
		out[i] = scorer.Result{Err: msg}
	}
	return out, nil
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
