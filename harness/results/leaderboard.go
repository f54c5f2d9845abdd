package results

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
)

// Files of a leaderboard directory (srbench rank).
const (
	// LeaderboardFile holds Leaderboard.
	LeaderboardFile = "leaderboard.json"
	// GalleryScoresFile holds one GalleryScore per line, in gallery order.
	GalleryScoresFile = "images.jsonl"
	// LeaderboardKind is Leaderboard.Kind.
	LeaderboardKind = "leaderboard"
	// TruthJudge is the judge name of a gallery's own ground-truth labels
	// (the manifest's "truth" field).
	TruthJudge = "truth"
)

// LeaderboardSchemaVersion is the version of leaderboard.json and
// images.jsonl; it changes when a field is removed or changes meaning.
const LeaderboardSchemaVersion = 1

// Leaderboard is leaderboard.json: generators ranked by every judge (scorer
// or the gallery's ground truth) on one gallery, with the provenance
// conventions of results.json. See docs/leaderboard-schema.md.
type Leaderboard struct {
	SchemaVersion int    `json:"schema_version"`
	Kind          string `json:"kind"`
	// Benchmark names the ranking (--name; default the gallery's name).
	Benchmark Benchmark   `json:"benchmark"`
	Gallery   GalleryInfo `json:"gallery"`
	// Judges are the scorers in command-line order, then TruthJudge when
	// the gallery carries ground truth.
	Judges    []Judge      `json:"judges"`
	Bootstrap BootstrapCfg `json:"bootstrap"`
	// Alpha is the family-wise level of the Holm-corrected win-rate tests.
	Alpha float64 `json:"alpha"`
	// Boards holds one board per judge, in Judges order.
	Boards []Board `json:"boards"`
	// Agreement is Kendall's tau-b between every two judges' Bradley–Terry
	// strengths over the generators.
	Agreement []RankAgreement `json:"agreement"`
	// BestOfN holds, for every selector, measure and N, the expected
	// measure score of the image the selector picks among N samples.
	BestOfN []BestOfNEntry `json:"best_of_n"`
	// Extremes are, per judge and generator, its highest- and lowest-scored
	// images, for the report's galleries.
	Extremes   []Extremes `json:"extremes,omitempty"`
	Provenance Provenance `json:"provenance"`
	Notes      []string   `json:"notes,omitempty"`
	// Warnings are what a reader must know (missing cells, unequal
	// samples, failures, regularised fits); terminal, report and gate
	// show them.
	Warnings []Warning `json:"warnings,omitempty"`
}

// GalleryInfo identifies the gallery exactly and counts its structure.
type GalleryInfo struct {
	Format string `json:"format"`
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	// NImages, NPrompts count the gallery's images and distinct prompts;
	// NTruth the images with a ground-truth label.
	NImages  int `json:"n_images"`
	NPrompts int `json:"n_prompts"`
	NTruth   int `json:"n_truth"`
	// Generators are the generators' names, sorted.
	Generators []string `json:"generators"`
	// MissingByGenerator counts, per generator, the prompts it has no
	// image for; NUnequalPrompts the prompts whose generators have
	// different numbers of samples. Both are reported, never dropped: a
	// generator's mean is over its own prompts and a head-to-head over the
	// prompts both have.
	MissingByGenerator map[string]int `json:"missing_by_generator,omitempty"`
	NUnequalPrompts    int            `json:"n_unequal_prompts"`
	// MaxSamples is the most samples one (prompt, generator) cell has.
	MaxSamples int `json:"max_samples"`
	// Skipped counts entries the loader skipped (hidden or stray files).
	Skipped     int            `json:"n_skipped"`
	SkipReasons map[string]int `json:"skip_reasons,omitempty"`
	// Warnings are the loader's (unknown fields, skipped files, structure).
	Warnings []string `json:"warnings,omitempty"`
}

