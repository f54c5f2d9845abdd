package report

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/srbench/srbench/harness/results"
	"github.com/srbench/srbench/internal/plotstyle"
)

// leaderboardFigure is one figure of a leaderboard report.
type leaderboardFigure struct {
	name, title, caption string
	chart                *Chart
}

// leaderboardFigures makes the leaderboard's figures in report order:
// strengths, one win-rate map per judge, best-of-N curves.
func leaderboardFigures(l *results.Leaderboard) ([]leaderboardFigure, error) {
	var out []leaderboardFigure
	ch, err := strengthsFigure(l)
	if err != nil {
		return nil, fmt.Errorf("figure strengths: %w", err)
	}
	if ch != nil {
		out = append(out, leaderboardFigure{name: "leaderboard-strengths", title: "Bradley–Terry strengths",
			caption: "Each judge's Bradley–Terry log-strength of every generator (strengths sum to 0 per judge), with 95% bootstrap intervals; " +
				"generators are in the first judge's order in every panel, so a judge that ranks them differently shows as points out of line.",
			chart: ch})
	}
	stems := judgeStems(l)
	for _, bd := range l.Boards {
		ch, err := winRateFigure(l, &bd)
		if err != nil {
			return nil, fmt.Errorf("figure win rates %q: %w", bd.Judge, err)
		}
		if ch == nil {
			continue
		}
		out = append(out, leaderboardFigure{name: "leaderboard-winrates-" + stems[bd.Judge], title: "Win rates judged by " + bd.Judge,
			caption: "Share of head-to-head comparisons the row generator wins against the column generator on the prompts both have (ties count half), " +
				"judged by " + bd.Judge + "; * marks a win rate significantly different from 1/2 (exact sign test over prompts, Holm-corrected, alpha = " + fmtFloat(l.Alpha) + ").",
			chart: ch})
	}
	ch, err = bestOfNFigure(l)
	if err != nil {
		return nil, fmt.Errorf("figure best-of-N: %w", err)
	}
	if ch != nil {
		out = append(out, leaderboardFigure{name: "leaderboard-best-of-n", title: "Best-of-N selection",
			caption: "Per selector, the expected gain (in standard deviations of the measure, z) of the image the selector picks among N samples over a random one, " +
				"as scored by each measure, with 95% bootstrap intervals. The dashed line is the selector judging its own picks; " +
				"the gap between it and the other measures is the over-optimisation the other judges do not confirm.",
			chart: ch})
	}
	return out, nil
}

// judgeStems gives every judge a distinct file-name stem.
func judgeStems(l *results.Leaderboard) map[string]string {
	out := map[string]string{}
	used := map[string]bool{}
	for i, bd := range l.Boards {
		s := slug(bd.Judge)
		if s == "" {
			s = "judge"
		}
		if used[s] {
			s += "-" + strconv.Itoa(i+1)
		}
		used[s] = true
		out[bd.Judge] = s
	}
	return out
}

// xErrPoints are points with asymmetric X errors, for plotter.NewXErrorBars.
type xErrPoints struct {
	plotter.XYs
	plotter.XErrors
}

