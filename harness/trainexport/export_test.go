package trainexport

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/srbench/srbench/harness/modeldir"
	"github.com/srbench/srbench/harness/onnx"
	"github.com/srbench/srbench/harness/onnx/clipmodel"
	"github.com/srbench/srbench/harness/onnx/edit"
	"github.com/srbench/srbench/harness/train"
	"github.com/srbench/srbench/internal/testmodels"
)

// adapter builds an adapter of the given kind and dimension with the given
// parameter values (row-major, by name), replacing its identity start.
func adapter(t *testing.T, spec train.AdapterSpec, dim int, params map[string][]float64) *train.Adapter {
	t.Helper()
	a, err := train.NewAdapter(spec, dim, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range params {
		p := a.Param(name)
		if p == nil || len(p.Data) != len(v) {
			t.Fatalf("%s adapter: parameter %q: %v, want %d values", spec.Kind, name, p, len(v))
		}
		copy(p.Data, v)
	}
	return a
}

// randomAdapter is an adapter of kind with every parameter drawn from
// N(0, scale²) around its identity start, so no part of it is trivial.
func randomAdapter(t *testing.T, kind train.Kind, dim int, seed uint64) *train.Adapter {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 99))
	a, err := train.NewAdapter(train.AdapterSpec{Kind: kind, Rank: 3, Hidden: 8}, dim, rng)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range a.Params() {
		for i := range p.Data {
			p.Data[i] += 0.3 * rng.NormFloat64()
		}
	}
	return a
}

// evalSteps evaluates edit steps on x in float64, following edit.Op's
// documented semantics.
func evalSteps(steps []edit.Step, x []float64) []float64 {
	v := append([]float64(nil), x...)
	for _, s := range steps {
		switch s.Op {
		case edit.OpLinear:
			out := make([]float64, len(s.W))
			for i, row := range s.W {
				out[i] = s.B[i]
				for j, w := range row {
					out[i] += w * v[j]
				}
			}
			v = out
		case edit.OpReLU:
			for i := range v {
				v[i] = math.Max(v[i], 0)
			}
		case edit.OpAddInput:
			for i := range v {
				v[i] += x[i]
			}
		case edit.OpNormalize:
			v = normalize(v)
		}
	}
	return v
}

func normalize(v []float64) []float64 {
	var n float64
	for _, x := range v {
		n += x * x
	}
	n = math.Sqrt(n)
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x / n
	}
	return out
}

// adapted is the reference for an exported embedding: the adapter's own
// forward pass (train.Adapter.Apply; nil is the identity) on the backbone's
// embedding, then L2-normalised as the scorer does.
func adapted(a *train.Adapter, x []float64) []float64 {
	if a == nil {
		return normalize(x)
	}
	return normalize(a.Apply(x))
}

