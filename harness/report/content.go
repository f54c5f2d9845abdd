package report

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/srbench/srbench/harness/results"
)

// buildDoc lays out a report of r: what a reviewer needs first (notes, the
// accuracy table, the paired comparisons) before the settings, data,
// failures, figures and, collapsed, the full numbers and provenance.
// figs are the rendered figures; issues are problems met while making the
// report (e.g. samples.jsonl missing).
func buildDoc(r *results.Results, figs []figureBlock, issues []string) []block {
	title := "srbench report: " + r.Benchmark.Name
	if r.Benchmark.Version != "" {
		title += " v" + r.Benchmark.Version
	}
	doc := []block{heading{1, title}}
	// Banners first: the notes (and problems met making the report), then
	// the warnings, each item naming its scorer.
	notes := banner{kind: bannerNote}
	for _, n := range r.Notes {
		notes.items = append(notes.items, line(n))
	}
	for _, is := range issues {
		notes.items = append(notes.items, inline{bold("Report:"), txt(" " + is)})
	}
	warnings := banner{kind: bannerWarning}
	for _, w := range r.Warnings {
		it := line(w.Message)
		if w.Scorer != "" {
			it = inline{bold(w.Scorer + ":"), txt(" " + w.Message)}
		}
		warnings.items = append(warnings.items, it)
	}
	for _, bn := range []banner{notes, warnings} {
		if len(bn.items) > 0 {
			doc = append(doc, bn)
		}
	}
	if r.Benchmark.Description != "" {
		doc = append(doc, para{line(r.Benchmark.Description)})
	}
	d := r.Dataset
	summary := inline{
		bold(fmt.Sprintf("%d pairs", d.NPairs)), txt(fmt.Sprintf(" over %d prompts from ", d.NPrompts)),
		code(d.Path), txt(" (" + d.Format + ", sha256 "), code(results.ShortHash(d.SHA256)), txt(")."),
		txt(" Accuracy is counted under the "), code(r.Policy.Name),
		txt(fmt.Sprintf(" policy; intervals are %s bootstrap intervals over %ss.", levelPct(r.Bootstrap.Level), unitOr(r.Bootstrap.Unit))),
	}
	doc = append(doc, para{summary})

	doc = append(doc, heading{2, "Accuracy"}, accuracyTable(r))
	if n := ciFootnote(r); n != nil {
		doc = append(doc, n)
	}
	if t := tieRuleTable(r); t != nil {
		doc = append(doc, para{line("Predicted ties (equal scores) decide part of these accuracies; " +
			"under each rule for what a predicted tie earns, the accuracies are:")}, *t)
	}
	if cmps := comparisonsTable(r); cmps != nil {
		doc = append(doc, heading{2, "Paired comparisons"}, *cmps, para{line(fmt.Sprintf(
			"Difference: accuracy of the first scorer minus the second on the pairs both scored, in percentage points, "+
				"with a paired bootstrap interval over prompts († with few prompts: the exact interval of the discordant-pair difference, "+
				"which agrees with the McNemar test). McNemar: exact two-sided test on the pairs only one of the two gets right "+
				"(\"right only\" counts them for each scorer). Holm p: adjusted for the %d comparisons; the verdict is significant when Holm p < %s. "+
				"The interval is not adjusted for multiple comparisons, so it can exclude 0 where the verdict is not significant.",
			len(r.Comparisons), fmtFloat(r.Policy.Alpha)))})
	}
	if ag := agreementTable(r); ag != nil {
		doc = append(doc, heading{2, "Agreement"}, *ag, para{line(
			"How alike two scorers judge the same pairs, whatever the labels: Kendall's tau-b of their score differences " +
				"(score A − score B) and the share of pairs where both prefer the same image.")})
	}
	doc = append(doc, heading{2, "How the numbers were counted"}, settingsList(r))
	doc = append(doc, heading{2, "Data"}, dataList(r))
	doc = append(doc, heading{2, "Failures"})
	doc = append(doc, failureBlocks(r)...)
	if len(figs) > 0 {
		doc = append(doc, heading{2, "Figures"})
		for _, f := range figs {
			doc = append(doc, f)
		}
	}
	doc = append(doc, heading{2, "Details"}, details{"More numbers per scorer", moreNumbers(r)},
		details{"Provenance", provenance(r)})
	return doc
}