// strengthsFigure is a forest plot per judge, panels stacked, generators
// on the y axis in the first board's order.
func strengthsFigure(l *results.Leaderboard) (*Chart, error) {
	if len(l.Boards) == 0 || len(l.Boards[0].Generators) == 0 {
		return nil, nil
	}
	var order []string
	for _, g := range l.Boards[0].Generators {
		order = append(order, g.Generator)
	}
	for _, bd := range l.Boards[1:] {
		for _, g := range bd.Generators {
			if !slices.Contains(order, g.Generator) {
				order = append(order, g.Generator)
			}
		}
	}
	n := len(order)
	lo, hi := 0.0, 0.0
	for _, bd := range l.Boards {
		for _, g := range bd.Generators {
			lo, hi = math.Min(lo, g.Strength.CI[0]), math.Max(hi, g.Strength.CI[1])
		}
	}
	pad := 0.05 * math.Max(hi-lo, 0.2)
	var panels [][]*plot.Plot
	for bi, bd := range l.Boards {
		title := bd.Judge
		if bd.Regularised {
			title += " (regularised fit)"
		}
		p := plotstyle.New(title, "Bradley–Terry log-strength", "")
		pts := xErrPoints{}
		for _, g := range bd.Generators {
			i := slices.Index(order, g.Generator)
			y := float64(n - 1 - i)
			v := g.Strength.Value
			pts.XYs = append(pts.XYs, plotter.XY{X: v, Y: y})
			pts.XErrors = append(pts.XErrors, struct{ Low, High float64 }{v - g.Strength.CI[0], g.Strength.CI[1] - v})
		}
		if len(pts.XYs) == 0 {
			continue
		}
		zero, err := plotter.NewLine(plotter.XYs{{X: 0, Y: -0.5}, {X: 0, Y: float64(n) - 0.5}})
		if err != nil {
			return nil, err
		}
		zero.Color, zero.Dashes = color.Gray{0x99}, []vg.Length{vg.Points(2), vg.Points(2)}
		col, _, glyph := plotstyle.Series(bi)
		bars, err := plotter.NewXErrorBars(pts)
		if err != nil {
			return nil, err
		}
		bars.Color, bars.Width, bars.CapWidth = col, vg.Points(1.5), vg.Points(6)
		dots, err := plotter.NewScatter(pts.XYs)
		if err != nil {
			return nil, err
		}
		dots.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(3.5), Shape: glyph}
		p.Add(zero, bars, dots)
		rev := slices.Clone(order)
		slices.Reverse(rev)
		p.NominalY(rev...)
		p.Y.Min, p.Y.Max = -0.5, float64(n)-0.5
		p.X.Min, p.X.Max = lo-pad, hi+pad
		p.X.Tick.Marker = plotstyle.LinearTicks{Step: strengthStep(hi - lo)}
		panels = append(panels, []*plot.Plot{p})
	}
	if len(panels) == 0 {
		return nil, nil
	}
	per := vg.Length(2.4+0.7*float64(n)) * vg.Centimeter
	return &Chart{Title: "Generator strengths by judge", Panels: panels,
		Width: defaultWidth, Height: vg.Length(len(panels))*per + 1.2*vg.Centimeter}, nil
}

// winRateFigure is the judge's generator × opponent map of win rates with
// its colour bar.
func winRateFigure(l *results.Leaderboard, bd *results.Board) (*Chart, error) {
	if len(bd.Generators) < 2 || len(bd.WinRates) == 0 {
		return nil, nil
	}
	names := make([]string, len(bd.Generators))
	idx := map[string]int{}
	for i, g := range bd.Generators {
		names[i] = g.Generator
		idx[g.Generator] = i
	}
	n := len(names)
	m := matrix{n: n, z: make([][]float64, n)}
	text := make([][]string, n)
	for i := range n {
		m.z[i] = make([]float64, n)
		text[i] = make([]string, n)
		for j := range n {
			m.z[i][j] = math.NaN()
			text[i][j] = "n/a"
			if i == j {
				text[i][j] = "—"
			}
		}
	}
	for _, w := range bd.WinRates {
		i, ok1 := idx[w.Generator]
		j, ok2 := idx[w.Opponent]
		if !ok1 || !ok2 || i == j || w.NPrompts == 0 {
			continue
		}
		m.z[i][j] = w.Rate.Value
		text[i][j] = fmt.Sprintf("%.2f", w.Rate.Value)
		if w.Significant {
			text[i][j] += "*"
		}
	}
	return heatmap("Win rate, row vs column: "+bd.Judge, "opponent    (* significant, Holm-corrected sign test)", "generator",
		names, m, 0, 1, func(i, j int) string { return text[i][j] },
		"win rate of the row generator against the column generator (0.5: even)", plotstyle.LinearTicks{Step: 0.25, LabelEvery: 2})
}

