package check

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/srbench/srbench/harness/results"
)

// BaselineJudge is one judge (scorer, or the gallery's ground truth) of a
// leaderboard baseline: the Bradley–Terry strengths its generators must
// keep.
type BaselineJudge struct {
	Name string `json:"name"`
	// Kind is the judge's kind in the leaderboard ("scorer" or "truth";
	// informational).
	Kind string `json:"kind,omitempty"`
	// Fingerprint is the judge's model fingerprint when the baseline was
	// made. A leaderboard whose judge has another one is refused: its
	// strengths measure with other weights.
	Fingerprint string `json:"fingerprint,omitempty"`
	// NFailed is how many images the judge failed on in the baseline
	// leaderboard (0 when omitted); a leaderboard that fails on more fails
	// the gate. NScored is how many it scored (informational; it turns
	// NFailed into a share when the galleries differ).
	NFailed int `json:"n_failed"`
	NScored int `json:"n_scored,omitempty"`
	// Generators are the judge's gated generators.
	Generators []BaselineGenerator `json:"generators"`
}

// BaselineGenerator is one generator's baseline strength under one judge.
type BaselineGenerator struct {
	Name string `json:"name"`
	// Strength is the Bradley–Terry log-strength and SE its bootstrap
	// standard error. Strengths are relative: they sum to 0 over the
	// leaderboard's generators.
	Strength float64 `json:"strength"`
	SE       float64 `json:"se"`
}

type rawJudge struct {
	Name        *string        `json:"name"`
	Kind        string         `json:"kind"`
	Fingerprint string         `json:"fingerprint"`
	NFailed     *int           `json:"n_failed"`
	NScored     *int           `json:"n_scored"`
	Generators  []rawGenerator `json:"generators"`
}

