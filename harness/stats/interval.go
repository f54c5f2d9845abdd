package stats

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat"
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

// ClopperPearson returns the exact (Clopper–Pearson) interval for successes
// out of n trials at the given level, from Beta quantiles:
//
//	lo = Beta(x, n-x+1).Quantile(α/2)      (0 when x = 0)
//	hi = Beta(x+1, n-x).Quantile(1-α/2)    (1 when x = n)
//
// as statsmodels proportion_confint(method="beta") computes it. It never
// has zero width and always contains successes/n, which makes it the
// fallback for samples too small or too uniform for a bootstrap. Both
// counts must be integers with 0 <= successes <= n and n >= 1.
func ClopperPearson(successes, n int, level float64) (Interval, error) {
	if err := checkLevel(level); err != nil {
		return Interval{}, fmt.Errorf("clopper-pearson interval: %w", err)
	}
	if n < 1 || successes < 0 || successes > n {
		return Interval{}, fmt.Errorf("clopper-pearson interval: %d successes of %d trials, want 0 <= successes <= n and n >= 1", successes, n)
	}
	alpha := 1 - level
	x, nn := float64(successes), float64(n)
	iv := Interval{Lo: 0, Hi: 1, Level: level}
	if successes > 0 {
		iv.Lo = distuv.Beta{Alpha: x, Beta: nn - x + 1}.Quantile(alpha / 2)
	}
	if successes < n {
		iv.Hi = distuv.Beta{Alpha: x + 1, Beta: nn - x}.Quantile(1 - alpha/2)
	}
	return iv, nil
}

// ExactPairedDifference is a confidence interval for the difference
// (aWins - bWins)/n of two scorers compared on the same n pairs, where aWins
// and bWins are the discordant pairs (see McNemar). Given the m = aWins+bWins
// discordant pairs, aWins is Binomial(m, π) and the difference is
// (2π-1)·m/n; the interval maps the Clopper–Pearson interval of π through
// that line. It is the interval that inverts the exact McNemar test: with
// the same level, it excludes 0 exactly when McNemarExact(aWins, bWins) <
// 1-level (up to the Beta quantiles' rounding). With m = 0 it is [0, 0].
// With 0/1 credits the difference is the difference in micro accuracy.
func ExactPairedDifference(aWins, bWins, n int, level float64) (Interval, error) {
	if err := checkLevel(level); err != nil {
		return Interval{}, fmt.Errorf("exact paired interval: %w", err)
	}
	m := aWins + bWins
	if aWins < 0 || bWins < 0 || n < 1 || m > n {
		return Interval{}, fmt.Errorf("exact paired interval: %d and %d discordant of %d pairs, want non-negative counts and aWins+bWins <= n, n >= 1", aWins, bWins, n)
	}
	if m == 0 {
		return Interval{Level: level}, nil
	}
	cp, err := ClopperPearson(aWins, m, level)
	if err != nil {
		return Interval{}, err
	}
	scale := float64(m) / float64(n)
	return Interval{Lo: (2*cp.Lo - 1) * scale, Hi: (2*cp.Hi - 1) * scale, Level: level}, nil
}

// MeanInterval is the mean of a sample, its standard deviation and a
// confidence interval of the mean.
type MeanInterval struct {
	Mean float64
	SD   float64 // sample standard deviation (n-1 in the denominator)
	N    int
	Interval
}

// TInterval returns the mean of xs, their sample standard deviation and the
// two-sided Student-t confidence interval of the mean at level (e.g. 0.95):
//
//	mean ± t_{(1+level)/2, n-1}·sd/√n
//
// as scipy.stats.t.interval(level, n-1, loc=mean, scale=sd/√n) computes it
// (no clipping). It suits a handful of independent repetitions, such as
// training seeds; it needs at least two finite values.
func TInterval(xs []float64, level float64) (MeanInterval, error) {
	n := len(xs)
	if n < 2 {
		return MeanInterval{}, fmt.Errorf("t-interval: %d values, want at least 2", n)
	}
	if err := checkLevel(level); err != nil {
		return MeanInterval{}, fmt.Errorf("t-interval: %w", err)
	}
	for i, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return MeanInterval{}, fmt.Errorf("t-interval: x[%d] = %v, want a finite number", i, x)
		}
	}
	mean, sd := stat.MeanStdDev(xs, nil)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(0.5 + level/2)
	h := t * sd / math.Sqrt(float64(n))
	return MeanInterval{Mean: mean, SD: sd, N: n, Interval: Interval{Lo: mean - h, Hi: mean + h, Level: level}}, nil
}
