package ablate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/srbench/srbench/harness/results"
)

// writeOutputs writes ablation.json, the figures and ablation.md.
func writeOutputs(outDir string, sum *Summary) error {
	if err := results.WriteJSON(filepath.Join(outDir, SummaryFile), sum); err != nil {
		return fmt.Errorf("ablation: %w", err)
	}
	figs, err := writeFigures(outDir, sum)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(outDir, ReportFile), []byte(Markdown(sum, figs)), 0o644); err != nil {
		return fmt.Errorf("ablation: %w", err)
	}
	return nil
}

// settingsText lists settings as "k=v, k=v" in canonical order; only those
// that differ from ref when ref is not nil.
func settingsText(settings, ref map[string]any) string {
	var parts []string
	for _, k := range SettingNames() {
		v, ok := settings[k]
		if !ok || (ref != nil && ref[k] == v) {
			continue
		}
		parts = append(parts, k+"="+FormatValue(v))
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, ", ")
}

// Markdown renders the ablation report from a summary; figs are the
// figures written under plots/ (name → title), shown in that order.
func Markdown(sum *Summary, figs []FigureInfo) string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	title := sum.Name
	if sum.Version != "" {
		title += " (version " + sum.Version + ")"
	}
	p("# Ablation: %s\n\n", title)
	if sum.Description != "" {
		p("%s\n\n", sum.Description)
	}
	var ref CellSummary
	for _, c := range sum.Cells {
		if c.Reference {
			ref = c
		}
	}
	seeds := make([]string, len(sum.Seeds))
	for i, s := range sum.Seeds {
		seeds[i] = fmt.Sprint(s)
	}
	p("Grid mode **%s** over %s; %d cells, each trained with seeds %s. ", sum.Mode, strings.Join(sum.Axes, ", "), len(sum.Cells), strings.Join(seeds, ", "))
	p("Reference (the paper's configuration): %s.", settingsText(ref.Settings, nil))
	if len(sum.Base) > 0 {
		p(" Shared training settings: %s.", settingsText(sum.Base, nil))
	}
	p("\n\n")
	p("Accuracy is the share of held-out test pairs whose preferred image scores at least as high as the other (Social Reward's rule, ties correct), on the same test split for every cell")
	if sum.TestSHA256 != "" {
		p(" (test file hash %s)", sum.TestSHA256)
	}
	p(". Mean over seeds with a %.0f%% Student-t interval (n−1 degrees of freedom, clipped to [0, 100%%]). ", 100*sum.Level)
	p("Each cell is compared with the reference on the same pairs and seed; the discordant pairs are pooled over seeds for an exact McNemar test, and the p-values are Holm-corrected over all %d comparisons (α = %v). ", len(sum.Cells)-1, sum.Alpha)
	p("Pooling treats every (seed, pair) as independent although a pair recurs across seeds, so the p-values lean optimistic; the seed interval is the more conservative guide.\n\n")

	p("| cell | settings | mean accuracy [95%% CI] | n seeds | train triplets | diff vs reference | Holm p | verdict |\n")
	p("| --- | --- | --- | ---: | ---: | ---: | ---: | --- |\n")
	for _, c := range sum.Cells {
		name, settings := c.Name, settingsText(c.Settings, ref.Settings)
		diff, ph, verdict := "—", "—", "reference"
		if c.Reference {
			name = "**" + c.Name + "**"
			if c.Name != ReferenceName {
				name += " (reference)"
			}
			settings = settingsText(c.Settings, nil)
		} else if t := c.VsReference; t != nil {
			diff, ph, verdict = results.Points(t.Diff), results.PValue(t.PHolm), t.Verdict
		}
		p("| %s | %s | %s | %d | %.0f | %s | %s | %s |\n", name, settings, results.AccuracyCI(c.MeanAccuracy, c.CI95), c.NSeeds, c.TrainTriplets, diff, ph, verdict)
	}
	p("\nDiff is in percentage points (cell − reference).\n\n")

	p("## What the grid shows\n\n")
	for _, t := range sum.Findings.Text {
		p("- %s\n", t)
	}
	p("\n")

	if len(figs) > 0 {
		p("## Figures\n\n")
		for _, f := range figs {
			p("### %s\n\n![%s](%s/%s.svg)\n\n%s\n\n", f.Title, f.Title, PlotsDir, f.Name, f.Caption)
		}
	}

	p("## Per seed\n\n")
	p("| cell |")
	for _, s := range sum.Seeds {
		p(" seed %d |", s)
	}
	p(" discordant pairs (cell right / reference right) | McNemar p |\n| --- |")
	for range sum.Seeds {
		p(" ---: |")
	}
	p(" ---: | ---: |\n")
	for _, c := range sum.Cells {
		p("| %s |", c.Name)
		for _, s := range c.Seeds {
			p(" %s (n = %d) |", results.Percent(s.Accuracy), s.NPairs)
		}
		if t := c.VsReference; t != nil {
			p(" %d / %d | %s |\n", t.CellWins, t.ReferenceWins, results.PValue(t.P))
		} else {
			p(" — | — |\n")
		}
	}
	p("\nCell-seed directories: `%s/<cell>/seed-<k>/` (model/ with training.json, run/ with results.json and samples.jsonl).\n", CellsDir)
	return b.String()
}
