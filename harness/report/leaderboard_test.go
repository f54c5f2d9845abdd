package report_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/srbench/srbench/harness/report"
	"github.com/srbench/srbench/harness/results"
)

// writeImage writes a w×h gradient image as PNG or JPEG (by extension).
func writeImage(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(255 * x / w), uint8(255 * y / h), 0x80, 0xff})
		}
	}
	var buf bytes.Buffer
	var err error
	if strings.HasSuffix(path, ".jpg") {
		err = jpeg.Encode(&buf, img, nil)
	} else {
		err = png.Encode(&buf, img)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func est(v, lo, hi float64) results.Estimate {
	return results.Estimate{Value: v, CI: [2]float64{lo, hi}, SE: (hi - lo) / 4}
}

// board makes a judge's board of generators in the given order (strongest
// first).
func board(judge string, gens []string, strengths []float64, means []float64) results.Board {
	bd := results.Board{Judge: judge}
	for i, g := range gens {
		probs := make([]float64, len(gens))
		probs[i] = 0.7
		probs[(i+1)%len(gens)] = 0.3
		bd.Generators = append(bd.Generators, results.GeneratorRow{
			Generator: g, Rank: i + 1,
			Mean:     est(means[i], means[i]-0.01, means[i]+0.01),
			Strength: est(strengths[i], strengths[i]-0.3, strengths[i]+0.3),
			RankProb: probs, NPrompts: 20 - i, NImages: 40 - i,
		})
	}
	for i, g := range gens {
		for j, o := range gens {
			if i == j {
				continue
			}
			r := 0.5 + 0.15*float64(j-i)
			bd.WinRates = append(bd.WinRates, results.WinRateEntry{
				Generator: g, Opponent: o, Rate: est(r, r-0.1, r+0.1), NPrompts: 18,
				Significant: i == 0 && j == 2 || i == 2 && j == 0,
			})
		}
	}
	return bd
}

// leaderboardFixture writes a leaderboard directory: 3 generators, judges
// clipscore, pickscore (regularised) and truth, gallery images made here
// (one PNG wider than ThumbSize, one small JPEG) and one missing image.
func leaderboardFixture(t *testing.T) (dir string, wantThumbs int) {
	t.Helper()
	dir = t.TempDir()
	imgs := filepath.Join(dir, "gallery")
	if err := os.Mkdir(imgs, 0o755); err != nil {
		t.Fatal(err)
	}
	big, small := filepath.Join(imgs, "big.png"), filepath.Join(imgs, "small.jpg")
	writeImage(t, big, 300, 120)
	writeImage(t, small, 40, 30)
	missing := filepath.Join(imgs, "missing.png")
	gens := []string{"alpha", "beta", "gamma"}
	l := results.Leaderboard{
		SchemaVersion: results.LeaderboardSchemaVersion, Kind: results.LeaderboardKind,
		Benchmark: results.Benchmark{Name: "toy-gallery"},
		Gallery: results.GalleryInfo{Format: "gallery-dir", Path: imgs, SHA256: strings.Repeat("ab", 32),
			NImages: 117, NPrompts: 20, NTruth: 117, Generators: gens,
			MissingByGenerator: map[string]int{"gamma": 2, "beta": 1}, NUnequalPrompts: 3, MaxSamples: 2},
		Judges: []results.Judge{
			{Name: "clipscore", Kind: "scorer", ScorerKind: "clip", Fingerprint: "fp-clip-123", PluginSHA256: strings.Repeat("cd", 32), PluginPinned: true, NScored: 117},
			{Name: "pickscore", Kind: "scorer", Fingerprint: "fp-pick-456", NScored: 116, NFailed: 1, FailureReasons: map[string]int{"decode": 1}},
			{Name: results.TruthJudge, Kind: "truth", NScored: 117},
		},
		Bootstrap: results.BootstrapCfg{B: 500, Seed: 7, Level: 0.95, Unit: "prompt"},
		Alpha:     0.05,
		Boards: []results.Board{
			board("clipscore", []string{"gamma", "alpha", "beta"}, []float64{0.61, 0.02, -0.63}, []float64{0.3123, 0.3001, 0.2874}),
			board("pickscore", []string{"alpha", "beta", "gamma"}, []float64{1.25, -0.1, -1.15}, []float64{21.5, 20.9, 20.1}),
			board(results.TruthJudge, []string{"alpha", "beta", "gamma"}, []float64{0.8, 0.05, -0.85}, []float64{0.7, 0.55, 0.4}),
		},
		Agreement: []results.RankAgreement{
			{A: "clipscore", B: "pickscore", Tau: est(-0.33, -1, 1)},
			{A: "clipscore", B: results.TruthJudge, Tau: est(-0.33, -1, 1)},
			{A: "pickscore", B: results.TruthJudge, Tau: est(1, 0.33, 1)},
		},
		Provenance: results.Provenance{Command: []string{"srbench", "rank", "--gallery", imgs}, Srbench: "v9.9.9-test", GoVersion: "go1.26"},
		Notes:      []string{"Synthetic gallery for the test."},
		Warnings: []results.Warning{
			{Kind: "missing_cells", Message: "3 prompts lack an image of some generator."},
			{Kind: "regularised", Scorer: "pickscore", Message: "the Bradley–Terry fit is regularised."},
		},
	}
	l.Boards[1].Regularised, l.Boards[1].Prior, l.Boards[1].RegularisedReplicates = true, 0.5, 37
	for _, n := range []int{1, 2, 4, 8} {
		for _, m := range []string{"clipscore", "pickscore", results.TruthJudge} {
			g := 0.0
			if n > 1 {
				g = 0.1 * float64(n)
				if m != "clipscore" {
					g /= 3
				}
			}
			l.BestOfN = append(l.BestOfN, results.BestOfNEntry{Selector: "clipscore", Measure: m, N: n,
				ZGain: est(g, g-0.05, g+0.05), OverOptimisation: est(0.8-g, 0.8-g-0.1, 0.8-g+0.1), NCells: 57})
		}
	}
	img := func(path, prompt string, score float64) []results.GalleryImage {
		return []results.GalleryImage{{Image: filepath.Base(path), Path: path, Prompt: prompt, Score: score}}
	}
	for _, g := range gens {
		l.Extremes = append(l.Extremes, results.Extremes{Judge: "clipscore", Generator: g,
			Best: img(big, "a red fox in snow", 0.3456), Worst: img(small, "a teapot", 0.1234)})
	}
	l.Extremes = append(l.Extremes, results.Extremes{Judge: results.TruthJudge, Generator: "gamma",
		Best: img(missing, "a lighthouse", 0.9), Worst: img(small, "a teapot", 0.1)})
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, results.LeaderboardFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, 3*2 + 1
}

var thumbRE = regexp.MustCompile(`<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"`)

func TestWriteLeaderboard(t *testing.T) {
	for _, tc := range []struct {
		name  string
		thumb int
		want  int // long side of the 300×120 image's thumbnail
	}{
		{"default size", 0, report.DefaultThumbSize},
		{"size 64", 64, 64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, wantThumbs := leaderboardFixture(t)
			if err := report.WriteLeaderboard(dir, report.LeaderboardOptions{ThumbSize: tc.thumb}); err != nil {
				t.Fatal(err)
			}
			md := readString(t, filepath.Join(dir, report.LeaderboardMarkdownFile))
			page := readString(t, filepath.Join(dir, report.LeaderboardHTMLFile))
			limit := tc.thumb
			if limit == 0 {
				limit = report.DefaultThumbSize
			}

			// Warnings come before the first table, in both renderings.
			for _, d := range []struct{ name, doc, table string }{
				{"md", md, "| rank |"},
				{"html", page, "<table"},
			} {
				w, tb := strings.Index(d.doc, "3 prompts lack an image"), strings.Index(d.doc, d.table)
				if w < 0 || tb < 0 || w > tb {
					t.Errorf("%s: warning at %d, first table at %d: want the warning first", d.name, w, tb)
				}
				if !strings.Contains(d.doc, "regularised") {
					t.Errorf("%s: the regularised board is not marked", d.name)
				}
			}

			// Numbers of the fixture, formatted.
			for _, s := range []string{
				"+0.61 [+0.31, +0.91]", // clipscore strength of gamma
				"0.312 [0.302, 0.322]", // clipscore mean of gamma
				"21.5 [21.5, 21.5]",    // pickscore mean of alpha (3 significant digits)
				"0.70 · 0.30 · 0.00",   // rank probabilities
				"Judge: pickscore (regularised)",
				"Regularised fit:",
				"-0.33 [-1.00, 1.00]",  // Kendall tau
				"+0.80 [+0.75, +0.85]", // best-of-N self z-gain at N = 8
				"+0.27 [+0.22, +0.32]", // z-gain of another measure at N = 8
				"fp-clip-123", "v9.9.9-test", "gamma: 2",
				"image not shown: ", "missing.png", "no such file or directory",
			} {
				if !strings.Contains(md, s) {
					t.Errorf("markdown lacks %q", s)
				}
				if !strings.Contains(page, s) {
					t.Errorf("html lacks %q", s)
				}
			}

			// Rankings at a glance: clipscore's rank 1 differs from truth's.
			if !strings.Contains(md, "| 1 | **gamma** | alpha | alpha |") {
				t.Errorf("markdown lacks the glance row for rank 1")
			}

			// Thumbnails: inline, PNG, no larger than the limit.
			ms := thumbRE.FindAllStringSubmatch(page, -1)
			if len(ms) != wantThumbs {
				t.Errorf("html has %d thumbnails, want %d", len(ms), wantThumbs)
			}
			longest := 0
			for _, m := range ms {
				b, err := base64.StdEncoding.DecodeString(m[1])
				if err != nil {
					t.Fatal(err)
				}
				cfg, err := png.DecodeConfig(bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				if l := max(cfg.Width, cfg.Height); l > limit {
					t.Errorf("thumbnail %d×%d exceeds %d px", cfg.Width, cfg.Height, limit)
				}
				longest = max(longest, cfg.Width, cfg.Height)
			}
			if longest != tc.want {
				t.Errorf("largest thumbnail side %d, want %d", longest, tc.want)
			}
			// The Markdown links the same thumbnails as files.
			links := regexp.MustCompile(`\]\((plots/thumbs/[0-9a-f]+\.png)\)`).FindAllStringSubmatch(md, -1)
			if len(links) != wantThumbs {
				t.Errorf("markdown links %d thumbnails, want %d", len(links), wantThumbs)
			}
			for _, l := range links {
				if _, err := os.Stat(filepath.Join(dir, l[1])); err != nil {
					t.Error(err)
				}
			}

			// Figures: files, linked from the Markdown, inline in the HTML.
			for _, name := range []string{"leaderboard-strengths", "leaderboard-winrates-clipscore",
				"leaderboard-winrates-pickscore", "leaderboard-winrates-truth", "leaderboard-best-of-n"} {
				for _, ext := range []string{".svg", ".png"} {
					if _, err := os.Stat(filepath.Join(dir, report.PlotsDir, name+ext)); err != nil {
						t.Error(err)
					}
				}
				if !strings.Contains(md, "plots/"+name+".svg") {
					t.Errorf("markdown does not link %s", name)
				}
				if !strings.Contains(page, `<figure id="fig-`+name+`"`) {
					t.Errorf("html lacks figure %s", name)
				}
			}
			// The win-rate maps have a colour bar from 0 to 1 and mark
			// significant cells.
			svg := readString(t, filepath.Join(dir, report.PlotsDir, "leaderboard-winrates-clipscore.svg"))
			for _, s := range []string{">0</text>", ">0.5</text>", ">1</text>", "0.80*", "(0.5: even)", "<image "} {
				if !strings.Contains(svg, s) {
					t.Errorf("win-rate map lacks %q", s)
				}
			}
			bon := readString(t, filepath.Join(dir, report.PlotsDir, "leaderboard-best-of-n.svg"))
			if !strings.Contains(bon, "clipscore (self-judged)") {
				t.Error("best-of-N figure lacks the self-judged line's legend")
			}
		})
	}
}

func TestWriteLeaderboardDeterministic(t *testing.T) {
	dir, _ := leaderboardFixture(t)
	var first [2]string
	for i := range 2 {
		if err := report.WriteLeaderboard(dir, report.LeaderboardOptions{}); err != nil {
			t.Fatal(err)
		}
		md := readString(t, filepath.Join(dir, report.LeaderboardMarkdownFile))
		page := readString(t, filepath.Join(dir, report.LeaderboardHTMLFile))
		if i == 0 {
			first = [2]string{md, page}
			continue
		}
		if md != first[0] || page != first[1] {
			t.Error("a second WriteLeaderboard gives different files")
		}
	}
}

func TestWriteLeaderboardErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		json string
		opts report.LeaderboardOptions
		want string
	}{
		{"no file", "", report.LeaderboardOptions{}, "no such file"},
		{"wrong kind", `{"schema_version": 1, "kind": "results"}`, report.LeaderboardOptions{}, "want \"leaderboard\""},
		{"thumb size", `{"schema_version": 1, "kind": "leaderboard"}`, report.LeaderboardOptions{ThumbSize: 3}, "thumbnail size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.json != "" {
				if err := os.WriteFile(filepath.Join(dir, results.LeaderboardFile), []byte(tc.json), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := report.WriteLeaderboard(dir, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// An empty leaderboard (no boards yet) still renders.
func TestWriteLeaderboardEmpty(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, results.LeaderboardFile), []byte(`{"schema_version": 1, "kind": "leaderboard", "benchmark": {"name": "empty"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteLeaderboard(dir, report.LeaderboardOptions{}); err != nil {
		t.Fatal(err)
	}
	if md := readString(t, filepath.Join(dir, report.LeaderboardMarkdownFile)); !strings.HasPrefix(md, "# srbench leaderboard: empty\n") {
		t.Errorf("markdown starts %q", md[:min(len(md), 60)])
	}
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
