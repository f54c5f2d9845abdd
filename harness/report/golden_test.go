package report_test

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gonum.org/v1/plot/cmpimg"

	"github.com/srbench/srbench/harness/report"
	"github.com/srbench/srbench/harness/results"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// fixtureRun copies the committed fixture run directory (made once by
// testdata/gen) into a fresh directory and returns it.
func fixtureRun(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{results.ResultsFile, results.SamplesFile} {
		b, err := os.ReadFile(filepath.Join("testdata", "run", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// writeFixtureReport renders the fixture's report once per test binary run.
func writeFixtureReport(t *testing.T) string {
	t.Helper()
	dir := fixtureRun(t)
	if err := report.Write(dir, report.Options{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// svgNumber matches the numbers in an SVG; normaliseSVG rounds them to one
// decimal so the comparison survives last-digit float differences between
// platforms (e.g. fused multiply-add on arm64) but not a moved element.
var svgNumber = regexp.MustCompile(`-?\d+\.\d+`)

func normaliseSVG(b []byte) []byte {
	return svgNumber.ReplaceAllFunc(b, func(m []byte) []byte {
		f, err := strconv.ParseFloat(string(m), 64)
		if err != nil {
			return m
		}
		s := strconv.FormatFloat(math.Round(f*10)/10, 'f', 1, 64)
		if s == "-0.0" {
			s = "0.0"
		}
		return []byte(s)
	})
}

// compareGolden compares got with testdata/golden/name (or rewrites it with -update).
func compareGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test ./harness/report -update` to create it)", err)
	}
	switch ext := filepath.Ext(name); ext {
	case ".png":
		// 0.02: anti-aliasing may differ slightly between platforms; a
		// moved line or a changed colour does not pass.
		ok, err := cmpimg.EqualApprox("png", got, want, 0.02)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			os.WriteFile(path+".got.png", got, 0o644)
			t.Errorf("%s differs from the golden file; wrote %s.got.png", name, path)
		}
	case ".svg", ".html":
		if g, w := normaliseSVG(got), normaliseSVG(want); !bytes.Equal(g, w) {
			t.Errorf("%s differs from the golden file (-want +got):\n%s", name, firstDiff(string(w), string(g)))
		}
	default:
		if d := cmp.Diff(string(want), string(got)); d != "" {
			t.Errorf("%s differs from the golden file (-want +got):\n%s", name, d)
		}
	}
}

// firstDiff shows the first differing lines of two long texts.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, x, y)
		}
	}
	return "(no line differs)"
}

func TestGolden(t *testing.T) {
	dir := writeFixtureReport(t)
	names := []string{"report.md", "report.html"}
	for _, f := range report.DefaultFigures() {
		names = append(names, "plots/"+f.Name+".svg", "plots/"+f.Name+".png")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			got, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			compareGolden(t, name, got)
		})
	}
}

// TestDeterministic: the same run directory gives byte-identical files.
func TestDeterministic(t *testing.T) {
	a, b := writeFixtureReport(t), writeFixtureReport(t)
	n := 0
	err := filepath.WalkDir(a, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a, path)
		x, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil {
			return err
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two renderings of the same run", rel)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// results.json, samples.jsonl, report.md, report.html and 6 figures × 2 formats
	if n != 16 {
		t.Errorf("compared %d files, want 16", n)
	}
}
