// Package dualenc is the shared core of the CLIP-family scorer plugins
// (clipscore, pickscore, socialreward): it loads a model directory (Optimum
// layout: model.onnx, or text_model.onnx + vision_model.onnx), tokenizes
// prompts and preprocesses images exactly as the reference implementations
// do, and computes text and image embeddings with ONNX Runtime.
//
// Each distinct prompt and each distinct image is embedded once per
// request, and an Encoder remembers the embeddings of recent prompts and
// images (by content: the prompt's text, the sha256 of the image's bytes)
// across requests, so a run over few prompts embeds each prompt once, not
// once per call. Image decoding and preprocessing run on a worker pool and
// overlap inference: while ONNX Runtime embeds one batch of images, the next
// batch is being decoded. A per-item failure (an image that does not decode)
// is reported for that item only; the rest of the request still scores.
package dualenc

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"math"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/srbench/srbench/harness/imageproc"
	"github.com/srbench/srbench/harness/modeldir"
	"github.com/srbench/srbench/harness/modeltok"
	"github.com/srbench/srbench/harness/onnx"
	"github.com/srbench/srbench/harness/scorer"
	"github.com/srbench/srbench/harness/tokenize"
	"github.com/srbench/srbench/internal/selfhash"
)

// Spec is what a scorer expects of its model directory.
type Spec struct {
	// Kind is the srbench.yaml kind the directory must declare.
	Kind string
	// DefaultPipeline is the image pipeline ("openai" or "hf") used when the
	// directory has no preprocessor_config.json.
	DefaultPipeline string
}

// DefaultBatchSize is the images per ONNX Runtime call when the host does not say.
const DefaultBatchSize = 32

// RecentEmbeddings is how many prompt embeddings, and how many image
// embeddings, an Encoder keeps across requests (least recently used
// dropped first): 2 × 4096 vectors of ViT-B/32's 512 floats are 16 MiB.
const RecentEmbeddings = 4096

// Encoder embeds prompts and images with one model directory. It is safe
// for concurrent use.
type Encoder struct {
	Dir       *modeldir.Dir
	Tokenizer tokenize.Tokenizer
	TokDesc   string
	Pipeline  imageproc.Pipeline
	Runtime   *onnx.Runtime
	Provider  string
	BatchSize int

	split                  bool // text_model.onnx + vision_model.onnx, else model.onnx
	so                     onnx.SessionOptions
	imageSize              int
	loadOnce               sync.Once
	loadErr                error
	text, vision, combined *onnx.Session // loaded by sessions()
	loader                 *imageproc.Loader
	workers                int
	// Recent embeddings of this encoder's model, by prefixed prompt and
	// by the sha256 of the image's bytes.
	recentText  *lru.Cache[string, []float32]
	recentImage *lru.Cache[[sha256.Size]byte, []float32]
	// How many prompts and images went through the model.
	ranTexts, ranImages atomic.Int64
	// par runs the model: with the default threads on the CPU, one
	// single-threaded run per CPU, a batch split between them; otherwise
	// one run at a time with the intra-op threads asked for. Concurrent
	// requests decode their images in parallel and share its runs.
	par *onnx.Parallel
}

// Embedded reports how many prompts and how many images this encoder has
// run through its model (those served from its recent embeddings are not
// counted).
func (e *Encoder) Embedded() (texts, images int64) {
	return e.ranTexts.Load(), e.ranImages.Load()
}