type rawGenerator struct {
	Name     *string  `json:"name"`
	Strength *float64 `json:"strength"`
	SE       *float64 `json:"se"`
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// parseLeaderboardBaseline validates the leaderboard part of a baseline.
func parseLeaderboardBaseline(b *Baseline, raw rawBaseline, bad func(field, format string, args ...any) error) (*Baseline, error) {
	b.GallerySHA256 = raw.GallerySHA256
	if len(raw.Judges) == 0 {
		return nil, bad("judges", "missing or empty; want at least one judge")
	}
	seen := map[string]int{}
	for i, j := range raw.Judges {
		f := func(field string) string { return fmt.Sprintf("judges[%d].%s", i, field) }
		if j.Name == nil || strings.TrimSpace(*j.Name) == "" {
			return nil, bad(f("name"), "missing or empty; want the judge's name")
		}
		if k, dup := seen[*j.Name]; dup {
			return nil, bad(f("name"), "%q is listed twice (also judges[%d])", *j.Name, k)
		}
		seen[*j.Name] = i
		bj := BaselineJudge{Name: *j.Name, Kind: j.Kind, Fingerprint: j.Fingerprint}
		for _, c := range []struct {
			field string
			p     *int
			dst   *int
		}{{"n_failed", j.NFailed, &bj.NFailed}, {"n_scored", j.NScored, &bj.NScored}} {
			if c.p != nil {
				if *c.p < 0 {
					return nil, bad(f(c.field), "%d; want a count >= 0", *c.p)
				}
				*c.dst = *c.p
			}
		}
		if len(j.Generators) == 0 {
			return nil, bad(f("generators"), "missing or empty; want at least one generator")
		}
		gseen := map[string]int{}
		for k, g := range j.Generators {
			gf := func(field string) string { return fmt.Sprintf("judges[%d].generators[%d].%s", i, k, field) }
			if g.Name == nil || strings.TrimSpace(*g.Name) == "" {
				return nil, bad(gf("name"), "missing or empty; want the generator's name")
			}
			if m, dup := gseen[*g.Name]; dup {
				return nil, bad(gf("name"), "%q is listed twice (also generators[%d])", *g.Name, m)
			}
			gseen[*g.Name] = k
			if g.Strength == nil || !finite(*g.Strength) {
				return nil, bad(gf("strength"), "missing; want the Bradley–Terry log-strength, a finite number")
			}
			if g.SE == nil || !finite(*g.SE) || *g.SE < 0 {
				return nil, bad(gf("se"), "missing or invalid; want the strength's standard error, a finite number >= 0")
			}
			bj.Generators = append(bj.Generators, BaselineGenerator{Name: *g.Name, Strength: *g.Strength, SE: *g.SE})
		}
		b.Judges = append(b.Judges, bj)
	}
	return b, nil
}

// UpdateLeaderboard returns the baseline made from lb: every judge with its
// fingerprint, failure count and the strength and standard error of every
// generator on its board, and the leaderboard's benchmark and gallery hash.
// dir is recorded as the baseline's run directory (relative to the baseline
// file). old may be nil; a results baseline is an *InputError (a baseline
// file gates one kind). The notes name added and dropped judges and judges
// with failures (their count becomes the most the gate allows). A generator
// without a defined strength or standard error is an error: it could not be
// gated.
func UpdateLeaderboard(old *Baseline, lb *results.Leaderboard, dir string) (*Baseline, []string, error) {
	if old != nil && !old.IsLeaderboard() {
		return nil, nil, &InputError{File: "baseline", Field: "kind", Err: fmt.Errorf(
			"the baseline is a %s baseline and the directory holds a %s: write the leaderboard baseline to another file (or remove this one)",
			old.kindName(), results.LeaderboardFile)}
	}
	b := &Baseline{Version: BaselineVersion, Kind: KindLeaderboard, Benchmark: lb.Benchmark.Name,
		GallerySHA256: lb.Gallery.SHA256, RunDir: filepath.ToSlash(dir)}
	var notes []string
	inNew := map[string]bool{}
	for i, j := range lb.Judges {
		board := lb.Board(j.Name)
		if board == nil {
			return nil, nil, &InputError{File: results.LeaderboardFile, Field: fmt.Sprintf("judges[%d]", i),
				Err: fmt.Errorf("judge %q has no board", j.Name)}
		}
		bj := BaselineJudge{Name: j.Name, Kind: j.Kind, Fingerprint: j.Fingerprint, NFailed: j.NFailed, NScored: j.NScored}
		for _, g := range board.Generators {
			if !finite(g.Strength.Value) || !finite(g.Strength.SE) {
				return nil, nil, &InputError{File: results.LeaderboardFile, Field: "boards.generators.strength",
					Err: fmt.Errorf("judge %q, generator %q: strength %v ± %v is undefined; a baseline without it would gate nothing", j.Name, g.Generator, g.Strength.Value, g.Strength.SE)}
			}
			bj.Generators = append(bj.Generators, BaselineGenerator{Name: g.Generator, Strength: g.Strength.Value, SE: g.Strength.SE})
		}
		if len(bj.Generators) == 0 {
			return nil, nil, &InputError{File: results.LeaderboardFile, Field: "boards", Err: fmt.Errorf("judge %q ranks no generator", j.Name)}
		}
		if j.NFailed > 0 {
			notes = append(notes, fmt.Sprintf("judge %q failed on %d images in this leaderboard: the baseline allows up to %d", j.Name, j.NFailed, j.NFailed))
		}
		if old != nil && !slices.ContainsFunc(old.Judges, func(o BaselineJudge) bool { return o.Name == j.Name }) {
			notes = append(notes, fmt.Sprintf("added judge %q", j.Name))
		}
		inNew[j.Name] = true
		b.Judges = append(b.Judges, bj)
	}
	if len(b.Judges) == 0 {
		return nil, nil, &InputError{File: results.LeaderboardFile, Field: "judges", Err: fmt.Errorf("no judge; a baseline would gate nothing")}
	}
	if old != nil {
		for _, o := range old.Judges {
			if !inNew[o.Name] {
				notes = append(notes, fmt.Sprintf("dropped judge %q: it is not in the leaderboard", o.Name))
			}
		}
	}
	return b, notes, nil
}

// StrengthOutcome is one (judge, generator) at the leaderboard gate.
type StrengthOutcome struct {
	Judge, Generator string
	// Status is Pass, Regressed (significantly weaker, or no defined
	// strength now), Missing (the generator or its judge is not in the
	// leaderboard) or New (not in the baseline: not gated).
	Status Status
	// Baseline and Current are the Bradley–Terry log-strengths with their
	// standard errors; Change is Current − Baseline.
	Baseline, BaselineSE, Current, CurrentSE, Change float64
	// Z is Change / sqrt(CurrentSE² + BaselineSE²): ±Inf when both
	// standard errors are 0 and the strength changed, 0 when it did not.
	Z float64
	// JudgeMissing: the whole judge is missing from the leaderboard.
	JudgeMissing bool
	// Undefined: the leaderboard has no finite strength or standard error
	// for the generator (a failure).
	Undefined bool
}

// JudgeFailures is a judge's failed images at the leaderboard gate.
type JudgeFailures struct {
	Judge                         string
	BaselineFailed, CurrentFailed int
	// Rose is true when the judge failed on more images than the baseline
	// allows (by count on the same gallery, by share on another): the
	// gate fails.
	Rose bool
}

// LeaderboardOutcome is the leaderboard gate's decision.
type LeaderboardOutcome struct {
	// Pass is true when no row is Missing or Regressed and no judge's
	// failures rose.
	Pass bool
	// Alpha is the one-sided level; ZCrit is z_(1−alpha), the drop in
	// standard errors beyond which a generator fails.
	Alpha, ZCrit float64
	Benchmark    string
	// Rows are the baseline's (judge, generator) pairs in baseline order,
	// then the leaderboard's new ones.
	Rows     []StrengthOutcome
	Failures []JudgeFailures
	Warnings []string
	// RunWarnings are the leaderboard's own warnings (failures, missing
	// cells, regularised fits, ...).
	RunWarnings []results.Warning
}

// Failed returns the rows that fail the gate.
func (o *LeaderboardOutcome) Failed() []StrengthOutcome {
	var f []StrengthOutcome
	for _, r := range o.Rows {
		if r.Status == Regressed || r.Status == Missing {
			f = append(f, r)
		}
	}
	return f
}

// FailuresRose returns the judges whose failures rose.
func (o *LeaderboardOutcome) FailuresRose() []JudgeFailures {
	var f []JudgeFailures
	for _, j := range o.Failures {
		if j.Rose {
			f = append(f, j)
		}
	}
	return f
}

// LeaderboardExitCode is ExitCode for the leaderboard gate: 0 pass, 1
// regression, 2 when the gate could not decide.
func LeaderboardExitCode(o *LeaderboardOutcome, err error) int {
	switch {
	case err != nil || o == nil:
		return 2
	case !o.Pass:
		return 1
	}
	return 0
}

// CheckLeaderboard gates lb (a leaderboard.json of srbench rank) against a
// KindLeaderboard baseline.
//
// The rule: for every judge and every generator of that judge in the
// baseline, with β the generator's Bradley–Terry log-strength and SE its
// bootstrap standard error,
//
//	z = (β_now − β_base) / sqrt(SE_now² + SE_base²)
//
// and the generator fails when z < −z_(1−alpha), a one-sided test of "it
// got weaker" at level alpha (opts.Alpha, default 0.05: z < −1.645). The
// two leaderboards' bootstraps are independent, so the variances add. A
// generator also fails when it, or its judge, is missing from lb, or when lb
// gives it no finite strength. A rise never fails. Each (judge, generator)
// is tested at alpha on its own (no multiplicity correction: with many
// generators and judges, expect a chance failure in about alpha of them).
//
// Strengths are relative: they sum to 0 over the generators of the
// leaderboard, so β measures a generator against the field. A generator
// added to the leaderboard, or one that got much better, lowers everyone
// else's β; a warning says when the generator sets differ.
//
// A judge fails (every row stays as computed) when it failed on more images
// than in the baseline: by count on the same gallery, by share of images on
// another; the leaderboard's own warnings are carried to the summary.
//
// Refused (an *InputError, exit status 2): a baseline of results kind; a
// leaderboard of another gallery (sha256) than the baseline's unless
// opts.AllowDatasetChange (then compared with a warning); a judge whose
// model fingerprint differs from the baseline's (its strengths would be of
// another model's judgement: update the baseline when the change is meant).
func CheckLeaderboard(b *Baseline, lb *results.Leaderboard, opts Options) (*LeaderboardOutcome, error) {
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
		rfile = results.LeaderboardFile
	}
	if !b.IsLeaderboard() {
		return nil, &InputError{File: bfile, Field: "kind", Err: fmt.Errorf(
			"a %s baseline cannot check %s (a leaderboard): check a run directory (results.json) against it, or make a leaderboard baseline with --update-baseline",
			b.kindName(), rfile)}
	}
	o := &LeaderboardOutcome{Alpha: alpha, ZCrit: distuv.UnitNormal.Quantile(1 - alpha), Benchmark: lb.Benchmark.Name, RunWarnings: lb.Warnings}
	if b.Benchmark != "" && b.Benchmark != lb.Benchmark.Name {
		o.Warnings = append(o.Warnings, fmt.Sprintf("the baseline is of benchmark %q, the leaderboard of %q", b.Benchmark, lb.Benchmark.Name))
	}
	sameData := b.GallerySHA256 == "" || b.GallerySHA256 == lb.Gallery.SHA256
	if !sameData {
		if !opts.AllowDatasetChange {
			return nil, &InputError{File: rfile, Field: "gallery.sha256", Err: fmt.Errorf(
				"the leaderboard's gallery (sha256 %s) is not the baseline's (%s in %s): strengths on different galleries are not comparable; "+
					"rank the baseline's gallery, update the baseline, or pass --allow-dataset-change to compare anyway",
				short(lb.Gallery.SHA256), short(b.GallerySHA256), bfile)}
		}
		o.Warnings = append(o.Warnings, fmt.Sprintf("the leaderboard's gallery (sha256 %s) is not the baseline's (%s): strengths are compared (--allow-dataset-change), failures by share of images",
			short(lb.Gallery.SHA256), short(b.GallerySHA256)))
	}
	judges := map[string]results.Judge{}
	for _, j := range lb.Judges {
		judges[j.Name] = j
	}
	for i, bj := range b.Judges {
		j, ok := judges[bj.Name]
		if ok && bj.Fingerprint != "" && bj.Fingerprint != j.Fingerprint {
			return nil, &InputError{File: rfile, Field: fmt.Sprintf("judges[%q].fingerprint", bj.Name), Err: fmt.Errorf(
				"judge %q has model fingerprint %s, the baseline's (judges[%d] in %s) is %s: its strengths are another model's judgement and are not comparable; "+
					"run the baseline's model, or update the baseline if the new weights are meant",
				bj.Name, short(j.Fingerprint), i, bfile, short(bj.Fingerprint))}
		}
	}

	inBase := map[string]bool{}
	for _, bj := range b.Judges {
		inBase[bj.Name] = true
		j, ok := judges[bj.Name]
		board := lb.Board(bj.Name)
		if !ok || board == nil {
			for _, g := range bj.Generators {
				o.Rows = append(o.Rows, StrengthOutcome{Judge: bj.Name, Generator: g.Name, Status: Missing, JudgeMissing: true,
					Baseline: g.Strength, BaselineSE: g.SE, Current: math.NaN(), CurrentSE: math.NaN(), Change: math.NaN(), Z: math.NaN()})
			}
			continue
		}
		jf := JudgeFailures{Judge: bj.Name, BaselineFailed: bj.NFailed, CurrentFailed: j.NFailed}
		jf.Rose = judgeFailuresRose(bj, j, sameData)
		if jf.Rose || j.NFailed > 0 {
			o.Failures = append(o.Failures, jf)
		}
		rows := map[string]results.GeneratorRow{}
		for _, g := range board.Generators {
			rows[g.Generator] = g
		}
		gInBase := map[string]bool{}
		for _, g := range bj.Generators {
			gInBase[g.Name] = true
			so := StrengthOutcome{Judge: bj.Name, Generator: g.Name, Baseline: g.Strength, BaselineSE: g.SE}
			r, ok := rows[g.Name]
			if !ok {
				so.Status, so.Current, so.CurrentSE, so.Change, so.Z = Missing, math.NaN(), math.NaN(), math.NaN(), math.NaN()
				o.Rows = append(o.Rows, so)
				continue
			}
			so.Current, so.CurrentSE = r.Strength.Value, r.Strength.SE
			so.Change = so.Current - so.Baseline
			if !finite(so.Current) || !finite(so.CurrentSE) {
				so.Undefined, so.Z, so.Status = true, math.NaN(), Regressed
			} else {
				so.Z = strengthZ(so.Change, so.CurrentSE, so.BaselineSE)
				so.Status = Pass
				if so.Z < -o.ZCrit {
					so.Status = Regressed
				}
			}
			o.Rows = append(o.Rows, so)
		}
		var added, dropped []string
		for _, r := range board.Generators {
			if !gInBase[r.Generator] {
				added = append(added, r.Generator)
				o.Rows = append(o.Rows, StrengthOutcome{Judge: bj.Name, Generator: r.Generator, Status: New, Baseline: math.NaN(), BaselineSE: math.NaN(),
					Current: r.Strength.Value, CurrentSE: r.Strength.SE, Change: math.NaN(), Z: math.NaN()})
			}
		}
		for _, g := range bj.Generators {
			if _, ok := rows[g.Name]; !ok {
				dropped = append(dropped, g.Name)
			}
		}
		if len(added) > 0 || len(dropped) > 0 {
			w := fmt.Sprintf("%s: the generators differ from the baseline's", bj.Name)
			if len(added) > 0 {
				w += " (new: " + strings.Join(added, ", ") + ")"
			}
			if len(dropped) > 0 {
				w += " (gone: " + strings.Join(dropped, ", ") + ")"
			}
			o.Warnings = append(o.Warnings, w+"; strengths are relative to the field (they sum to 0), so every generator's strength moves with it")
		}
	}
	for _, j := range lb.Judges {
		if inBase[j.Name] {
			continue
		}
		if board := lb.Board(j.Name); board != nil {
			for _, r := range board.Generators {
				o.Rows = append(o.Rows, StrengthOutcome{Judge: j.Name, Generator: r.Generator, Status: New, Baseline: math.NaN(), BaselineSE: math.NaN(),
					Current: r.Strength.Value, CurrentSE: r.Strength.SE, Change: math.NaN(), Z: math.NaN()})
			}
		}
	}
	o.Pass = len(o.Failed()) == 0 && len(o.FailuresRose()) == 0
	return o, nil
}