func levelPct(l float64) string {
	if l == 0 {
		l = 0.95
	}
	return fmtFloat(100*l) + "%"
}

func unitOr(u string) string {
	if u == "" {
		return "prompt"
	}
	return u
}

// fmtFloat is the shortest decimal that reads back as f.
func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func accuracyTable(r *results.Results) block {
	t := table{head: []string{"scorer", "accuracy [95% CI]", "pairs", "predicted ties", "failed", "variant"},
		right: []bool{false, true, true, true, true, false}}
	for _, s := range results.SortedScorers(r) {
		ties, failed := results.Percent(s.PredictedTieRate), strconv.Itoa(s.NFailed)
		if s.NPairs == 0 {
			ties = results.NotAvailable
		}
		tiesCell, failedCell := line(ties), line(failed)
		if s.PredictedTieRate > results.TieWarnRate {
			tiesCell = inline{bold(ties + " ⚠")}
		}
		if s.NFailed > 0 {
			failedCell = inline{bold(failed + " ⚠")}
		}
		t.rows = append(t.rows, []inline{
			{bold(s.Name)}, line(results.ScorerAccuracy(s)), line(strconv.Itoa(s.NPairs)), tiesCell, failedCell, line(s.Variant),
		})
	}
	return t
}

// ciFootnote explains the intervals that are not bootstrap intervals.
func ciFootnote(r *results.Results) block {
	var notes []string
	for _, s := range r.Scorers {
		if s.CIMethod != "" && !results.IsBootstrap(s.CIMethod) && s.Accuracy != nil {
			n := s.Name + ": " + s.CIMethod
			if s.CINote != "" {
				n += " (" + s.CINote + ")"
			}
			notes = append(notes, n)
		}
	}
	if len(notes) == 0 {
		return nil
	}
	return para{line("† Not a bootstrap interval: " + strings.Join(notes, "; ") + ".")}
}

// tieRuleTable shows every scorer's accuracy under each prediction-tie rule
// when some scorer predicts ties.
func tieRuleTable(r *results.Results) *table {
	ties := false
	for _, s := range r.Scorers {
		if s.NPredictedTies > 0 && s.ByTieRule != nil {
			ties = true
		}
	}
	if !ties {
		return nil
	}
	t := table{head: []string{"scorer", "predicted ties", "ties wrong", "ties half", "ties correct"},
		right: []bool{false, true, true, true, true}}
	for _, s := range results.SortedScorers(r) {
		if s.ByTieRule == nil {
			continue
		}
		b := s.ByTieRule
		t.rows = append(t.rows, []inline{line(s.Name),
			line(fmt.Sprintf("%d (%s)", s.NPredictedTies, results.Percent(s.PredictedTieRate))),
			line(results.Percent(b.Wrong)), line(results.Percent(b.Half)), line(results.Percent(b.Correct))})
	}
	return &t
}

// oriented returns c with the more accurate scorer first.
func oriented(c results.Comparison) results.Comparison {
	if c.Diff < 0 || (c.Diff == 0 && c.BWins > c.AWins) {
		return swap(c)
	}
	return c
}

func comparisonsTable(r *results.Results) *table {
	if len(r.Comparisons) == 0 {
		return nil
	}
	t := table{head: []string{"comparison", "difference [95% CI]", "verdict (McNemar, Holm)", "Holm p", "McNemar p", "right only", "pairs both scored"},
		right: []bool{false, true, false, true, true, false, true}}
	for _, c := range r.Comparisons {
		c = oriented(c)
		v := results.Verdict(c, r.Policy.Alpha)
		verdict := inline{txt(v)}
		if significant(c, r.Policy.Alpha) && c.AWins != c.BWins {
			verdict = inline{bold(v)}
		}
		if c.Note != "" {
			verdict = append(verdict, txt(" — "+c.Note))
		}
		diff, right, p, ph := results.NotAvailable, results.NotAvailable, results.NotAvailable, results.NotAvailable
		if c.NPairs > 0 {
			diff = results.Points(c.Diff) + " " + results.PointsInterval(c.CI95)
			if c.CIMethod != "" && !results.IsBootstrap(c.CIMethod) {
				diff += "†"
			}
			right = fmt.Sprintf("%s %d, %s %d", c.A, c.AWins, c.B, c.BWins)
			p, ph = results.PValue(c.PMcNemar), results.PValue(c.PHolm)
		}
		t.rows = append(t.rows, []inline{
			line(c.A + " vs " + c.B), line(diff), verdict, line(ph), line(p), line(right), line(strconv.Itoa(c.NPairs)),
		})
	}
	return &t
}

