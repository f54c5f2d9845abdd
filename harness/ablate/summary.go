package ablate

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/gonum/stat"

	"github.com/srbench/srbench/harness/results"
	"github.com/srbench/srbench/harness/stats"
)

// SummaryVersion is the version of ablation.json. It changes when a field is
// removed or changes meaning; added fields keep it.
const SummaryVersion = 1

// Level is the confidence level of the intervals over seeds.
const Level = 0.95

// Summary is ablation.json: every number of the report, computed from the
// cell-seeds' training.json, results.json and samples.jsonl.
type Summary struct {
	SchemaVersion int    `json:"schema_version"`
	Name          string `json:"name"`
	Version       string `json:"version,omitempty"`
	Description   string `json:"description,omitempty"`
	Mode          string `json:"mode"`
	// Axes are the grid's axes in canonical order.
	Axes      []string       `json:"axes"`
	Reference map[string]any `json:"reference"`
	Base      map[string]any `json:"base,omitempty"`
	Seeds     []uint64       `json:"seeds"`
	// Alpha is the family-wise level of the Holm-corrected tests; Level the
	// confidence level of the t-intervals.
	Alpha float64 `json:"alpha"`
	Level float64 `json:"level"`
	// TestSHA256 is the test file every cell was scored on (results.json
	// dataset.sha256, the same for all).
	TestSHA256 string `json:"test_sha256,omitempty"`
	// ReferenceCell names the reference cell.
	ReferenceCell string        `json:"reference_cell"`
	Cells         []CellSummary `json:"cells"`
	Findings      Findings      `json:"findings"`
}

// CellSummary is one cell over its seeds.
type CellSummary struct {
	Name      string         `json:"name"`
	Settings  map[string]any `json:"settings"`
	Reference bool           `json:"reference,omitempty"`
	// Dir is the cell's directory, relative to the ablation's.
	Dir   string        `json:"dir"`
	Seeds []SeedSummary `json:"seeds"`
	// MeanAccuracy is the mean over seeds of the test pairwise accuracy; SD
	// their sample standard deviation; CI95 the Student-t interval of the
	// mean (n-1 degrees of freedom), clipped to [0, 1].
	MeanAccuracy float64    `json:"mean_accuracy"`
	SD           float64    `json:"sd"`
	CI95         [2]float64 `json:"ci95"`
	NSeeds       int        `json:"n_seeds"`
	// TrainTriplets is the mean over seeds of the training triplets used.
	TrainTriplets float64 `json:"train_triplets"`
	// Curve is the validation accuracy per epoch, averaged over the seeds
	// that reached that epoch (early stopping ends some sooner).
	Curve []CurvePoint `json:"learning_curve"`
	// VsReference is the paired test against the reference cell (absent for
	// the reference itself).
	VsReference *PairedTest `json:"vs_reference,omitempty"`
}

// SeedSummary is one cell trained with one seed.
type SeedSummary struct {
	Seed uint64 `json:"seed"`
	// Accuracy is the test pairwise accuracy under Social Reward's rule
	// (score of the preferred image >= the other's), over NPairs pairs.
	Accuracy        float64      `json:"accuracy"`
	NPairs          int          `json:"n_pairs"`
	NFailed         int          `json:"n_failed,omitempty"`
	TrainTriplets   int          `json:"train_triplets"`
	BestValAccuracy float64      `json:"best_val_accuracy"`
	BestEpoch       int          `json:"best_epoch"`
	Curve           []CurvePoint `json:"learning_curve"`
}

// CurvePoint is the validation accuracy after an epoch (0 = before training).
type CurvePoint struct {
	Epoch       int     `json:"epoch"`
	ValAccuracy float64 `json:"val_accuracy"`
	// NSeeds is the number of seeds averaged (cell curves only).
	NSeeds int `json:"n_seeds,omitempty"`
}

