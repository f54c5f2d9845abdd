package bench

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/srbench/srbench/harness/results"
)

// FailureLimit is how many failed pairs a scorer may have before a run is
// refused (srbench run --max-failures): a count, or a share of the pairs.
// The zero value allows none.
type FailureLimit struct {
	// Count is the most failed pairs allowed when Share is false.
	Count int
	// Share, when true, makes Rate the most allowed share of a scorer's
	// pairs (failed / (counted + failed + skipped)).
	Share bool
	Rate  float64
}

// ExitFailures is the exit status of a run that finished and was written
// but in which a scorer failed on more pairs than its FailureLimit allows.
const ExitFailures = 3

// ParseFailureLimit parses "N" (a count of pairs, N >= 0) or "P%" (a share
// of each scorer's pairs, 0 <= P <= 100).
func ParseFailureLimit(s string) (FailureLimit, error) {
	t := strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(t, "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || !(v >= 0 && v <= 100) {
			return FailureLimit{}, fmt.Errorf("--max-failures %q: want a percentage between 0%% and 100%%, e.g. 1%%", s)
		}
		return FailureLimit{Share: true, Rate: v / 100}, nil
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 0 {
		return FailureLimit{}, fmt.Errorf("--max-failures %q: want a count of pairs >= 0 (e.g. 0 or 5) or a percentage (e.g. 1%%)", s)
	}
	return FailureLimit{Count: n}, nil
}

// String is the limit as ParseFailureLimit reads it.
func (l FailureLimit) String() string {
	if l.Share {
		return strconv.FormatFloat(100*l.Rate, 'g', -1, 64) + "%"
	}
	return strconv.Itoa(l.Count)
}

// Exceeded lists, one line each, the scorers of res that failed on more
// pairs than l allows; nil when none did.
func (l FailureLimit) Exceeded(res *results.Results) []string {
	var out []string
	for _, s := range res.Scorers {
		total := s.NPairs + s.NFailed + s.NSkipped
		if s.NFailed == 0 || total == 0 {
			continue
		}
		share := float64(s.NFailed) / float64(total)
		over := s.NFailed > l.Count
		if l.Share {
			over = share > l.Rate
		}
		if over {
			out = append(out, fmt.Sprintf("%s failed on %d of %d pairs (%s)", s.Name, s.NFailed, total, results.Percent(share)))
		}
	}
	return out
}
