package stats

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// UnknownNameError reports a name that is not one of the valid names of its
// kind (a label, a tie policy, an averaging, a preset), with the closest
// valid name when one is close enough.
type UnknownNameError struct {
	Kind       string   // e.g. "prediction-tie policy"
	Name       string   // what was given
	Suggestion string   // closest valid name, or ""
	Valid      []string // all valid names
}

func (e *UnknownNameError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "unknown %s %q", e.Kind, e.Name)
	if e.Suggestion != "" {
		fmt.Fprintf(&b, " (did you mean %q?)", e.Suggestion)
	}
	fmt.Fprintf(&b, "; valid: %s", strings.Join(e.Valid, ", "))
	return b.String()
}

// parseName looks name up (case-insensitively, surrounding space ignored)
// among names, whose index is the value returned.
func parseName(kind, name string, names []string) (int, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for i, v := range names {
		if n == v {
			return i, nil
		}
	}
	return 0, &UnknownNameError{Kind: kind, Name: name, Suggestion: Suggest(n, names), Valid: slices.Clone(names)}
}

// Label is the human preference of a pair. The zero value is invalid so that
// a forgotten label is an error, not a silent "A".
type Label uint8

// Labels.
const (
	LabelA   Label = iota + 1 // image A preferred
	LabelB                    // image B preferred
	LabelTie                  // no preference (e.g. Pick-a-Pic label_0 = 0.5)
)

var labelNames = []string{"a", "b", "tie"}

// String returns "A", "B" or "tie".
func (l Label) String() string {
	switch l {
	case LabelA:
		return "A"
	case LabelB:
		return "B"
	case LabelTie:
		return "tie"
	}
	return "Label(" + strconv.Itoa(int(l)) + ")"
}

func (l Label) valid() bool { return l >= LabelA && l <= LabelTie }

// ParseLabel parses "A", "B" or "tie" (any case).
func ParseLabel(s string) (Label, error) {
	i, err := parseName("label", s, labelNames)
	if err != nil {
		return 0, err
	}
	return Label(i + 1), nil
}

// PredTiePolicy says what a predicted tie earns on a pair whose label is A or B.
// A prediction is a tie when |ScoreA-ScoreB| <= Policy.Epsilon.
type PredTiePolicy uint8

// Prediction-tie policies.
const (
	PredTieWrong   PredTiePolicy = iota // 0 credit: ImageReward test.py, HPSv2 (strict >)
	PredTieCorrect                      // 1 credit: Social Reward validate.py (>=)
	PredTieHalf                         // 0.5 credit: PickScore eval
)

var predTieNames = []string{"wrong", "correct", "half"}

// String returns the policy's name: "wrong", "correct" or "half".
func (p PredTiePolicy) String() string {
	if int(p) < len(predTieNames) {
		return predTieNames[p]
	}
	return "PredTiePolicy(" + strconv.Itoa(int(p)) + ")"
}

// ParsePredTie parses "wrong", "correct" or "half".
func ParsePredTie(s string) (PredTiePolicy, error) {
	i, err := parseName("prediction-tie policy", s, predTieNames)
	return PredTiePolicy(i), err
}

// LabelTiePolicy says what a pair with a tied human label earns.
type LabelTiePolicy uint8

// Label-tie policies.
const (
	// LabelTieSkip leaves the pair out (ImageReward test.py, HPSv2 on the
	// ImageReward test set).
	LabelTieSkip LabelTiePolicy = iota
	// LabelTieHalf is PickScore's calc_score: 1 when the prediction is also a
	// tie, 0.5 otherwise.
	LabelTieHalf
	// LabelTieMatch is acc_23 of Deutsch et al. (2023), used by tie
	// calibration: 1 when the prediction is also a tie, 0 otherwise.
	LabelTieMatch
	// LabelTieCorrect always gives 1 (HPSv2's inversion score on HPDv2: a
	// tied human rank can never be an inversion).
	LabelTieCorrect
)

var labelTieNames = []string{"skip", "half", "match", "correct"}

// String returns the policy's name: "skip", "half", "match" or "correct".
func (p LabelTiePolicy) String() string {
	if int(p) < len(labelTieNames) {
		return labelTieNames[p]
	}
	return "LabelTiePolicy(" + strconv.Itoa(int(p)) + ")"
}

// ParseLabelTie parses "skip", "half", "match" or "correct".
func ParseLabelTie(s string) (LabelTiePolicy, error) {
	i, err := parseName("label-tie policy", s, labelTieNames)
	return LabelTiePolicy(i), err
}

// Averaging says how pair credits become one accuracy.
type Averaging uint8

// Averagings.
const (
	// Micro is the weighted mean over pairs: sum(w*credit)/sum(w).
	Micro Averaging = iota
	// Macro is the micro accuracy of each prompt, then the unweighted mean
	// over prompts that have at least one counted pair.
	Macro
)

