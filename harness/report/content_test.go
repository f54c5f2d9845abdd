package report_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/srbench/srbench/harness/report"
	"github.com/srbench/srbench/harness/results"
)

// fixtureNumbers is the part of the fixture's results.json the content tests
// check, decoded independently of the report package's types.
type fixtureNumbers struct {
	Policy struct {
		Alpha float64 `json:"alpha"`
	} `json:"policy"`
	Scorers []struct {
		Name     string     `json:"name"`
		Accuracy float64    `json:"accuracy"`
		CI95     [2]float64 `json:"ci95"`
		NPairs   int        `json:"n_pairs"`
		NFailed  int        `json:"n_failed"`
	} `json:"scorers"`
	Comparisons []struct {
		A, B   string
		AWins  int     `json:"a_wins"`
		BWins  int     `json:"b_wins"`
		PHolm  float64 `json:"p_holm"`
		Diff   float64 `json:"diff"`
		NPairs int     `json:"n_pairs"`
	} `json:"comparisons"`
}

func readFixtureNumbers(t *testing.T) fixtureNumbers {
	t.Helper()
	b, err := os.ReadFile("testdata/run/results.json")
	if err != nil {
		t.Fatal(err)
	}
	var f fixtureNumbers
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// countAccuracy recounts a scorer's accuracy from samples.jsonl under the
// fixture's policy (srbench: a predicted tie earns half, tied labels are
// skipped, micro average), by hand; ties counts the predicted ties.
func countAccuracy(t *testing.T, scorer string) (correct float64, n, failed, ties int) {
	t.Helper()
	f, err := os.Open("testdata/run/samples.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var s struct {
			Label  string
			Scores map[string]struct {
				A, B  float64
				Error string
			}
		}
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
		x := s.Scores[scorer]
		switch {
		case x.Error != "":
			failed++
		case s.Label == "tie":
		case x.A == x.B:
			n++
			ties++
			correct += 0.5
		case s.Label == "a":
			n++
			if x.A > x.B {
				correct++
			}
		case s.Label == "b":
			n++
			if x.B > x.A {
				correct++
			}
		}
	}
	return correct, n, failed, ties
}

// mdTableRow returns the cells of the first Markdown table row whose first
// cell is first.
func mdTableRow(t *testing.T, md, first string) []string {
	t.Helper()
	for _, l := range strings.Split(md, "\n") {
		if !strings.HasPrefix(l, "| ") {
			continue
		}
		cells := strings.Split(strings.Trim(l, "| "), " | ")
		if cells[0] == first {
			return cells
		}
	}
	t.Fatalf("no table row starting with %q in report.md", first)
	return nil
}

