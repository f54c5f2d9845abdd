package report

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"

	"golang.org/x/sync/errgroup"

	"github.com/srbench/srbench/harness/results"
	"github.com/srbench/srbench/internal/atomicfile"
)

// Options choose what Write draws. The zero value draws DefaultFigures.
type Options struct {
	// Figures are drawn in order; nil means DefaultFigures(). A non-nil
	// empty slice draws none.
	Figures []Figure
}

// File names inside a run directory.
const (
	MarkdownFile = "report.md"
	HTMLFile     = "report.html"
	PlotsDir     = "plots"
)

var figureName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// Write renders the report of the run directory runDir from its
// results.json and samples.jsonl (nothing else is read) into report.md,
// report.html and plots/NAME.{svg,png}. The same inputs give byte-identical
// files. A missing samples.jsonl only leaves out the score distributions
// (the report says so); a malformed one is an error.
func Write(runDir string, opts Options) error {
	res, err := results.ReadResults(filepath.Join(runDir, results.ResultsFile))
	if err != nil {
		return err
	}
	in := &Input{Dir: runDir, Results: res}
	var issues []string
	in.Scores, err = readScores(filepath.Join(runDir, results.SamplesFile), res)
	if errors.Is(err, fs.ErrNotExist) {
		issues = append(issues, results.SamplesFile+" not found in the run directory: score distributions are left out.")
	} else if err != nil {
		return err
	}
	figs := opts.Figures
	if figs == nil {
		figs = DefaultFigures()
	}
	seen := map[string]bool{}
	for i, f := range figs {
		switch {
		case !figureName.MatchString(f.Name):
			return fmt.Errorf("report: figure %d: name %q: want lower-case letters, digits and '-'", i, f.Name)
		case seen[f.Name]:
			return fmt.Errorf("report: figure %d: name %q is used twice", i, f.Name)
		case f.Make == nil:
			return fmt.Errorf("report: figure %q has no Make function", f.Name)
		}
		seen[f.Name] = true
	}
	plots := filepath.Join(runDir, PlotsDir)
	if len(figs) > 0 {
		if err := os.MkdirAll(plots, 0o755); err != nil {
			return err
		}
	}
	// The charts are made in order, then rendered concurrently (gonum/plot
	// canvases are independent; its font cache is safe for concurrent use):
	// a report's figures cost the time of the slowest, not of all.
	type rendered struct {
		f        Figure
		svg, png []byte
	}
	var charts []*rendered
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, f := range figs {
		ch, err := f.Make(in)
		if err != nil {
			return fmt.Errorf("report: figure %q: %w", f.Name, err)
		}
		if ch == nil {
			// No data for it: remove what an earlier report may have left.
			for _, ext := range []string{".svg", ".png"} {
				if err := os.Remove(filepath.Join(plots, f.Name+ext)); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return err
				}
			}
			continue
		}
		r := &rendered{f: f}
		charts = append(charts, r)
		g.Go(func() error {
			var err error
			if r.svg, err = ch.Render("svg"); err != nil {
				return fmt.Errorf("report: figure %q: %w", f.Name, err)
			}
			if r.png, err = ch.Render("png"); err != nil {
				return fmt.Errorf("report: figure %q: %w", f.Name, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	var blocks []figureBlock
	for _, r := range charts {
		if err := writeFile(filepath.Join(plots, r.f.Name+".svg"), r.svg); err != nil {
			return err
		}
		if err := writeFile(filepath.Join(plots, r.f.Name+".png"), r.png); err != nil {
			return err
		}
		blocks = append(blocks, figureBlock{name: r.f.Name, title: r.f.Title, caption: r.f.Caption, svg: inlineSVG(r.svg, r.f.Title)})
	}
	doc := buildDoc(res, blocks, issues)
	if err := writeFile(filepath.Join(runDir, MarkdownFile), []byte(renderMarkdown(doc))); err != nil {
		return err
	}
	title := "srbench report: " + res.Benchmark.Name
	return writeFile(filepath.Join(runDir, HTMLFile), []byte(renderHTML(title, doc)))
}

// inlineSVG prepares an SVG file for inclusion in HTML: the XML prolog and
// comment go, and the image gets an accessible name.
func inlineSVG(svg []byte, title string) []byte {
	i := bytes.Index(svg, []byte("<svg"))
	if i < 0 {
		return nil
	}
	out := []byte(`<svg role="img" aria-label="` + htmlAttr(title) + `"`)
	return append(out, svg[i+len("<svg"):]...)
}

func htmlAttr(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString("&quot;")
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// writeFile writes data to path through a temporary file and a rename, so a
// reader never sees half a report.
func writeFile(path string, data []byte) error { return atomicfile.WriteBytes(path, data) }

// readScores builds, per scorer of res, the histograms of the scores of the
// preferred and the rejected image of each scored pair with an A or B
// label, in two streaming passes over samples.jsonl (range, then counts).
func readScores(path string, res *results.Results) ([]ScoreHistogram, error) {
	out := make([]ScoreHistogram, len(res.Scorers))
	idx := make(map[string]int, len(res.Scorers))
	for i, s := range res.Scorers {
		out[i] = ScoreHistogram{Scorer: s.Name, Lo: math.Inf(1), Hi: math.Inf(-1)}
		idx[s.Name] = i
	}
	// each visits every counted (scorer, preferred, rejected) of the file.
	each := func(f func(i int, pref, rej float64)) error {
		return results.ReadSamples(path, func(s results.Sample) error {
			var swap bool
			switch s.Label {
			case "a":
			case "b":
				swap = true
			case "tie":
				return nil
			default:
				return fmt.Errorf("field \"label\": %q, want a, b or tie", s.Label)
			}
			for name, sc := range s.Scores {
				i, ok := idx[name]
				if !ok || sc.Error != "" {
					continue
				}
				if swap {
					f(i, sc.B, sc.A)
				} else {
					f(i, sc.A, sc.B)
				}
			}
			return nil
		})
	}
	err := each(func(i int, pref, rej float64) {
		h := &out[i]
		h.N++
		h.Lo = math.Min(h.Lo, math.Min(pref, rej))
		h.Hi = math.Max(h.Hi, math.Max(pref, rej))
	})
	if err != nil {
		return nil, err
	}
	for i := range out {
		h := &out[i]
		if h.N == 0 {
			h.Lo, h.Hi = 0, 0
			continue
		}
		if h.Hi == h.Lo {
			h.Lo, h.Hi = h.Lo-0.5, h.Hi+0.5
		}
		k := scoreBins(h.N)
		h.Preferred, h.Rejected = make([]float64, k), make([]float64, k)
	}
	err = each(func(i int, pref, rej float64) {
		h := &out[i]
		k := len(h.Preferred)
		h.Preferred[histBin(pref, h.Lo, h.Hi, k)]++
		h.Rejected[histBin(rej, h.Lo, h.Hi, k)]++
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
