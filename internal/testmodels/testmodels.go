// Package testmodels builds the small model directories, plugin binaries and
// shared reference data that srbench's plugin and integration tests use.
package testmodels

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/srbench/srbench/harness/modeldir"
	"github.com/srbench/srbench/harness/onnx/clipmodel"
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
// module root) into dir and returns the binary's path.
func BuildPlugin(dir, name, pkg string) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return out, nil
}
