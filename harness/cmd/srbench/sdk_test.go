package main

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/srbench/srbench/internal/testmodels"
)

// TestSDKOnlyPluginRuns: the SDK's example plugin (harness/scorer/examples/
// filesize), built in the SDK module, against the SDK alone, benchmarks
// with srbench; its accuracy is the share of pairs whose preferred image
// is the larger file, counted here from the files themselves.
func TestSDKOnlyPluginRuns(t *testing.T) {
	root, err := testmodels.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	// The SDK module's whole module graph (go list -m all), and what the
	// example links, hold nothing of the harness and none of its heavy
	// dependencies (grpc >= 1.75 requires gonum for its tests: the SDK
	// stays on 1.74).
	for _, args := range [][]string{
		{"list", "-m", "all"},
		{"list", "-deps", "-f", "{{with .Module}}{{.Path}}{{end}}", "./examples/filesize"},
	} {
		list := exec.Command("go", args...)
		list.Dir = filepath.Join(root, "harness", "scorer")
		out, err := list.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			m, _, _ := strings.Cut(line, " ")
			if m == "github.com/srbench/srbench" || strings.Contains(m, "gonum") || strings.Contains(m, "plot") ||
				strings.Contains(m, "sqlite") || strings.Contains(m, "parquet") {
				t.Errorf("go %s: module %s", strings.Join(args, " "), m)
			}
		}
	}

	plugins := filepath.Join(t.TempDir(), "plugins")
	if _, err := testmodels.BuildPlugin(plugins, "filesize", "./harness/scorer/examples/filesize"); err != nil {
		t.Fatal(err)
	}
	// Images of different sizes and busyness: noise compresses worse than
	// a flat colour, so their bits per pixel differ.
	dir := t.TempDir()
	type img struct{ w, h, noise int }
	imgs := []img{{40, 30, 0}, {40, 30, 255}, {64, 48, 60}, {20, 20, 120}, {80, 20, 10}}
	bpp := make([]float64, len(imgs))
	rng := rand.New(rand.NewPCG(1, 2))
	for i, im := range imgs {
		m := image.NewRGBA(image.Rect(0, 0, im.w, im.h))
		for k := range m.Pix {
			m.Pix[k] = uint8(100 + rng.IntN(im.noise+1)/2)
			if k%4 == 3 {
				m.Pix[k] = 255
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, m); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("i%d.png", i)), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		bpp[i] = 8 * float64(buf.Len()) / float64(im.w*im.h)
	}
	var b bytes.Buffer
	correct, total := 0, 0
	for i := range imgs { // each pair once, image_a the earlier one, labelled preferred
		for j := i + 1; j < len(imgs); j++ {
			fmt.Fprintf(&b, `{"prompt":"p%d","image_a":"i%d.png","image_b":"i%d.png","label":"a"}`+"\n", i, i, j)
			total++
			if bpp[i] > bpp[j] {
				correct++
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "pairs.jsonl"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	models := t.TempDir()
	os.Mkdir(filepath.Join(models, "filesize"), 0o755)
	run := filepath.Join(t.TempDir(), "run")
	got := runOK(t, "run", "--dataset", filepath.Join(dir, "pairs.jsonl"), "--scorers", "filesize", "--plugin-dir", plugins,
		"--models", models, "--out", run)
	r := readResults(t, run)
	if len(r.Scorers) != 1 {
		t.Fatalf("%d scorers in results:\n%s", len(r.Scorers), got)
	}
	s := r.Scorers[0]
	want := float64(correct) / float64(total)
	if correct == 0 || correct == total {
		t.Fatalf("the fixture's images order all pairs one way (%d of %d): a weak check", correct, total)
	}
	if s.Accuracy == nil || *s.Accuracy != want || s.Fingerprint != "none" {
		t.Fatalf("accuracy %v, fingerprint %q; want %v (%d of %d) and \"none\"\n%s", s.Accuracy, s.Fingerprint, want, correct, total, got)
	}
	// And it passes every rule of the contract.
	if out := runOK(t, "plugins", "test", "filesize", "--plugin-dir", plugins); !strings.Contains(out, "11 rules: 11 passed, 0 failed, 0 skipped") {
		t.Errorf("plugins test filesize:\n%s", out)
	}
}