// TestSteps: each adapter kind becomes the edit steps of its layers,
// followed by the normalisation: hand-computed weights for small adapters
// (LowRank's dense matrix is I + U·Vᵀ worked out by hand), and the steps
// evaluate to the adapter's own forward pass, normalised.
func TestSteps(t *testing.T) {
	norm := edit.Step{Op: edit.OpNormalize}
	tests := []struct {
		name string
		a    *train.Adapter
		want []edit.Step
	}{
		{"identity", nil, []edit.Step{norm}},
		{"linear", adapter(t, train.AdapterSpec{Kind: train.Linear}, 2, map[string][]float64{"W": {1, 2, 3, 4}, "b": {0.5, -1}}),
			[]edit.Step{{Op: edit.OpLinear, W: [][]float64{{1, 2}, {3, 4}}, B: []float64{0.5, -1}}, norm}},
		// U = [1 2]ᵀ, V = [3 4]ᵀ: I + U·Vᵀ = [[1+3, 4], [6, 1+8]].
		{"lowrank", adapter(t, train.AdapterSpec{Kind: train.LowRank, Rank: 1}, 2, map[string][]float64{"U": {1, 2}, "V": {3, 4}, "b": {0, 1}}),
			[]edit.Step{{Op: edit.OpLinear, W: [][]float64{{4, 4}, {6, 9}}, B: []float64{0, 1}}, norm}},
		{"mlp", adapter(t, train.AdapterSpec{Kind: train.MLP, Hidden: 3}, 2, map[string][]float64{
			"W1": {1, 0, 0, 1, 1, 1}, "b1": {0, 0, -1}, "W2": {1, 0, 1, 0, 1, 1}, "b2": {0.1, 0.2}}),
			[]edit.Step{
				{Op: edit.OpLinear, W: [][]float64{{1, 0}, {0, 1}, {1, 1}}, B: []float64{0, 0, -1}},
				{Op: edit.OpReLU},
				{Op: edit.OpLinear, W: [][]float64{{1, 0, 1}, {0, 1, 1}}, B: []float64{0.1, 0.2}},
				{Op: edit.OpAddInput},
				norm,
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Steps(tc.a)); diff != "" {
				t.Errorf("Steps (-want +got):\n%s", diff)
			}
		})
	}

	// The steps of random adapters compute the adapter (its BLAS forward
	// pass), normalised, up to float64 rounding.
	for _, kind := range []train.Kind{train.Linear, train.LowRank, train.MLP} {
		t.Run("semantics/"+string(kind), func(t *testing.T) {
			const dim = 6
			a := randomAdapter(t, kind, dim, 5)
			steps := Steps(a)
			rng := rand.New(rand.NewPCG(2, 2))
			for range 5 {
				x := make([]float64, dim)
				for i := range x {
					x[i] = rng.NormFloat64()
				}
				if diff := cmp.Diff(adapted(a, x), evalSteps(steps, x), cmpopts.EquateApprox(0, 1e-12)); diff != "" {
					t.Fatalf("steps on %v (-adapter +steps):\n%s", x, diff)
				}
			}
		})
	}
}

