package check

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/srbench/srbench/harness/results"
	"github.com/srbench/srbench/harness/stats"
)

// SampleSource streams a run's samples, calling f for each (see
// results.ReadSamples).
type SampleSource func(f func(results.Sample) error) error

// SamplesFile is the SampleSource of a samples.jsonl file.
func SamplesFile(path string) SampleSource {
	return func(f func(results.Sample) error) error { return results.ReadSamples(path, f) }
}

// Options configure Check. The zero value checks at alpha 0.05 without a
// paired test.
type Options struct {
	// Alpha is the family-wise level of the one-sided paired tests (Holm
	// over the scorers tested); 0 means 0.05.
	Alpha float64
	// BaselineSamples and RunSamples are the two runs' samples. The paired
	// test runs when both are set and the runs have the same pairs.
	BaselineSamples, RunSamples SampleSource
	// BaselineFile and RunFile name the inputs in messages; "" means
	// "baseline" and "results.json".
	BaselineFile, RunFile string
	// AllowDatasetChange checks a run on another dataset than the
	// baseline's (by sha256): accuracies are compared with a warning and the
	// paired test is skipped. Without it such a run is an *InputError.
	AllowDatasetChange bool
}

// Status is a scorer's result at the gate.
type Status string

// Statuses. Missing and Regressed fail the gate.
const (
	Pass      Status = "pass"
	Regressed Status = "regressed"
	Missing   Status = "missing" // in the baseline, not in the run
	New       Status = "new"     // in the run, not in the baseline: not gated
)

// PairedTest is the exact one-sided McNemar test of the current run against
// the baseline run on the same pairs.
type PairedTest struct {
	// N is the number of pairs both runs scored and the policy counts.
	N int
	// BaselineBetter counts pairs where the baseline earned more credit than
	// the current run (it was right, the current run wrong); CurrentBetter
	// the reverse.
	BaselineBetter, CurrentBetter int
	// P is the one-sided p-value of "the current run is worse":
	// P(X >= BaselineBetter) with X ~ Binomial(BaselineBetter+CurrentBetter, 1/2).
	P float64
	// PHolm is P adjusted by Holm over the scorers tested.
	PHolm float64
	// Worse is PHolm < alpha: the current run is significantly worse.
	Worse bool
	// LeftOut counts the shared pairs not in N: failed in either run, or
	// a tied label skipped under the policy.
	LeftOut int
}

// ScorerOutcome is one scorer at the gate.
type ScorerOutcome struct {
	Name   string
	Status Status
	// Baseline and Current are the accuracies; Drop is Baseline − Current
	// (positive: the run is worse). Tolerance is the allowed drop.
	Baseline, Current, Drop, Tolerance float64
	// BeyondTolerance is Drop > Tolerance.
	BeyondTolerance bool
	// Paired is the paired test, nil when it did not run.
	Paired *PairedTest
	// FingerprintChanged: the model fingerprint differs from the baseline's
	// (a warning only).
	FingerprintChanged                      bool
	BaselineFingerprint, CurrentFingerprint string
	// BaselineFailed and CurrentFailed are the pairs the scorer failed on;
	// FailuresRose is true when the run failed on more of them (on another
	// dataset: a larger share) than the baseline allows. NoAccuracy is true
	// when the run counted no pair at all.
	BaselineFailed, CurrentFailed int
	FailuresRose, NoAccuracy      bool
	// CurrentPairs is the number of pairs the run counted.
	CurrentPairs int
}

// Outcome is the gate's decision.
type Outcome struct {
	// Pass is true when no scorer is Missing or Regressed.
	Pass      bool
	Alpha     float64
	Benchmark string
	Policy    results.Policy
	Scorers   []ScorerOutcome
	// PairedNote says why no paired test ran ("" when it ran).
	PairedNote string
	// PairedN is the number of pairs the two runs share when it ran.
	PairedN  int
	Warnings []string
	// RunWarnings are the run's own warnings (results.json "warnings"):
	// predicted ties, one-sided labels, failures.
	RunWarnings []results.Warning
}

