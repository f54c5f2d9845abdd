package report

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/srbench/srbench/harness/results"
	"github.com/srbench/srbench/internal/plotstyle"
)

// Figure is one chart of a report: a named recipe that turns a run into a
// Chart. The report draws the figures of Options.Figures in order, writes
// each as plots/NAME.svg and plots/NAME.png, and shows it with its title and
// caption. DefaultFigures are the benchmark's figures; a later stage adds its
// own (learning curves, ablation bars, data-scaling curves) by appending to
// that list:
//
//	figs := append(report.DefaultFigures(), trainFigures...)
//	err := report.Write(dir, report.Options{Figures: figs})
type Figure struct {
	// Name is the file stem under plots/: lower-case letters, digits and
	// '-', unique within a report.
	Name string
	// Title heads the figure in the report; Caption says how to read it.
	Title, Caption string
	// Make draws the figure. It returns (nil, nil) when the run has no data
	// for it (e.g. no label strength), and the figure is left out.
	Make func(in *Input) (*Chart, error)
}

// Input is what figures are drawn from.
type Input struct {
	// Dir is the run directory; a figure may read its own files there.
	Dir     string
	Results *results.Results
	// Scores holds, per scorer of Results (in order), the histograms of the
	// scores of the preferred and the rejected image of every pair it
	// scored whose label is not a tie. It is empty when samples.jsonl is
	// missing. Histograms rather than raw scores keep a report of millions
	// of pairs in constant memory.
	Scores []ScoreHistogram
}

// ScoreHistogram is one scorer's distribution of the scores of preferred
// and rejected images: counts in the same equal-width bins over [Lo, Hi]
// (the last bin includes Hi).
type ScoreHistogram struct {
	Scorer string
	// N is the number of pairs counted (each gives one preferred and one
	// rejected score).
	N                   int
	Lo, Hi              float64
	Preferred, Rejected []float64
}

// scoreBins is the number of histogram bins for n pairs: twice the cube
// root (Rice's rule), between 10 and 50.
func scoreBins(n int) int { return min(50, max(10, int(math.Round(2*math.Cbrt(float64(n)))))) }

// DefaultFigures returns the benchmark report's figures: accuracy with
// intervals, the matrix of paired differences, scorer agreement, score
// distributions, reliability curves and accuracy by label strength.
func DefaultFigures() []Figure {
	return []Figure{
		{Name: "accuracy", Title: "Pairwise accuracy",
			Caption: "Accuracy of each scorer under the report's policy; bars are 95% prompt-bootstrap intervals; the dashed line is chance (50%).",
			Make:    accuracyFigure},
		{Name: "differences", Title: "Paired differences",
			Caption: "Accuracy of the row scorer minus the column scorer, in percentage points, on the pairs both scored; * marks a difference significant after Holm correction (exact McNemar). Lighter cells: the row scorer is more accurate.",
			Make:    differencesFigure},
		{Name: "agreement", Title: "Scorer agreement",
			Caption: "Kendall's tau-b between two scorers' score differences (score A − score B) on the pairs both scored: 1 means the same ordering of pairs, 0 none.",
			Make:    agreementFigure},
		{Name: "scores", Title: "Score distributions",
			Caption: "Histograms of each scorer's scores for the human-preferred image (solid) and the rejected image (dashed), from samples.jsonl; the more the two differ, the better the scorer separates them. Pairs with tied labels are left out.",
			Make:    scoresFigure},
		{Name: "calibration", Title: "Reliability",
			Caption: "Reliability of the logistic fit P(A preferred | score A − score B): mean predicted probability against the observed share per bin; points on the diagonal are calibrated; bins of fewer than 10 pairs are not drawn. ECE is the expected calibration error over all bins.",
			Make:    calibrationFigure},
		{Name: "strength", Title: "Accuracy by label strength",
			Caption: "Accuracy within quantile bins of the label strength (how clear the human preference is), with 95% Wilson intervals; the bins are equally spaced in order of strength, each tick giving its bin's range of strengths; a good scorer is more accurate where the preference is clearer.",
			Make:    strengthFigure},
	}
}

