package ablate

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/srbench/srbench/harness/report"
	"github.com/srbench/srbench/internal/plotstyle"
)

// FigureInfo names a figure written under plots/ (NAME.svg and NAME.png).
type FigureInfo struct {
	Name, Title, Caption string
}

// writeFigures draws the figures of sum and writes them under outDir/plots
// as SVG and PNG (report.Chart renders them byte-identically run to run).
func writeFigures(outDir string, sum *Summary) ([]FigureInfo, error) {
	dir := filepath.Join(outDir, PlotsDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("ablation: %w", err)
	}
	type fig struct {
		info FigureInfo
		make func(*Summary) (*report.Chart, error)
	}
	figs := []fig{
		{FigureInfo{"accuracy", "Mean test accuracy per cell",
			"Bars: mean test pairwise accuracy over seeds; whiskers: 95% Student-t interval over seeds; the dark bar and the dashed line are the reference cell."}, accuracyChart},
		{FigureInfo{"learning-curves", "Learning curves",
			"Validation accuracy after each epoch (epoch 0: before training), averaged over the seeds that reached the epoch; one line per cell, told apart by dash pattern and marker."}, curvesChart},
		{FigureInfo{"data-scaling", "Data scaling",
			"Mean test accuracy against the number of training triplets on a log scale (the training fraction axis, other settings at the reference; each point labelled with its fraction f), with 95% intervals over seeds."}, scalingChart},
	}
	var out []FigureInfo
	for _, f := range figs {
		ch, err := f.make(sum)
		if err != nil {
			return nil, fmt.Errorf("ablation: figure %s: %w", f.info.Name, err)
		}
		if ch == nil {
			continue
		}
		for _, format := range []string{"svg", "png"} {
			b, err := ch.Render(format)
			if err != nil {
				return nil, fmt.Errorf("ablation: figure %s: %w", f.info.Name, err)
			}
			if err := os.WriteFile(filepath.Join(dir, f.info.Name+"."+format), b, 0o644); err != nil {
				return nil, fmt.Errorf("ablation: %w", err)
			}
		}
		out = append(out, f.info)
	}
	return out, nil
}

// valueLabels are labels at xys in the house style's value size.
func valueLabels(xys plotter.XYs, texts []string, align draw.XAlignment, yalign draw.YAlignment) (*plotter.Labels, error) {
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: texts})
	if err != nil {
		return nil, err
	}
	for i := range l.TextStyle {
		st := plotstyle.Text(plotstyle.ValueSize, color.Black)
		st.XAlign, st.YAlign = align, yalign
		l.TextStyle[i] = st
	}
	return l, nil
}

func accuracyChart(sum *Summary) (*report.Chart, error) {
	p := plotstyle.New("Mean test accuracy per cell (95% CI over seeds)", "cell", "test pairwise accuracy (%)")
	n := len(sum.Cells)
	names := make([]string, n)
	pts := plotstyle.ErrPoints{XYs: make(plotter.XYs, n), YErrors: make(plotter.YErrors, n)}
	var labXY plotter.XYs
	var labText []string
	hi, refMean := 0.0, 0.0
	var refBar, otherBar *plotter.BarChart
	for i, c := range sum.Cells {
		names[i] = c.Name
		y := 100 * c.MeanAccuracy
		bar, err := plotter.NewBarChart(plotter.Values{y}, vg.Points(22))
		if err != nil {
			return nil, err
		}
		bar.XMin = float64(i)
		bar.LineStyle.Width = vg.Points(0.6)
		bar.Color = color.Gray{0xc8}
		if c.Reference {
			bar.Color = color.Gray{0x50}
			refBar, refMean = bar, y
		} else if otherBar == nil {
			otherBar = bar
		}
		p.Add(bar)
		pts.XYs[i] = plotter.XY{X: float64(i), Y: y}
		pts.YErrors[i].Low, pts.YErrors[i].High = y-100*c.CI95[0], 100*c.CI95[1]-y
		hi = math.Max(hi, 100*c.CI95[1])
		labXY = append(labXY, plotter.XY{X: float64(i), Y: 100*c.CI95[1] + 1})
		labText = append(labText, fmt.Sprintf("%.1f", y))
	}
	bars, err := plotter.NewYErrorBars(pts)
	if err != nil {
		return nil, err
	}
	bars.Width = vg.Points(1.2)
	bars.CapWidth = vg.Points(7)
	refLine, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: refMean}, {X: float64(n) - 0.5, Y: refMean}})
	if err != nil {
		return nil, err
	}
	refLine.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	refLine.Width = vg.Points(0.8)
	lab, err := valueLabels(labXY, labText, draw.XCenter, draw.YBottom)
	if err != nil {
		return nil, err
	}
	p.Add(refLine, bars, lab)
	p.Legend.Add("reference cell", refBar)
	if otherBar != nil {
		p.Legend.Add("other cells", otherBar)
	}
	p.Legend.Top = true
	p.NominalX(names...)
	if n > 4 {
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	}
	p.X.Min, p.X.Max = -0.5, float64(n)-0.5
	// Room above 100% for the value labels and the legend; ticks stop at 100.
	p.Y.Min, p.Y.Max = 0, math.Min(118, hi+16)
	p.Y.Tick.Marker = plotstyle.LinearTicks{Step: 10, LabelEvery: 2, Max: 100}
	w := max(12*vg.Centimeter, min(30*vg.Centimeter, vg.Length(4+1.6*float64(n))*vg.Centimeter))
	return &report.Chart{Panels: [][]*plot.Plot{{p}}, Width: w, Height: 11 * vg.Centimeter}, nil
}

