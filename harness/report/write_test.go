package report_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/cmpimg"
	"gonum.org/v1/plot/plotter"

	"github.com/srbench/srbench/harness/report"
	"github.com/srbench/srbench/harness/results"
)

func TestWriteWithoutSamples(t *testing.T) {
	dir := fixtureRun(t)
	if err := os.Remove(filepath.Join(dir, results.SamplesFile)); err != nil {
		t.Fatal(err)
	}
	if err := report.Write(dir, report.Options{}); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, report.MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "samples.jsonl not found in the run directory: score distributions are left out.") {
		t.Errorf("report.md does not say samples.jsonl is missing")
	}
	if _, err := os.Stat(filepath.Join(dir, "plots", "scores.svg")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("plots/scores.svg exists without samples (err %v)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "plots", "accuracy.svg")); err != nil {
		t.Errorf("plots/accuracy.svg: %v", err)
	}
}

func TestWriteBadInput(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		content string
		want    string
	}{
		{"results not JSON", results.ResultsFile, "{", "results.json: unexpected end of JSON input"},
		{"results from a newer schema", results.ResultsFile, `{"schema_version": 9}`, `field "schema_version" is 9`},
		{"samples line malformed", results.SamplesFile, "{\"label\":\"a\"}\n{oops\n", "samples.jsonl: line 2:"},
		{"samples label unknown", results.SamplesFile, "{\"label\":\"left\"}\n", `samples.jsonl: line 1: field "label": "left", want a, b or tie`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := fixtureRun(t)
			if err := os.WriteFile(filepath.Join(dir, tt.file), []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			err := report.Write(dir, report.Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Write error %v, want one containing %q", err, tt.want)
			}
		})
	}
	t.Run("no run directory", func(t *testing.T) {
		err := report.Write(filepath.Join(t.TempDir(), "nope"), report.Options{})
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Write error %v, want a not-exist error", err)
		}
	})
}

// learningCurve stands for a figure a later stage adds (e.g. training).
func learningCurve(in *report.Input) (*report.Chart, error) {
	p := plot.New()
	p.Title.Text = "Learning curve"
	p.X.Label.Text, p.Y.Label.Text = "epoch", "loss"
	l, err := plotter.NewLine(plotter.XYs{{X: 1, Y: 0.3}, {X: 2, Y: 0.2}, {X: 3, Y: 0.15}})
	if err != nil {
		return nil, err
	}
	p.Add(l)
	return &report.Chart{Panels: [][]*plot.Plot{{p}}}, nil
}