// byAccuracy returns the scorers with counted pairs, most accurate first
// (ties keep the results order).
func byAccuracy(r *results.Results) []results.ScorerResult {
	var ss []results.ScorerResult
	for _, s := range r.Scorers {
		if s.Accuracy != nil && s.CI95 != nil {
			ss = append(ss, s)
		}
	}
	slices.SortStableFunc(ss, func(a, b results.ScorerResult) int { return cmp.Compare(*b.Accuracy, *a.Accuracy) })
	return ss
}

func accuracyFigure(in *Input) (*Chart, error) {
	ss := byAccuracy(in.Results)
	if len(ss) == 0 {
		return nil, nil
	}
	p := plotstyle.New("Pairwise accuracy with 95% CI", "scorer", "pairwise accuracy (%)")
	names := make([]string, len(ss))
	pts := plotstyle.ErrPoints{XYs: make(plotter.XYs, len(ss)), YErrors: make(plotter.YErrors, len(ss))}
	lo, hi := 50.0, 50.0
	var labels plotter.XYLabels
	for i, s := range ss {
		names[i] = s.Name
		y := 100 * *s.Accuracy
		pts.XYs[i] = plotter.XY{X: float64(i), Y: y}
		pts.YErrors[i].Low, pts.YErrors[i].High = y-100*s.CI95[0], 100*s.CI95[1]-y
		lo, hi = math.Min(lo, 100*s.CI95[0]), math.Max(hi, 100*s.CI95[1])
		labels.XYs = append(labels.XYs, plotter.XY{X: float64(i) + 0.08, Y: y})
		labels.Labels = append(labels.Labels, fmt.Sprintf("%.1f", y))
	}
	n := float64(len(ss))
	chance, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: 50}, {X: n - 0.5, Y: 50}})
	if err != nil {
		return nil, err
	}
	chance.Color = color.Gray{0x80}
	chance.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	bars, err := plotter.NewYErrorBars(pts)
	if err != nil {
		return nil, err
	}
	bars.Width = vg.Points(1.5)
	bars.CapWidth = vg.Points(8)
	dots, err := plotter.NewScatter(pts.XYs)
	if err != nil {
		return nil, err
	}
	dots.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: vg.Points(3.5), Shape: draw.CircleGlyph{}}
	lab, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, err
	}
	for i := range lab.TextStyle {
		st := plotstyle.Text(plotstyle.TickSize, color.Black)
		st.XAlign = draw.XLeft
		lab.TextStyle[i] = st
	}
	// At the left end: scorers are in descending order of accuracy, so the
	// value labels near 50% sit at the right and do not collide with it.
	chanceLab, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: -0.5, Y: 50}}, Labels: []string{"chance"}})
	if err != nil {
		return nil, err
	}
	st := plotstyle.Text(plotstyle.TickSize, color.Gray{0x60})
	st.XAlign, st.YAlign = draw.XLeft, draw.YBottom
	chanceLab.TextStyle[0] = st
	p.Add(plotstyle.HorizontalGrid(), chance, chanceLab, bars, dots, lab)
	p.NominalX(names...)
	if len(names) > 4 {
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	}
	p.X.Min, p.X.Max = -0.5, n-0.5
	p.Y.Min, p.Y.Max = math.Max(0, math.Floor(lo/5)*5-2), math.Min(100, math.Ceil(hi/5)*5+2)
	return &Chart{Panels: [][]*plot.Plot{{p}}, Width: max(12*vg.Centimeter, min(24*vg.Centimeter, vg.Length(4+2.5*n)*vg.Centimeter))}, nil
}

// matrix is an n×n grid for plotter.HeatMap; row 0 is drawn at the top.
type matrix struct {
	n int
	z [][]float64 // z[row][col]
}

func (m matrix) Dims() (c, r int)   { return m.n, m.n }
func (m matrix) Z(c, r int) float64 { return m.z[m.n-1-r][c] }
func (m matrix) X(c int) float64    { return float64(c) }
func (m matrix) Y(r int) float64    { return float64(r) }