// Open loads the model directory named by cfg.
func Open(cfg scorer.Config, spec Spec) (*Encoder, error) {
	if cfg.ModelDir == "" {
		return nil, fmt.Errorf("no model directory given")
	}
	// The fingerprint (hashing every file unless remembered) runs in the
	// background while the tokenizer, pipeline and model files are checked.
	dir, waitFingerprint, err := modeldir.LoadAsync(cfg.ModelDir, spec.Kind)
	if err != nil {
		return nil, err
	}
	e := &Encoder{Dir: dir, BatchSize: cfg.BatchSize, workers: runtime.GOMAXPROCS(0)}
	if e.recentText, err = lru.New[string, []float32](RecentEmbeddings); err != nil {
		return nil, err
	}
	if e.recentImage, err = lru.New[[sha256.Size]byte, []float32](RecentEmbeddings); err != nil {
		return nil, err
	}
	if e.BatchSize <= 0 {
		e.BatchSize = DefaultBatchSize
	}
	// The CLIP kinds' tokenizer set-up lives in modeltok, shared with
	// `srbench inspect tokens` (srbench.yaml may name the tokenizer file).
	tok, err := modeltok.CLIP(dir)
	if err != nil {
		return nil, err
	}
	e.Tokenizer, e.TokDesc = tok.Tokenizer, tok.Description
	// srbench.yaml may name the pipeline (strings: {pipeline: openai|hf}) to
	// override preprocessor_config.json, e.g. OpenAI's crop convention.
	switch name := dir.Manifest.Strings["pipeline"]; {
	case name != "":
		if e.Pipeline, err = imageproc.NewPipeline(name); err != nil {
			err = fmt.Errorf("file %q: field \"strings.pipeline\": %w", dir.File(modeldir.ManifestName), err)
		}
	case dir.Has("preprocessor_config.json"):
		e.Pipeline, err = imageproc.LoadPreprocessorConfig(dir.File("preprocessor_config.json"))
	default:
		e.Pipeline, err = imageproc.NewPipeline(spec.DefaultPipeline)
	}
	if err != nil {
		return nil, fmt.Errorf("model directory %s: %w", dir.Path, err)
	}
	w, err := e.Pipeline.SquareSize()
	if err != nil {
		return nil, fmt.Errorf("model directory %s: %w", dir.Path, err)
	}
	e.loader = imageproc.NewLoader(e.Pipeline, cfg.MaxImageBytes, cfg.DecodeMemoryBytes)
	if e.Runtime, err = onnx.Init(onnx.Options{}); err != nil {
		return nil, err
	}
	so := onnx.SessionOptions{IntraOpThreads: cfg.IntraOpThreads, ExecutionProvider: cfg.Provider}
	e.Provider = cfg.Provider
	if e.Provider == "" {
		e.Provider = "cpu"
	}
	so, e.par = onnx.PlanRuns(so)
	// The model files' signatures are checked now (a wrong model fails at
	// once); ONNX Runtime loads them on first use, so a run served from the
	// score cache never pays for it.
	if err := e.Runtime.CheckSessionOptions(so); err != nil {
		return nil, err
	}
	e.so, e.imageSize = so, w
	switch {
	case dir.Has("text_model.onnx") && dir.Has("vision_model.onnx"):
		e.split = true
		err = errors.Join(onnx.CheckModelFile(dir.File("text_model.onnx"), onnx.CLIPTextSignature()),
			onnx.CheckModelFile(dir.File("vision_model.onnx"), onnx.CLIPVisionSignature(w)))
	case dir.Has("model.onnx"):
		err = onnx.CheckModelFile(dir.File("model.onnx"), onnx.CLIPSignature(w))
	default:
		err = fmt.Errorf("model directory %s: no ONNX model: expected model.onnx, or text_model.onnx and vision_model.onnx", dir.Path)
	}
	if err != nil {
		return nil, err
	}
	if err := waitFingerprint(); err != nil {
		return nil, err
	}
	return e, nil
}

// sessions loads the ONNX Runtime sessions on first use (the two towers of
// a split model concurrently) and reports a load failure every time.
func (e *Encoder) sessions() error {
	e.loadOnce.Do(func() {
		if !e.split {
			e.combined, e.loadErr = open(e.Runtime, e.Dir.File("model.onnx"), e.so, onnx.CLIPSignature(e.imageSize))
			return
		}
		var textErr, visionErr error
		var wg sync.WaitGroup
		wg.Go(func() {
			e.text, textErr = open(e.Runtime, e.Dir.File("text_model.onnx"), e.so, onnx.CLIPTextSignature())
		})
		e.vision, visionErr = open(e.Runtime, e.Dir.File("vision_model.onnx"), e.so, onnx.CLIPVisionSignature(e.imageSize))
		wg.Wait()
		e.loadErr = errors.Join(textErr, visionErr)
	})
	return e.loadErr
}