// Judge is one scorer (or the ground truth) of a leaderboard.
type Judge struct {
	Name string `json:"name"`
	// Kind is "scorer" or "truth".
	Kind         string `json:"kind"`
	ScorerKind   string `json:"scorer_kind,omitempty"`
	Variant      string `json:"variant,omitempty"`
	Version      string `json:"version,omitempty"`
	Fingerprint  string `json:"fingerprint,omitempty"`
	PluginSHA256 string `json:"plugin_sha256,omitempty"`
	PluginPinned bool   `json:"plugin_pinned,omitempty"`
	ModelDir     string `json:"model_dir,omitempty"`
	// NScored and NFailed count the images the judge scored and failed
	// on (a failed image is left out of every statistic of this judge).
	NScored        int            `json:"n_scored"`
	NFailed        int            `json:"n_failed"`
	FailureReasons map[string]int `json:"failure_reasons,omitempty"`
	FailureExample string         `json:"failure_example,omitempty"`
}

// Estimate is a point estimate with its bootstrap interval and standard
// error.
type Estimate struct {
	Value float64    `json:"value"`
	CI    [2]float64 `json:"ci"`
	SE    float64    `json:"se"`
}

// Board is one judge's ranking of the generators.
type Board struct {
	Judge string `json:"judge"`
	// Generators are sorted by strength, strongest first.
	Generators []GeneratorRow `json:"generators"`
	// WinRates holds every ordered pair of generators.
	WinRates []WinRateEntry `json:"win_rates"`
	// Regularised is true when the Bradley–Terry maximum-likelihood fit
	// does not exist on the data (a generator never loses or never wins)
	// and Prior tied pseudo-comparisons per pair were added;
	// RegularisedReplicates counts the bootstrap replicates that needed it.
	Regularised           bool    `json:"regularised,omitempty"`
	Prior                 float64 `json:"prior,omitempty"`
	RegularisedReplicates int     `json:"regularised_replicates,omitempty"`
}

// GeneratorRow is one generator on one judge's board.
type GeneratorRow struct {
	Generator string `json:"generator"`
	// Rank is 1 for the strongest by Bradley–Terry strength.
	Rank int `json:"rank"`
	// Mean is the mean over the generator's prompts of its per-prompt
	// mean score.
	Mean Estimate `json:"mean"`
	// Strength is the Bradley–Terry log-strength (the generators'
	// strengths sum to 0).
	Strength Estimate `json:"strength"`
	// RankProb[r] is the share of bootstrap replicates in which the
	// generator ranks r+1-th by strength.
	RankProb []float64 `json:"rank_prob"`
	NPrompts int       `json:"n_prompts"`
	NImages  int       `json:"n_images"`
}

// WinRateEntry is the head-to-head of Generator against Opponent on the
// prompts both have: the share of (sample, sample) comparisons the
// generator wins, ties counting half, averaged over prompts.
type WinRateEntry struct {
	Generator string   `json:"generator"`
	Opponent  string   `json:"opponent"`
	Rate      Estimate `json:"rate"`
	NPrompts  int      `json:"n_prompts"`
	// Wins, Losses and Ties count prompts whose win rate is above, below
	// or at 1/2; P is the two-sided exact sign test over them and PHolm
	// its Holm correction over the judge's pairs of generators.
	Wins        int     `json:"wins"`
	Losses      int     `json:"losses"`
	Ties        int     `json:"ties"`
	P           float64 `json:"p"`
	PHolm       float64 `json:"p_holm"`
	Significant bool    `json:"significant"`
}

// RankAgreement is Kendall's tau-b between two judges' strengths.
type RankAgreement struct {
	A    string   `json:"a"`
	B    string   `json:"b"`
	Tau  Estimate `json:"tau"`
	Note string   `json:"note,omitempty"`
}