// PairedTest compares a cell with the reference cell on the same test pairs.
type PairedTest struct {
	Reference string `json:"reference"`
	// Diff is the cell's mean accuracy minus the reference's.
	Diff float64 `json:"diff"`
	// CellWins counts (seed, pair)s the cell gets right and the reference
	// wrong, ReferenceWins the reverse, pooled over seeds; NPairs counts
	// the (seed, pair)s compared.
	CellWins      int `json:"cell_wins"`
	ReferenceWins int `json:"reference_wins"`
	NPairs        int `json:"n_pairs"`
	// P is the exact McNemar p-value of the pooled discordant counts, PHolm
	// it adjusted over all cells (Holm); Significant: rejected at Alpha.
	P           float64 `json:"p_mcnemar"`
	PHolm       float64 `json:"p_holm"`
	Significant bool    `json:"significant"`
	// Verdict is "better than reference", "worse than reference" or
	// "no significant difference".
	Verdict string `json:"verdict"`
}

// Verdicts of PairedTest.
const (
	VerdictBetter = "better than reference"
	VerdictWorse  = "worse than reference"
	VerdictNone   = "no significant difference"
)

// Findings are the statements of the report's "what the grid shows",
// computed from the numbers.
type Findings struct {
	// Best is the cell with the highest mean accuracy, and a sentence.
	Best string `json:"best"`
	// Significant lists the cells that differ from the reference after Holm.
	Significant []string         `json:"significant"`
	Curation    *CurationFinding `json:"curation,omitempty"`
	Scaling     *ScalingFinding  `json:"scaling,omitempty"`
	// Text holds the sentences, in report order.
	Text []string `json:"text"`
}

// CurationFinding compares the debiased and raw curation cells that differ
// only in curation.
type CurationFinding struct {
	DebiasedCell string  `json:"debiased_cell"`
	RawCell      string  `json:"raw_cell"`
	Diff         float64 `json:"diff"` // debiased − raw mean accuracy
	PHolm        float64 `json:"p_holm"`
	Tested       bool    `json:"tested"` // one of the two is the reference
	// Verdict is "debiased > raw", "raw > debiased" or "no significant difference".
	Verdict string `json:"verdict"`
}

// ScalingFinding is the data-scaling curve: the cells that differ from the
// reference only in the training fraction, by fraction.
type ScalingFinding struct {
	Points []ScalingPoint `json:"points"`
	// Monotone: mean accuracy never falls as the fraction grows.
	Monotone bool `json:"monotone"`
	// Spearman is the rank correlation of training triplets and mean
	// accuracy; absent when either is constant.
	Spearman *float64 `json:"spearman,omitempty"`
	// Rises: the last point is above the first and the curve is monotone,
	// or Spearman > 0.
	Rises bool `json:"rises"`
}

// ScalingPoint is one point of the data-scaling curve.
type ScalingPoint struct {
	Cell          string     `json:"cell"`
	Fraction      float64    `json:"fraction"`
	TrainTriplets float64    `json:"train_triplets"`
	MeanAccuracy  float64    `json:"mean_accuracy"`
	CI95          [2]float64 `json:"ci95"`
}

// ---------- reading a cell-seed ----------

type trainingRecord struct {
	Result struct {
		History []struct {
			Epoch       int     `json:"epoch"`
			ValAccuracy float64 `json:"val_accuracy"`
		} `json:"history"`
		InitialValAccuracy *float64 `json:"initial_val_accuracy"`
		BestValAccuracy    float64  `json:"best_val_accuracy"`
		BestEpoch          int      `json:"best_epoch"`
		TrainSize          *int     `json:"train_size"`
	} `json:"result"`
}

// seedData is a cell-seed as read from disk.
type seedData struct {
	sum     SeedSummary
	sha     string
	ids     []string        // every sample id, sorted
	correct map[string]bool // counted pairs: id → correct
}