// Failed returns the scorers that fail the gate.
func (o *Outcome) Failed() []ScorerOutcome {
	var f []ScorerOutcome
	for _, s := range o.Scorers {
		if s.Status == Regressed || s.Status == Missing {
			f = append(f, s)
		}
	}
	return f
}

// slack absorbs floating-point error in Drop > Tolerance (a drop of exactly
// the tolerance passes).
const slack = 1e-9

// Check gates run against baseline. A scorer fails when it is missing from
// the run, when its accuracy is more than its tolerance below the baseline,
// or — when opts gives both runs' samples and the runs have the same pairs
// (same dataset hash and pair ids, same labels) — when the exact McNemar test
// on those pairs says the current run is significantly worse.
//
// The paired test counts credit under the run's policy (stats.McNemar): b
// pairs where the baseline earned more credit, c where the current run did.
// stats.McNemar's two-sided exact p is 2·P(X <= min(b, c)) with
// X ~ Binomial(b+c, 1/2); the one-sided p of "current worse" is P(X >= b),
// which by the symmetry of Binomial(n, 1/2) equals P(X <= c): exactly half
// the two-sided p when b > c, and at least 1/2 otherwise (never a
// regression). The one-sided p-values of the scorers tested are adjusted by
// Holm at level alpha, so the gate's false-alarm rate over all scorers stays
// at most alpha.
//
// Errors are *InputError: a policy that does not parse, a baseline made
// under another counting rule, malformed samples.
func Check(b *Baseline, run *results.Results, opts Options) (*Outcome, error) {
	alpha := opts.Alpha
	if alpha == 0 {
		alpha = 0.05
	}
	if !(alpha > 0 && alpha < 1) {
		return nil, fmt.Errorf("alpha %v: want 0 < alpha < 1", alpha)
	}
	bfile, rfile := opts.BaselineFile, opts.RunFile
	if bfile == "" {
		bfile = "baseline"
	}
	if rfile == "" {
		rfile = results.ResultsFile
	}
	if b.IsLeaderboard() {
		return nil, &InputError{File: bfile, Field: "kind", Err: fmt.Errorf(
			"a %s baseline cannot check %s (a run's results): check a leaderboard directory (leaderboard.json) against it, or make a results baseline with --update-baseline",
			b.Kind, rfile)}
	}
	pol, ferr := statsPolicy(run.Policy)
	if ferr != nil {
		return nil, &InputError{File: rfile, Field: "policy." + ferr.field, Err: ferr.err}
	}
	if b.Policy != nil && !sameRule(*b.Policy, run.Policy) {
		return nil, &InputError{File: bfile, Field: "policy", Err: fmt.Errorf(
			"the baseline counts accuracy under %s, the run under %s; the accuracies are not comparable: analyze the run under the baseline's policy, or update the baseline",
			ruleString(*b.Policy), ruleString(run.Policy))}
	}
	o := &Outcome{Alpha: alpha, Benchmark: run.Benchmark.Name, Policy: run.Policy}
	if b.Benchmark != "" && b.Benchmark != run.Benchmark.Name {
		o.Warnings = append(o.Warnings, fmt.Sprintf("the baseline is of benchmark %q, the run of %q", b.Benchmark, run.Benchmark.Name))
	}
	o.RunWarnings = run.Warnings
	sameData := b.DatasetSHA256 == "" || b.DatasetSHA256 == run.Dataset.SHA256
	if !sameData {
		if !opts.AllowDatasetChange {
			return nil, &InputError{File: rfile, Field: "dataset.sha256", Err: fmt.Errorf(
				"the run's dataset (sha256 %s) is not the baseline's (%s in %s): accuracies on different data are not comparable; "+
					"run on the baseline's dataset, update the baseline, or pass --allow-dataset-change to compare anyway",
				short(run.Dataset.SHA256), short(b.DatasetSHA256), bfile)}
		}
		o.Warnings = append(o.Warnings, fmt.Sprintf("the run's dataset (sha256 %s) is not the baseline's (%s): accuracies are compared (--allow-dataset-change), the paired test is skipped",
			short(run.Dataset.SHA256), short(b.DatasetSHA256)))
	}

	runScorers := map[string]results.ScorerResult{}
	for _, s := range run.Scorers {
		runScorers[s.Name] = s
	}
	inBase := map[string]bool{}
	for _, bs := range b.Scorers {
		inBase[bs.Name] = true
		so := ScorerOutcome{Name: bs.Name, Baseline: bs.Accuracy, Tolerance: bs.Tolerance, BaselineFingerprint: bs.Fingerprint}
		rs, ok := runScorers[bs.Name]
		if !ok {
			so.Status = Missing
			o.Scorers = append(o.Scorers, so)
			continue
		}
		so.CurrentFingerprint, so.BaselineFailed, so.CurrentFailed, so.CurrentPairs = rs.Fingerprint, bs.NFailed, rs.NFailed, rs.NPairs
		if acc, ok := rs.Acc(); ok {
			so.Current = acc
			so.Drop = bs.Accuracy - acc
			so.BeyondTolerance = so.Drop > bs.Tolerance+slack
		} else {
			so.NoAccuracy = true
		}
		so.FailuresRose = failuresRose(bs, rs, sameData)
		if bs.Fingerprint != "" && bs.Fingerprint != rs.Fingerprint {
			so.FingerprintChanged = true
			o.Warnings = append(o.Warnings, fmt.Sprintf("%s: model fingerprint changed (%s → %s)", bs.Name, short(bs.Fingerprint), short(rs.Fingerprint)))
		}
		o.Scorers = append(o.Scorers, so)
	}
	for _, s := range run.Scorers {
		if !inBase[s.Name] {
			acc, ok := s.Acc()
			o.Scorers = append(o.Scorers, ScorerOutcome{Name: s.Name, Status: New, Current: acc, NoAccuracy: !ok,
				CurrentFingerprint: s.Fingerprint, CurrentFailed: s.NFailed, CurrentPairs: s.NPairs})
		}
	}

	switch {
	case opts.BaselineSamples == nil || opts.RunSamples == nil:
		o.PairedNote = "no samples of the baseline run"
	case !sameData:
		o.PairedNote = "the datasets differ"
	default:
		if err := pairedTests(o, pol, opts, alpha); err != nil {
			return nil, err
		}
	}

	o.Pass = true
	for i := range o.Scorers {
		s := &o.Scorers[i]
		if s.Status == Missing || s.Status == New {
			if s.Status == Missing {
				o.Pass = false
			}
			continue
		}
		s.Status = Pass
		if s.BeyondTolerance || s.NoAccuracy || s.FailuresRose || (s.Paired != nil && s.Paired.Worse) {
			s.Status = Regressed
			o.Pass = false
		}
	}
	return o, nil
}

