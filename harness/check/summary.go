package check

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/srbench/srbench/harness/results"
)

// points formats a proportion as percentage points with one decimal.
func points(x float64) string { return fmt.Sprintf("%.1f", 100*x) }

// Message says in one line what the gate found for s: for a failure, the
// scorer, the drop and the p-value.
func (s ScorerOutcome) Message() string {
	switch s.Status {
	case Missing:
		return fmt.Sprintf("%s: in the baseline (%s) but not in the run", s.Name, results.Percent(s.Baseline))
	case New:
		if s.NoAccuracy {
			return fmt.Sprintf("%s: n/a (no pair counted, %d failed), not in the baseline (not gated)", s.Name, s.CurrentFailed)
		}
		return fmt.Sprintf("%s: %s, not in the baseline (not gated)", s.Name, results.Percent(s.Current))
	}
	var b strings.Builder
	if s.NoAccuracy {
		fmt.Fprintf(&b, "%s: accuracy n/a: no pair counted (failed on %d pairs), baseline %s", s.Name, s.CurrentFailed, results.Percent(s.Baseline))
		return b.String()
	}
	fmt.Fprintf(&b, "%s: accuracy %s on %d pairs, baseline %s: ", s.Name, results.Percent(s.Current), s.CurrentPairs, results.Percent(s.Baseline))
	switch {
	case s.Drop > 0:
		fmt.Fprintf(&b, "%s points lower", points(s.Drop))
	case s.Drop < 0:
		fmt.Fprintf(&b, "%s points higher", points(-s.Drop))
	default:
		b.WriteString("unchanged")
	}
	if s.BeyondTolerance {
		fmt.Fprintf(&b, ", beyond the tolerance of %s points", points(s.Tolerance))
	} else {
		fmt.Fprintf(&b, " (tolerance %s points)", points(s.Tolerance))
	}
	if s.FailuresRose {
		fmt.Fprintf(&b, "; failed on %d pairs, the baseline on %d: failures rose", s.CurrentFailed, s.BaselineFailed)
	} else if s.CurrentFailed > 0 {
		fmt.Fprintf(&b, "; failed on %d pairs (the baseline allows %d)", s.CurrentFailed, s.BaselineFailed)
	}
	if t := s.Paired; t != nil {
		fmt.Fprintf(&b, "; paired test on the %d pairs both runs scored", t.N)
		if t.LeftOut > 0 {
			fmt.Fprintf(&b, " (%d shared pairs left out: failed in either run or a skipped tied label)", t.LeftOut)
		}
		fmt.Fprintf(&b, ": baseline better on %d, current better on %d, one-sided McNemar p = %s",
			t.BaselineBetter, t.CurrentBetter, results.PValue(t.P))
		if t.PHolm != t.P {
			fmt.Fprintf(&b, " (Holm %s)", results.PValue(t.PHolm))
		}
		if t.Worse {
			b.WriteString(", significantly worse")
		}
	} else {
		b.WriteString("; no paired test")
	}
	return b.String()
}

// ExitCode is the CLI's exit status: 0 pass, 1 regression, 2 when the gate
// could not decide (err != nil: unusable input or I/O error).
func ExitCode(o *Outcome, err error) int {
	switch {
	case err != nil || o == nil:
		return 2
	case !o.Pass:
		return 1
	}
	return 0
}

// mdEscape keeps names from breaking a Markdown table or becoming HTML.
var mdEscape = strings.NewReplacer(`\`, `\\`, "|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;")

// Markdown is the gate's summary for a pull request or a GitHub Actions step
// summary: the verdict, a table of scorers and the failures in words.
func (o *Outcome) Markdown() string {
	var b strings.Builder
	verdict := "✅ pass"
	if !o.Pass {
		verdict = fmt.Sprintf("❌ regression (%d of %d scorers)", len(o.Failed()), o.gated())
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
	fmt.Fprintf(&b, "Benchmark `%s`, policy `%s`. ", o.Benchmark, o.Policy.Name)
	if o.PairedNote == "" {
		fmt.Fprintf(&b, "Paired test: exact one-sided McNemar on the pairs both runs scored (of the %d pairs they share), Holm-adjusted over the scorers, alpha %v.\n\n", o.PairedN, o.Alpha)
	} else {
		fmt.Fprintf(&b, "Paired test skipped: %s.\n\n", mdEscape.Replace(o.PairedNote))
	}
	b.WriteString("| scorer | baseline | current | change (points) | tolerance (points) | failed pairs (baseline → run) | paired test | result |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |\n")
	for _, s := range o.Scorers {
		base, cur, change, tol, failed, paired := "—", "—", "—", "—", "—", "—"
		if s.Status != New {
			base, tol = results.Percent(s.Baseline), points(s.Tolerance)
		}
		if s.Status != Missing {
			cur = results.Percent(s.Current)
			if s.NoAccuracy {
				cur = "n/a"
			}
			failed = fmt.Sprintf("%d → %d", s.BaselineFailed, s.CurrentFailed)
			if s.Status == New {
				failed = fmt.Sprintf("%d", s.CurrentFailed)
			}
			if s.FailuresRose {
				failed = "**" + failed + "**"
			}
		}
		if (s.Status == Pass || s.Status == Regressed) && !s.NoAccuracy {
			change = results.Points(-s.Drop)
		}
		if t := s.Paired; t != nil {
			paired = fmt.Sprintf("on %d pairs: %d worse, %d better; p = %s", t.N, t.BaselineBetter, t.CurrentBetter, results.PValue(t.P))
		}
		result := string(s.Status)
		if s.Status == Regressed || s.Status == Missing {
			result = "**" + result + "**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", mdEscape.Replace(s.Name), base, cur, change, tol, failed, paired, result)
	}
	if f := o.Failed(); len(f) > 0 {
		b.WriteString("\n**Failures**\n\n")
		for _, s := range f {
			b.WriteString("- " + mdEscape.Replace(s.Message()) + "\n")
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

func (o *Outcome) gated() int {
	n := 0
	for _, s := range o.Scorers {
		if s.Status != New {
			n++
		}
	}
	return n
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// JUnit writes the outcome as JUnit XML: one test case per scorer, a failure
// for a regressed or missing scorer (its message has the drop and the
// p-value), skipped for a scorer not in the baseline.
func (o *Outcome) JUnit(w io.Writer) error {
	suite := junitSuite{Name: "srbench check: " + o.Benchmark}
	for _, s := range o.Scorers {
		c := junitCase{Name: s.Name, Classname: "srbench.check." + o.Benchmark}
		switch s.Status {
		case Regressed, Missing:
			c.Failure = &junitMessage{Message: s.Message(), Type: string(s.Status), Text: s.Message()}
			suite.Failures++
		case New:
			c.Skipped = &junitMessage{Message: "not in the baseline"}
			suite.Skipped++
		default:
			c.SystemOut = s.Message()
		}
		suite.Cases = append(suite.Cases, c)
		suite.Tests++
	}
	doc := junitSuites{Name: "srbench check", Tests: suite.Tests, Failures: suite.Failures, Suites: []junitSuite{suite}}
	return writeJUnit(w, doc)
}

// writeJUnit writes doc as an indented JUnit XML document.
func writeJUnit(w io.Writer, doc junitSuites) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
