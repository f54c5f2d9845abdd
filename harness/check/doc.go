// Package check is srbench's regression gate: it compares a run's
// results.json (and, when it can, its samples.jsonl), or a leaderboard.json,
// with a baseline file and decides pass or fail, for CI.
//
// # Baseline file
//
// A baseline is JSON, versioned by "version" (BaselineVersion):
//
//	{
//	  "version": 1,
//	  "benchmark": "synthetic-pairs",
//	  "dataset_sha256": "68545692…",
//	  "policy": {"name": "socialreward", "prediction_ties": "correct", "label_ties": "skip",
//	             "averaging": "micro", "epsilon": 0, "alpha": 0.05},
//	  "run_dir": "../reports/baseline-run",
//	  "scorers": [
//	    {"name": "socialreward", "accuracy": 0.7143, "tolerance": 0.02, "fingerprint": "sha256:…"}
//	  ]
//	}
//
// Only version and scorers (each with name and accuracy) are required.
// Accuracy and tolerance are proportions: tolerance 0.02 lets the accuracy
// fall by 2 percentage points (default DefaultTolerance). A different
// fingerprint is a warning, not a failure. policy, when present, must be the
// run's counting rule. run_dir, relative to the baseline file, is the run the
// baseline was made from; its samples.jsonl enables the paired test. Unknown
// fields are errors with a "did you mean". [Update] writes a baseline from a
// run, keeping the tolerances already set.
//
// # The decision
//
// [Check] fails a scorer when
//   - it is in the baseline but not in the run;
//   - its accuracy is more than its tolerance below the baseline; or
//   - the baseline run's samples are available, both runs have the same pairs
//     (same dataset sha256, same pair ids and labels), and an exact one-sided
//     McNemar test on those pairs says the current run is significantly worse.
//
// The paired test uses [stats.McNemar] under the run's policy: b pairs where
// the baseline earned more credit, c where the current run did. Its
// two-sided p is 2·P(X <= min(b, c)), X ~ Binomial(b+c, 1/2); the one-sided
// p of "current worse" is P(X >= b) = P(X <= c)
// ([stats.McNemarOneSided]), half the two-sided p when b > c. The scorers'
// one-sided p-values are Holm-adjusted at alpha (default 0.05), so a gate
// over many scorers does not fail by chance more often than alpha. The test catches a real drop too small for
// the tolerance; the tolerance catches a drop on a changed dataset, where no
// pairing is possible.
//
// # Leaderboards
//
// A baseline with "kind": "leaderboard" ([KindLeaderboard], made by
// [UpdateLeaderboard]) gates a leaderboard.json of srbench rank instead;
// its "judges" list, per judge, the generators' Bradley–Terry
// log-strengths and standard errors. [CheckLeaderboard] fails a generator
// of a baseline judge when
//
//	z = (β_now − β_base) / sqrt(SE_now² + SE_base²) < −z_(1−alpha)
//
// (one-sided, alpha default 0.05: z < −1.645), when it or its judge is
// missing from the leaderboard, or has no finite strength; and fails a
// judge that failed on more images than in the baseline. Strengths are
// relative (they sum to 0 over the generators), so a change of the field
// moves every strength. A leaderboard of another gallery (sha256) is
// refused unless [Options.AllowDatasetChange]; one whose judge has another
// model fingerprint is refused. A baseline of one kind never checks the
// other kind's file.
//
// # Reports
//
// [Outcome.Markdown] is a summary for a pull request or GitHub's step
// summary; [Outcome.JUnit] writes JUnit XML (one test case per scorer);
// [ScorerOutcome.Message] says what failed, with the drop and the p-value;
// [ExitCode] maps an outcome to 0 (pass), 1 (regression) or 2 (unusable
// input: every input error is an [*InputError] naming the file and field).
// docs/ci-gate.md shows the GitHub Actions setup.
package check