func readSeed(dir string, seed uint64) (*seedData, error) {
	d := &seedData{sum: SeedSummary{Seed: seed}, correct: map[string]bool{}}
	tpath := filepath.Join(dir, ModelDir, TrainingFile)
	b, err := os.ReadFile(tpath)
	if err != nil {
		return nil, err
	}
	var tr trainingRecord
	if err := json.Unmarshal(b, &tr); err != nil {
		return nil, fmt.Errorf("%s: %w", tpath, err)
	}
	if tr.Result.TrainSize == nil {
		return nil, fmt.Errorf("%s: field \"result.train_size\" missing: want the number of training triplets", tpath)
	}
	d.sum.TrainTriplets = *tr.Result.TrainSize
	d.sum.BestValAccuracy, d.sum.BestEpoch = tr.Result.BestValAccuracy, tr.Result.BestEpoch
	d.sum.Curve = []CurvePoint{}
	if v := tr.Result.InitialValAccuracy; v != nil {
		d.sum.Curve = append(d.sum.Curve, CurvePoint{Epoch: 0, ValAccuracy: *v})
	}
	for _, h := range tr.Result.History {
		d.sum.Curve = append(d.sum.Curve, CurvePoint{Epoch: h.Epoch, ValAccuracy: h.ValAccuracy})
	}

	rpath := filepath.Join(dir, RunDir, "results.json")
	res, err := results.ReadResults(rpath)
	if err != nil {
		return nil, err
	}
	if len(res.Scorers) != 1 {
		return nil, fmt.Errorf("%s: field \"scorers\": %d scorers, want exactly 1 (the trained model)", rpath, len(res.Scorers))
	}
	name := res.Scorers[0].Name
	d.sha = res.Dataset.SHA256
	spath := filepath.Join(dir, RunDir, "samples.jsonl")
	seen := map[string]bool{}
	right := 0
	err = results.ReadSamples(spath, func(s results.Sample) error {
		if seen[s.ID] {
			return fmt.Errorf("field \"id\": pair %q appears twice", s.ID)
		}
		seen[s.ID] = true
		d.ids = append(d.ids, s.ID)
		sc, ok := s.Scores[name]
		if !ok || sc.Error != "" {
			d.sum.NFailed++
			return nil
		}
		var c bool
		switch s.Label {
		case "a":
			c = sc.A >= sc.B
		case "b":
			c = sc.B >= sc.A
		default: // a tied label: no preferred image
			return nil
		}
		d.correct[s.ID] = c
		if c {
			right++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	d.sum.NPairs = len(d.correct)
	if d.sum.NPairs == 0 {
		return nil, fmt.Errorf("%s: no pair with a preferred image was scored", spath)
	}
	d.sum.Accuracy = float64(right) / float64(d.sum.NPairs)
	slices.Sort(d.ids)
	return d, nil
}

// ---------- the summary ----------

func summarize(spec *Spec, cells []Cell, outDir string) (*Summary, error) {
	sum := &Summary{
		SchemaVersion: SummaryVersion, Name: spec.Name, Version: spec.Version, Description: spec.Description,
		Mode: spec.mode(), Axes: sortedAxes(spec.Grid), Reference: spec.Reference, Base: spec.Base,
		Seeds: spec.Seeds, Alpha: spec.alpha(), Level: Level,
	}
	data := make([][]*seedData, len(cells))
	refIdx := -1
	for i, c := range cells {
		if c.Reference {
			refIdx = i
			sum.ReferenceCell = c.Name
		}
		cs := CellSummary{Name: c.Name, Settings: c.Settings, Reference: c.Reference, Dir: filepath.ToSlash(filepath.Join(CellsDir, c.Name))}
		var accs []float64
		var triplets float64
		for _, seed := range spec.Seeds {
			d, err := readSeed(SeedDir(outDir, c.Name, seed), seed)
			if err != nil {
				return nil, fmt.Errorf("ablation: cell %q seed %d: %w", c.Name, seed, err)
			}
			if sum.TestSHA256 == "" {
				sum.TestSHA256 = d.sha
			} else if d.sha != "" && d.sha != sum.TestSHA256 {
				return nil, fmt.Errorf("ablation: cell %q seed %d was scored on a test file with sha256 %s, other cells on %s: every cell must be scored on the same test split",
					c.Name, seed, d.sha, sum.TestSHA256)
			}
			data[i] = append(data[i], d)
			cs.Seeds = append(cs.Seeds, d.sum)
			accs = append(accs, d.sum.Accuracy)
			triplets += float64(d.sum.TrainTriplets)
		}
		ti, err := stats.TInterval(accs, Level)
		if err != nil {
			return nil, fmt.Errorf("ablation: cell %q: %w", c.Name, err)
		}
		cs.MeanAccuracy, cs.SD, cs.NSeeds = ti.Mean, ti.SD, ti.N
		cs.CI95 = [2]float64{math.Max(0, ti.Lo), math.Min(1, ti.Hi)}
		cs.TrainTriplets = triplets / float64(len(accs))
		cs.Curve = meanCurve(cs.Seeds)
		sum.Cells = append(sum.Cells, cs)
	}
	if refIdx < 0 {
		return nil, errors.New("ablation: no reference cell") // Cells always marks one
	}

	// Paired tests against the reference, Holm over all of them.
	var ps []float64
	var tested []int
	for i := range cells {
		if i == refIdx {
			continue
		}
		pt := &PairedTest{Reference: cells[refIdx].Name, Diff: sum.Cells[i].MeanAccuracy - sum.Cells[refIdx].MeanAccuracy}
		for k, seed := range spec.Seeds {
			cd, rd := data[i][k], data[refIdx][k]
			if !slices.Equal(cd.ids, rd.ids) {
				return nil, fmt.Errorf("ablation: cell %q seed %d: its samples.jsonl holds other pair ids than the reference's (%d vs %d pairs): every cell must be scored on the same test split",
					cells[i].Name, seed, len(cd.ids), len(rd.ids))
			}
			for _, id := range cd.ids {
				c, ok1 := cd.correct[id]
				r, ok2 := rd.correct[id]
				if !ok1 || !ok2 {
					continue
				}
				pt.NPairs++
				switch {
				case c && !r:
					pt.CellWins++
				case r && !c:
					pt.ReferenceWins++
				}
			}
		}
		pt.P = stats.McNemarExact(pt.CellWins, pt.ReferenceWins)
		sum.Cells[i].VsReference = pt
		ps = append(ps, pt.P)
		tested = append(tested, i)
	}
	if len(ps) > 0 {
		h, err := stats.Holm(ps, sum.Alpha)
		if err != nil {
			return nil, fmt.Errorf("ablation: holm: %w", err)
		}
		for k, i := range tested {
			pt := sum.Cells[i].VsReference
			pt.PHolm, pt.Significant = h.Adjusted[k], h.Reject[k]
			pt.Verdict = VerdictNone
			if pt.Significant && pt.CellWins > pt.ReferenceWins {
				pt.Verdict = VerdictBetter
			} else if pt.Significant && pt.CellWins < pt.ReferenceWins {
				pt.Verdict = VerdictWorse
			}
		}
	}
	sum.Findings = findings(sum, cells)
	return sum, nil
}

// meanCurve averages the seeds' learning curves epoch by epoch.
func meanCurve(seeds []SeedSummary) []CurvePoint {
	acc := map[int][]float64{}
	for _, s := range seeds {
		for _, p := range s.Curve {
			acc[p.Epoch] = append(acc[p.Epoch], p.ValAccuracy)
		}
	}
	var epochs []int
	for e := range acc {
		epochs = append(epochs, e)
	}
	sort.Ints(epochs)
	out := []CurvePoint{}
	for _, e := range epochs {
		out = append(out, CurvePoint{Epoch: e, ValAccuracy: stat.Mean(acc[e], nil), NSeeds: len(acc[e])})
	}
	return out
}

// slice returns the indices of the cells equal to the reference cell on
// every axis but axis, in cell order.
func slice(sum *Summary, axis string) []int {
	var ref map[string]any
	for _, c := range sum.Cells {
		if c.Reference {
			ref = c.Settings
		}
	}
	var out []int
	for i, c := range sum.Cells {
		same := true
		for _, ax := range sum.Axes {
			if ax != axis && c.Settings[ax] != ref[ax] {
				same = false
			}
		}
		if same {
			out = append(out, i)
		}
	}
	return out
}

func findings(sum *Summary, cells []Cell) Findings {
	f := Findings{Significant: []string{}, Text: []string{}}
	best := 0
	for i, c := range sum.Cells {
		if c.MeanAccuracy > sum.Cells[best].MeanAccuracy {
			best = i
		}
		if c.VsReference != nil && c.VsReference.Significant {
			f.Significant = append(f.Significant, c.Name)
		}
	}
	f.Best = sum.Cells[best].Name
	b := sum.Cells[best]
	f.Text = append(f.Text, fmt.Sprintf("Highest mean test accuracy: %s, %s over %d seeds.", cellLabel(b), results.AccuracyCI(b.MeanAccuracy, b.CI95), b.NSeeds))
	nTests := len(sum.Cells) - 1
	switch {
	case nTests == 0:
	case len(f.Significant) == 0:
		f.Text = append(f.Text, fmt.Sprintf("No cell differs significantly from the reference (pooled exact McNemar over seeds, Holm over %d tests, α = %v).", nTests, sum.Alpha))
	default:
		var parts []string
		for _, c := range sum.Cells {
			if c.VsReference != nil && c.VsReference.Significant {
				parts = append(parts, fmt.Sprintf("%s (%s points, %s)", c.Name, results.Points(c.VsReference.Diff), shortVerdict(c.VsReference.Verdict)))
			}
		}
		f.Text = append(f.Text, fmt.Sprintf("%d of %d cells differ significantly from the reference (pooled exact McNemar over seeds, Holm, α = %v): %s.",
			len(f.Significant), nTests, sum.Alpha, strings.Join(parts, "; ")))
	}

	// Curation.
	var deb, raw = -1, -1
	if slices.Contains(sum.Axes, "curation") {
		for _, i := range slice(sum, "curation") {
			switch sum.Cells[i].Settings["curation"] {
			case "debiased":
				deb = i
			case "raw":
				raw = i
			}
		}
	}
	if deb >= 0 && raw >= 0 {
		d, r := sum.Cells[deb], sum.Cells[raw]
		cf := &CurationFinding{DebiasedCell: d.Name, RawCell: r.Name, Diff: d.MeanAccuracy - r.MeanAccuracy, Verdict: VerdictNone}
		var pt *PairedTest
		debWins := false
		switch {
		case r.VsReference != nil && d.Reference:
			pt, debWins = r.VsReference, r.VsReference.ReferenceWins > r.VsReference.CellWins
		case d.VsReference != nil && r.Reference:
			pt, debWins = d.VsReference, d.VsReference.CellWins > d.VsReference.ReferenceWins
		}
		means := fmt.Sprintf("%s vs %s mean test accuracy (%s points)", results.Percent(d.MeanAccuracy), results.Percent(r.MeanAccuracy), results.Points(cf.Diff))
		var text string
		if pt != nil {
			cf.Tested, cf.PHolm = true, pt.PHolm
			test := fmt.Sprintf("pooled exact McNemar, Holm p = %s", results.PValue(pt.PHolm))
			switch {
			case pt.Significant && debWins:
				cf.Verdict = "debiased > raw"
				text = fmt.Sprintf("Debiased curation beats raw: %s; %s, significant at α = %v.", means, test, sum.Alpha)
			case pt.Significant:
				cf.Verdict = "raw > debiased"
				text = fmt.Sprintf("Raw curation beats debiased: %s; %s, significant at α = %v.", means, test, sum.Alpha)
			case cf.Diff > 0:
				text = fmt.Sprintf("Debiased curation is ahead of raw but not significantly: %s; %s.", means, test)
			case cf.Diff < 0:
				text = fmt.Sprintf("Debiased curation is behind raw but not significantly: %s; %s.", means, test)
			default:
				text = fmt.Sprintf("Debiased and raw curation tie: %s; %s.", means, test)
			}
		} else {
			text = fmt.Sprintf("Debiased vs raw curation: %s; no paired test (neither cell is the reference).", means)
		}
		f.Curation = cf
		f.Text = append(f.Text, text)
	}

	// Data scaling.
	if slices.Contains(sum.Axes, "fraction") {
		idx := slice(sum, "fraction")
		if len(idx) >= 2 {
			sf := &ScalingFinding{}
			for _, i := range idx {
				c := sum.Cells[i]
				fr, _ := c.Settings["fraction"].(float64)
				sf.Points = append(sf.Points, ScalingPoint{Cell: c.Name, Fraction: fr, TrainTriplets: c.TrainTriplets, MeanAccuracy: c.MeanAccuracy, CI95: c.CI95})
			}
			sort.SliceStable(sf.Points, func(a, b int) bool { return sf.Points[a].Fraction < sf.Points[b].Fraction })
			xs, ys := make([]float64, len(sf.Points)), make([]float64, len(sf.Points))
			sf.Monotone = true
			var falls []string
			for k, p := range sf.Points {
				xs[k], ys[k] = p.TrainTriplets, p.MeanAccuracy
				if k > 0 && p.MeanAccuracy < sf.Points[k-1].MeanAccuracy {
					sf.Monotone = false
					falls = append(falls, FormatValue(sf.Points[k-1].Fraction)+" → "+FormatValue(p.Fraction))
				}
			}
			rhoV, err := stats.Spearman(xs, ys) // NaN when undefined (constant size or accuracy)
			if err == nil {
				sf.Spearman = &rhoV
			}
			first, last := sf.Points[0], sf.Points[len(sf.Points)-1]
			sf.Rises = (sf.Monotone && last.MeanAccuracy > first.MeanAccuracy) || rhoV > 0
			span := fmt.Sprintf("mean test accuracy goes from %s at fraction %s (%.0f training triplets) to %s at fraction %s (%.0f)",
				results.Percent(first.MeanAccuracy), FormatValue(first.Fraction), first.TrainTriplets,
				results.Percent(last.MeanAccuracy), FormatValue(last.Fraction), last.TrainTriplets)
			rho := "Spearman ρ = " + formatRho(rhoV)
			var text string
			switch {
			case sf.Rises && sf.Monotone:
				text = fmt.Sprintf("The data-scaling curve rises: %s and never falls in between; %s.", span, rho)
			case sf.Rises:
				text = fmt.Sprintf("The data-scaling curve rises overall (%s > 0) but not monotonically: it falls from fraction %s; %s.", rho, strings.Join(falls, " and "), span)
			default:
				text = fmt.Sprintf("The data-scaling curve does not rise: %s; %s.", span, rho)
			}
			f.Scaling = sf
			f.Text = append(f.Text, text)
		}
	}
	return f
}

func formatRho(r float64) string {
	if math.IsNaN(r) {
		return "undefined (constant accuracy or size)"
	}
	return fmt.Sprintf("%.2f", r)
}

func shortVerdict(v string) string {
	switch v {
	case VerdictBetter:
		return "better"
	case VerdictWorse:
		return "worse"
	}
	return "no difference"
}

func cellLabel(c CellSummary) string {
	if c.Reference {
		return c.Name + " (the reference)"
	}
	return c.Name
}