func TestFigureRegistry(t *testing.T) {
	t.Run("an added figure is drawn and shown", func(t *testing.T) {
		dir := fixtureRun(t)
		figs := append(report.DefaultFigures(), report.Figure{Name: "learning-curve", Title: "Learning curve", Caption: "Training loss per epoch.", Make: learningCurve})
		if err := report.Write(dir, report.Options{Figures: figs}); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"plots/learning-curve.svg", "plots/learning-curve.png"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Error(err)
			}
		}
		md, _ := os.ReadFile(filepath.Join(dir, report.MarkdownFile))
		if !strings.Contains(string(md), "**Learning curve:** [SVG](plots/learning-curve.svg)") {
			t.Errorf("report.md does not list the added figure")
		}
		page, _ := os.ReadFile(filepath.Join(dir, report.HTMLFile))
		if !strings.Contains(string(page), `<figure id="fig-learning-curve">`) {
			t.Errorf("report.html does not show the added figure")
		}
	})
	t.Run("no figures", func(t *testing.T) {
		dir := fixtureRun(t)
		if err := report.Write(dir, report.Options{Figures: []report.Figure{}}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "plots")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("plots/ exists with no figures (err %v)", err)
		}
	})
	t.Run("a figure without data removes its old files", func(t *testing.T) {
		dir := fixtureRun(t)
		stale := filepath.Join(dir, "plots", "learning-curve.png")
		os.MkdirAll(filepath.Dir(stale), 0o755)
		os.WriteFile(stale, []byte("old"), 0o644)
		none := func(*report.Input) (*report.Chart, error) { return nil, nil }
		if err := report.Write(dir, report.Options{Figures: []report.Figure{{Name: "learning-curve", Make: none}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("stale %s kept (err %v)", stale, err)
		}
	})
	bad := []struct {
		name string
		figs []report.Figure
		want string
	}{
		{"duplicate name", []report.Figure{{Name: "a", Make: learningCurve}, {Name: "a", Make: learningCurve}}, `name "a" is used twice`},
		{"bad name", []report.Figure{{Name: "../x", Make: learningCurve}}, `name "../x": want lower-case letters`},
		{"no Make", []report.Figure{{Name: "x"}}, `figure "x" has no Make function`},
		{"Make fails", []report.Figure{{Name: "x", Make: func(*report.Input) (*report.Chart, error) { return nil, errors.New("boom") }}}, `figure "x": boom`},
		{"empty chart", []report.Figure{{Name: "x", Make: func(*report.Input) (*report.Chart, error) { return &report.Chart{}, nil }}}, "has no panels"},
		{"colour bar under two panels", []report.Figure{{Name: "x", Make: func(*report.Input) (*report.Chart, error) {
			return &report.Chart{Panels: [][]*plot.Plot{{plot.New(), plot.New()}}, ColorBar: plot.New()}, nil
		}}}, "a colour bar needs a chart of one panel"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			err := report.Write(fixtureRun(t), report.Options{Figures: tt.figs})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Write error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestGoldenCatchesChange: the PNG tolerance passes the golden itself but
// not a figure of slightly different numbers (one accuracy 1 point lower).
func TestGoldenCatchesChange(t *testing.T) {
	want, err := os.ReadFile("testdata/golden/plots/accuracy.png")
	if err != nil {
		t.Fatal(err)
	}
	res, err := results.ReadResults("testdata/run/results.json")
	if err != nil {
		t.Fatal(err)
	}
	in := &report.Input{Results: res}
	draw := func() []byte {
		ch, err := report.DefaultFigures()[0].Make(in)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ch.Render("png")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if ok, err := cmpimg.EqualApprox("png", draw(), want, 0.02); err != nil || !ok {
		t.Fatalf("unchanged figure does not match its golden (ok %v, err %v)", ok, err)
	}
	*res.Scorers[1].Accuracy -= 0.01
	if ok, err := cmpimg.EqualApprox("png", draw(), want, 0.02); err != nil || ok {
		t.Errorf("figure with an accuracy 1 point lower matches the golden (ok %v, err %v)", ok, err)
	}
}

// TestFigureLabels checks the numbers printed inside the figures against
// the fixture, independently of the golden files.
func TestFigureLabels(t *testing.T) {
	res, err := results.ReadResults("testdata/run/results.json")
	if err != nil {
		t.Fatal(err)
	}
	in := &report.Input{Results: res}
	figs := map[string]report.Figure{}
	for _, f := range report.DefaultFigures() {
		figs[f.Name] = f
	}
	tests := []struct {
		fig  string
		want []string
	}{
		// 280/392, 249/392, 233.5/389 (9 predicted ties at half credit)
		{"accuracy", []string{">71.4<", ">63.5<", ">60.0<", ">chance<", ">pairwise accuracy (%)<"}},
		// socialreward − pickscore = 7.9 points, Holm p 0.029 < 0.05; socialreward − clipscore 11.4;
		// pickscore − clipscore 3.2, p 0.32
		// and a colour bar from -12 to +12 points, signed like the cells
		{"differences", []string{">+7.9*<", ">-7.9*<", ">+11.4*<", ">+3.2<", ">-3.2<", ">row scorer<",
			`<image preserveAspectRatio="none" `, ">-10<", ">0<", ">+10<", ">accuracy difference, row − column (percentage points)<"}},
		{"agreement", []string{">0.22<", ">0.14<", ">0.11<",
			`<image preserveAspectRatio="none" `, ">-1<", ">-0.5<", ">0.5<", ">1<", ">Kendall τ-b (−1: opposite orderings, 0: unrelated, 1: the same)<"}},
		{"calibration", []string{">socialreward (ECE 0.042)<", ">perfectly calibrated<"}},
		// a quantile axis: one tick per bin, labelled with its range
		{"strength", []string{">label strength: quantile bins, equally spaced (tick: the bin&#39;s range)<", ">chance (50%)<",
			">0–0.26<", ">0.27–0.48<", ">0.48–0.69<", ">0.69–0.95<"}},
	}
	for _, tt := range tests {
		t.Run(tt.fig, func(t *testing.T) {
			ch, err := figs[tt.fig].Make(in)
			if err != nil || ch == nil {
				t.Fatalf("Make: %v, %v", ch, err)
			}
			svg, err := ch.Render("svg")
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(svg), w) {
					t.Errorf("%s.svg lacks %q", tt.fig, w)
				}
			}
		})
	}
}
