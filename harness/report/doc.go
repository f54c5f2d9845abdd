// Package report renders a run directory into reports a reviewer wants to
// read: report.md, report.html and the figures under plots/. It is a
// renderer only: the schema it reads (results.json and samples.jsonl) is
// harness/results, which everything downstream of scoring depends on.
//
// Reports read only results.json and samples.jsonl, so `srbench analyze` and
// `srbench report` can be rerun without rescoring. docs/results-schema.md
// documents every field.
//
// # Reports
//
// [Write] renders a run directory. report.md is GitHub-flavoured Markdown
// fit for a pull-request comment: the run's notes (e.g. "synthetic world,
// demo models") and warnings first, as banners (GitHub alerts
// "> [!NOTE]" and "> [!WARNING]"; in HTML an amber and a red box that
// print), then the accuracy table, the paired comparisons with
// a plain verdict, agreement, the choices that shape the numbers (tie
// policy, averaging, epsilon, bootstrap B, seed and unit, alpha), the data
// (hash, skips, warnings), failures with reasons, links to the figures and,
// collapsed, more numbers and the provenance (versions, runtimes,
// fingerprints, commit, command line). report.html says the same with the
// figures inline as SVG, in one file that makes no network request (a
// Content-Security-Policy forbids it), needs no JavaScript, reads on a phone
// (every table scrolls sideways in its own box, and one of five or more
// columns turns into a card per row; figures scroll sideways) and prints. Both are built from one
// document tree, so they cannot disagree.
//
// Numbers are formatted by results.Percent, Interval, AccuracyCI, Points,
// PointsInterval and PValue only, e.g. "69.7% [66.1, 73.0]" and
// "+4.1 [+0.2, +8.0]" (so the terminal, the gate's summary and the reports
// agree). results.Verdict calls a comparison significant exactly when its
// Holm-adjusted p-value is below alpha.
//
// # Figures
//
// Figures are drawn with gonum/plot and written as plots/NAME.svg and
// plots/NAME.png. [DefaultFigures] lists them: accuracy with 95% intervals,
// the matrix of paired differences marked by significance, agreement
// (Kendall tau-b), score distributions of preferred and rejected images,
// reliability curves and accuracy by label strength (on a quantile axis).
// Colours come from viridis (lightness rises monotonically), heat maps have
// a colour bar, and series also differ in dash pattern and marker, so the
// figures read in grayscale. The house style (fonts, series, ticks,
// palette) lives in internal/plotstyle, shared with the ablation report. A [Figure] is a
// name, a title, a caption and a Make function from an [Input] to a
// [Chart]; later stages add theirs (learning curves, ablation bars) by
// passing append(DefaultFigures(), …) in [Options].Figures.
//
// Output is deterministic: the same run directory gives byte-identical
// report.md, report.html, SVG and PNG files (gonum/plot embeds the
// Liberation fonts; SVG text falls back to the metric-compatible Arial).
// The golden tests compare with testdata/golden (PNG within a small
// tolerance with cmpimg, SVG and HTML after rounding coordinates); rewrite
// them with `go test ./harness/report -update`. The fixture run in
// testdata/run was made once by testdata/gen.
package report