var averagingNames = []string{"micro", "macro"}

// String returns "micro" or "macro".
func (a Averaging) String() string {
	if int(a) < len(averagingNames) {
		return averagingNames[a]
	}
	return "Averaging(" + strconv.Itoa(int(a)) + ")"
}

// ParseAveraging parses "micro" or "macro".
func ParseAveraging(s string) (Averaging, error) {
	i, err := parseName("averaging", s, averagingNames)
	return Averaging(i), err
}

// Policy is a complete rule for counting pairwise accuracy. The zero value is
// the strict rule of ImageReward's test.py: predicted ties wrong, label ties
// skipped, micro averaging, exact ties only.
type Policy struct {
	PredTie   PredTiePolicy
	LabelTie  LabelTiePolicy
	Averaging Averaging
	// Epsilon makes |ScoreA-ScoreB| <= Epsilon a predicted tie; 0 means only
	// equal scores tie. It must be >= 0 (+Inf is allowed).
	Epsilon float64
}

// Presets: the way each peer counts, by name (see the package documentation).
var presetNames = []string{"srbench", "socialreward", "pickscore", "imagereward", "hpsv2", "tiecal"}

func presets() []Policy {
	return []Policy{
		{PredTie: PredTieHalf, LabelTie: LabelTieSkip, Averaging: Micro},
		{PredTie: PredTieCorrect, LabelTie: LabelTieSkip, Averaging: Micro},
		{PredTie: PredTieHalf, LabelTie: LabelTieHalf, Averaging: Micro},
		{PredTie: PredTieWrong, LabelTie: LabelTieSkip, Averaging: Micro},
		{PredTie: PredTieWrong, LabelTie: LabelTieSkip, Averaging: Macro},
		{PredTie: PredTieWrong, LabelTie: LabelTieMatch, Averaging: Micro},
	}
}

// PresetNames returns the names ParsePolicy accepts.
func PresetNames() []string { return slices.Clone(presetNames) }

// ParsePolicy returns a counting rule by name: "srbench" (srbench's own
// default: a predicted tie earns half credit, label ties are skipped, micro
// average), or a peer's rule: "socialreward", "pickscore", "imagereward",
// "hpsv2" (HPSv2 on the ImageReward test set) or "tiecal". Presets have Epsilon 0; set PickScore's tuned threshold with
// PickScoreEpsilon and tiecal's with TieCalibrate.
func ParsePolicy(s string) (Policy, error) {
	i, err := parseName("accuracy policy", s, presetNames)
	if err != nil {
		return Policy{}, err
	}
	return presets()[i], nil
}

// String returns the preset name when p is a preset with Epsilon 0, and
// otherwise "pred-tie=…,label-tie=…,averaging=…,epsilon=…".
func (p Policy) String() string {
	if p.Epsilon == 0 {
		for i, q := range presets() {
			if q == p {
				return presetNames[i]
			}
		}
	}
	return fmt.Sprintf("pred-tie=%s,label-tie=%s,averaging=%s,epsilon=%s",
		p.PredTie, p.LabelTie, p.Averaging, strconv.FormatFloat(p.Epsilon, 'g', -1, 64))
}

// Validate reports an out-of-range field.
func (p Policy) Validate() error {
	switch {
	case int(p.PredTie) >= len(predTieNames):
		return fmt.Errorf("policy: field \"PredTie\": %v, want wrong, correct or half", p.PredTie)
	case int(p.LabelTie) >= len(labelTieNames):
		return fmt.Errorf("policy: field \"LabelTie\": %v, want skip, half, match or correct", p.LabelTie)
	case int(p.Averaging) >= len(averagingNames):
		return fmt.Errorf("policy: field \"Averaging\": %v, want micro or macro", p.Averaging)
	case !(p.Epsilon >= 0):
		return fmt.Errorf("policy: field \"Epsilon\": %v, want a number >= 0", p.Epsilon)
	}
	return nil
}

// PickScoreEpsilon converts PickScore's tie threshold t on the two softmax
// probabilities (|p1-p0| <= t is a tie) into the equivalent Epsilon on the
// scores: for two scores, p0-p1 = tanh((s0-s1)/2), so |p1-p0| <= t exactly
// when |s0-s1| <= 2*atanh(t). t = 1 gives +Inf (every pair a tie). Up to
// floating-point rounding at the boundary the two rules agree; PickScore's
// published thresholds are the grid 0, 0.1, …, 1 tuned on validation_unique.
func PickScoreEpsilon(t float64) (float64, error) {
	if !(t >= 0 && t <= 1) {
		return 0, fmt.Errorf("pickscore tie threshold %v: want 0 <= t <= 1", t)
	}
	return 2 * math.Atanh(t), nil
}
