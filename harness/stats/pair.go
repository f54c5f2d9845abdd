package stats

import (
	"fmt"
	"math"
)

// Pair is one scorer's outcome on one human-labelled pair of images.
type Pair struct {
	// PromptID groups pairs for macro averaging and for the cluster
	// bootstrap. Pairs with the same PromptID belong to one prompt; "" is a
	// prompt like any other.
	PromptID string
	// Label is the human preference.
	Label Label
	// ScoreA and ScoreB are the scorer's scores of the two images (higher is
	// better). They must be finite.
	ScoreA, ScoreB float64
	// Weight is the pair's weight; 0 means 1. It must be finite and >= 0.
	Weight float64
	// Strength is an optional label strength (e.g. remix ratio, annotator
	// agreement); NaN means none. Only AccuracyByStrength reads it.
	Strength float64
	// Grouped is the source's promise that it delivers its pairs grouped
	// by prompt: all pairs of one prompt one after another (in any order
	// of prompts), so that a new PromptID ends the previous prompt for
	// good. A source sets it on every pair or on none. The per-prompt
	// statistics of a grouped source ([AccuracyOf], [TieCalibrateOf] with
	// micro averaging, [AccuracyByStrengthOf]) then keep the open prompt's
	// sums only, not a map of prompt ids, and give exactly the same
	// results; a prompt that comes back after another one is counted as a
	// new prompt. [Grouped] marks a source; srbench's analysis of 100,000
	// prompts or more sorts its pairs by prompt and sets it.
	Grouped bool
}

// weight returns the effective weight (0 means 1).
func (p Pair) weight() float64 {
	if p.Weight == 0 {
		return 1
	}
	return p.Weight
}

// check validates one pair; i is its index, for the message.
func (p Pair) check(i int) error {
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("pair %d (prompt %q): field %q: %v, want %s", i, p.PromptID, field, v, want)
	}
	switch {
	case !p.Label.valid():
		return bad("Label", p.Label, "A, B or tie")
	case math.IsNaN(p.ScoreA) || math.IsInf(p.ScoreA, 0):
		return bad("ScoreA", p.ScoreA, "a finite number")
	case math.IsNaN(p.ScoreB) || math.IsInf(p.ScoreB, 0):
		return bad("ScoreB", p.ScoreB, "a finite number")
	case !(p.Weight >= 0) || math.IsInf(p.Weight, 0):
		return bad("Weight", p.Weight, "a finite number >= 0")
	}
	return nil
}

// Credit returns what pair p earns under pol and whether it counts at all
// (false only for a label tie under LabelTieSkip). The table:
//
//	label A/B, prediction agrees (|d| > eps, same side)  1
//	label A/B, prediction disagrees                       0
//	label A/B, prediction tie (|d| <= eps)                PredTie: wrong 0, correct 1, half 0.5
//	label tie                                             LabelTie: skip –, correct 1,
//	                                                      half 1 if predicted tie else 0.5,
//	                                                      match 1 if predicted tie else 0
//
// where d = ScoreA-ScoreB and eps = pol.Epsilon. Credit does not validate p.
func Credit(p Pair, pol Policy) (credit float64, counted bool) {
	d := p.ScoreA - p.ScoreB
	predTie := math.Abs(d) <= pol.Epsilon
	if p.Label == LabelTie {
		switch pol.LabelTie {
		case LabelTieSkip:
			return 0, false
		case LabelTieCorrect:
			return 1, true
		case LabelTieHalf:
			if predTie {
				return 1, true
			}
			return 0.5, true
		default: // LabelTieMatch
			if predTie {
				return 1, true
			}
			return 0, true
		}
	}
	if predTie {
		switch pol.PredTie {
		case PredTieCorrect:
			return 1, true
		case PredTieHalf:
			return 0.5, true
		default:
			return 0, true
		}
	}
	if (d > 0) == (p.Label == LabelA) {
		return 1, true
	}
	return 0, true
}