// trained writes a trained model directory as the Social Reward plugin
// does (the backbone's files, adapters.safetensors with the backbone's
// fingerprint in its metadata, training.json, srbench.yaml of kind
// socialreward), plus a preprocessor_config.json to be carried over. It
// returns the directory, the backbone's weights and fingerprint.
func trained(t *testing.T, files clipmodel.WriteOptions, m *train.Model) (dir string, w *clipmodel.Weights, backboneFP string) {
	t.Helper()
	backbone, w := testmodels.CLIPDir(t, "socialreward", "", files, 3)
	fp, err := modeldir.Fingerprint(backbone)
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	ents, err := os.ReadDir(backbone)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() != modeldir.ManifestName {
			copyFile(t, filepath.Join(backbone, e.Name()), filepath.Join(dir, e.Name()))
		}
	}
	writeFile(t, filepath.Join(dir, "preprocessor_config.json"), `{"crop_size": 224, "size": 224}`)
	if err := train.SaveCheckpoint(filepath.Join(dir, AdaptersFile), m, map[string]string{"backbone_fingerprint": fp}, train.CheckpointOptions{}); err != nil {
		t.Fatal(err)
	}
	rec, err := json.Marshal(map[string]string{"backbone_fingerprint": fp})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, TrainingFile), string(rec))
	if err := modeldir.Write(dir, modeldir.Manifest{Kind: "socialreward", Variant: "adapters",
		Constants: map[string]float64{"logit_scale": 100}, Strings: map[string]string{"pipeline": "openai"},
		Description: "Social Reward adapters on a test backbone"}); err != nil {
		t.Fatal(err)
	}
	return dir, w, fp
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func fileNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// run runs the ONNX model at path on inputs with ONNX Runtime.
func run(t *testing.T, path string, inputs map[string]onnx.Tensor) map[string]onnx.Tensor {
	t.Helper()
	rt, err := onnx.Init(onnx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := rt.NewSession(path, onnx.SessionOptions{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out, err := s.Run(inputs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// exportTol bounds |ONNX Runtime − reference| per component of a unit
// vector: ONNX Runtime runs the backbone and the folded adapter in float32
// (the adapter's float64 weights stored as float32), the reference in
// float64 (clipmodel's plain-Go forward pass, train.Adapter.Apply). The
// differences are about 1e-7..1e-6.
const exportTol = 1e-5

// checkRows compares a [rows, dim] output with reference rows.
func checkRows(t *testing.T, what string, got onnx.Tensor, want [][]float64, tol float64) {
	t.Helper()
	if len(got.Shape) != 2 || got.Shape[0] != int64(len(want)) || got.Shape[1] != int64(len(want[0])) {
		t.Fatalf("%s: shape %v, want [%d %d]", what, got.Shape, len(want), len(want[0]))
	}
	cols := len(want[0])
	for i, row := range want {
		for j, v := range row {
			g := float64(got.Float32[i*cols+j])
			if d := math.Abs(g - v); !(d <= tol) {
				t.Errorf("%s[%d][%d] = %.8f, reference %.8f (|diff| %.3g > %g)", what, i, j, g, v, d, tol)
				return
			}
		}
	}
}

// TestExport: the exported directory's ONNX outputs are the adapted,
// L2-normalised embeddings computed in plain Go (the backbone's reference
// forward pass, then the adapter), for split, combined and both layouts,
// external data, and a checkpoint without adapters; a combined model's
// logits are exp(logit_scale) times the adapted cosines. The directory has
// the same files minus adapters.safetensors, the others byte for byte, and
// an srbench.yaml saying where it came from.
func TestExport(t *testing.T) {
	const dim = 32 // clipmodel.Tiny's embedding dimension
	tests := []struct {
		name  string
		files clipmodel.WriteOptions
		model *train.Model
	}{
		{"split/mlp text, lowrank image", clipmodel.WriteOptions{Text: true, Vision: true},
			&train.Model{TextAdapter: randomAdapter(t, train.MLP, dim, 1), ImageAdapter: randomAdapter(t, train.LowRank, dim, 2)}},
		{"combined/linear text, mlp image", clipmodel.WriteOptions{Combined: true},
			&train.Model{TextAdapter: randomAdapter(t, train.Linear, dim, 3), ImageAdapter: randomAdapter(t, train.MLP, dim, 4)}},
		{"all three files/lowrank text only", clipmodel.WriteOptions{},
			&train.Model{TextAdapter: randomAdapter(t, train.LowRank, dim, 5)}},
		{"split, external data/linear image only", clipmodel.WriteOptions{Text: true, Vision: true, ExternalDataThreshold: 1024},
			&train.Model{ImageAdapter: randomAdapter(t, train.Linear, dim, 6)}},
		{"combined/no adapters", clipmodel.WriteOptions{Combined: true}, &train.Model{}},
	}

	// Three prompts (token ids are folded into the tiny vocabulary; the
	// highest id marks the end, as in CLIP) and two random images.
	ids := [][]int64{
		{49406, 320, 1125, 539, 49407, 0, 0, 0},
		{49406, 2368, 49407, 0, 0, 0, 0, 0},
		{49406, 320, 2368, 530, 518, 3059, 911, 49407},
	}
	mask := make([][]int64, len(ids))
	var flatIDs, flatMask []int64
	for i, row := range ids {
		mask[i] = make([]int64, len(row))
		for j, id := range row {
			if id != 0 {
				mask[i][j] = 1
			}
		}
		flatIDs, flatMask = append(flatIDs, row...), append(flatMask, mask[i]...)
	}
	const images, side = 2, 224
	rng := rand.New(rand.NewPCG(8, 8))
	pixels := make([]float32, images*3*side*side)
	for i := range pixels {
		pixels[i] = float32(rng.NormFloat64())
	}
	textIn := map[string]onnx.Tensor{
		"input_ids":      {Shape: []int64{int64(len(ids)), int64(len(ids[0]))}, Int64: flatIDs},
		"attention_mask": {Shape: []int64{int64(len(ids)), int64(len(ids[0]))}, Int64: flatMask},
	}
	imageIn := map[string]onnx.Tensor{"pixel_values": {Shape: []int64{images, 3, side, side}, Float32: pixels}}

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, w, backboneFP := trained(t, tc.files, tc.model)
			trainedFP, err := modeldir.Fingerprint(dir)
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "exported")
			written, err := Export(dir, out)
			if err != nil {
				t.Fatal(err)
			}

			// Files: everything but the adapters and the manifest copied
			// byte for byte, the ONNX files rewritten, srbench.yaml new.
			inNames := fileNames(t, dir)
			var wantNames, onnxFiles []string
			for _, n := range inNames {
				if n == AdaptersFile {
					continue
				}
				wantNames = append(wantNames, n)
				switch {
				case strings.HasSuffix(n, ".onnx"):
					onnxFiles = append(onnxFiles, filepath.Join(out, n))
				case n != modeldir.ManifestName:
					a, _ := os.ReadFile(filepath.Join(dir, n))
					b, err := os.ReadFile(filepath.Join(out, n))
					if err != nil || string(a) != string(b) {
						t.Errorf("%s not copied unchanged (%v)", n, err)
					}
				}
			}
			if diff := cmp.Diff(wantNames, fileNames(t, out)); diff != "" {
				t.Errorf("exported files (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(onnxFiles, written); diff != "" {
				t.Errorf("Export's list of ONNX files (-want +got):\n%s", diff)
			}
			if tc.files.ExternalDataThreshold > 0 {
				for _, n := range []string{"text_model.onnx.data", "vision_model.onnx.data"} {
					if _, err := os.Stat(filepath.Join(out, n)); err != nil {
						t.Errorf("external data %s: %v", n, err)
					}
				}
			}

			// srbench.yaml: the trained manifest, another variant, and a
			// description naming both fingerprints.
			got, err := modeldir.LoadManifest(out, "socialreward")
			if err != nil {
				t.Fatal(err)
			}
			want := modeldir.Manifest{Kind: "socialreward", Variant: "exported-adapters",
				Constants: map[string]float64{"logit_scale": 100}, Strings: map[string]string{"pipeline": "openai"}}
			if diff := cmp.Diff(want, got.Manifest, cmpopts.IgnoreFields(modeldir.Manifest{}, "Description")); diff != "" {
				t.Errorf("srbench.yaml (-want +got):\n%s", diff)
			}
			for _, fp := range []string{trainedFP, backboneFP} {
				if !strings.Contains(got.Manifest.Description, fp) {
					t.Errorf("srbench.yaml description %q does not name %s", got.Manifest.Description, fp)
				}
			}

			// Outputs against the plain-Go reference.
			refText, err := w.TextEmbeds(ids, mask)
			if err != nil {
				t.Fatal(err)
			}
			refImage, err := w.ImageEmbeds(pixels, images)
			if err != nil {
				t.Fatal(err)
			}
			wantText := make([][]float64, len(refText))
			for i, e := range refText {
				wantText[i] = adapted(tc.model.TextAdapter, e)
			}
			wantImage := make([][]float64, len(refImage))
			for i, e := range refImage {
				wantImage[i] = adapted(tc.model.ImageAdapter, e)
			}
			all := !tc.files.Combined && !tc.files.Text && !tc.files.Vision // clipmodel writes every file
			// The adapters move the embeddings well beyond the tolerance
			// (else the comparison would not test the folding).
			moved := 0.0
			for i := range wantText {
				for k := range dim {
					moved = max(moved, math.Abs(wantText[i][k]-refText[i][k]))
				}
			}
			for i := range wantImage {
				for k := range dim {
					moved = max(moved, math.Abs(wantImage[i][k]-refImage[i][k]))
				}
			}
			if adapters := tc.model.TextAdapter != nil || tc.model.ImageAdapter != nil; adapters != (moved > 0.01) {
				t.Fatalf("adapters %v, but the largest change of an embedding is %.3g", adapters, moved)
			}
			if tc.files.Text || all {
				checkOutputs(t, filepath.Join(out, clipmodel.TextModelFile), onnx.CLIPTextSignature(), textIn, "text_embeds", wantText)
				checkOutputs(t, filepath.Join(out, clipmodel.VisionModelFile), onnx.CLIPVisionSignature(side), imageIn, "image_embeds", wantImage)
			}
			if tc.files.Combined || all {
				path := filepath.Join(out, clipmodel.ModelFile)
				if err := onnx.CheckModelFile(path, onnx.CLIPSignature(side)); err != nil {
					t.Fatal(err)
				}
				in := map[string]onnx.Tensor{}
				for k, v := range textIn {
					in[k] = v
				}
				in["pixel_values"] = imageIn["pixel_values"]
				res := run(t, path, in)
				checkRows(t, "model.onnx text_embeds", res["text_embeds"], wantText, exportTol)
				checkRows(t, "model.onnx image_embeds", res["image_embeds"], wantImage, exportTol)
				// logits_per_image[i][j] = exp(logit_scale)·cos(image i, text j);
				// logits_per_text is its transpose. The tolerance is exportTol
				// scaled by exp(logit_scale) (≈ 14.3).
				scale := math.Exp(float64(w.Config.LogitScale))
				perImage, perText := make([][]float64, images), make([][]float64, len(ids))
				for j := range perText {
					perText[j] = make([]float64, images)
				}
				for i := range perImage {
					perImage[i] = make([]float64, len(ids))
					for j := range ids {
						var dot float64
						for k := range dim {
							dot += wantImage[i][k] * wantText[j][k]
						}
						perImage[i][j], perText[j][i] = scale*dot, scale*dot
					}
				}
				checkRows(t, "logits_per_image", res["logits_per_image"], perImage, exportTol*scale)
				checkRows(t, "logits_per_text", res["logits_per_text"], perText, exportTol*scale)
			}
		})
	}
}

// checkOutputs checks the model at path declares sig (as a scorer does
// before loading it) and that its output name equals want on inputs.
func checkOutputs(t *testing.T, path string, sig onnx.Signature, inputs map[string]onnx.Tensor, name string, want [][]float64) {
	t.Helper()
	if err := onnx.CheckModelFile(path, sig); err != nil {
		t.Fatal(err)
	}
	checkRows(t, filepath.Base(path)+" "+name, run(t, path, inputs)[name], want, exportTol)
}

// TestExportErrors: Export refuses a directory it cannot export, naming
// the file at fault, and writes nothing when the adapters are missing.
func TestExportErrors(t *testing.T) {
	backbone, _ := testmodels.CLIPDir(t, "socialreward", "", clipmodel.WriteOptions{Text: true, Vision: true}, 3)
	noONNX := t.TempDir()
	if err := train.SaveCheckpoint(filepath.Join(noONNX, AdaptersFile), &train.Model{}, nil, train.CheckpointOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := modeldir.Write(noONNX, modeldir.Manifest{Kind: "socialreward"}); err != nil {
		t.Fatal(err)
	}
	corrupt, _ := testmodels.CLIPDir(t, "socialreward", "", clipmodel.WriteOptions{Text: true, Vision: true}, 3)
	writeFile(t, filepath.Join(corrupt, AdaptersFile), "not safetensors")
	wrongDim, _ := testmodels.CLIPDir(t, "socialreward", "", clipmodel.WriteOptions{Text: true, Vision: true}, 3)
	if err := train.SaveCheckpoint(filepath.Join(wrongDim, AdaptersFile), &train.Model{TextAdapter: randomAdapter(t, train.Linear, 16, 1)}, nil, train.CheckpointOptions{}); err != nil {
		t.Fatal(err)
	}
	noManifest := t.TempDir()
	writeFile(t, filepath.Join(noManifest, AdaptersFile), "")

	tests := []struct {
		name      string
		dir       string
		want      []string
		wantNoOut bool // the output directory is not created
	}{
		{"no adapters", backbone, []string{"DIR has no " + AdaptersFile, "nothing to export"}, true},
		{"no srbench.yaml", noManifest, []string{"missing " + modeldir.ManifestName}, true},
		{"corrupt adapters", corrupt, []string{AdaptersFile}, true},
		{"no ONNX model", noONNX, []string{"DIR: no ONNX model to export into"}, false},
		{"adapter of another dimension", wrongDim, []string{clipmodel.TextModelFile, "width 32"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "exported")
			_, err := Export(tc.dir, out)
			if err == nil {
				t.Fatal("Export succeeded")
			}
			// The directory's name repeats the test's: it is replaced by
			// DIR, so the message itself must name the file.
			msg := strings.ReplaceAll(err.Error(), tc.dir, "DIR")
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if _, err := os.Stat(out); tc.wantNoOut && err == nil {
				t.Errorf("%s was created", out)
			}
		})
	}
}