// heatmap draws m with cell labels; names label rows (top to bottom) and
// columns (left to right). The colour scale spans [lo, hi]; a colour bar
// under the map, marked by barTicks (nil: default ticks) and labelled
// barLabel, keys its colours to values.
func heatmap(title, xLabel, yLabel string, names []string, m matrix, lo, hi float64, label func(r, c int) string,
	barLabel string, barTicks plot.Ticker) (*Chart, error) {
	p := plotstyle.New(title, xLabel, yLabel)
	pal := plotstyle.Viridis(256)
	hm := plotter.NewHeatMap(m, pal)
	hm.Min, hm.Max = lo, hi
	hm.NaN = color.Gray{0xee}
	cols := pal.Colors()
	var xy plotter.XYLabels
	var styles []text.Style
	for r := range m.n {
		for c := range m.n {
			v := m.z[r][c]
			s := label(r, c)
			if s == "" {
				continue
			}
			ink := color.Color(color.Gray{0x70})
			if !math.IsNaN(v) {
				ink = plotstyle.Ink(plotstyle.ColorAt(cols, v, lo, hi))
			}
			xy.XYs = append(xy.XYs, plotter.XY{X: float64(c), Y: float64(m.n - 1 - r)})
			xy.Labels = append(xy.Labels, s)
			styles = append(styles, plotstyle.Text(plotstyle.TickSize, ink))
		}
	}
	lab, err := plotter.NewLabels(xy)
	if err != nil {
		return nil, err
	}
	lab.TextStyle = styles
	p.Add(hm, lab)
	rev := slices.Clone(names)
	slices.Reverse(rev)
	p.NominalX(names...)
	p.NominalY(rev...)
	if len(names) > 3 {
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	}
	bar := plotstyle.ColorBar(&plotstyle.Scale{Colors: cols, Lo: lo, Hi: hi}, barLabel, barTicks)
	side := vg.Length(6+2.2*float64(m.n)) * vg.Centimeter
	return &Chart{Panels: [][]*plot.Plot{{p}}, ColorBar: bar,
		Width: max(14*vg.Centimeter, side+2*vg.Centimeter), Height: max(11*vg.Centimeter, side) + ColorBarHeight}, nil
}

// signedTicks are gonum's default ticks with a plus sign on positive
// labels, like the signed differences they mark.
type signedTicks struct{}

func (signedTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i, t := range ticks {
		if t.Label != "" && t.Value > 0 {
			ticks[i].Label = "+" + t.Label
		}
	}
	return ticks
}

// comparisonOf finds the comparison of a and b, oriented as a − b.
func comparisonOf(r *results.Results, a, b string) (results.Comparison, bool) {
	for _, c := range r.Comparisons {
		switch {
		case c.A == a && c.B == b:
			return c, true
		case c.A == b && c.B == a:
			return swap(c), true
		}
	}
	return results.Comparison{}, false
}

// swap returns c as the comparison of B with A.
func swap(c results.Comparison) results.Comparison {
	c.A, c.B = c.B, c.A
	c.AccA, c.AccB = c.AccB, c.AccA
	c.Diff = -c.Diff
	c.CI95 = [2]float64{-c.CI95[1], -c.CI95[0]}
	c.AWins, c.BWins = c.BWins, c.AWins
	return c
}

// significant is the report's one rule for "significant": the
// Holm-adjusted p-value is below alpha.
func significant(c results.Comparison, alpha float64) bool { return c.PHolm < alpha }

func differencesFigure(in *Input) (*Chart, error) {
	r := in.Results
	ss := byAccuracy(r)
	if len(ss) < 2 || len(r.Comparisons) == 0 {
		return nil, nil
	}
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = s.Name
	}
	m := matrix{n: len(ss), z: make([][]float64, len(ss))}
	text := make([][]string, len(ss))
	maxAbs := 1.0
	for i, a := range names {
		m.z[i] = make([]float64, len(ss))
		text[i] = make([]string, len(ss))
		for j, b := range names {
			m.z[i][j] = math.NaN()
			if i == j {
				text[i][j] = "—"
				continue
			}
			c, ok := comparisonOf(r, a, b)
			if !ok || c.NPairs == 0 {
				text[i][j] = "n/a"
				continue
			}
			d := 100 * c.Diff
			m.z[i][j] = d
			maxAbs = math.Max(maxAbs, math.Abs(d))
			text[i][j] = results.Points(c.Diff)
			if significant(c, r.Policy.Alpha) {
				text[i][j] += "*"
			}
		}
	}
	maxAbs = math.Ceil(maxAbs)
	return heatmap("Accuracy difference, row − column (points)", "column scorer    (* significant, Holm-corrected McNemar)", "row scorer",
		names, m, -maxAbs, maxAbs, func(i, j int) string { return text[i][j] },
		"accuracy difference, row − column (percentage points)", signedTicks{})
}