// strengthZ is change / sqrt(se1² + se2²); with both standard errors 0 it
// is 0 for no change (within floating-point slack) and ±Inf otherwise.
func strengthZ(change, se1, se2 float64) float64 {
	den := math.Hypot(se1, se2)
	if den == 0 {
		switch {
		case math.Abs(change) <= slack:
			return 0
		case change < 0:
			return math.Inf(-1)
		}
		return math.Inf(1)
	}
	return change / den
}

// judgeFailuresRose reports whether the leaderboard's judge failed on more
// images than its baseline: by count on the same gallery, by share on
// another.
func judgeFailuresRose(b BaselineJudge, j results.Judge, sameData bool) bool {
	if j.NFailed <= b.NFailed {
		return false
	}
	if sameData || b.NScored == 0 {
		return true
	}
	rate := func(failed, scored int) float64 { return float64(failed) / float64(failed+scored) }
	return rate(j.NFailed, j.NScored) > rate(b.NFailed, b.NScored)+slack
}

// strength formats a strength with its standard error.
func strength(v, se float64) string {
	if !finite(v) {
		return "n/a"
	}
	if !finite(se) {
		return fmt.Sprintf("%+.3f ± n/a", v)
	}
	return fmt.Sprintf("%+.3f ± %.3f", v, se)
}