// failuresRose reports whether the run's scorer failed on more pairs than
// its baseline: by count on the same dataset, by share on another.
func failuresRose(b BaselineScorer, r results.ScorerResult, sameData bool) bool {
	if r.NFailed <= b.NFailed {
		return false
	}
	if sameData || b.NPairs == 0 {
		return true
	}
	rate := func(failed, counted int) float64 { return float64(failed) / float64(failed+counted) }
	return rate(r.NFailed, r.NPairs) > rate(b.NFailed, b.NPairs)+slack
}

// keyed are a run's samples by pair key.
type keyed struct {
	keys    []string
	samples map[string]results.Sample
}

// readKeyed reads a run's samples, keyed by pair id; when ids are missing or
// repeated it keys by position instead.
func readKeyed(src SampleSource) (keyed, error) {
	var all []results.Sample
	if err := src(func(s results.Sample) error { all = append(all, s); return nil }); err != nil {
		return keyed{}, err
	}
	k := keyed{keys: make([]string, len(all)), samples: make(map[string]results.Sample, len(all))}
	for i, s := range all {
		if _, dup := k.samples[s.ID]; s.ID == "" || dup {
			clear(k.samples)
			for i, s := range all {
				k.keys[i] = "#" + strconv.Itoa(i)
				k.samples[k.keys[i]] = s
			}
			return k, nil
		}
		k.keys[i] = s.ID
		k.samples[s.ID] = s
	}
	return k, nil
}