func open(rt *onnx.Runtime, path string, so onnx.SessionOptions, sig onnx.Signature) (*onnx.Session, error) {
	s, err := rt.NewSession(path, so)
	if err != nil {
		return nil, err
	}
	if err := s.CheckSignature(sig); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Identity is the key under which this encoder's embeddings may be cached
// across runs: sha256 over the model fingerprint, the plugin executable's
// own sha256, the ONNX Runtime version, the execution provider, the image
// pipeline (without the path it was read from) and the tokenizer's
// description. Anything that changes an embedding changes it, so a rebuilt
// plugin (say, with a preprocessing fix) or another runtime never reads an
// older embedding. Call it after the fingerprint is known (after Open).
func (e *Encoder) Identity() (string, error) {
	exe, err := selfhash.Executable()
	if err != nil {
		return "", err
	}
	p := e.Pipeline
	p.Source = ""
	h := sha256.New()
	fmt.Fprintf(h, "srbench embedding identity v1\x00%s\x00%s\x00%s\x00%s\x00%+v\x00%s",
		e.Dir.Fingerprint, exe, e.Runtime.Version(), e.Provider, p, e.TokDesc)
	return fmt.Sprintf("sha256:%x", h.Sum(nil)), nil
}

// Close releases the ONNX sessions (waiting for a load in progress); the
// Encoder cannot be used afterwards.
func (e *Encoder) Close() error {
	e.loadOnce.Do(func() { e.loadErr = errors.New("dualenc: encoder is closed") })
	// Forget the recent embeddings, so that a closed encoder fails rather
	// than answering from them.
	e.recentText.Purge()
	e.recentImage.Purge()
	for _, s := range []*onnx.Session{e.text, e.vision, e.combined} {
		if s != nil {
			s.Close()
		}
	}
	return nil
}

// Split reports whether the model has separate text and vision files.
func (e *Encoder) Split() bool { return e.split }

// Embeddings are per-item embeddings of one request.
type Embeddings struct {
	Text  [][]float32 // per item: the embedding of its (prefixed) prompt
	Image [][]float32 // per item: the embedding of its image (nil when Err is set)
	Err   []string    // per item: why it failed, "" if it did not
}

// Embed embeds the prompts (each prefixed with prefix) and images of items.
func (e *Encoder) Embed(ctx context.Context, items []scorer.Item, prefix string) (Embeddings, error) {
	out := Embeddings{Text: make([][]float32, len(items)), Image: make([][]float32, len(items)), Err: make([]string, len(items))}
	// Distinct prompts and images.
	promptIdx := map[string]int{}
	var prompts []string
	itemPrompt := make([]int, len(items))
	imgIdx := map[string]int{}
	var imgs []scorer.Item
	itemImg := make([]int, len(items))
	for i, it := range items {
		p := prefix + it.Prompt
		k, ok := promptIdx[p]
		if !ok {
			k = len(prompts)
			promptIdx[p] = k
			prompts = append(prompts, p)
		}
		itemPrompt[i] = k
		key := imageKey(it)
		j, ok := imgIdx[key]
		if !ok {
			j = len(imgs)
			imgIdx[key] = j
			imgs = append(imgs, it)
		}
		itemImg[i] = j
	}
	textEmb, err := e.embedTexts(ctx, prompts)
	if err != nil {
		return out, err
	}
	imgEmb, imgErr, err := e.embedImages(ctx, imgs)
	if err != nil {
		return out, err
	}
	for i := range items {
		out.Text[i] = textEmb[itemPrompt[i]]
		if msg := imgErr[itemImg[i]]; msg != "" {
			out.Err[i] = msg
			continue
		}
		out.Image[i] = imgEmb[itemImg[i]]
	}
	return out, nil
}

func imageKey(it scorer.Item) string {
	if it.ImageBytes != nil {
		h := sha256.Sum256(it.ImageBytes)
		return "b:" + string(h[:])
	}
	return "p:" + it.ImagePath
}

// EmbedTexts embeds prompts as given (no prefix).
func (e *Encoder) EmbedTexts(ctx context.Context, prompts []string) ([][]float32, error) {
	return e.embedTexts(ctx, prompts)
}

func (e *Encoder) embedTexts(ctx context.Context, prompts []string) ([][]float32, error) {
	out := make([][]float32, len(prompts))
	var todo []int // prompts not embedded recently
	for i, p := range prompts {
		if v, ok := e.recentText.Get(p); ok {
			out[i] = v
		} else {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return out, nil
	}
	if err := e.sessions(); err != nil {
		return nil, err
	}
	for i := 0; i < len(todo); i += e.BatchSize {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		idx := todo[i:min(i+e.BatchSize, len(todo))]
		chunk := make([]string, len(idx))
		for k, j := range idx {
			chunk[k] = prompts[j]
		}
		b, err := tokenize.EncodeBatch(e.Tokenizer, chunk)
		if err != nil {
			return nil, fmt.Errorf("tokenize: %w", err)
		}
		var res map[string]onnx.Tensor
		if !e.split {
			// The combined graph needs pixels too: one blank image, discarded.
			in := textInputs(e.combined, b)
			n := e.size()
			in["pixel_values"] = onnx.Tensor{Shape: []int64{1, 3, int64(n), int64(n)}, Float32: make([]float32, 3*n*n)}
			res, err = e.runModel(e.combined, in)
		} else {
			res, err = e.runModel(e.text, textInputs(e.text, b))
		}
		if err != nil {
			return nil, fmt.Errorf("text model: %w", err)
		}
		rows, err := split(res, "text_embeds", len(chunk))
		if err != nil {
			return nil, err
		}
		for k, j := range idx {
			out[j] = rows[k]
			e.recentText.Add(prompts[j], rows[k])
		}
		e.ranTexts.Add(int64(len(idx)))
	}
	return out, nil
}

// textInputs lays out a token batch as the text inputs of sess: input_ids, and
// attention_mask only when the model declares it (an OpenAI-format CLIP
// exported with torch.onnx.export has none; see onnx.CLIPTextSignature).
func textInputs(sess *onnx.Session, b tokenize.Batch) map[string]onnx.Tensor {
	shape := []int64{int64(b.Size), int64(b.SeqLen)}
	in := map[string]onnx.Tensor{"input_ids": {Shape: shape, Int64: b.IDs}}
	if sess.HasInput("attention_mask") {
		in["attention_mask"] = onnx.Tensor{Shape: shape, Int64: b.AttentionMask}
	}
	return in
}

func (e *Encoder) size() int {
	w, _, _ := e.Pipeline.FixedOutputSize()
	return w
}

// embedImages decodes and preprocesses images in batches on a worker pool
// (imageproc.Loader.Batches) while the previous batch runs through the
// vision model.
func (e *Encoder) embedImages(ctx context.Context, imgs []scorer.Item) ([][]float32, []string, error) {
	n := e.size()
	emb := make([][]float32, len(imgs))
	// Images embedded recently are looked up by the sha256 of their bytes
	// (read by the decode workers, within the loader's limits) and not
	// decoded again; the others remember their hash for the cache.
	sums := make([][sha256.Size]byte, len(imgs))
	lookup := func(i int, data []byte) bool {
		sums[i] = sha256.Sum256(data)
		v, ok := e.recentImage.Get(sums[i])
		if ok {
			emb[i] = v
		}
		return ok
	}
	// The first batch decodes while the model loads (on first use; once
	// loaded, sessions returns at once).
	loaded := make(chan error, 1)
	go func() { loaded <- e.sessions() }()
	var sessErr error
	waited := false
	errs, err := e.loader.Batches(ctx, len(imgs), imageproc.BatchOptions{BatchSize: e.BatchSize, Workers: e.workers, Lookup: lookup},
		func(i int) (string, []byte, string) { return imgs[i].ImagePath, imgs[i].ImageBytes, "" },
		func(idx []int, pixels []float32) error {
			if !waited {
				waited, sessErr = true, <-loaded
			}
			if sessErr != nil {
				return sessErr
			}
			in := map[string]onnx.Tensor{"pixel_values": {Shape: []int64{int64(len(idx)), 3, int64(n), int64(n)}, Float32: pixels}}
			var res map[string]onnx.Tensor
			var err error
			if !e.split {
				// The combined graph needs text too: one empty prompt, discarded.
				b, terr := tokenize.EncodeBatch(e.Tokenizer, []string{""})
				if terr != nil {
					return terr
				}
				maps.Copy(in, textInputs(e.combined, b))
				res, err = e.runModel(e.combined, in)
			} else {
				res, err = e.runModel(e.vision, in)
			}
			if err != nil {
				return fmt.Errorf("vision model: %w", err)
			}
			rows, err := split(res, "image_embeds", len(idx))
			if err != nil {
				return err
			}
			for k, j := range idx {
				emb[j] = rows[k]
				e.recentImage.Add(sums[j], rows[k])
			}
			e.ranImages.Add(int64(len(idx)))
			return nil
		})
	if !waited {
		// No batch ran (every image failed): still report a model that
		// cannot load, as the embedding of a first batch would have.
		if serr := <-loaded; serr != nil && err == nil {
			err = serr
		}
	}
	if err != nil {
		return nil, nil, err
	}
	for i, msg := range errs {
		if msg != "" && imgs[i].ImageBytes != nil {
			errs[i] = fmt.Sprintf("image bytes of item %q: %s", imgs[i].ID, msg)
		}
	}
	return emb, errs, nil
}

// runModel runs sess within this encoder's model runs (onnx.Parallel).
func (e *Encoder) runModel(sess *onnx.Session, in map[string]onnx.Tensor) (map[string]onnx.Tensor, error) {
	return e.par.Run(sess, in)
}

// split cuts a [rows, dim] output into rows.
func split(res map[string]onnx.Tensor, name string, rows int) ([][]float32, error) {
	t, ok := res[name]
	if !ok {
		return nil, fmt.Errorf("model output %q missing", name)
	}
	if len(t.Shape) != 2 || t.Shape[0] != int64(rows) {
		return nil, fmt.Errorf("model output %q has shape %v, want [%d, dim]", name, t.Shape, rows)
	}
	d := int(t.Shape[1])
	out := make([][]float32, rows)
	for i := range out {
		out[i] = t.Float32[i*d : (i+1)*d : (i+1)*d]
	}
	return out, nil
}

// Cosine is the cosine similarity of a and b, computed in float64; NaN when
// either vector is zero or the lengths differ.
func Cosine(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.NaN()
	}
	var dot, na, nb float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		dot += x * y
		na += x * x
		nb += y * y
	}
	return dot / math.Sqrt(na*nb)
}

