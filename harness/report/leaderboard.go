package report

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/srbench/srbench/harness/results"
)

// Files of a leaderboard report, inside the leaderboard directory.
const (
	LeaderboardMarkdownFile = "leaderboard.md"
	LeaderboardHTMLFile     = "leaderboard.html"
)

// LeaderboardOptions choose how WriteLeaderboard draws. The zero value is
// the default.
type LeaderboardOptions struct {
	// ThumbSize is the longest side, in pixels, of a gallery thumbnail;
	// 0 means DefaultThumbSize.
	ThumbSize int
}

// WriteLeaderboard renders the leaderboard directory dir from its
// leaderboard.json (written by srbench rank) into leaderboard.md,
// leaderboard.html (self-contained: figures inline as SVG, gallery
// thumbnails as PNG data URIs), plots/leaderboard-*.{svg,png} and the
// thumbnails the Markdown links, plots/thumbs/*.png. The gallery images are
// read from the paths the leaderboard records; one that cannot be read is
// shown as a placeholder saying why. The same inputs give byte-identical
// files.
func WriteLeaderboard(dir string, opts LeaderboardOptions) error {
	l, err := results.ReadLeaderboard(filepath.Join(dir, results.LeaderboardFile))
	if err != nil {
		return err
	}
	size := opts.ThumbSize
	switch {
	case size == 0:
		size = DefaultThumbSize
	case size < 8 || size > 1024:
		return fmt.Errorf("report: thumbnail size %d: want 8 to 1024 pixels", size)
	}
	figs, err := leaderboardFigures(l)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	blocks, err := renderLeaderboardFigures(dir, figs)
	if err != nil {
		return err
	}
	th := newThumbnailer(dir, size)
	galleries, err := leaderboardGalleries(l, th)
	if err != nil {
		return err
	}
	if err := removeStale(filepath.Join(dir, PlotsDir, ThumbsDir), "*.png", func(name string) bool {
		return th.written[PlotsDir+"/"+ThumbsDir+"/"+name]
	}); err != nil {
		return err
	}
	doc := buildLeaderboardDoc(l, blocks, galleries)
	if err := writeFile(filepath.Join(dir, LeaderboardMarkdownFile), []byte(renderMarkdown(doc))); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, LeaderboardHTMLFile), []byte(renderHTML(leaderboardTitle(l), doc)))
}

func leaderboardTitle(l *results.Leaderboard) string {
	t := "srbench leaderboard: " + l.Benchmark.Name
	if l.Benchmark.Version != "" {
		t += " v" + l.Benchmark.Version
	}
	return t
}