func zString(z float64) string {
	switch {
	case math.IsNaN(z):
		return "—"
	case math.IsInf(z, -1):
		return "−∞"
	case math.IsInf(z, 1):
		return "+∞"
	}
	return fmt.Sprintf("%+.2f", z)
}

// Message says in one line what the gate found for the row.
func (r StrengthOutcome) Message(zcrit float64) string {
	who := fmt.Sprintf("judge %s, generator %s", r.Judge, r.Generator)
	switch {
	case r.Status == New:
		return fmt.Sprintf("%s: strength %s, not in the baseline (not gated)", who, strength(r.Current, r.CurrentSE))
	case r.JudgeMissing:
		return fmt.Sprintf("%s: the judge is in the baseline but not in the leaderboard (baseline strength %s)", who, strength(r.Baseline, r.BaselineSE))
	case r.Status == Missing:
		return fmt.Sprintf("%s: in the baseline (strength %s) but not in the leaderboard", who, strength(r.Baseline, r.BaselineSE))
	case r.Undefined:
		return fmt.Sprintf("%s: strength %s is undefined, baseline %s", who, strength(r.Current, r.CurrentSE), strength(r.Baseline, r.BaselineSE))
	}
	msg := fmt.Sprintf("%s: strength %s, baseline %s: change %+.3f, z = %s", who, strength(r.Current, r.CurrentSE), strength(r.Baseline, r.BaselineSE), r.Change, zString(r.Z))
	if r.Status == Regressed {
		return msg + fmt.Sprintf(", below −%.3f: significantly weaker", zcrit)
	}
	return msg + fmt.Sprintf(" (fails below −%.3f)", zcrit)
}