func agreementTable(r *results.Results) *table {
	if len(r.Agreement) == 0 {
		return nil
	}
	t := table{head: []string{"scorers", "pairs", "Kendall tau-b", "same preference"},
		right: []bool{false, true, true, true}}
	for _, a := range r.Agreement {
		tau, same := "n/a", "n/a"
		if a.N > 0 {
			tau, same = fmt.Sprintf("%.2f", a.KendallTauB), results.Percent(a.SameShare)
		}
		t.rows = append(t.rows, []inline{line(a.A + " vs " + a.B), line(strconv.Itoa(a.N)), line(tau), line(same)})
	}
	return &t
}

func settingsList(r *results.Results) block {
	p := r.Policy
	avg := p.Averaging
	switch p.Averaging {
	case "micro":
		avg = "micro (mean over pairs)"
	case "macro":
		avg = "macro (accuracy per prompt, then the mean over prompts)"
	}

	b := r.Bootstrap
	items := []inline{
		{txt("Policy: "), code(p.Name)},
		{txt("Predicted ties (|score A − score B| ≤ ε, ε = " + fmtFloat(p.Epsilon) + "): "), bold(p.PredictionTies)},
		{txt("Tied human labels: "), bold(p.LabelTies), txt(fmt.Sprintf(" (%d pairs in the data have a tied label)", r.Dataset.NLabelTies))},
		{txt("Averaging: "), bold(avg)},
		ciLine(b),
		line(fmt.Sprintf("Paired tests: exact McNemar, Holm correction over %d comparisons, alpha = %s",
			len(r.Comparisons), fmtFloat(p.Alpha))),
	}
	return list{items}
}

// ciLine says how the intervals were made.
func ciLine(b results.BootstrapCfg) inline {
	if b.Method == results.CIPoissonBootstrap {
		return line(fmt.Sprintf("Confidence intervals: %s percentile Poisson(1) bootstrap over %ss (each %s weighted by an independent Poisson(1) draw per resample; "+
			"used from %d prompts on, where resampling prompts one by one is too slow), B = %d, seed %d",
			levelPct(b.Level), unitOr(b.Unit), unitOr(b.Unit), results.PoissonBootstrapPrompts, b.B, b.Seed))
	}
	return line(fmt.Sprintf("Confidence intervals: %s percentile bootstrap resampling %ss, B = %d, seed %d; "+
		"with fewer than %d prompts, or when every resample gives the same accuracy, the Wilson interval (micro) instead",
		levelPct(b.Level), unitOr(b.Unit), b.B, b.Seed, results.MinBootstrapPrompts))
}

// reasonCount is one reason of a reason → count map.
type reasonCount struct {
	k string
	v int
}

// sortedReasons returns a reason → count map most frequent first.
func sortedReasons(m map[string]int) []reasonCount {
	var kvs []reasonCount
	for k, v := range m {
		kvs = append(kvs, reasonCount{k, v})
	}
	slices.SortFunc(kvs, func(a, b reasonCount) int {
		if c := cmp.Compare(b.v, a.v); c != 0 {
			return c
		}
		return strings.Compare(a.k, b.k)
	})
	return kvs
}

// reasons formats a reason → count map, most frequent first.
func reasons(m map[string]int) string {
	var s []string
	for _, x := range sortedReasons(m) {
		s = append(s, fmt.Sprintf("%s: %d", x.k, x.v))
	}
	return strings.Join(s, "; ")
}

