// Package trainexport folds trained Social Reward adapters into a model
// directory's ONNX files, producing a standalone model directory that any
// ONNX consumer can use: its text_embeds and image_embeds are the adapted,
// L2-normalised embeddings, so the plain cosine of the exported model equals
// the adapted score (and a combined model's logits are recomputed).
package trainexport

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/srbench/srbench/harness/modeldir"
	"github.com/srbench/srbench/harness/onnx/edit"
	"github.com/srbench/srbench/harness/train"
)

// AdaptersFile and TrainingFile are the trained model directory's extra files.
const (
	AdaptersFile = "adapters.safetensors"
	TrainingFile = "training.json"
)

// Steps converts an adapter into edit steps, followed by the L2
// normalisation the scorer applies; a nil adapter is the identity (only the
// normalisation, which leaves an already normalised embedding unchanged).
func Steps(a *train.Adapter) []edit.Step {
	var steps []edit.Step
	if a != nil {
		for _, l := range a.Layers() {
			switch l.Op {
			case train.OpAffine:
				steps = append(steps, edit.Step{Op: edit.OpLinear, W: l.W, B: l.B})
			case train.OpReLU:
				steps = append(steps, edit.Step{Op: edit.OpReLU})
			case train.OpAddInput:
				steps = append(steps, edit.Step{Op: edit.OpAddInput})
			}
		}
	}
	return append(steps, edit.Step{Op: edit.OpNormalize})
}

// Export writes outDir: the trained directory's ONNX files with the adapters
// folded in, its other files (tokenizer, preprocessor config) copied, and an
// srbench.yaml saying where it came from. It returns the ONNX files written.
func Export(trainedDir, outDir string) ([]string, error) {
	dir, err := modeldir.Load(trainedDir, "")
	if err != nil {
		return nil, err
	}
	if !dir.Has(AdaptersFile) {
		return nil, fmt.Errorf("model directory %s has no %s: nothing to export (train it first)", dir.Path, AdaptersFile)
	}
	m, meta, err := train.LoadCheckpoint(dir.File(AdaptersFile))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	text := edit.Edit{Output: edit.TextEmbeds, Steps: Steps(m.TextAdapter)}
	image := edit.Edit{Output: edit.ImageEmbeds, Steps: Steps(m.ImageAdapter)}
	plan := map[string][]edit.Edit{
		"text_model.onnx":   {text},
		"vision_model.onnx": {image},
		"model.onnx":        {text, image},
	}
	var written []string
	ents, err := os.ReadDir(dir.Path)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		name := e.Name()
		src, dst := filepath.Join(dir.Path, name), filepath.Join(outDir, name)
		switch {
		case !e.Type().IsRegular() || slices.Contains([]string{AdaptersFile, modeldir.ManifestName}, name):
			continue
		case plan[name] != nil:
			if err := edit.ExportFile(src, dst, plan[name], edit.FileOptions{}); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			written = append(written, dst)
		case filepath.Ext(name) == ".data" || filepath.Ext(name) == ".onnx_data":
			continue // external data travels with its model (edit.ExportFile)
		default:
			b, err := os.ReadFile(src)
			if err != nil {
				return nil, err
			}
			if err := os.WriteFile(dst, b, 0o644); err != nil {
				return nil, err
			}
		}
	}
	if len(written) == 0 {
		return nil, fmt.Errorf("model directory %s: no ONNX model to export into", dir.Path)
	}
	man := dir.Manifest
	man.Variant = "exported-adapters"
	man.Description = fmt.Sprintf("Social Reward adapters folded into the ONNX models (from %s, backbone %s)", dir.Fingerprint, meta["backbone_fingerprint"])
	return written, modeldir.Write(outDir, man)
}