// Markdown is the leaderboard gate's summary: the verdict, the leaderboard's
// warnings, a table (judge, generator, baseline strength, now, z, verdict)
// and the failures in words.
func (o *LeaderboardOutcome) Markdown() string {
	var b strings.Builder
	verdict := "✅ pass"
	if !o.Pass {
		gated := 0
		for _, r := range o.Rows {
			if r.Status != New {
				gated++
			}
		}
		verdict = fmt.Sprintf("❌ regression (%d of %d judge × generator strengths", len(o.Failed()), gated)
		if n := len(o.FailuresRose()); n > 0 {
			verdict += fmt.Sprintf("; failures rose for %d judge(s)", n)
		}
		verdict += ")"
	}
	fmt.Fprintf(&b, "## srbench check: %s\n\n", verdict)
	if len(o.RunWarnings) > 0 {
		b.WriteString("> [!WARNING]\n")
		for _, w := range o.RunWarnings {
			who := ""
			if w.Scorer != "" {
				who = "**" + mdEscape.Replace(w.Scorer) + "**: "
			}
			b.WriteString("> - " + who + mdEscape.Replace(w.Message) + "\n")
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "Leaderboard `%s`. Bradley–Terry log-strengths ± bootstrap SE (relative: they sum to 0 over the generators); "+
		"z = (now − baseline) / √(SE_now² + SE_base²); a generator fails when z < −%.3f (one-sided, alpha %v).\n\n", o.Benchmark, o.ZCrit, o.Alpha)
	b.WriteString("| judge | generator | baseline strength | now | z | verdict |\n")
	b.WriteString("| --- | --- | ---: | ---: | ---: | --- |\n")
	for _, r := range o.Rows {
		verdict := string(r.Status)
		if r.Status == Regressed || r.Status == Missing {
			verdict = "**" + verdict + "**"
		}
		if r.JudgeMissing {
			verdict += " (judge)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", mdEscape.Replace(r.Judge), mdEscape.Replace(r.Generator),
			strength(r.Baseline, r.BaselineSE), strength(r.Current, r.CurrentSE), zString(r.Z), verdict)
	}
	if len(o.Failures) > 0 {
		b.WriteString("\n| judge | failed images (baseline → now) | result |\n| --- | ---: | --- |\n")
		for _, j := range o.Failures {
			res := "allowed"
			if j.Rose {
				res = "**failures rose**"
			}
			fmt.Fprintf(&b, "| %s | %d → %d | %s |\n", mdEscape.Replace(j.Judge), j.BaselineFailed, j.CurrentFailed, res)
		}
	}
	f, fr := o.Failed(), o.FailuresRose()
	if len(f) > 0 || len(fr) > 0 {
		b.WriteString("\n**Failures**\n\n")
		for _, r := range f {
			b.WriteString("- " + mdEscape.Replace(r.Message(o.ZCrit)) + "\n")
		}
		for _, j := range fr {
			b.WriteString("- " + mdEscape.Replace(j.Message()) + "\n")
		}
	}
	if len(o.Warnings) > 0 {
		b.WriteString("\n**Warnings**\n\n")
		for _, w := range o.Warnings {
			b.WriteString("- " + mdEscape.Replace(w) + "\n")
		}
	}
	return b.String()
}

// Message says what the judge's failures are.
func (j JudgeFailures) Message() string {
	if j.Rose {
		return fmt.Sprintf("judge %s: failed on %d images, the baseline on %d: failures rose", j.Judge, j.CurrentFailed, j.BaselineFailed)
	}
	return fmt.Sprintf("judge %s: failed on %d images (the baseline allows %d)", j.Judge, j.CurrentFailed, j.BaselineFailed)
}

// JUnit writes the outcome as JUnit XML: one test case per (judge,
// generator), classname by judge, a failure for a regressed or missing one,
// skipped for one not in the baseline; and a failing case per judge whose
// failures rose.
func (o *LeaderboardOutcome) JUnit(w io.Writer) error {
	suite := junitSuite{Name: "srbench check: " + o.Benchmark}
	for _, r := range o.Rows {
		c := junitCase{Name: r.Generator, Classname: "srbench.check." + o.Benchmark + "." + r.Judge}
		msg := r.Message(o.ZCrit)
		switch r.Status {
		case Regressed, Missing:
			c.Failure = &junitMessage{Message: msg, Type: string(r.Status), Text: msg}
			suite.Failures++
		case New:
			c.Skipped = &junitMessage{Message: "not in the baseline"}
			suite.Skipped++
		default:
			c.SystemOut = msg
		}
		suite.Cases = append(suite.Cases, c)
		suite.Tests++
	}
	for _, j := range o.FailuresRose() {
		suite.Cases = append(suite.Cases, junitCase{Name: "failures", Classname: "srbench.check." + o.Benchmark + "." + j.Judge,
			Failure: &junitMessage{Message: j.Message(), Type: "failures", Text: j.Message()}})
		suite.Tests++
		suite.Failures++
	}
	doc := junitSuites{Name: "srbench check", Tests: suite.Tests, Failures: suite.Failures, Suites: []junitSuite{suite}}
	return writeJUnit(w, doc)
}
