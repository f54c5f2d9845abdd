package stats

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Interval is a two-sided confidence interval.
type Interval struct {
	Lo, Hi float64
	Level  float64 // e.g. 0.95
}

func checkLevel(level float64) error {
	if !(level > 0 && level < 1) {
		return fmt.Errorf("confidence level %v: want 0 < level < 1", level)
	}
	return nil
}

// Wilson returns the Wilson score interval for successes out of n trials at
// the given confidence level, with z the standard normal quantile at
// 1-(1-level)/2:
//
//	center = (p + z²/2n) / (1 + z²/n)
//	half   = z·sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n),   p = successes/n
//
// exactly as statsmodels proportion_confint(method="wilson") computes it (no
// clipping to [0, 1], no continuity correction). successes may be
// fractional (half credit for ties); 0 <= successes <= n is required.
func Wilson(successes, n, level float64) (Interval, error) {
	if err := checkLevel(level); err != nil {
		return Interval{}, fmt.Errorf("wilson interval: %w", err)
	}
	if !(n > 0) || math.IsInf(n, 0) {
		return Interval{}, fmt.Errorf("wilson interval: n = %v, want a finite number > 0", n)
	}
	if !(successes >= 0 && successes <= n) {
		return Interval{}, fmt.Errorf("wilson interval: successes = %v, want 0 <= successes <= n = %v", successes, n)
	}
	alpha := 1 - level
	z := distuv.UnitNormal.Quantile(1 - alpha/2)
	q := successes / n
	z2 := z * z
	denom := 1 + z2/n
	center := (q + z2/(2*n)) / denom
	dist := z * math.Sqrt(q*(1-q)/n+z2/(4*n*n))
	dist /= denom
	return Interval{Lo: center - dist, Hi: center + dist, Level: level}, nil
}