// bestOfNFigure draws, per selector, the z-gain against N, one line per
// measure; the selector judging itself is dashed and thicker.
func bestOfNFigure(l *results.Leaderboard) (*Chart, error) {
	if len(l.BestOfN) == 0 {
		return nil, nil
	}
	judgeIdx := map[string]int{}
	for i, j := range l.Judges {
		judgeIdx[j.Name] = i
	}
	var selectors []string
	for _, e := range l.BestOfN {
		if !slices.Contains(selectors, e.Selector) {
			selectors = append(selectors, e.Selector)
		}
	}
	var panels [][]*plot.Plot
	for _, sel := range selectors {
		var measures []string
		var ns []int
		for _, e := range l.BestOfN {
			if e.Selector != sel {
				continue
			}
			if !slices.Contains(measures, e.Measure) {
				measures = append(measures, e.Measure)
			}
			if !slices.Contains(ns, e.N) {
				ns = append(ns, e.N)
			}
		}
		slices.Sort(ns)
		// The selector's own line first in the legend.
		slices.SortStableFunc(measures, func(a, b string) int {
			switch {
			case a == sel && b != sel:
				return -1
			case b == sel && a != sel:
				return 1
			}
			return 0
		})
		if len(ns) == 0 || ns[0] < 1 {
			continue
		}
		p := plotstyle.New("selected by "+sel, "N (samples the selector chooses from)", "gain over a random sample (z)")
		p.X.Scale = plot.LogScale{}
		ticks := make([]plot.Tick, len(ns))
		for i, v := range ns {
			ticks[i] = plot.Tick{Value: float64(v), Label: strconv.Itoa(v)}
		}
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
		p.Add(plotstyle.HorizontalGrid())
		lo, hi := 0.0, 0.0
		for k, meas := range measures {
			pts := plotstyle.ErrPoints{}
			off := math.Pow(2, (float64(k)-float64(len(measures)-1)/2)*0.04)
			for _, e := range l.BestOfN {
				if e.Selector != sel || e.Measure != meas {
					continue
				}
				v := e.ZGain.Value
				pts.XYs = append(pts.XYs, plotter.XY{X: float64(e.N) * off, Y: v})
				pts.YErrors = append(pts.YErrors, struct{ Low, High float64 }{v - e.ZGain.CI[0], e.ZGain.CI[1] - v})
				lo, hi = math.Min(lo, e.ZGain.CI[0]), math.Max(hi, e.ZGain.CI[1])
			}
			if len(pts.XYs) == 0 {
				continue
			}
			order := make([]int, len(pts.XYs))
			for i := range order {
				order[i] = i
			}
			slices.SortStableFunc(order, func(a, b int) int { return cmpFloat(pts.XYs[a].X, pts.XYs[b].X) })
			sorted := plotstyle.ErrPoints{}
			for _, i := range order {
				sorted.XYs = append(sorted.XYs, pts.XYs[i])
				sorted.YErrors = append(sorted.YErrors, pts.YErrors[i])
			}
			col, _, glyph := plotstyle.Series(judgeIdx[meas])
			line, sc, err := plotter.NewLinePoints(sorted.XYs)
			if err != nil {
				return nil, err
			}
			line.Color, line.Width = col, vg.Points(1.4)
			label := meas
			if meas == sel {
				line.Width = vg.Points(2.2)
				line.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
				label += " (self-judged)"
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(3), Shape: glyph}
			bars, err := plotter.NewYErrorBars(sorted)
			if err != nil {
				return nil, err
			}
			bars.Color, bars.Width, bars.CapWidth = col, vg.Points(1), vg.Points(5)
			p.Add(bars, line, sc)
			p.Legend.Add(label, line, sc)
		}
		p.Legend.Top, p.Legend.Left = true, true
		p.Legend.XOffs, p.Legend.YOffs = 2*vg.Millimeter, -1*vg.Millimeter
		p.X.Min, p.X.Max = float64(ns[0])/1.25, float64(ns[len(ns)-1])*1.25
		h := 7 * vg.Centimeter
		p.Y.Min = lo - 0.05*math.Max(hi-lo, 0.1)
		p.Y.Max = hi + 0.05*math.Max(hi-lo, 0.1)
		p.Y.Max += legendRoom(len(measures), h-2.5*vg.Centimeter, p.Y.Min, p.Y.Max)
		panels = append(panels, []*plot.Plot{p})
	}
	if len(panels) == 0 {
		return nil, nil
	}
	return &Chart{Title: "Best-of-N: gain of the selected sample, by measure", Panels: panels,
		Width: defaultWidth, Height: vg.Length(len(panels))*7*vg.Centimeter + 1.2*vg.Centimeter}, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// strengthStep is the tick spacing of a strength axis spanning span.
func strengthStep(span float64) float64 {
	for _, s := range []float64{0.1, 0.25, 0.5, 1, 2, 5} {
		if span/s <= 8 {
			return s
		}
	}
	return 10
}