func dataList(r *results.Results) block {
	d := r.Dataset
	items := []inline{
		{txt("File: "), code(d.Path), txt(" (" + d.Format + ")")},
		{txt("sha256: "), code(d.SHA256)},
		line(fmt.Sprintf("Pairs: %d over %d prompts; labels: %d a, %d b, %d tie; label strength: %s",
			d.NPairs, d.NPrompts, d.NLabelA, d.NLabelB, d.NLabelTies, map[bool]string{true: "yes", false: "no"}[d.HasStrength])),
	}
	if d.PairOrder != "" {
		items = append(items, line("Image order: "+d.PairOrder))
	}
	if d.NSkippedRows > 0 {
		items = append(items, inline{bold(fmt.Sprintf("Skipped malformed rows: %d", d.NSkippedRows)), txt(" (" + reasons(d.SkipReasons) + ")")})
	} else {
		items = append(items, line("Skipped malformed rows: 0"))
	}
	if d.NFilteredRows > 0 {
		items = append(items, line(fmt.Sprintf("Rows left out on purpose: %d (%s)", d.NFilteredRows, reasons(d.FilterReasons))))
	}
	for _, w := range d.Warnings {
		items = append(items, inline{bold("Warning:"), txt(" " + w)})
	}
	return list{items}
}

func failureBlocks(r *results.Results) []block {
	t := table{head: []string{"scorer", "reason", "pairs"}, right: []bool{false, false, true}}
	var restarts []string
	var examples []inline
	for _, s := range r.Scorers {
		for _, e := range s.FailureExamples {
			examples = append(examples, inline{txt(s.Name + ": "), code(e)})
		}
		if s.NFailed > 0 {
			if len(s.FailureReasons) == 0 {
				t.rows = append(t.rows, []inline{line(s.Name), line("(no reason recorded)"), line(strconv.Itoa(s.NFailed))})
			}
			for _, kv := range sortedReasons(s.FailureReasons) {
				t.rows = append(t.rows, []inline{line(s.Name), {code(kv.k)}, line(strconv.Itoa(kv.v))})
			}
		}
		if s.Restarts > 0 {
			restarts = append(restarts, fmt.Sprintf("%s %d", s.Name, s.Restarts))
		}
	}
	var out []block
	if len(t.rows) == 0 {
		out = append(out, para{line("No scoring failures: every scorer scored every pair.")})
	} else {
		out = append(out, para{line("Pairs where a scorer failed on either image are left out of that scorer's accuracy (and of its comparisons).")}, t)
	}
	if len(examples) > 0 {
		out = append(out, para{line("First failures:")}, list{examples})
	}
	if len(restarts) > 0 {
		out = append(out, para{inline{bold("Plugin restarts:"), txt(" " + strings.Join(restarts, ", "))}})
	}
	return out
}

