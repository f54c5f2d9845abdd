package bench

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"

	"github.com/srbench/srbench/harness/report"
	"github.com/srbench/srbench/harness/stats"
)

// AnalyzeOptions choose how samples become statistics. The zero value is the
// default: the Social Reward policy (ties in prediction count as correct,
// label ties skipped, micro average), B = 1000 prompt-bootstrap resamples,
// seed 0, alpha 0.05, 10 calibration bins, 4 strength bins.
type AnalyzeOptions struct {
	// Policy is the counting rule; PolicyName its name for the record.
	Policy     stats.Policy
	PolicyName string
	// PolicySet is true when Policy was chosen (otherwise the default applies).
	PolicySet bool
	B         int
	Seed      uint64
	Alpha     float64
	CalibBins int
	// StrengthBins is the number of label-strength quantile bins.
	StrengthBins int
}

// DefaultPolicyName is the policy used when none is given.
const DefaultPolicyName = "socialreward"

func (o AnalyzeOptions) withDefaults() AnalyzeOptions {
	if !o.PolicySet {
		o.Policy, _ = stats.ParsePolicy(DefaultPolicyName)
		o.PolicyName = DefaultPolicyName
	}
	if o.PolicyName == "" {
		o.PolicyName = o.Policy.String()
	}
	if o.B == 0 {
		o.B = 1000
	}
	if o.Alpha == 0 {
		o.Alpha = 0.05
	}
	if o.CalibBins == 0 {
		o.CalibBins = 10
	}
	if o.StrengthBins == 0 {
		o.StrengthBins = 4
	}
	return o
}

func statsLabel(l string) (stats.Label, error) {
	switch l {
	case "a":
		return stats.LabelA, nil
	case "b":
		return stats.LabelB, nil
	case "tie":
		return stats.LabelTie, nil
	}
	return 0, fmt.Errorf("field \"label\": %q, want a, b or tie", l)
}

// Analyze recomputes every statistic of res from the run directory's
// samples.jsonl, in place. The identity fields of res (scorers, dataset,
// provenance) are kept; the numbers are replaced.
func Analyze(runDir string, res *report.Results, opts AnalyzeOptions) error {
	opts = opts.withDefaults()
	if err := opts.Policy.Validate(); err != nil {
		return err
	}
	names := make([]string, len(res.Scorers))
	for i, s := range res.Scorers {
		names[i] = s.Name
	}
	// Columnar, per scorer: the pair as stats sees it and whether the scorer
	// scored it; prompt ids are interned. About 65 bytes per pair and scorer.
	type column struct {
		pairs   []stats.Pair
		ok      []bool
		failed  int
		reasons map[string]int
	}
	cols := make([]column, len(names))
	for i := range cols {
		cols[i].reasons = map[string]int{}
	}
	prompts := map[string]string{}
	nRows, nTies := 0, 0
	hasStrength := false
	err := report.ReadSamples(filepath.Join(runDir, report.SamplesFile), func(s report.Sample) error {
		l, err := statsLabel(s.Label)
		if err != nil {
			return err
		}
		if l == stats.LabelTie {
			nTies++
		}
		pid, ok := prompts[s.PromptID]
		if !ok {
			pid = s.PromptID
			prompts[pid] = pid
		}
		strength := math.NaN()
		if s.Strength != nil {
			strength = *s.Strength
			hasStrength = true
		}
		for i, n := range names {
			sc, found := s.Scores[n]
			c := &cols[i]
			switch {
			case !found:
				return fmt.Errorf("sample %d has no scores for scorer %q", s.Index, n)
			case sc.Error != "":
				c.pairs = append(c.pairs, stats.Pair{})
				c.ok = append(c.ok, false)
				c.failed++
				c.reasons[reasonKey(sc.Error)]++
			default:
				c.pairs = append(c.pairs, stats.Pair{PromptID: pid, Label: l, ScoreA: sc.A, ScoreB: sc.B, Weight: s.Weight, Strength: strength})
				c.ok = append(c.ok, true)
			}
		}
		nRows++
		return nil
	})
	if err != nil {
		return err
	}
	res.Dataset.NPairs = nRows
	res.Dataset.NPrompts = len(prompts)
	res.Dataset.NLabelTies = nTies
	res.Dataset.HasStrength = hasStrength
	res.Policy = report.Policy{
		Name: opts.PolicyName, PredictionTies: opts.Policy.PredTie.String(), LabelTies: opts.Policy.LabelTie.String(),
		Averaging: opts.Policy.Averaging.String(), Epsilon: opts.Policy.Epsilon, Alpha: opts.Alpha,
	}
	bopts := stats.BootstrapOptions{B: opts.B, Seed: opts.Seed}
	res.Bootstrap = report.BootstrapCfg{B: opts.B, Seed: opts.Seed, Level: 0.95, Unit: "prompt"}

	for i := range res.Scorers {
		sr := &res.Scorers[i]
		c := &cols[i]
		sr.NFailed, sr.FailureReasons = c.failed, nil
		if c.failed > 0 {
			sr.FailureReasons = c.reasons
		}
		ps := c.pairs
		if c.failed > 0 {
			ps = make([]stats.Pair, 0, len(c.pairs)-c.failed)
			for k, p := range c.pairs {
				if c.ok[k] {
					ps = append(ps, p)
				}
			}
		}
		if err := fillScorer(sr, ps, opts, bopts); err != nil {
			return fmt.Errorf("scorer %q: %w", sr.Name, err)
		}
	}

	// Paired comparisons and agreement on the pairs both scorers scored.
	res.Comparisons, res.Agreement = nil, nil
	var pvals []float64
	for i := range names {
		for j := i + 1; j < len(names); j++ {
			var a, b []stats.Pair
			for k := range cols[i].pairs {
				if cols[i].ok[k] && cols[j].ok[k] {
					a = append(a, cols[i].pairs[k])
					b = append(b, cols[j].pairs[k])
				}
			}
			c := report.Comparison{A: names[i], B: names[j], NPairs: len(a), PMcNemar: 1}
			ag := report.AgreementEntry{A: names[i], B: names[j], N: len(a)}
			if len(a) > 0 {
				if ra, err := stats.Accuracy(a, opts.Policy); err == nil {
					c.AccA = ra.Accuracy
				}
				if rb, err := stats.Accuracy(b, opts.Policy); err == nil {
					c.AccB = rb.Accuracy
				}
				c.Diff = c.AccA - c.AccB
				if bs, err := stats.PairedBootstrap(a, b, opts.Policy, bopts); err == nil {
					c.CI95 = [2]float64{bs.Interval.Lo, bs.Interval.Hi}
				} else if !errors.Is(err, stats.ErrNoPairs) {
					return fmt.Errorf("comparison %s vs %s: %w", names[i], names[j], err)
				}
				m, err := stats.McNemar(a, b, opts.Policy)
				if err != nil {
					return fmt.Errorf("comparison %s vs %s: %w", names[i], names[j], err)
				}
				c.AWins, c.BWins, c.PMcNemar = m.AWins, m.BWins, m.P
				if g, err := stats.Agreement(a, b); err == nil {
					ag.KendallTauB, ag.PKendall, ag.SameShare = g.Kendall.Tau, g.Kendall.P, g.SameShare
				}
			}
			pvals = append(pvals, c.PMcNemar)
			res.Comparisons = append(res.Comparisons, c)
			res.Agreement = append(res.Agreement, ag)
		}
	}
	if len(pvals) > 0 {
		h, err := stats.Holm(pvals, opts.Alpha)
		if err != nil {
			return err
		}
		for k := range res.Comparisons {
			res.Comparisons[k].PHolm = h.Adjusted[k]
			res.Comparisons[k].Significant = h.Reject[k]
		}
	}
	return nil
}