func agreementFigure(in *Input) (*Chart, error) {
	r := in.Results
	if len(r.Scorers) < 2 || len(r.Agreement) == 0 {
		return nil, nil
	}
	names := make([]string, len(r.Scorers))
	for i, s := range r.Scorers {
		names[i] = s.Name
	}
	m := matrix{n: len(names), z: make([][]float64, len(names))}
	text := make([][]string, len(names))
	for i := range names {
		m.z[i] = make([]float64, len(names))
		text[i] = make([]string, len(names))
		for j := range names {
			m.z[i][j] = math.NaN()
			if i == j {
				text[i][j] = "—"
			} else {
				text[i][j] = "n/a"
			}
		}
	}
	idx := map[string]int{}
	for i, n := range names {
		idx[n] = i
	}
	for _, a := range r.Agreement {
		i, ok1 := idx[a.A]
		j, ok2 := idx[a.B]
		if !ok1 || !ok2 || a.N == 0 {
			continue
		}
		for _, ij := range [][2]int{{i, j}, {j, i}} {
			m.z[ij[0]][ij[1]] = a.KendallTauB
			text[ij[0]][ij[1]] = fmt.Sprintf("%.2f", a.KendallTauB)
		}
	}
	return heatmap("Agreement: Kendall τ-b of score differences", "scorer", "scorer",
		names, m, -1, 1, func(i, j int) string { return text[i][j] },
		"Kendall τ-b (−1: opposite orderings, 0: unrelated, 1: the same)", plotstyle.LinearTicks{Step: 0.25, LabelEvery: 2})
}

func scoresFigure(in *Input) (*Chart, error) {
	var panels [][]*plot.Plot
	for _, s := range in.Scores {
		if s.N == 0 {
			continue
		}
		p := plotstyle.New(fmt.Sprintf("%s (n = %d)", s.Scorer, s.N), "score (the scorer's own units)", "images")
		for j, counts := range [][]float64{s.Preferred, s.Rejected} {
			line, err := plotter.NewLine(stepOutline(counts, s.Lo, s.Hi))
			if err != nil {
				return nil, err
			}
			if j == 0 {
				line.Color, line.Width = color.RGBA{0x44, 0x01, 0x54, 0xff}, vg.Points(1.6)
				p.Legend.Add("preferred image", line)
			} else {
				line.Color, line.Width = color.RGBA{0x21, 0x91, 0x8c, 0xff}, vg.Points(1.6)
				line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
				p.Legend.Add("rejected image", line)
			}
			p.Add(line)
		}
		p.Legend.Top = true
		p.Y.Min = 0
		p.Y.Max *= 1.3 // headroom for the legend
		panels = append(panels, []*plot.Plot{p})
	}
	if len(panels) == 0 {
		return nil, nil
	}
	return &Chart{Title: "Scores of preferred and rejected images", Panels: panels,
		Width: defaultWidth, Height: vg.Length(len(panels))*6*vg.Centimeter + 1.5*vg.Centimeter}, nil
}

// histBin is the bin of v among k equal bins over [lo, hi] (hi in the last
// bin).
func histBin(v, lo, hi float64, k int) int {
	return max(0, min(k-1, int(float64(k)*(v-lo)/(hi-lo))))
}

// stepOutline is the outline of a histogram: a step line from 0 up over
// each bin and back to 0.
func stepOutline(counts []float64, lo, hi float64) plotter.XYs {
	k := len(counts)
	w := (hi - lo) / float64(k)
	pts := plotter.XYs{{X: lo, Y: 0}}
	for i, c := range counts {
		x0 := lo + float64(i)*w
		pts = append(pts, plotter.XY{X: x0, Y: c}, plotter.XY{X: x0 + w, Y: c})
	}
	return append(pts, plotter.XY{X: hi, Y: 0})
}

// minReliabilityCount is the fewest pairs a reliability bin needs to be
// drawn: a bin of one or two pairs swings between 0 and 1 and hides the
// curve. ECE still counts every bin.
const minReliabilityCount = 10