// BestOfNEntry is the expected Measure score of the sample Selector ranks
// highest among N uniformly drawn samples of a (prompt, generator) cell,
// averaged over cells. Gain is Value(N) - Value(1) in Measure's units,
// ZGain the same divided by Measure's standard deviation over all images,
// and OverOptimisation ZGain(Selector judging itself) - ZGain(Measure):
// how much of the selector's own gain the measure does not see.
type BestOfNEntry struct {
	Selector         string             `json:"selector"`
	Measure          string             `json:"measure"`
	N                int                `json:"n"`
	Value            Estimate           `json:"value"`
	Gain             Estimate           `json:"gain"`
	ZGain            Estimate           `json:"z_gain"`
	OverOptimisation Estimate           `json:"over_optimisation"`
	ByGenerator      map[string]float64 `json:"by_generator,omitempty"`
	NCells           int                `json:"n_cells"`
	NSkippedSmall    int                `json:"n_skipped_small"`
	NSkippedNaN      int                `json:"n_skipped_nan"`
}

// Extremes are one judge's highest- and lowest-scored images of one
// generator.
type Extremes struct {
	Judge     string         `json:"judge"`
	Generator string         `json:"generator"`
	Best      []GalleryImage `json:"best"`
	Worst     []GalleryImage `json:"worst"`
}

// GalleryImage is one image shown in a report gallery.
type GalleryImage struct {
	// Image is the path as the gallery names it; Path the resolved file.
	Image  string  `json:"image"`
	Path   string  `json:"path"`
	Prompt string  `json:"prompt"`
	Score  float64 `json:"score"`
}

// GalleryScore is one line of images.jsonl: one image and every scorer's
// score of it.
type GalleryScore struct {
	Index     int    `json:"index"`
	PromptID  string `json:"prompt_id"`
	Prompt    string `json:"prompt"`
	Generator string `json:"generator"`
	Sample    int    `json:"sample"`
	Image     string `json:"image"`
	// Path is the resolved image file (absent in reproducible mode).
	Path  string   `json:"path,omitempty"`
	Truth *float64 `json:"truth,omitempty"`
	// Scores are by scorer name.
	Scores map[string]ImageScore `json:"scores"`
}

// ImageScore is one scorer's result for one image: a score or an error.
type ImageScore struct {
	Score *float64 `json:"score,omitempty"`
	Error string   `json:"error,omitempty"`
}

// Board returns judge's board, or nil.
func (l *Leaderboard) Board(judge string) *Board {
	for i := range l.Boards {
		if l.Boards[i].Judge == judge {
			return &l.Boards[i]
		}
	}
	return nil
}

// ReadLeaderboard reads a leaderboard.json.
func ReadLeaderboard(path string) (*Leaderboard, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var l Leaderboard
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if l.Kind != LeaderboardKind {
		return nil, fmt.Errorf("%s: kind %q, want %q (a leaderboard written by srbench rank)", path, l.Kind, LeaderboardKind)
	}
	if l.SchemaVersion < 1 || l.SchemaVersion > LeaderboardSchemaVersion {
		return nil, fmt.Errorf("%s: schema_version %d, this srbench reads 1 to %d", path, l.SchemaVersion, LeaderboardSchemaVersion)
	}
	return &l, nil
}

// estimateJSON is Estimate's JSON form: an undefined (NaN) number is null.
type estimateJSON struct {
	Value *float64    `json:"value"`
	CI    [2]*float64 `json:"ci"`
	SE    *float64    `json:"se"`
}

func nullable(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func fromNullable(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// MarshalJSON writes an undefined (NaN) number as null.
func (e Estimate) MarshalJSON() ([]byte, error) {
	return json.Marshal(estimateJSON{Value: nullable(e.Value), CI: [2]*float64{nullable(e.CI[0]), nullable(e.CI[1])}, SE: nullable(e.SE)})
}

// UnmarshalJSON reads null as NaN.
func (e *Estimate) UnmarshalJSON(b []byte) error {
	var j estimateJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*e = Estimate{Value: fromNullable(j.Value), CI: [2]float64{fromNullable(j.CI[0]), fromNullable(j.CI[1])}, SE: fromNullable(j.SE)}
	return nil
}