func fillScorer(sr *report.ScorerResult, ps []stats.Pair, opts AnalyzeOptions, bopts stats.BootstrapOptions) error {
	sr.Accuracy, sr.CI95, sr.Wilson95, sr.BootstrapSE = 0, [2]float64{}, nil, 0
	sr.TieCalibrated, sr.Calibration, sr.Strength = nil, nil, nil
	r, err := stats.Accuracy(ps, opts.Policy)
	if errors.Is(err, stats.ErrNoPairs) {
		sr.NPairs = 0
		return nil
	}
	if err != nil {
		return err
	}
	sr.Accuracy, sr.NPairs, sr.NSkipped, sr.NPredictedTies, sr.NPrompts = r.Accuracy, r.Pairs, r.Skipped, r.PredictedTies, r.Prompts
	sr.MicroAccuracy = r.Credit / r.Weight
	macro := opts.Policy
	macro.Averaging = stats.Macro
	if m, err := stats.Accuracy(ps, macro); err == nil {
		sr.MacroAccuracy = m.Accuracy
	}
	if opts.Policy.Averaging == stats.Micro {
		if w, err := r.Wilson(0.95); err == nil {
			sr.Wilson95 = &[2]float64{w.Lo, w.Hi}
		}
	}
	bs, err := stats.Bootstrap(ps, opts.Policy, bopts)
	if err != nil {
		return err
	}
	sr.CI95, sr.BootstrapSE = [2]float64{bs.Interval.Lo, bs.Interval.Hi}, bs.SE
	if tc, err := stats.TieCalibrate(ps, opts.Policy.Averaging); err == nil {
		sr.TieCalibrated = &report.TieCalibrated{Accuracy: tc.Result.Accuracy, Epsilon: tc.Epsilon}
	}
	cal := &report.CalibrationInfo{}
	if fit, err := stats.FitPairLogistic(ps); err != nil {
		cal.Error = err.Error()
	} else {
		cal.Intercept, cal.Slope = fit.Intercept, fit.Slope
		if rel, err := stats.PairReliability(ps, fit.PairProb, opts.CalibBins); err == nil {
			cal.ECE = rel.ECE
			for _, b := range rel.Bins {
				cal.Bins = append(cal.Bins, report.ReliabilityBin{Lo: b.Lo, Hi: b.Hi, MeanPred: b.MeanPred, Observed: b.Observed, Count: b.Count})
			}
		} else {
			cal.Error = err.Error()
		}
	}
	sr.Calibration = cal
	bins, err := stats.AccuracyByStrength(ps, opts.Policy, opts.StrengthBins, 0.95)
	if err == nil {
		for _, b := range bins {
			sr.Strength = append(sr.Strength, report.StrengthBin{Lo: b.Lo, Hi: b.Hi, Accuracy: b.Result.Accuracy,
				CI95: [2]float64{b.Wilson.Lo, b.Wilson.Hi}, NPairs: b.Result.Pairs})
		}
	}
	return nil
}
