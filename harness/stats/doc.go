// Package stats is the statistics of srbench's pairwise-accuracy
// benchmarks: accuracy under each peer's tie and averaging rules, tie
// calibration, confidence intervals, paired tests between scorers,
// agreement, calibration and accuracy by label strength. It is built on
// gonum (stat, stat/distuv, mat).
//
// # Input
//
// A benchmark run gives, for one scorer, a slice of [Pair]: the prompt, the
// human label (A, B or tie), the two scores, an optional weight and an
// optional label strength. A ranking data set (HPDv2, the ImageReward test
// set) comes as a slice of [Ranking]; [RankingPairs] turns one into pairs.
//
// # Counting accuracy: policies
//
// Peers count "pairwise accuracy" differently, which is a main reason their
// numbers cannot be reproduced. A [Policy] states the rule in full: what a
// predicted tie earns on an A/B label ([PredTiePolicy]), what a tied human
// label earns ([LabelTiePolicy]), how credits are averaged ([Averaging]), and
// Epsilon, the score difference up to which a prediction counts as a tie
// (|ScoreA-ScoreB| <= Epsilon; 0 means exactly equal scores). [Credit]
// documents the full table. [ParsePolicy] returns each peer's rule by name:
//
//	name          peer code                        predicted tie  label tie    averaging
//	srbench       srbench's default (no peer)      half           skip         micro
//	socialreward  Social Reward validate.py        correct (>=)   skip (none)  micro
//	pickscore     PickScore eval (Pick-a-Pic)      half           half         micro
//	imagereward   ImageReward test.py              wrong          skip         micro
//	hpsv2         HPSv2 on the ImageReward test    wrong          skip         macro
//	tiecal        tie calibration (GenAI-Bench)    wrong          match        micro
//
// PickScore's evaluation labels a pair "tie" when label_0 = 0.5 and predicts
// a tie when the two softmax probabilities differ by at most a threshold t
// tuned on validation_unique; a pair earns 1 when label and prediction
// agree, 0.5 when exactly one of them is a tie, 0 otherwise. That is
// PredTieHalf with LabelTieHalf, and t maps to Epsilon = 2·atanh(t)
// ([PickScoreEpsilon]) because for two scores p0-p1 = tanh((s0-s1)/2).
// HPSv2 on the ImageReward test set (calc_ImageReward) scores each prompt's
// ranked images pairwise, skipping tied human ranks and counting tied scores
// wrong, and averages per prompt (Macro). Its HPDv2 metric is different:
// [InversionScore] (1 - inversions/C(n,2) per prompt, mean via
// [RankingAccuracy]), where a tied human rank counts as correct and
// predictions never tie. Social Reward's triplets have no tied labels; its
// >= makes every exact score tie a hit, so a constant scorer gets 100%.
// srbench's own preset gives a predicted tie half credit, the expected
// accuracy of breaking it with a fair coin: a constant scorer gets exactly
// 50% on any labels, and a scorer's accuracy does not depend on which image
// of a pair is shown first.
//
// Micro averaging is sum(w·credit)/sum(w) over counted pairs; Macro is each
// prompt's micro accuracy, then the unweighted mean over prompts with at
// least one counted pair (a prompt whose pairs are all skipped drops out,
// where HPSv2 would divide by zero). Macro weighs a prompt with two pairs as
// much as one with fifty; prefer it when prompts differ a lot in size and
// each prompt matters equally, and say so in the report.
//
// [TieCalibrate] is the tie calibration of Deutsch, Foster and Freitag
// (2023), "Ties Matter": it picks the Epsilon that maximises acc_23
// (LabelTieMatch: a tied label is only right when the prediction ties too;
// PredTieWrong) by one sweep over the pairs sorted by |difference|, the exact
// optimum in O(n log n). It rewards metrics that can predict ties, which
// matters on data with many human ties. Calibrate on one split and evaluate
// on another.
//
// Names of policies, averagings, labels and presets parse with
// [ParsePredTie], [ParseLabelTie], [ParseAveraging], [ParseLabel] and
// [ParsePolicy]; an unknown name is an [*UnknownNameError] carrying a
// "did you mean" from [Suggest] (Levenshtein distance).
//
// # Intervals
//
// [Wilson] is the Wilson score interval, exactly statsmodels'
// proportion_confint(method="wilson"); [Result.Wilson] applies it to a micro
// accuracy, accepting the fractional successes of half credits, and with
// unequal weights uses Kish's effective sample size. It assumes independent
// pairs. When a prompt contributes several pairs they are correlated and the
// Wilson interval is too narrow; then use [Bootstrap], a seeded cluster
// bootstrap that resamples prompts (percentile interval), for micro or macro
// accuracy. Macro accuracy has no Wilson interval. Rules of thumb: one pair
// per prompt and no weights — Wilson; anything else — Bootstrap (B = 1000 by
// default; more resamples steady the interval's ends).
//
// On very many prompts the multinomial bootstrap is slow: B draws per prompt
// for every statistic. [PoissonBootstrap] weights each prompt by an
// independent Poisson(1) draw per resample instead, which estimates the
// same sampling distribution without a fixed resample size, so one pass
// over per-prompt sums ([RatioStat]: micro or macro accuracy) updates all B
// replicates of every statistic and of their paired differences at once. It
// runs on GOMAXPROCS goroutines over blocks of [PoissonBlock] prompts, each
// block with its own generator seeded by (Seed, block), partial sums merged
// in block order: the result depends on the seed, not on the core count.
// [PoissonStream] is the same bootstrap fed one prompt at a time, without
// per-prompt arrays: each prompt's weights come from a generator seeded by
// (Seed, the prompt's 128-bit key), so they do not depend on prompt order or
// cores. srbench analyze switches to it from 100,000 prompts on.
//
// # Memory: grouped sources
//
// The functions that take a [Source] keep memory per prompt, not per pair:
// a map of prompt ids and per-prompt sums. A source whose pairs come grouped
// by prompt (all pairs of a prompt one after another) can say so with
// [Pair].Grouped ([Grouped] marks one); [AccuracyOf], [AccuracyByStrengthOf]
// and [TieCalibrateOf] (micro) then close a prompt when PromptID changes and
// keep constant state, with exactly the results of the map path. srbench
// analyze sorts its pairs by prompt key from 100,000 prompts on.
//
// # Comparing two scorers
//
// Two scorers scored on the same pairs (index i is the same pair in both
// slices) are compared with [PairedBootstrap], a cluster bootstrap interval
// of the accuracy difference that keeps the pairing, and with [McNemar], the
// exact McNemar test (the sign test on per-pair credit differences when half
// credits occur), whose p-value matches statsmodels mcnemar(exact=True).
// McNemar treats pairs as independent; with many pairs per prompt prefer the
// bootstrap interval. When a report tests several scorers or data sets,
// correct the family of p-values with [Holm] (statsmodels
// multipletests(method="holm")). A gate that only asks whether the second
// scorer is worse uses the one-sided [McNemarOneSided] (scipy's
// binomtest(alternative="greater")), half the two-sided p when the first
// scorer wins more discordant pairs.
//
// [Agreement] measures how similar two scorers are regardless of the labels:
// Kendall's tau-b of their score differences ([KendallTauB], scipy's
// kendalltau with ties, O(n log n)) and the share of pairs where both prefer
// the same image.
//
// # Repetitions and curves
//
// Two small statistics serve the training ablations: [TInterval], the
// Student-t interval of a mean over a few repetitions such as training seeds
// (scipy.stats.t.interval), and [Spearman], the rank correlation of a short
// curve such as accuracy against training-set size, with tied values
// sharing their [MidRanks] (scipy.stats.spearmanr and rankdata).
//
// # Calibration and label strength
//
// [FitPairLogistic] fits P(A preferred) = sigmoid(b0 + b1·(ScoreA-ScoreB))
// by Newton's method (label ties skipped), matching statsmodels Logit (and
// GLM with freq_weights when weighted). [Reliability] and [PairReliability]
// bin predicted probabilities into equal-width bins and report the
// reliability diagram and the expected calibration error; the probability is
// an input: [LogisticFit.PairProb] for any scorer, or [SoftmaxProb] for
// scorers whose scores are logits (PickScore). [AccuracyByStrength] splits
// pairs by quantiles of their label strength (e.g. remix ratio, annotator
// agreement) and reports each bin's accuracy with a Wilson interval: a good
// scorer should be more accurate where humans agree more.
//
// # Memory: sources and external sorts
//
// Every statistic exists in two forms: on a slice ([Accuracy], [Bootstrap],
// ...) and on a [Source] or [PairedSource] ([AccuracyOf], [BootstrapOf],
// ...), a sequence of pairs the function may visit several times (the
// slice forms wrap [Slice]). Over a Source, memory grows with the number of
// prompts (per-prompt sums for the cluster bootstrap and macro averaging),
// never with the number of pairs: counts and sums stream, the logistic fit
// makes one pass per Newton step, and the statistics that must order every
// pair — Kendall's tau-b, the tie-calibration sweep and the strength
// quantiles — sort externally (runs of 65,536 records spilled to an
// anonymous file, see [Spill]). Kendall's tau-b stays Knight's O(n log n)
// algorithm: inversions are counted inside each sorted run and, while the
// runs are merged, between runs. The results are the same numbers as the
// in-memory forms; the tests check both against the same fixtures with runs
// as short as one record.
//
// # Generator leaderboards
//
// [Leaderboard] ranks text-to-image generators from a gallery scored by
// several judges (reward models, optionally a ground-truth label): a
// [GallerySource] streams one [PromptScores] per prompt, Cells[g][j][k]
// being judge j's score of generator g's sample k (NaN: no score, skipped
// and counted; Inf: an error naming prompt, generator, judge and sample).
// Per judge it reports each generator's mean of per-prompt cell means;
// head-to-head win rates (per prompt the share of sample pairs won, ties
// 1/2, averaged over shared prompts) with an exact sign test over prompts
// Holm-corrected over the judge's pairs; and Bradley–Terry strengths fitted
// to those fractional wins ([BradleyTerry]: Hunter's MM algorithm polished
// by Newton steps). When the MLE does not exist (the comparison graph is
// not strongly connected, e.g. a generator never loses) the fit adds Prior
// tied pseudo-comparisons between every pair and sets Regularised. Between
// judges it reports Kendall's tau-b of their strengths. For every selector
// and measuring judge and each n it reports the exact expected best-of-n
// value ([BestOfNExpected], no sampling of subsets), its gain over n = 1, in
// units of the measuring judge's pooled standard deviation, and the
// over-optimisation signal z-gain(A, A, n) - z-gain(A, B, n).
//
// Every interval (ci_method "poisson-bootstrap") is a streaming Poisson(1)
// bootstrap over prompts: each prompt draws Resamples weights from a PCG
// generator seeded by (Seed, hash of the prompt id), so the result does not
// depend on prompt order or on the number of workers (up to the rounding of
// sums), and every statistic is a ratio of prompt-weighted sums accumulated
// per replicate; strengths, ranks, rank probabilities and taus are then
// computed per replicate. Memory is O(Workers·Resamples·(J·G² + J²·len(Ns)))
// for J judges and G generators, not O(prompts); point estimates use weight
// 1 for every prompt. Repeated prompt ids are detected only when adjacent.
//
// # Reproducibility
//
// All randomness comes from a PCG generator seeded by
// [BootstrapOptions].Seed, and results record the seed and B, so a number is
// reproducible from the data, the policy and the options.
package stats
