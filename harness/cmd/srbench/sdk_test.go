package main

import (
	"bytes"
	"fmt"
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
	// What the example links: the SDK module and its three dependencies'
	// modules, nothing of the harness.
	list := exec.Command("go", "list", "-deps", "-f", "{{with .Module}}{{.Path}}{{end}}", "./examples/filesize")
	list.Dir = filepath.Join(root, "harness", "scorer")
	out, err := list.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, m := range strings.Fields(string(out)) {
		if m == "github.com/srbench/srbench" || strings.Contains(m, "gonum") || strings.Contains(m, "sqlite") || strings.Contains(m, "parquet") {
			t.Errorf("the SDK example links module %s", m)
		}
	}

	plugins := filepath.Join(t.TempDir(), "plugins")
	if _, err := testmodels.BuildPlugin(plugins, "filesize", "./harness/scorer/examples/filesize"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sizes := []int{120, 340, 90, 800, 500}
	for i, n := range sizes {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("i%d.png", i)), make([]byte, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	correct, total := 0, 0
	for i := range sizes {
		for j := range sizes {
			if i == j {
				continue
			}
			fmt.Fprintf(&b, `{"prompt":"p%d","image_a":"i%d.png","image_b":"i%d.png","label":"a"}`+"\n", i, i, j)
			total++
			if sizes[i] > sizes[j] {
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
	if s.Accuracy == nil || *s.Accuracy != want || s.Fingerprint != "none" {
		t.Fatalf("accuracy %v, fingerprint %q; want %v (%d of %d) and \"none\"\n%s", s.Accuracy, s.Fingerprint, want, correct, total, got)
	}
}