// Describe fills the model-dependent fields of a Description.
func (e *Encoder) Describe(d *scorer.Description) {
	d.Fingerprint = e.Dir.Fingerprint
	d.Runtime = "onnxruntime " + e.Runtime.Version()
	d.Provider = e.Provider
	d.Preprocessing = e.Pipeline.Describe()
	d.Tokenizer = e.TokDesc
	d.ModelDir = e.Dir.Path
	d.PreferredBatchSize = e.BatchSize
	if d.Details == nil {
		d.Details = map[string]string{}
	}
	// What this process runs with (scorer.MachineDetails).
	d.Details[scorer.DetailIntraOpThreads] = strconv.Itoa(e.so.IntraOpThreadCount())
	d.Details[scorer.DetailModelRuns] = strconv.Itoa(e.par.Runs())
	d.Details[scorer.DetailDecodeWorkers] = strconv.Itoa(e.workers)
	if e.Split() {
		d.Details["onnx_files"] = "text_model.onnx + vision_model.onnx"
	} else {
		d.Details["onnx_files"] = "model.onnx"
	}
	if e.Dir.Manifest.Description != "" {
		d.Details["model_description"] = e.Dir.Manifest.Description
	}
}

// LogitScaleFromModel reads exp(logit_scale) from a combined model: it runs
// one blank image and one empty prompt and divides logits_per_image by the
// cosine of the two embeddings. It fails for split models, which carry no
// logit scale.
func (e *Encoder) LogitScaleFromModel() (float64, error) {
	if e.split {
		return 0, fmt.Errorf("model directory %s has split text/vision models, which carry no logit scale", e.Dir.Path)
	}
	if err := e.sessions(); err != nil {
		return 0, err
	}
	n := e.size()
	px := make([]float32, 3*n*n)
	for i := range px {
		px[i] = float32(i%7) * 0.1 // any non-degenerate image
	}
	b, err := tokenize.EncodeBatch(e.Tokenizer, []string{"a photo"})
	if err != nil {
		return 0, err
	}
	in := textInputs(e.combined, b)
	in["pixel_values"] = onnx.Tensor{Shape: []int64{1, 3, int64(n), int64(n)}, Float32: px}
	res, err := e.combined.Run(in)
	if err != nil {
		return 0, fmt.Errorf("model.onnx: %w", err)
	}
	cos := Cosine(res["text_embeds"].Float32, res["image_embeds"].Float32)
	if math.Abs(cos) < 1e-3 {
		return 0, fmt.Errorf("model.onnx: cannot read the logit scale (cosine %.2g too close to 0)", cos)
	}
	return float64(res["logits_per_image"].Float32[0]) / cos, nil
}

// EmbedImages embeds the images of items (prompts are ignored); a failed
// image has a nil embedding and its reason in errs.
func (e *Encoder) EmbedImages(ctx context.Context, items []scorer.Item) (emb [][]float32, errs []string, err error) {
	return e.embedImages(ctx, items)
}