func calibrationFigure(in *Input) (*Chart, error) {
	p := plotstyle.New("Reliability of P(A preferred)", "predicted probability that A is preferred", "observed share with A preferred")
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return nil, err
	}
	diag.Color, diag.Dashes = color.Gray{0x99}, []vg.Length{vg.Points(2), vg.Points(2)}
	p.Add(diag)
	p.Legend.Add("perfectly calibrated", diag)
	n := 0
	for i, s := range in.Results.Scorers {
		c := s.Calibration
		if c == nil || c.Error != "" || len(c.Bins) == 0 {
			continue
		}
		var xy plotter.XYs
		for _, b := range c.Bins {
			if b.Count >= minReliabilityCount {
				xy = append(xy, plotter.XY{X: b.MeanPred, Y: b.Observed})
			}
		}
		if len(xy) == 0 {
			continue
		}
		l, sc, err := plotter.NewLinePoints(xy)
		if err != nil {
			return nil, err
		}
		col, dash, glyph := plotstyle.Series(i)
		l.Color, l.Dashes, l.Width = col, dash, vg.Points(1.4)
		sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(3), Shape: glyph}
		p.Add(l, sc)
		p.Legend.Add(fmt.Sprintf("%s (ECE %.3f)", s.Name, c.ECE), l, sc)
		n++
	}
	if n == 0 {
		return nil, nil
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = 2*vg.Millimeter, -2*vg.Millimeter
	return &Chart{Panels: [][]*plot.Plot{{p}}, Width: 14 * vg.Centimeter, Height: 12 * vg.Centimeter}, nil
}

// strengthBinsAxis returns the bins the strength figure's x axis is made
// of: those of the scorer with the most bins (then the most pairs). Every
// scorer's bins are quantile bins of the same strengths, so they differ
// only where a scorer failed on or skipped some pairs.
func strengthBinsAxis(r *results.Results) []results.StrengthBin {
	var axis []results.StrengthBin
	n := -1
	for _, s := range r.Scorers {
		m := 0
		for _, b := range s.Strength {
			m += b.NPairs
		}
		if len(s.Strength) > len(axis) || (len(s.Strength) == len(axis) && m > n) {
			axis, n = s.Strength, m
		}
	}
	return axis
}

// strengthPositions places a scorer's bins on the axis made of axis: each
// at the axis bin nearest to its middle strength. Should two land on the
// same place (or out of order), the scorer's own bin order is used.
func strengthPositions(bins, axis []results.StrengthBin) []float64 {
	pos := make([]float64, len(bins))
	for i, b := range bins {
		mid := (b.Lo + b.Hi) / 2
		best, dist := 0, math.Inf(1)
		for j, a := range axis {
			d := math.Max(0, math.Max(a.Lo-mid, mid-a.Hi))
			if d < dist {
				best, dist = j, d
			}
		}
		pos[i] = float64(best)
		if i > 0 && pos[i] <= pos[i-1] {
			for k := range pos {
				pos[k] = float64(k)
			}
			return pos
		}
	}
	return pos
}

// strengthRange labels a strength bin: "2.02–2.80", or "0.50" when all its
// pairs have the same strength. Numbers have two decimals (as in the
// table of strength bins), none from 100 up, two significant digits
// below 0.1.
func strengthRange(b results.StrengthBin) string {
	f := func(v float64) string {
		switch a := math.Abs(v); {
		case a == 0:
			return "0"
		case a >= 100:
			return strconv.FormatFloat(v, 'f', 0, 64)
		case a >= 0.1:
			return strconv.FormatFloat(v, 'f', 2, 64)
		}
		return strconv.FormatFloat(v, 'g', 2, 64)
	}
	if f(b.Lo) == f(b.Hi) {
		return f(b.Lo)
	}
	return f(b.Lo) + "–" + f(b.Hi)
}

// legendRoom is how far above top the y axis must reach for a legend of
// entries lines in the top corner of a data area height tall, on an axis
// from bottom to top.
func legendRoom(entries int, height vg.Length, bottom, top float64) float64 {
	legend := vg.Length(entries)*1.25*plotstyle.TickSize + 4*vg.Millimeter
	f := math.Min(0.6, float64(legend/height))
	return (top - bottom) * f / (1 - f)
}