// curvePanel draws the mean learning curves of the cells idx.
func curvePanel(sum *Summary, title string, idx []int) (*plot.Plot, error) {
	p := plotstyle.New(title, "epoch", "validation accuracy (%)")
	lo, hi := 100.0, 0.0
	maxEpoch := 1
	for k, i := range idx {
		c := sum.Cells[i]
		xys := make(plotter.XYs, len(c.Curve))
		for j, pt := range c.Curve {
			xys[j] = plotter.XY{X: float64(pt.Epoch), Y: 100 * pt.ValAccuracy}
			lo, hi = math.Min(lo, xys[j].Y), math.Max(hi, xys[j].Y)
			maxEpoch = max(maxEpoch, pt.Epoch)
		}
		if len(xys) == 0 {
			continue
		}
		l, s, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, err
		}
		col, dash, glyph := plotstyle.Series(k)
		l.Color, l.Dashes, l.Width = col, dash, vg.Points(1.3)
		s.Color, s.Shape, s.Radius = col, glyph, vg.Points(2.5)
		p.Add(l, s)
		name := c.Name
		if c.Reference {
			name += " (ref)"
		}
		p.Legend.Add(name, l, s)
	}
	if lo > hi {
		lo, hi = 0, 100
	}
	span := math.Max(hi-lo, 2)
	p.Legend.Top, p.Legend.Left = false, false
	p.Y.Min = math.Max(0, lo-span*(0.1+0.12*float64(len(idx))))
	p.Y.Max = math.Min(100, hi+span*0.08)
	p.X.Min, p.X.Max = 0, float64(maxEpoch)
	p.Add(plotter.NewGrid())
	return p, nil
}

func curvesChart(sum *Summary) (*report.Chart, error) {
	var panels []*plot.Plot
	if sum.Mode == ModeOneAtATime && len(sum.Axes) > 1 {
		for _, ax := range sum.Axes {
			p, err := curvePanel(sum, "varying "+ax, slice(sum, ax))
			if err != nil {
				return nil, err
			}
			panels = append(panels, p)
		}
	} else {
		idx := make([]int, len(sum.Cells))
		for i := range idx {
			idx[i] = i
		}
		p, err := curvePanel(sum, "Validation accuracy by epoch (mean over seeds)", idx)
		if err != nil {
			return nil, err
		}
		return &report.Chart{Panels: [][]*plot.Plot{{p}}, Height: 12 * vg.Centimeter}, nil
	}
	const cols = 2
	var grid [][]*plot.Plot
	for len(panels)%cols != 0 {
		blank := plot.New()
		blank.HideAxes()
		panels = append(panels, blank)
	}
	for i := 0; i < len(panels); i += cols {
		grid = append(grid, panels[i:i+cols])
	}
	return &report.Chart{Title: "Validation accuracy by epoch (mean over seeds)", Panels: grid,
		Width: 18 * vg.Centimeter, Height: vg.Length(2+7*len(grid)) * vg.Centimeter}, nil
}

// scalingChart draws mean test accuracy against the number of training
// triplets on a log axis (the fractions run from 0.01 to 1, evenly spread
// in log terms), each point labelled with its fraction.
func scalingChart(sum *Summary) (*report.Chart, error) {
	sf := sum.Findings.Scaling
	if sf == nil || len(sf.Points) < 2 {
		return nil, nil
	}
	pts := plotstyle.ErrPoints{XYs: make(plotter.XYs, len(sf.Points)), YErrors: make(plotter.YErrors, len(sf.Points))}
	var labText []string
	lo, hi := 100.0, 0.0
	xmin, xmax := math.Inf(1), 0.0
	for i, sp := range sf.Points {
		y := 100 * sp.MeanAccuracy
		pts.XYs[i] = plotter.XY{X: sp.TrainTriplets, Y: y}
		pts.YErrors[i].Low, pts.YErrors[i].High = y-100*sp.CI95[0], 100*sp.CI95[1]-y
		lo, hi = math.Min(lo, 100*sp.CI95[0]), math.Max(hi, 100*sp.CI95[1])
		xmin, xmax = math.Min(xmin, sp.TrainTriplets), math.Max(xmax, sp.TrainTriplets)
		labText = append(labText, "  f="+FormatValue(sp.Fraction))
	}
	// A log axis needs positive counts; a cell without training triplets
	// (possible only with a degenerate fraction) keeps the linear axis.
	logX := xmin > 0
	xLabel := "training triplets (log scale)"
	if !logX {
		xLabel = "training triplets"
	}
	p := plotstyle.New("Data scaling (other settings at the reference)", xLabel, "mean test accuracy (%, 95% CI)")
	l, s, err := plotter.NewLinePoints(pts.XYs)
	if err != nil {
		return nil, err
	}
	col, _, glyph := plotstyle.Series(0)
	l.Color, l.Width = col, vg.Points(1.3)
	s.Color, s.Shape, s.Radius = col, glyph, vg.Points(3)
	eb, err := plotter.NewYErrorBars(pts)
	if err != nil {
		return nil, err
	}
	eb.Color, eb.CapWidth = col, vg.Points(6)
	lab, err := valueLabels(pts.XYs, labText, draw.XLeft, draw.YTop)
	if err != nil {
		return nil, err
	}
	p.Add(plotter.NewGrid(), l, eb, s, lab)
	span := math.Max(hi-lo, 2)
	p.Y.Min, p.Y.Max = math.Max(0, lo-0.1*span), math.Min(100, hi+0.1*span)
	if logX {
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plotstyle.LogTicks{}
		// Room on the right for the last point's label.
		p.X.Min, p.X.Max = xmin/1.5, xmax*math.Pow(xmax/xmin, 0.12)
	} else {
		p.X.Min, p.X.Max = 0, xmax*1.15
	}
	return &report.Chart{Panels: [][]*plot.Plot{{p}}}, nil
}