func pairedTests(o *Outcome, pol stats.Policy, opts Options, alpha float64) error {
	base, err := readKeyed(opts.BaselineSamples)
	if err != nil {
		return &InputError{File: "baseline run samples", Err: err}
	}
	cur, err := readKeyed(opts.RunSamples)
	if err != nil {
		return &InputError{File: "run samples", Err: err}
	}
	shared := 0
	for _, k := range cur.keys {
		if _, ok := base.samples[k]; ok {
			shared++
		}
	}
	if shared != len(base.keys) || shared != len(cur.keys) {
		o.PairedNote = fmt.Sprintf("the runs' pairs differ (%d in the baseline run, %d in this run, %d shared)", len(base.keys), len(cur.keys), shared)
		o.Warnings = append(o.Warnings, "paired test skipped: "+o.PairedNote)
		return nil
	}
	for _, k := range cur.keys {
		if lb, lc := base.samples[k].Label, cur.samples[k].Label; lb != lc {
			o.PairedNote = fmt.Sprintf("pair %q has label %q in the baseline run and %q in this run", k, lb, lc)
			o.Warnings = append(o.Warnings, "paired test skipped: "+o.PairedNote)
			return nil
		}
	}
	o.PairedN = shared
	var tested []int
	var ps []float64
	for i := range o.Scorers {
		s := &o.Scorers[i]
		if s.Status == Missing || s.Status == New {
			continue
		}
		var a, c []stats.Pair
		leftOut := 0
		for _, k := range cur.keys {
			bs, cs := base.samples[k], cur.samples[k]
			x, okb := bs.Scores[s.Name]
			y, okc := cs.Scores[s.Name]
			if !okb || !okc || x.Error != "" || y.Error != "" {
				leftOut++
				continue
			}
			l, err := stats.ParseLabel(cs.Label)
			if err != nil {
				return &InputError{File: "run samples", Field: "label", Err: fmt.Errorf("pair %q: %w", k, err)}
			}
			a = append(a, stats.Pair{PromptID: bs.PromptID, Label: l, ScoreA: x.A, ScoreB: x.B})
			c = append(c, stats.Pair{PromptID: cs.PromptID, Label: l, ScoreA: y.A, ScoreB: y.B})
		}
		m, err := stats.McNemar(a, c, pol)
		if errors.Is(err, stats.ErrNoPairs) {
			o.Warnings = append(o.Warnings, fmt.Sprintf("%s: no pairs scored in both runs; no paired test", s.Name))
			continue
		}
		if err != nil {
			return &InputError{File: "samples", Err: fmt.Errorf("scorer %q: %w", s.Name, err)}
		}
		n := m.AWins + m.BWins + m.Equal
		s.Paired = &PairedTest{N: n, BaselineBetter: m.AWins, CurrentBetter: m.BWins, P: stats.McNemarOneSided(m.AWins, m.BWins), LeftOut: shared - n}
		tested = append(tested, i)
		ps = append(ps, s.Paired.P)
	}
	if len(ps) == 0 {
		return nil
	}
	h, err := stats.Holm(ps, alpha)
	if err != nil {
		return err
	}
	for j, i := range tested {
		t := o.Scorers[i].Paired
		t.PHolm = h.Adjusted[j]
		t.Worse = t.PHolm < alpha && t.BaselineBetter > t.CurrentBetter
	}
	return nil
}

func short(h string) string {
	if h == "" {
		return "(none)"
	}
	if len(h) > 19 {
		return h[:19] + "…"
	}
	return h
}
