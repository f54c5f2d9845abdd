// Package ablate runs Social Reward fine-tuning ablations as one declarative
// grid: it trains every cell of the grid with several seeds, scores each
// model on one held-out test split, compares every cell with the reference
// (the paper's configuration) pair by pair, and writes a summary
// (ablation.json), a report (ablation.md) and figures (plots/).
//
// # The spec
//
// A Spec (benchmarks/ablations/*.yaml, read by LoadSpec) names axes, each a
// training setting with a list of values, a reference configuration giving
// every axis one of its values, the seeds (at least three) and the Base
// settings shared by all cells. Settings use the socialreward plugin's
// training-config names (loss, margin, side, lr, epochs, ...) with four
// exceptions: "adapter" is the adapter kind, "rank" and "hidden" its sizes,
// "fraction" is train_fraction, and "curation" is the curate preset the
// training and validation data come from. "trainer" (adapters, the default,
// or torch-blocks) picks the trainer plugin; vision_blocks and text_blocks
// are torch-blocks settings, and the caller leaves the settings one trainer
// does not read out of the other's config (pipeline.AblationDeps). Unknown
// keys, axes, settings and values are errors with a "did you mean"
// suggestion and the line.
//
// Mode "one-at-a-time" (the default) trains the reference cell and, for each
// axis, one cell per other value with the other axes at the reference: the
// classic ablation, 1 + Σ(values − 1) cells. Mode "full" trains the
// cartesian product. Spec.Cells lists the cells in a fixed order (axes in
// SettingNames order, values in the spec's order); Spec.ConfigJSON is the
// exact training config of a cell and seed (Base, then the cell's settings,
// plus the seed; keys sorted).
//
// # Running
//
// Run gets the data, training and scoring from its caller (Deps), so the
// package knows nothing of plugins or the CLI. The layout is
//
//	OUT/ablation.json  ablation.md  plots/{accuracy,learning-curves,data-scaling}.{png,svg}
//	OUT/cells/<cell>/seed-<k>/config.json    the training config
//	                         /model/          Deps.Train's output (training.json, adapters, ...)
//	                         /trained.json    written once Train succeeded
//	                         /run/            Deps.Evaluate's run (results.json, samples.jsonl)
//
// A cell-seed with run/results.json is finished and never retrained or
// rescored, so an interrupted ablation continues where it stopped when Run is
// called again; one with trained.json but no results is only scored. A stored
// config.json that differs from the spec's is an error: the spec changed, and
// mixing results of two specs would be silent corruption. Spec.Parallel
// cell-seeds run at once; every number is computed afterwards from the files,
// in cell and seed order, so the summary and the figures are byte-identical
// whatever the scheduling. The first failure cancels the rest; finished
// cell-seeds stay.
//
// # Statistics
//
// Accuracy is Social Reward's: the share of test pairs whose preferred image
// scores at least as high as the other (ties correct), computed from
// samples.jsonl (label "a": score_a >= score_b; "b": the reverse; tied labels
// and failed pairs are left out). Per cell: the mean over seeds and a
// two-sided 95% Student-t interval, mean ± t_{0.975, n−1}·sd/√n (gonum
// distuv.StudentsT; stats.TInterval), clipped to [0, 1]. With three seeds
// t_{0.975, 2} = 4.303, so the interval is wide: it measures the spread of
// training outcomes, not the test-set sampling error.
//
// Against the reference: for each seed, the cell's and the reference's
// per-pair correctness are matched by pair id (the same test split is
// required: identical ids and results.json dataset.sha256), the discordant
// pairs (cell right and reference wrong, and the reverse) are pooled over
// seeds, and McNemar's exact test (stats.McNemarExact) gives a p-value.
// Holm's step-down correction (stats.Holm) runs over all cells at Spec.Alpha
// (0.05). The verdict is "better/worse than reference" when Holm rejects,
// in the direction of the larger discordant count, and "no significant
// difference" otherwise. Pooling treats every (seed, pair) as independent
// though the same pair recurs across seeds, so the p-values lean optimistic;
// the t-interval over seeds is the more conservative guide.
//
// "What the grid shows" is computed, never written by hand: the best cell;
// the cells that differ significantly; debiased vs raw curation (when both
// cells exist and differ only in curation), with the paired test of the one
// that is not the reference; and the data-scaling curve (the cells that
// differ from the reference only in fraction, against their mean number of
// training triplets from training.json result.train_size): whether mean
// accuracy never falls as the fraction grows, and Spearman's ρ
// (stats.Spearman). The curve "rises" when it is monotone and ends higher
// than it starts, or ρ > 0.
//
// # Figures
//
// plots/accuracy: a bar per cell (mean accuracy, 95% t-interval whiskers,
// the reference bar dark with a dashed line at its mean); plots/learning-
// curves: validation accuracy per epoch averaged over the seeds that reached
// it (epoch 0 = before training), one panel per axis in one-at-a-time mode,
// lines told apart by colour, dash pattern and marker; plots/data-
// scaling: mean test accuracy with intervals against training triplets,
// drawn when a fraction axis exists. They are drawn in the benchmark
// report's house style (internal/plotstyle: fonts, series styles, ticks)
// and rendered by report.Chart (PNG at 144 dpi and SVG), so files are
// byte-identical run to run.
package ablate
