// Package testmodels builds the small model directories, plugin binaries and
// shared reference data that srbench's plugin and integration tests use.
package testmodels

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/srbench/srbench/harness/host"
	"github.com/srbench/srbench/harness/imageproc"
	"github.com/srbench/srbench/harness/modeldir"
	"github.com/srbench/srbench/harness/onnx/blipmodel"
	"github.com/srbench/srbench/harness/onnx/clipmodel"
	"github.com/srbench/srbench/harness/scorer"
	"github.com/srbench/srbench/harness/tokenize"
)

// ModuleRoot is the directory holding go.mod, found upwards from the working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// Shared returns a path inside ../shared beside the module root (the
// reference data every session and CI has), failing the test when absent.
func Shared(t testing.TB, rel string) string {
	t.Helper()
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(filepath.Dir(root), "shared", rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("reference data %s is missing (../shared beside the checkout): %v", p, err)
	}
	return p
}

// CLIPDir writes a tiny CLIP-shaped model directory of the given kind into a
// temp dir: the ONNX files selected by files, the OpenAI BPE vocabulary from
// ../shared, and srbench.yaml. It returns the directory and the weights, so
// a test can compute the same network in plain Go.
func CLIPDir(t testing.TB, kind, variant string, files clipmodel.WriteOptions, seed uint64) (string, *clipmodel.Weights) {
	t.Helper()
	cfg := clipmodel.Tiny()
	cfg.Seed = seed
	w, err := clipmodel.NewWeights(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := w.WriteDir(dir, files); err != nil {
		t.Fatal(err)
	}
	if err := copyFile(Shared(t, "data/clip/bpe_simple_vocab_16e6.txt.gz"), filepath.Join(dir, "bpe_simple_vocab_16e6.txt.gz")); err != nil {
		t.Fatal(err)
	}
	if err := modeldir.Write(dir, modeldir.Manifest{Kind: kind, Variant: variant, Description: "test model, random weights"}); err != nil {
		t.Fatal(err)
	}
	return dir, w
}

// ImageRewardDir writes a tiny BLIP-shaped ImageReward model directory into a
// temp dir: blipmodel.Tiny weights with the given seed (model.onnx), the
// bert-base-uncased tokenizer.json from ../shared (so ImageReward's added
// [DEC] and [ENC] get ids 30522 and 30523), and srbench.yaml of kind
// imagereward. It returns the directory and the weights.
func ImageRewardDir(t testing.TB, seed uint64) (string, *blipmodel.Weights) {
	t.Helper()
	cfg := blipmodel.Tiny()
	if seed != 0 {
		cfg.Seed = seed
	}
	w, err := blipmodel.NewWeights(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := w.WriteDir(dir, blipmodel.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := copyFile(Shared(t, "data/bert/bert-base-uncased.tokenizer.json"), filepath.Join(dir, "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
	if err := modeldir.Write(dir, modeldir.Manifest{Kind: "imagereward", Description: "test model, random weights"}); err != nil {
		t.Fatal(err)
	}
	return dir, w
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// BuildPlugin compiles ./plugins/<name> (or any package path relative to the
// module root) into dir, pins every plugin in dir in its plugins.lock (as
// `make build` does: srbench refuses unpinned plugins), and returns the
// binary's path; buildFlags go to `go build` before -o (e.g. "-ldflags",
// "-X main.bonus=1").
//
// When the environment variable PrebuiltEnv names a directory laid out as
// `make build` leaves bin/ (srbench, plugins/<name>), a package it holds is
// copied from there instead of linked again: `make test` builds first and
// sets it, saving a link of a few seconds per binary; a plain `go test`
// builds.
func BuildPlugin(dir, name, pkg string, buildFlags ...string) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if prebuilt := prebuiltBinary(pkg); prebuilt != "" && len(buildFlags) == 0 {
		if err := copyFile(prebuilt, out); err != nil {
			return "", err
		}
		if err := os.Chmod(out, 0o755); err != nil {
			return "", err
		}
	} else {
		modDir, rel := owningModule(root, pkg)
		args := append(append([]string{"build"}, buildFlags...), "-o", out, rel)
		cmd := exec.Command("go", args...)
		cmd.Dir = modDir
		if b, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
		}
	}
	if _, err := host.WriteLock(dir); err != nil {
		return "", fmt.Errorf("pin %s: %w", out, err)
	}
	return out, nil
}

// owningModule returns the directory of the Go module that holds the
// relative package path pkg (the nearest go.mod at or above it, within
// root) and pkg relative to it: the plugin SDK (harness/scorer) is its own
// module, and its commands are built with its own build list. Import
// paths are returned as they are, to build from root.
func owningModule(root, pkg string) (string, string) {
	if !strings.HasPrefix(pkg, "./") {
		return root, pkg
	}
	dir := filepath.Join(root, pkg)
	for d := dir; d != root && strings.HasPrefix(d, root); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			rel, err := filepath.Rel(d, dir)
			if err != nil {
				break
			}
			return d, "./" + filepath.ToSlash(rel)
		}
	}
	return root, pkg
}

// PrebuiltEnv names the directory of binaries `make build` produced (see
// BuildPlugin).
const PrebuiltEnv = "SRBENCH_PREBUILT"

// prebuiltBinary is the binary of pkg under $PrebuiltEnv, "" when there is
// none.
func prebuiltBinary(pkg string) string {
	bin := os.Getenv(PrebuiltEnv)
	if bin == "" {
		return ""
	}
	var path string
	switch rel := strings.TrimPrefix(pkg, "./"); {
	case rel == "harness/cmd/srbench":
		path = filepath.Join(bin, "srbench")
	case strings.HasPrefix(rel, "plugins/") && !strings.Contains(rel[len("plugins/"):], "/"):
		path = filepath.Join(bin, "plugins", rel[len("plugins/"):])
	default:
		return ""
	}
	if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
		return ""
	}
	return path
}

// GoldenItems returns score items pairing prompts with golden images from
// ../shared (the second passed as bytes, the others as paths).
func GoldenItems(t testing.TB) []scorer.Item {
	t.Helper()
	prompts := []string{"an astronaut", "a cup of coffee", "a cat", "a red rocket on a launch pad", "an astronaut"}
	images := []string{"astronaut.png", "coffee_q90_420.jpg", "chelsea_rgba.png", "rocket_palette.gif", "astronaut_lossy.webp"}
	items := make([]scorer.Item, len(prompts))
	for i := range items {
		items[i] = scorer.Item{ID: images[i], Prompt: prompts[i], ImagePath: Shared(t, "golden/images/"+images[i])}
	}
	b, err := os.ReadFile(items[1].ImagePath)
	if err != nil {
		t.Fatal(err)
	}
	items[1].ImagePath, items[1].ImageBytes = "", b
	return items
}

// ReferenceCosines computes cos(text, image) of each item with the plain-Go
// forward pass of w (independent of ONNX Runtime), tokenizing prefix+prompt
// with the tokenizer at tokPath and preprocessing with the named pipeline.
// The tokenizers and pipelines are checked against the Python goldens in
// their own packages.
func ReferenceCosines(t testing.TB, w *clipmodel.Weights, items []scorer.Item, prefix, tokPath, pipeline string) []float64 {
	t.Helper()
	tok, err := tokenize.Load(tokPath, tokenize.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pipe, err := imageproc.NewPipeline(pipeline)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, len(items))
	for i, it := range items {
		enc, err := tok.Encode(prefix + it.Prompt)
		if err != nil {
			t.Fatal(err)
		}
		txt, err := w.TextEmbeds([][]int64{enc.IDs}, [][]int64{enc.AttentionMask})
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
		img, err := w.ImageEmbeds(px, 1)
		if err != nil {
			t.Fatal(err)
		}
		var dot, na, nb float64
		for k := range txt[0] {
			dot += txt[0][k] * img[0][k]
			na += txt[0][k] * txt[0][k]
			nb += img[0][k] * img[0][k]
		}
		out[i] = dot / math.Sqrt(na*nb)
	}
	return out
}

// CopyDir copies the regular files of src (not its subdirectories) into a
// new temporary directory and returns it.
func CopyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}
