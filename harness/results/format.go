package results

import (
	"fmt"
	"math"
	"strings"
)

// Numbers in reports are formatted by these functions only, so that a
// report, a CI summary and a figure label say the same thing the same way.

// Percent formats a proportion as a percentage with one decimal:
// 0.6974 → "69.7%".
func Percent(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) }

// Interval formats an interval of proportions in percent, one decimal, without
// the % sign: [0.6612, 0.7304] → "[66.1, 73.0]".
func Interval(ci [2]float64) string {
	return fmt.Sprintf("[%.1f, %.1f]", 100*ci[0], 100*ci[1])
}

// AccuracyCI formats an accuracy with its interval: "69.7% [66.1, 73.0]".
func AccuracyCI(acc float64, ci [2]float64) string {
	return Percent(acc) + " " + Interval(ci)
}

// NotAvailable is how an undefined number is shown.
const NotAvailable = "n/a"

// ScorerAccuracy formats a scorer's accuracy with its interval, "n/a (no
// pair counted)" when it is undefined, and a dagger when the interval is not
// the bootstrap's (see ScorerResult.CIMethod).
func ScorerAccuracy(s ScorerResult) string {
	acc, ok := s.Acc()
	if !ok {
		return NotAvailable + " (no pair counted)"
	}
	ci := [2]float64{}
	if s.CI95 != nil {
		ci = *s.CI95
	}
	out := AccuracyCI(acc, ci)
	if s.CIMethod != "" && !IsBootstrap(s.CIMethod) {
		out += "†"
	}
	return out
}

// OptPercent formats an optional proportion: Percent, or "n/a" for nil.
func OptPercent(x *float64) string {
	if x == nil {
		return NotAvailable
	}
	return Percent(*x)
}

// Points formats a difference of proportions in percentage points, one
// decimal, always signed: 0.041 → "+4.1", -0.0123 → "-1.2", and a difference
// that rounds to zero → "0.0".
func Points(d float64) string {
	s := fmt.Sprintf("%+.1f", 100*d)
	if s == "+0.0" || s == "-0.0" {
		return "0.0"
	}
	return s
}

// PointsInterval formats an interval of differences in signed points:
// "[+1.2, +7.9]".
func PointsInterval(ci [2]float64) string {
	return "[" + Points(ci[0]) + ", " + Points(ci[1]) + "]"
}

// PValue formats a p-value: "<0.0001" below 0.0001, three significant digits
// below 0.1 ("0.0287", "0.00223"), two decimals from 0.1 on ("0.59", "1.00").
func PValue(p float64) string {
	switch {
	case math.IsNaN(p):
		return "n/a"
	case p < 0.0001:
		return "<0.0001"
	case p < 0.1:
		return fmt.Sprintf("%#.3g", p)
	}
	return fmt.Sprintf("%.2f", p)
}

// Verdict says in words what a paired comparison shows at level alpha:
// "A > B, significant" when the Holm-adjusted p-value is below alpha (A being
// the scorer right on more of the discordant pairs, which is what the
// McNemar test weighs), and "no significant difference" otherwise.
func Verdict(c Comparison, alpha float64) string {
	if !(c.PHolm < alpha) || c.AWins == c.BWins {
		return "no significant difference"
	}
	if c.AWins > c.BWins {
		return c.A + " > " + c.B + ", significant"
	}
	return c.B + " > " + c.A + ", significant"
}

// ShortHash shortens a "sha256:…" or hex fingerprint for tables: the first 12
// hex digits and an ellipsis.
func ShortHash(h string) string {
	prefix := ""
	if i := strings.IndexByte(h, ':'); i >= 0 {
		prefix, h = h[:i+1], h[i+1:]
	}
	if len(h) <= 12 {
		return prefix + h
	}
	return prefix + h[:12] + "…"
}