// strengthFigure draws accuracy against label strength on a quantile axis:
// the bins equally spaced in order (each holds about the same number of
// pairs), each tick labelled with its bin's range of strengths, so a
// heavy-tailed strength (e.g. a remix ratio from 1 to several hundred)
// reads as well as a bounded one, and strengths of 0 need no special case.
func strengthFigure(in *Input) (*Chart, error) {
	r := in.Results
	if !r.Dataset.HasStrength {
		return nil, nil
	}
	axis := strengthBinsAxis(r)
	if len(axis) == 0 {
		return nil, nil
	}
	type series struct {
		i   int
		s   results.ScorerResult
		pts plotstyle.ErrPoints
	}
	var all []series
	lo, hi := 50.0, 50.0
	for i, s := range r.Scorers {
		if len(s.Strength) == 0 {
			continue
		}
		se := series{i: i, s: s}
		for j, x := range strengthPositions(s.Strength, axis) {
			b := s.Strength[j]
			y := 100 * b.Accuracy
			se.pts.XYs = append(se.pts.XYs, plotter.XY{X: x, Y: y})
			se.pts.YErrors = append(se.pts.YErrors, struct{ Low, High float64 }{y - 100*b.CI95[0], 100*b.CI95[1] - y})
			lo, hi = math.Min(lo, 100*b.CI95[0]), math.Max(hi, 100*b.CI95[1])
		}
		all = append(all, se)
	}
	k := len(axis)
	p := plotstyle.New("Accuracy by label strength", "label strength: quantile bins, equally spaced (tick: the bin's range)", "pairwise accuracy (%)")
	x0, x1 := -0.5, float64(k)-0.5
	chance, err := plotter.NewLine(plotter.XYs{{X: x0, Y: 50}, {X: x1, Y: 50}})
	if err != nil {
		return nil, err
	}
	chance.Color, chance.Dashes = color.Gray{0x99}, []vg.Length{vg.Points(2), vg.Points(2)}
	p.Add(plotstyle.HorizontalGrid(), chance)
	p.Legend.Add("chance (50%)", chance)
	// Dodge the series sideways a little so their intervals do not overlap.
	step := math.Min(0.08, 0.5/float64(len(all)))
	for n, se := range all {
		off := (float64(n) - float64(len(all)-1)/2) * step
		for j := range se.pts.XYs {
			se.pts.XYs[j].X += off
		}
		col, dash, glyph := plotstyle.Series(se.i)
		l, sc, err := plotter.NewLinePoints(se.pts.XYs)
		if err != nil {
			return nil, err
		}
		l.Color, l.Dashes, l.Width = col, dash, vg.Points(1.4)
		sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(3), Shape: glyph}
		bars, err := plotter.NewYErrorBars(se.pts)
		if err != nil {
			return nil, err
		}
		bars.Color, bars.Width, bars.CapWidth = col, vg.Points(1), vg.Points(5)
		p.Add(bars, l, sc)
		p.Legend.Add(se.s.Name, l, sc)
	}
	ticks := make([]plot.Tick, k)
	for j, b := range axis {
		ticks[j] = plot.Tick{Value: float64(j), Label: strengthRange(b)}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Min, p.X.Max = x0, x1
	if k > 5 {
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	}
	// The y axis: from below the lowest interval (and chance) to 100% at
	// most, marked every 10 points, and above that room for the legend in
	// the top left corner, so it never covers a point.
	bottom := math.Max(0, math.Floor(lo/10)*10-2)
	top := math.Min(100, math.Ceil(hi/10)*10)
	p.Y.Tick.Marker = plotstyle.LinearTicks{Step: 10, Max: top}
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = 2*vg.Millimeter, -1*vg.Millimeter
	w := max(defaultWidth, min(24*vg.Centimeter, vg.Length(4+2.2*float64(k))*vg.Centimeter))
	p.Y.Min, p.Y.Max = bottom, top+1+legendRoom(len(all)+1, defaultHeight-2.5*vg.Centimeter, bottom, top)
	return &Chart{Panels: [][]*plot.Plot{{p}}, Width: w}, nil
}