func moreNumbers(r *results.Results) []block {
	t := table{
		head:  []string{"scorer", "micro", "macro", "tie-calibrated", "Wilson 95% (micro)", "bootstrap SE", "predicted ties", "label ties skipped", "ECE", "logistic slope", "calibration"},
		right: []bool{false, true, true, true, true, true, true, true, true, true, false},
	}
	var strength table
	strength.head = []string{"scorer", "label strength", "accuracy [95% Wilson]", "pairs"}
	strength.right = []bool{false, false, true, true}
	for _, s := range r.Scorers {
		tc, wil, ece, slope, method := results.NotAvailable, results.NotAvailable, results.NotAvailable, results.NotAvailable, ""
		if s.TieCalibrated != nil {
			tc = fmt.Sprintf("%s (ε = %s)", results.Percent(s.TieCalibrated.Accuracy), fmtG(s.TieCalibrated.Epsilon))
		}
		if s.Wilson95 != nil {
			wil = results.Interval(*s.Wilson95)
		}
		if c := s.Calibration; c != nil {
			if c.Error != "" {
				ece = "no fit"
			} else {
				ece, slope, method = fmt.Sprintf("%.3f", c.ECE), fmtG(c.Slope), c.Method
			}
		}
		t.rows = append(t.rows, []inline{
			line(s.Name), line(results.OptPercent(s.MicroAccuracy)), line(results.OptPercent(s.MacroAccuracy)), line(tc), line(wil),
			line(fmt.Sprintf("%.1f pts", 100*s.BootstrapSE)), line(strconv.Itoa(s.NPredictedTies)), line(strconv.Itoa(s.NSkipped)),
			line(ece), line(slope), line(method),
		})
		for _, b := range s.Strength {
			strength.rows = append(strength.rows, []inline{
				line(s.Name), line(fmt.Sprintf("%.2f – %.2f", b.Lo, b.Hi)), line(results.AccuracyCI(b.Accuracy, b.CI95)), line(strconv.Itoa(b.NPairs)),
			})
		}
	}
	out := []block{t}
	for _, s := range r.Scorers {
		for _, u := range s.Undefined {
			out = append(out, para{line(fmt.Sprintf("%s: not defined on this data: %s.", s.Name, u))})
		}
		if c := s.Calibration; c != nil && c.Error != "" && len(s.Undefined) == 0 {
			out = append(out, para{line(fmt.Sprintf("%s: no calibration fit (%s).", s.Name, c.Error))})
		}
	}
	if len(strength.rows) > 0 {
		out = append(out, para{line("Accuracy by label strength (quantile bins):")}, strength)
	}
	return out
}

// fmtG formats a model constant with 4 significant digits.
func fmtG(f float64) string { return strconv.FormatFloat(f, 'g', 4, 64) }

func provenance(r *results.Results) []block {
	ids := table{head: []string{"scorer", "kind", "variant", "version", "fingerprint", "runtime", "provider", "plugin binary (sha256)"}}
	what := table{head: []string{"scorer", "model dir", "formula", "preprocessing", "tokenizer"}}
	var det []inline
	for _, s := range r.Scorers {
		bin := inline{line(results.NotAvailable)[0]}
		if s.PluginSHA256 != "" {
			pin := " (not pinned)"
			if s.PluginPinned {
				pin = " (pinned)"
			}
			bin = inline{code(results.ShortHash(s.PluginSHA256)), txt(pin)}
		}
		ids.rows = append(ids.rows, []inline{line(s.Name), line(s.Kind), line(s.Variant), line(s.Version),
			{code(s.Fingerprint)}, line(s.Runtime), line(s.Provider), bin})
		what.rows = append(what.rows, []inline{line(s.Name), {code(s.ModelDir)}, line(s.Formula), line(s.Preprocess), line(s.Tokenizer)})
		if len(s.Details) > 0 {
			var keys []string
			for k := range s.Details {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			var kv []string
			for _, k := range keys {
				kv = append(kv, k+"="+s.Details[k])
			}
			det = append(det, inline{txt(s.Name + ": "), code(strings.Join(kv, ", "))})
		}
	}
	p := r.Provenance
	commit := p.Commit
	if commit == "" {
		commit = "(not recorded)"
	}
	items := []inline{
		{txt("srbench "), code(p.Srbench), txt(", commit "), code(commit), txt(", "), code(p.GoVersion)},
		line(fmt.Sprintf("Started %s, took %.1f s; %d items from the score cache%s", p.StartedAt, p.Seconds, p.Cached,
			map[bool]string{true: "; finished by srbench resume", false: ""}[p.Resumed])),
		{txt("Results schema version "), code(strconv.Itoa(r.SchemaVersion))},
	}
	if r.Benchmark.Spec != "" {
		items = append(items, inline{txt("Benchmark spec: "), code(r.Benchmark.Spec)})
	}
	out := []block{ids, what}
	if len(det) > 0 {
		out = append(out, list{det})
	}
	out = append(out, list{items})
	if len(p.Command) > 0 {
		out = append(out, para{line("Command line:")}, codeBlock{shellJoin(p.Command)})
	}
	return out
}

// shellJoin quotes args for a POSIX shell where needed.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		safe := a != ""
		for _, r := range a {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r)) {
				safe = false
				break
			}
		}
		if safe {
			q[i] = a
		} else {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}