// renderLeaderboardFigures renders figs concurrently, writes them under
// dir/plots/ and removes the leaderboard figures an earlier report left that
// this one does not draw.
func renderLeaderboardFigures(dir string, figs []leaderboardFigure) ([]figureBlock, error) {
	plots := filepath.Join(dir, PlotsDir)
	if err := os.MkdirAll(plots, 0o755); err != nil {
		return nil, err
	}
	svgs, pngs := make([][]byte, len(figs)), make([][]byte, len(figs))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, f := range figs {
		if !figureName.MatchString(f.name) {
			return nil, fmt.Errorf("report: figure name %q: want lower-case letters, digits and '-'", f.name)
		}
		g.Go(func() error {
			var err error
			if svgs[i], err = f.chart.Render("svg"); err != nil {
				return fmt.Errorf("report: figure %q: %w", f.name, err)
			}
			if pngs[i], err = f.chart.Render("png"); err != nil {
				return fmt.Errorf("report: figure %q: %w", f.name, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	keep := map[string]bool{}
	var out []figureBlock
	for i, f := range figs {
		for _, x := range []struct {
			ext  string
			data []byte
		}{{".svg", svgs[i]}, {".png", pngs[i]}} {
			if err := writeFile(filepath.Join(plots, f.name+x.ext), x.data); err != nil {
				return nil, err
			}
			keep[f.name+x.ext] = true
		}
		out = append(out, figureBlock{name: f.name, title: f.title, caption: f.caption, svg: inlineSVG(svgs[i], f.title)})
	}
	if err := removeStale(plots, "leaderboard-*", func(name string) bool { return keep[name] }); err != nil {
		return nil, err
	}
	return out, nil
}

// removeStale removes the files of dir matching pattern that keep refuses.
func removeStale(dir, pattern string, keep func(name string) bool) error {
	matches, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		return err
	}
	for _, m := range matches {
		name := filepath.Base(m)
		if keep(name) || !(strings.HasSuffix(name, ".svg") || strings.HasSuffix(name, ".png")) {
			continue
		}
		if err := os.Remove(m); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// buildLeaderboardDoc lays out the leaderboard report: banners, the boards
// and the rankings at a glance, figures and the over-optimisation table,
// judge agreement, galleries, then settings and provenance.
func buildLeaderboardDoc(l *results.Leaderboard, figs []figureBlock, galleries []block) []block {
	doc := []block{heading{1, leaderboardTitle(l)}}
	warnings := banner{kind: bannerWarning}
	for _, w := range l.Warnings {
		it := line(w.Message)
		if w.Scorer != "" {
			it = inline{bold(w.Scorer + ":"), txt(" " + w.Message)}
		}
		warnings.items = append(warnings.items, it)
	}
	notes := banner{kind: bannerNote}
	for _, n := range l.Notes {
		notes.items = append(notes.items, line(n))
	}
	for _, bn := range []banner{warnings, notes} {
		if len(bn.items) > 0 {
			doc = append(doc, bn)
		}
	}
	if l.Benchmark.Description != "" {
		doc = append(doc, para{line(l.Benchmark.Description)})
	}
	g := l.Gallery
	doc = append(doc, para{inline{
		bold(fmt.Sprintf("%d generators", len(g.Generators))), txt(fmt.Sprintf(", %d images over %d prompts from ", g.NImages, g.NPrompts)),
		code(g.Path), txt(" (" + g.Format + ", sha256 "), code(results.ShortHash(g.SHA256)), txt(fmt.Sprintf("), ranked by %d judges. ", len(l.Judges))),
		txt(fmt.Sprintf("Intervals are %s bootstrap intervals over %ss.", levelPct(l.Bootstrap.Level), unitOr(l.Bootstrap.Unit))),
	}})

	doc = append(doc, heading{2, "Leaderboards"}, para{line(
		"Per judge, the generators ranked by Bradley–Terry strength (log-strength from head-to-head comparisons on shared prompts; " +
			"strengths sum to 0), with the mean score over each generator's prompts and the bootstrap probability of each rank " +
			"(P(rank r), ranks 1, 2, … in order).")})
	for _, bd := range l.Boards {
		doc = append(doc, heading{3, "Judge: " + bd.Judge + map[bool]string{true: " (regularised)", false: ""}[bd.Regularised]})
		if bd.Regularised {
			doc = append(doc, banner{kind: bannerWarning, items: []inline{{bold("Regularised fit:"), txt(fmt.Sprintf(
				" the Bradley–Terry maximum-likelihood fit does not exist on this judge's data (a generator never loses or never wins), "+
					"so %s tied pseudo-comparisons per pair were added; %d bootstrap replicates needed it. "+
					"Strengths are shrunk towards 0 and their intervals depend on the prior.",
				fmtFloat(bd.Prior), bd.RegularisedReplicates))}}})
		}
		doc = append(doc, boardTable(&bd))
	}
	if gl := glanceTable(l); gl != nil {
		ref := "the first judge"
		if l.Board(results.TruthJudge) != nil {
			ref = "the ground truth (" + results.TruthJudge + ")"
		}
		doc = append(doc, heading{3, "Rankings at a glance"}, *gl, para{line(
			"One column per judge, one row per rank; a generator in bold is placed differently from " + ref + ".")})
	}

	if len(figs) > 0 {
		doc = append(doc, heading{2, "Figures"})
		for _, f := range figs {
			doc = append(doc, f)
		}
	}
	if t := overOptTable(l); t != nil {
		doc = append(doc, heading{2, "Best-of-N over-optimisation"}, *t, para{line(
			"At each selector's largest N: the z-gain of the selector's pick as the selector itself scores it, as the measure scores it, " +
				"and their difference (over-optimisation, with its 95% interval): how much of the selector's own gain the measure does not see.")})
	}
	if t := leaderboardAgreement(l); t != nil {
		doc = append(doc, heading{2, "Agreement between judges"}, *t, para{line(
			"Kendall's tau-b between two judges' Bradley–Terry strengths over the generators, with a 95% bootstrap interval: " +
				"1 means the same ranking, 0 unrelated, −1 reversed.")})
	}
	if len(galleries) > 0 {
		doc = append(doc, heading{2, "Galleries"}, para{line(
			"Per judge and generator, the images the judge scored highest and lowest, with their score and prompt.")})
		doc = append(doc, galleries...)
	}
	doc = append(doc, heading{2, "Settings and provenance"})
	doc = append(doc, leaderboardSettings(l)...)
	return doc
}

// scoreDecimals is the number of decimals that shows the largest of vs
// with three significant digits (0 to 4).
func scoreDecimals(vs ...float64) int {
	m := 0.0
	for _, v := range vs {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			m = math.Max(m, math.Abs(v))
		}
	}
	if m == 0 {
		return 2
	}
	return max(0, min(4, 2-int(math.Floor(math.Log10(m)))))
}

// fmtScore formats one score with 4 significant digits.
func fmtScore(f float64) string { return strconv.FormatFloat(f, 'g', 4, 64) }

func fmtEstimate(e results.Estimate, dec int, signed bool) string {
	f := func(v float64) string {
		s := strconv.FormatFloat(v, 'f', dec, 64)
		if signed && v >= 0 && !strings.HasPrefix(s, "-") {
			s = "+" + s
		}
		return s
	}
	return f(e.Value) + " [" + f(e.CI[0]) + ", " + f(e.CI[1]) + "]"
}

func boardTable(bd *results.Board) block {
	t := table{head: []string{"rank", "generator", "strength [95% CI]", "mean score [95% CI]", "P(rank 1)", "P(rank r)", "prompts", "images"},
		right: []bool{true, false, true, true, true, true, true, true}}
	var vals []float64
	for _, g := range bd.Generators {
		vals = append(vals, g.Mean.Value, g.Mean.CI[0], g.Mean.CI[1])
	}
	dec := scoreDecimals(vals...)
	for _, g := range bd.Generators {
		p1 := results.NotAvailable
		if len(g.RankProb) > 0 {
			p1 = fmt.Sprintf("%.2f", g.RankProb[0])
		}
		probs := make([]string, len(g.RankProb))
		for i, p := range g.RankProb {
			probs[i] = fmt.Sprintf("%.2f", p)
		}
		t.rows = append(t.rows, []inline{
			line(strconv.Itoa(g.Rank)), {bold(g.Generator)}, line(fmtEstimate(g.Strength, 2, true)),
			line(fmtEstimate(g.Mean, dec, false)), line(p1), line(strings.Join(probs, " · ")),
			line(strconv.Itoa(g.NPrompts)), line(strconv.Itoa(g.NImages)),
		})
	}
	return t
}

// glanceTable has one column per judge and one row per rank.
func glanceTable(l *results.Leaderboard) *table {
	if len(l.Boards) == 0 {
		return nil
	}
	ref := l.Board(results.TruthJudge)
	if ref == nil {
		ref = &l.Boards[0]
	}
	rankOf := func(bd *results.Board, i int) string {
		if i < len(bd.Generators) {
			return bd.Generators[i].Generator
		}
		return ""
	}
	t := table{head: []string{"rank"}, right: []bool{true}}
	rows := 0
	for _, bd := range l.Boards {
		t.head = append(t.head, bd.Judge)
		t.right = append(t.right, false)
		rows = max(rows, len(bd.Generators))
	}
	for i := range rows {
		r := []inline{line(strconv.Itoa(i + 1))}
		for bi := range l.Boards {
			bd := &l.Boards[bi]
			g := rankOf(bd, i)
			switch {
			case g == "":
				r = append(r, line("—"))
			case g != rankOf(ref, i):
				r = append(r, inline{bold(g)})
			default:
				r = append(r, line(g))
			}
		}
		t.rows = append(t.rows, r)
	}
	return &t
}

// overOptTable lists, per selector and other measure, the gains at the
// selector's largest N.
func overOptTable(l *results.Leaderboard) *table {
	maxN := map[string]int{}
	self := map[string]results.BestOfNEntry{}
	for _, e := range l.BestOfN {
		maxN[e.Selector] = max(maxN[e.Selector], e.N)
	}
	for _, e := range l.BestOfN {
		if e.N == maxN[e.Selector] && e.Measure == e.Selector {
			self[e.Selector] = e
		}
	}
	t := table{head: []string{"selector", "measure", "N", "z-gain, self-judged", "z-gain by measure [95% CI]", "over-optimisation [95% CI]", "cells"},
		right: []bool{false, false, true, true, true, true, true}}
	for _, e := range l.BestOfN {
		if e.N != maxN[e.Selector] || e.Measure == e.Selector {
			continue
		}
		selfGain := results.NotAvailable
		if s, ok := self[e.Selector]; ok {
			selfGain = fmtEstimate(s.ZGain, 2, true)
		}
		over := inline{txt(fmtEstimate(e.OverOptimisation, 2, true))}
		if e.OverOptimisation.CI[0] > 0 {
			over = inline{bold(fmtEstimate(e.OverOptimisation, 2, true))}
		}
		t.rows = append(t.rows, []inline{line(e.Selector), line(e.Measure), line(strconv.Itoa(e.N)), line(selfGain),
			line(fmtEstimate(e.ZGain, 2, true)), over, line(strconv.Itoa(e.NCells))})
	}
	if len(t.rows) == 0 {
		return nil
	}
	return &t
}

func leaderboardAgreement(l *results.Leaderboard) *table {
	if len(l.Agreement) == 0 {
		return nil
	}
	t := table{head: []string{"judge", "judge", "Kendall τ-b [95% CI]", "note"}, right: []bool{false, false, true, false}}
	for _, a := range l.Agreement {
		t.rows = append(t.rows, []inline{line(a.A), line(a.B), line(fmtEstimate(a.Tau, 2, false)), line(a.Note)})
	}
	return &t
}

// leaderboardGalleries makes one gallery per judge of l.Extremes (in
// judge order, generators sorted), writing the thumbnails.
func leaderboardGalleries(l *results.Leaderboard, th *thumbnailer) ([]block, error) {
	order := map[string]int{}
	for i, j := range l.Judges {
		order[j.Name] = i
	}
	ex := slices.Clone(l.Extremes)
	slices.SortStableFunc(ex, func(a, b results.Extremes) int {
		ia, oka := order[a.Judge]
		ib, okb := order[b.Judge]
		if !oka {
			ia = len(order)
		}
		if !okb {
			ib = len(order)
		}
		return cmp.Or(cmp.Compare(ia, ib), strings.Compare(a.Judge, b.Judge), strings.Compare(a.Generator, b.Generator))
	})
	var out []block
	var cur *galleryBlock
	flush := func() {
		if cur != nil && len(cur.rows) > 0 {
			out = append(out, heading{3, "Gallery: " + cur.judge}, *cur)
		}
	}
	for _, e := range ex {
		if cur == nil || cur.judge != e.Judge {
			flush()
			cur = &galleryBlock{judge: e.Judge, size: th.size}
		}
		for _, s := range []struct {
			which string
			imgs  []results.GalleryImage
		}{{"highest", e.Best}, {"lowest", e.Worst}} {
			for _, img := range s.imgs {
				t, err := th.get(img.Path)
				if err != nil {
					return nil, err
				}
				cur.rows = append(cur.rows, galleryRow{generator: e.Generator, which: s.which, img: img, th: t})
			}
		}
	}
	flush()
	return out, nil
}

func leaderboardSettings(l *results.Leaderboard) []block {
	g := l.Gallery
	items := []inline{
		{txt("Gallery: "), code(g.Path), txt(" (" + g.Format + "), sha256 "), code(g.SHA256)},
		line(fmt.Sprintf("%d images, %d prompts, %d with a ground-truth label, at most %d samples per (prompt, generator); %d entries skipped",
			g.NImages, g.NPrompts, g.NTruth, g.MaxSamples, g.Skipped) + reasonSuffix(g.SkipReasons)),
		line("Generators: " + strings.Join(g.Generators, ", ")),
	}
	if len(g.MissingByGenerator) > 0 {
		keys := make([]string, 0, len(g.MissingByGenerator))
		for k := range g.MissingByGenerator {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s: %d", k, g.MissingByGenerator[k]))
		}
		items = append(items, inline{bold("Prompts without an image"), txt(", by generator: " + strings.Join(parts, "; ") +
			" (a generator's mean is over its own prompts; a head-to-head over the prompts both have)")})
	}
	if g.NUnequalPrompts > 0 {
		items = append(items, inline{bold(fmt.Sprintf("%d prompts", g.NUnequalPrompts)), txt(" have different numbers of samples per generator")})
	}
	for _, w := range g.Warnings {
		items = append(items, inline{bold("Gallery loader:"), txt(" " + w)})
	}
	b := l.Bootstrap
	method := b.Method
	if method == "" {
		method = "multinomial"
	}
	items = append(items,
		line(fmt.Sprintf("Bootstrap: %s, %s intervals resampling %ss, B = %d, seed %d", method, levelPct(b.Level), unitOr(b.Unit), b.B, b.Seed)),
		line("Win-rate tests: exact sign test over prompts, Holm correction per judge, alpha = "+fmtFloat(l.Alpha)),
	)
	judges := table{head: []string{"judge", "kind", "variant", "version", "fingerprint", "plugin binary (sha256)", "scored", "failed"},
		right: []bool{false, false, false, false, false, false, true, true}}
	for _, j := range l.Judges {
		bin := line(results.NotAvailable)
		if j.PluginSHA256 != "" {
			bin = inline{code(results.ShortHash(j.PluginSHA256)), txt(map[bool]string{true: " (pinned)", false: " (not pinned)"}[j.PluginPinned])}
		}
		fp := line(results.NotAvailable)
		if j.Fingerprint != "" {
			fp = inline{code(j.Fingerprint)}
		}
		kind := j.Kind
		if j.ScorerKind != "" {
			kind += " (" + j.ScorerKind + ")"
		}
		failed := line(strconv.Itoa(j.NFailed))
		if j.NFailed > 0 {
			failed = inline{bold(strconv.Itoa(j.NFailed) + " ⚠")}
		}
		judges.rows = append(judges.rows, []inline{{bold(j.Name)}, line(kind), line(j.Variant), line(j.Version), fp, bin,
			line(strconv.Itoa(j.NScored)), failed})
	}
	var fails []inline
	for _, j := range l.Judges {
		if j.NFailed == 0 {
			continue
		}
		it := inline{bold(j.Name + ":"), txt(" " + reasons(j.FailureReasons))}
		if j.FailureExample != "" {
			it = append(it, txt(", e.g. "), code(j.FailureExample))
		}
		fails = append(fails, it)
	}
	p := l.Provenance
	commit := p.Commit
	if commit == "" {
		commit = "(not recorded)"
	}
	prov := []inline{
		{txt("srbench "), code(p.Srbench), txt(", commit "), code(commit), txt(", "), code(p.GoVersion)},
		{txt("Leaderboard schema version "), code(strconv.Itoa(l.SchemaVersion))},
	}
	if p.StartedAt != "" {
		prov = append(prov, line(fmt.Sprintf("Started %s, took %.1f s; %d items from the score cache", p.StartedAt, p.Seconds, p.Cached)))
	}
	out := []block{list{items}, heading{3, "Judges"}, judges}
	if len(fails) > 0 {
		out = append(out, para{line("Failed images (left out of every statistic of that judge):")}, list{fails})
	}
	out = append(out, heading{3, "Provenance"}, list{prov})
	if len(p.Command) > 0 {
		out = append(out, para{line("Command line:")}, codeBlock{shellJoin(p.Command)})
	}
	return out
}

func reasonSuffix(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	return " (" + reasons(m) + ")"
}