func TestMarkdownAccuracyTable(t *testing.T) {
	dir := writeFixtureReport(t)
	md, err := os.ReadFile(filepath.Join(dir, report.MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	fx := readFixtureNumbers(t)
	for _, s := range fx.Scorers {
		t.Run(s.Name, func(t *testing.T) {
			correct, n, failed, ties := countAccuracy(t, s.Name)
			if n != s.NPairs || failed != s.NFailed {
				t.Fatalf("fixture: %d pairs and %d failures counted, results.json says %d and %d", n, failed, s.NPairs, s.NFailed)
			}
			if acc := correct / float64(n); acc != s.Accuracy {
				t.Fatalf("fixture: counted accuracy %v/%d = %v, results.json says %v", correct, n, acc, s.Accuracy)
			}
			want := fmt.Sprintf("%.1f%% [%.1f, %.1f]", 100*correct/float64(n), 100*s.CI95[0], 100*s.CI95[1])
			row := mdTableRow(t, string(md), "**"+s.Name+"**")
			got := []string{row[1], row[2], row[3], row[4]}
			wantTies, wantFailed := fmt.Sprintf("%.1f%%", 100*float64(ties)/float64(n)), fmt.Sprint(failed)
			if ties*50 > n { // above the 2% warning threshold: bold with a mark
				wantTies = "**" + wantTies + " ⚠**"
			}
			if failed > 0 {
				wantFailed = "**" + wantFailed + " ⚠**"
			}
			if d := cmp.Diff([]string{want, fmt.Sprint(n), wantTies, wantFailed}, got); d != "" {
				t.Errorf("accuracy row (-want +got):\n%s", d)
			}
		})
	}
	// The fixture's best scorer, spelled out: 280 of 392 pairs.
	if !strings.Contains(string(md), "| **socialreward** | 71.4% [67.2, 75.8] | 392 | 0.0% | 0 | vit-l-14 |") {
		t.Errorf("report.md lacks the socialreward row 71.4%% [67.2, 75.8]")
	}
}

func TestMarkdownVerdicts(t *testing.T) {
	dir := writeFixtureReport(t)
	md, err := os.ReadFile(filepath.Join(dir, report.MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	fx := readFixtureNumbers(t)
	nSig := 0
	for _, c := range fx.Comparisons {
		t.Run(c.A+"-"+c.B, func(t *testing.T) {
			// The table puts the more accurate scorer first.
			first, second := c.A, c.B
			if c.Diff < 0 {
				first, second = c.B, c.A
			}
			row := mdTableRow(t, string(md), first+" vs "+second)
			verdict := strings.Trim(row[2], "*")
			sig := c.PHolm < fx.Policy.Alpha
			if sig {
				nSig++
				better := c.A
				if c.BWins > c.AWins {
					better = c.B
				}
				if want := better + " > "; !strings.HasPrefix(verdict, want) || !strings.HasSuffix(verdict, ", significant") {
					t.Errorf("verdict %q: want %q…, significant (p_holm %v < alpha %v)", verdict, want, c.PHolm, fx.Policy.Alpha)
				}
			} else if verdict != "no significant difference" {
				t.Errorf("verdict %q with p_holm %v >= alpha %v", verdict, c.PHolm, fx.Policy.Alpha)
			}
		})
	}
	if nSig == 0 || nSig == len(fx.Comparisons) {
		t.Errorf("fixture has %d of %d significant comparisons; the test needs both kinds", nSig, len(fx.Comparisons))
	}
}

func TestMarkdownSections(t *testing.T) {
	dir := writeFixtureReport(t)
	b, err := os.ReadFile(filepath.Join(dir, report.MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	lines := strings.Split(md, "\n")
	// The note is the first thing after the title, then the warnings, as
	// GitHub alerts (banners on GitHub).
	if got := strings.Join(lines[2:4], "\n"); got != "> [!NOTE]\n> Synthetic world, demo models: these numbers say nothing about real scorers." {
		t.Errorf("lines 3-4 are %q, want the fixture's note as a GitHub alert", got)
	}
	if lines[5] != "> [!WARNING]" || !strings.HasPrefix(lines[6], "> - **clipscore:** failed on 3 of 400 pairs") {
		t.Errorf("lines 6-7 are %q, %q, want the warnings as a GitHub alert", lines[5], lines[6])
	}
	// Nothing a reviewer must see is only inside a collapsed section: every
	// warning of results.json is in the banner before the first <details>.
	res, err := results.ReadResults("testdata/run/results.json")
	if err != nil {
		t.Fatal(err)
	}
	open, _, _ := strings.Cut(md, "<details>")
	if len(res.Warnings) == 0 {
		t.Fatal("the fixture has no warnings; the test needs some")
	}
	for _, w := range res.Warnings {
		if !strings.Contains(open, w.Message) {
			t.Errorf("warning %q is not in report.md before the collapsed details", w.Message)
		}
	}
	for _, want := range []string{
		"Predicted ties (|score A − score B| ≤ ε, ε = 0): **half**",
		"Tied human labels: **skip** (8 pairs in the data have a tied label)",
		"Averaging: **micro (mean over pairs)**",
		"B = 1000, seed 0",
		"alpha = 0.05",
		"sha256: `68545692fc787f41f1de535c9ebb34782b166b74b4f15f67749995986f864257`",
		"commit `0123456789abcdef0123456789abcdef01234567`",
		"| onnxruntime 1.22.0 | cpu |",
		"srbench run --dataset data/synthetic-pairs.jsonl --scorers socialreward,pickscore,clipscore --lenient --out runs/fixture",
		"| clipscore | `unsupported WebP feature` | 3 |",
		"**Skipped malformed rows: 2** (missing field \"prompt\": 2)",
		"**Warning:** unknown field \"seed\" ignored (first on line 1)",
		"[SVG](plots/strength.svg)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	// Numbers are formatted one way: no accuracy with two decimals.
	if m := regexp.MustCompile(`\d+\.\d\d%`).FindString(md); m != "" {
		t.Errorf("report.md has a percentage with two decimals: %q", m)
	}
}

func TestHTMLSelfContained(t *testing.T) {
	dir := writeFixtureReport(t)
	b, err := os.ReadFile(filepath.Join(dir, report.HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, want := range []string{
		`<meta name="viewport" content="width=device-width, initial-scale=1">`,
		`Content-Security-Policy" content="default-src 'none'`,
		"@media print", "overflow-x: auto",
		"<div class=\"banner note\" role=\"note\" aria-label=\"Note\">\n<p class=\"banner-title\">Note</p>\n<p>Synthetic world, demo models",
		"<div class=\"banner warning\" role=\"note\" aria-label=\"Warnings (2)\">\n<p class=\"banner-title\">Warnings (2)</p>\n<ul>\n<li><strong>clipscore:</strong> failed on 3 of 400 pairs",
		".banner.warning { border-color: #b42318;",
		// the accuracy table (6 columns) becomes cards on a phone
		`<td class="num" data-label="accuracy [95% CI]"><span>71.4% [67.2, 75.8]</span></td>`,
		"@media screen and (max-width: 40rem)", "table.stack td::before { content: attr(data-label);",
		// the agreement table (4 columns) stays a table
		`<table>
<thead><tr><th>scorers</th><th class="num">pairs</th>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	// Every table sits in its own sideways-scrolling box, so none can
	// make the page wider than a phone's screen.
	tables := strings.Count(page, "<table")
	boxed := regexp.MustCompile(`<div class="scroll" role="region" tabindex="0" aria-label="table: [^"]*"><table[ >]`).FindAllString(page, -1)
	if tables < 9 || len(boxed) != tables {
		t.Errorf("%d tables, %d of them in a scroll box; want every one of at least 9", tables, len(boxed))
	}
	if !strings.Contains(page, ".scroll { overflow-x: auto;") {
		t.Error("report.html: the scroll box does not scroll sideways")
	}
	if n := strings.Count(page, "<svg role=\"img\""); n != 6 {
		t.Errorf("report.html has %d inline figures, want 6", n)
	}
	// Nothing is fetched: no scripts, no external resources. The only
	// http URLs are XML namespace names in the inline SVGs.
	for _, bad := range []string{"<script", "<link", "src=", "@import", "url(", "<?xml"} {
		if strings.Contains(page, bad) {
			t.Errorf("report.html contains %q", bad)
		}
	}
	rest := regexp.MustCompile(`xmlns(:xlink)?="http://www\.w3\.org/[^"]*"`).ReplaceAllString(page, "")
	if m := regexp.MustCompile(`(?i)(https?|ftp|wss?)://`).FindString(rest); m != "" {
		t.Errorf("report.html refers to a network URL %q", m)
	}
}

// TestBannersOnlyWhenNeeded: a run without warnings has no warning banner;
// a run's single warning is a banner of one paragraph, not a list.
func TestBannersOnlyWhenNeeded(t *testing.T) {
	for _, tt := range []struct {
		name     string
		warnings []results.Warning
		md, html []string // wanted
		notMD    []string
	}{
		{"none", nil, nil, nil, []string{"[!WARNING]"}},
		{"one for the run", []results.Warning{{Kind: results.WarnLabelBalance, Message: "the labels prefer image a in 100.0% of the pairs"}},
			[]string{"> [!WARNING]\n> the labels prefer image a in 100.0% of the pairs\n"},
			[]string{"<p class=\"banner-title\">Warning</p>\n<p>the labels prefer image a in 100.0% of the pairs</p>"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := fixtureRun(t)
			res, err := results.ReadResults(filepath.Join(dir, results.ResultsFile))
			if err != nil {
				t.Fatal(err)
			}
			res.Warnings = tt.warnings
			if err := results.WriteJSON(filepath.Join(dir, results.ResultsFile), res); err != nil {
				t.Fatal(err)
			}
			if err := report.Write(dir, report.Options{Figures: []report.Figure{}}); err != nil {
				t.Fatal(err)
			}
			md, _ := os.ReadFile(filepath.Join(dir, report.MarkdownFile))
			page, _ := os.ReadFile(filepath.Join(dir, report.HTMLFile))
			for _, w := range tt.md {
				if !strings.Contains(string(md), w) {
					t.Errorf("report.md lacks %q", w)
				}
			}
			for _, w := range tt.notMD {
				if strings.Contains(string(md), w) {
					t.Errorf("report.md has %q", w)
				}
			}
			for _, w := range tt.html {
				if !strings.Contains(string(page), w) {
					t.Errorf("report.html lacks %q", w)
				}
			}
			if !strings.Contains(string(md), "> [!NOTE]\n> Synthetic world") {
				t.Error("report.md lost the note banner")
			}
		})
	}
}
