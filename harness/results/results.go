package results

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"slices"
)

// File names in a run directory.
const (
	// ResultsFile holds Results.
	ResultsFile = "results.json"
	// SamplesFile holds one Sample per line.
	SamplesFile = "samples.jsonl"
)

// SchemaVersion is the version of results.json and samples.jsonl. It changes
// when a field is removed or changes meaning; added fields keep it. Version 2
// made a scorer's accuracy, interval and averages null when no pair was
// counted (version 1 wrote 0); ReadResults reads both.
const SchemaVersion = 2

// Results is results.json: everything a report or a CI gate needs, without
// rescoring. See docs/results-schema.md.
type Results struct {
	SchemaVersion int         `json:"schema_version"`
	Benchmark     Benchmark   `json:"benchmark"`
	Dataset       DatasetInfo `json:"dataset"`
	// Shard is set when the run scored only one shard of the dataset's
	// pairs (srbench run --shard I/N): its numbers cover those pairs only.
	// Absent for a whole run and for one merged from all its shards.
	Shard     *Shard         `json:"shard,omitempty"`
	Policy    Policy         `json:"policy"`
	Bootstrap BootstrapCfg   `json:"bootstrap"`
	Scorers   []ScorerResult `json:"scorers"`
	// Comparisons holds every pair of scorers, on the pairs both scored.
	Comparisons []Comparison `json:"comparisons"`
	// Agreement holds every pair of scorers' agreement on the same pairs.
	Agreement  []AgreementEntry `json:"agreement"`
	Provenance Provenance       `json:"provenance"`
	// Notes are statements a reader must see (e.g. "synthetic world, demo models").
	Notes []string `json:"notes,omitempty"`
	// Warnings are the situations in which a number may mislead (predicted
	// ties, one-sided labels, failures, undefined statistics); the terminal,
	// the top of every report and the CI gate show them.
	Warnings []Warning `json:"warnings,omitempty"`
}

// Shard is one of Count disjoint parts of a dataset's pairs, 0-based.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// String is "I/N", as --shard takes it.
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Note is what a shard's terminal summary and report say at the top.
func (s Shard) Note() string {
	return fmt.Sprintf("shard %d of %d (0-based, --shard %s): these numbers cover only this shard's pairs, not the whole dataset; merge all %d shards with srbench merge for the run's numbers",
		s.Index, s.Count, s, s.Count)
}

// Warning is one situation a reader of the numbers must know about.
type Warning struct {
	// Kind is a stable identifier: see the Warn* constants.
	Kind string `json:"kind"`
	// Scorer is the scorer concerned, "" for the whole run.
	Scorer string `json:"scorer,omitempty"`
	// Message says what is wrong and what the numbers would be otherwise.
	Message string `json:"message"`
}

// Warning kinds.
const (
	// WarnPredictedTies: more than TieWarnRate of a scorer's counted pairs
	// are predicted ties, so its accuracy depends on the tie rule.
	WarnPredictedTies = "predicted-ties"
	// WarnLabelBalance: the share of label "a" among A/B labels is outside
	// [LabelBalanceLo, LabelBalanceHi], so position effects are invisible.
	WarnLabelBalance = "label-balance"
	// WarnFailures: a scorer failed on some pairs (they are not counted).
	WarnFailures = "failures"
	// WarnNoPairs: a scorer has no counted pair; its accuracy is undefined.
	WarnNoPairs = "no-pairs"
	// WarnSmallSample: too few prompts for the bootstrap; the interval is
	// Wilson's (or exact) instead.
	WarnSmallSample = "small-sample"
	// WarnUndefined: a statistic could not be computed on this data.
	WarnUndefined = "undefined"
	// WarnDataset: the loader skipped, filtered or ignored part of the data
	// (DatasetInfo.Warnings).
	WarnDataset = "dataset"
	// WarnDuplicateIDs: some pairs repeat the id of an earlier pair.
	WarnDuplicateIDs = "duplicate-ids"
	// WarnUnpinned: a scorer ran a plugin binary without a pin
	// (--allow-unpinned), so nothing ties its numbers to a known build.
	WarnUnpinned = "unpinned"
	// WarnNoFingerprint: a scorer's plugin reported no model fingerprint
	// at all (not even "none", which says it reads no model files), so
	// nothing ties its numbers to exact weights.
	WarnNoFingerprint = "no-fingerprint"
)

// Thresholds of the warnings.
const (
	// TieWarnRate is the predicted-tie share above which a scorer is flagged.
	TieWarnRate = 0.02
	// LabelBalanceLo and LabelBalanceHi bound the share of label "a" among
	// A/B labels that counts as balanced.
	LabelBalanceLo, LabelBalanceHi = 0.35, 0.65
	// MinBootstrapPrompts is the fewest prompts with counted pairs for
	// which an accuracy interval is a prompt bootstrap; below it, and when
	// every resample gives the same accuracy, it is Wilson's (micro) or
	// Clopper–Pearson's over prompts (macro).
	MinBootstrapPrompts = 20
	// PoissonBootstrapPrompts is the number of distinct prompts in the data
	// from which the intervals are a Poisson bootstrap (CIPoissonBootstrap)
	// rather than the multinomial prompt bootstrap (CIBootstrap): the
	// multinomial bootstrap costs B draws per prompt per statistic and did
	// not finish on 1M prompts, while the Poisson bootstrap visits the
	// prompts once for every statistic (docs/performance.md).
	PoissonBootstrapPrompts = 100_000
)

// Benchmark names what was run.
type Benchmark struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	// Spec is the benchmark spec file, if one was used.
	Spec        string `json:"spec,omitempty"`
	Description string `json:"description,omitempty"`
}

// DatasetInfo identifies the data exactly.
type DatasetInfo struct {
	Format string `json:"format"`
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	// NPairs is the number of pairs in samples.jsonl.
	NPairs   int `json:"n_pairs"`
	NPrompts int `json:"n_prompts"`
	// NLabelTies is the number of pairs whose label is a tie; NLabelA and
	// NLabelB those whose label prefers image a or b.
	NLabelTies int `json:"n_label_ties"`
	NLabelA    int `json:"n_label_a"`
	NLabelB    int `json:"n_label_b"`
	// PairOrder says how the loader chose which image of a triplet is a and
	// which b (e.g. a seeded swap); "" when the file gives the order.
	PairOrder string `json:"pair_order,omitempty"`
	// NDuplicateIDs counts pairs whose id an earlier pair already had
	// (each is still scored and counted); DuplicateIDs names a few.
	NDuplicateIDs int      `json:"n_duplicate_ids,omitempty"`
	DuplicateIDs  []string `json:"duplicate_ids,omitempty"`
	// NSkippedRows counts dataset records the loader skipped (lenient mode);
	// SkipReasons says why.
	NSkippedRows int            `json:"n_skipped_rows"`
	SkipReasons  map[string]int `json:"skip_reasons,omitempty"`
	// NFilteredRows counts well-formed records left out on purpose (another
	// split, unlabeled rows); FilterReasons says why.
	NFilteredRows int            `json:"n_filtered_rows"`
	FilterReasons map[string]int `json:"filter_reasons,omitempty"`
	// Warnings are the loader's warnings (unknown fields, skips, filters).
	Warnings []string `json:"warnings,omitempty"`
	// HasStrength is true when pairs carry a label strength.
	HasStrength bool `json:"has_strength"`
}

// Policy records the choices that shape the numbers.
type Policy struct {
	// Name is the preset name ("socialreward", "pickscore", ...) or a
	// description of a custom rule.
	Name string `json:"name"`
	// PredictionTies: what a pair with equal scores earns (wrong, correct, half).
	PredictionTies string `json:"prediction_ties"`
	// LabelTies: what a pair with a tied label earns (skip, half, match, correct).
	LabelTies string `json:"label_ties"`
	// Averaging: micro (over pairs) or macro (per prompt, then mean).
	Averaging string `json:"averaging"`
	// Epsilon: |score_a - score_b| <= epsilon is a predicted tie.
	Epsilon float64 `json:"epsilon"`
	// Alpha is the family-wise significance level of the paired tests.
	Alpha float64 `json:"alpha"`
}

// BootstrapCfg records the bootstrap.
type BootstrapCfg struct {
	B     int     `json:"b"`
	Seed  uint64  `json:"seed"`
	Level float64 `json:"level"`
	// Unit is what is resampled: "prompt".
	Unit string `json:"unit"`
	// Method is CIPoissonBootstrap when the data has at least
	// PoissonBootstrapPrompts prompts; absent for the multinomial bootstrap.
	Method string `json:"method,omitempty"`
}

// ScorerResult is one scorer's outcome.
type ScorerResult struct {
	Name        string            `json:"name"`
	Kind        string            `json:"kind"`
	Variant     string            `json:"variant"`
	Version     string            `json:"version"`
	Fingerprint string            `json:"fingerprint"`
	Runtime     string            `json:"runtime,omitempty"`
	Provider    string            `json:"provider,omitempty"`
	Formula     string            `json:"formula,omitempty"`
	Preprocess  string            `json:"preprocessing,omitempty"`
	Tokenizer   string            `json:"tokenizer,omitempty"`
	ModelDir    string            `json:"model_dir"`
	Details     map[string]string `json:"details,omitempty"`
	// PluginSHA256 is the sha256 of the plugin binary that scored, and
	// PluginPinned whether it matched a pin in plugins.lock.
	PluginSHA256 string `json:"plugin_sha256,omitempty"`
	PluginPinned bool   `json:"plugin_pinned"`

	// Accuracy is under Policy, over the NPairs counted pairs; nil (null)
	// when no pair was counted.
	Accuracy *float64 `json:"accuracy"`
	// CI95 is the 95% interval of Accuracy by CIMethod; nil when Accuracy is.
	CI95 *[2]float64 `json:"ci95"`
	// CIMethod is how CI95 was made: CIBootstrap, or CIWilson / CIExact when
	// the sample is too small or too uniform for the bootstrap (CINote says
	// why).
	CIMethod string `json:"ci_method,omitempty"`
	CINote   string `json:"ci_note,omitempty"`
	// Wilson95 is the Wilson interval of the micro accuracy (assumes
	// independent pairs); absent under macro averaging.
	Wilson95 *[2]float64 `json:"wilson95,omitempty"`
	// BootstrapSE is the standard error from the bootstrap replicates.
	BootstrapSE float64 `json:"bootstrap_se"`
	// MicroAccuracy and MacroAccuracy are both reported whatever the
	// policy's averaging; nil when no pair was counted.
	MicroAccuracy *float64 `json:"micro_accuracy"`
	MacroAccuracy *float64 `json:"macro_accuracy"`
	// PredictedTieRate is NPredictedTies/NPairs.
	PredictedTieRate float64 `json:"predicted_tie_rate"`
	// ByTieRule is the accuracy under the policy with each prediction-tie
	// rule, so a reader sees how much the rule matters.
	ByTieRule *TieRules `json:"accuracy_by_tie_rule,omitempty"`
	// TieCalibrated is the tie-calibrated accuracy (Deutsch et al. 2023).
	TieCalibrated *TieCalibrated `json:"tie_calibrated,omitempty"`
	NPairs        int            `json:"n_pairs"`
	NPrompts      int            `json:"n_prompts"`
	// NPredictedTies counts counted pairs whose two scores tie (within epsilon).
	NPredictedTies int `json:"n_predicted_ties"`
	// NFailed counts pairs where at least one image failed to score; they are
	// not in NPairs. FailureReasons groups them.
	NFailed        int            `json:"n_failed"`
	FailureReasons map[string]int `json:"failure_reasons,omitempty"`
	// FailureExamples are the first few distinct failure messages, with
	// the pair they happened on.
	FailureExamples []string `json:"failure_examples,omitempty"`
	// NSkipped counts label-tie pairs left out under label ties = skip.
	NSkipped    int              `json:"n_skipped"`
	Calibration *CalibrationInfo `json:"calibration,omitempty"`
	Strength    []StrengthBin    `json:"strength_bins,omitempty"`
	Restarts    int              `json:"plugin_restarts"`
	// Undefined names each statistic that could not be computed on this
	// data and why (e.g. "calibration: only one label class").
	Undefined []string `json:"undefined,omitempty"`
}

// Acc returns the accuracy and whether it is defined.
func (s ScorerResult) Acc() (float64, bool) {
	if s.Accuracy == nil {
		return 0, false
	}
	return *s.Accuracy, true
}

// Interval methods (ScorerResult.CIMethod, Comparison.CIMethod).
const (
	CIBootstrap = "bootstrap"       // percentile bootstrap over prompts
	CIWilson    = "wilson"          // Wilson score interval
	CIExact     = "clopper-pearson" // exact binomial interval
	// CIPoissonBootstrap is the percentile interval of a Poisson(1)
	// bootstrap over prompts (stats.PoissonBootstrap), used from
	// PoissonBootstrapPrompts prompts on.
	CIPoissonBootstrap = "poisson-bootstrap"
)

// IsBootstrap reports whether an interval method is a prompt bootstrap
// (multinomial or Poisson), the intended interval, rather than a fallback.
func IsBootstrap(method string) bool {
	return method == CIBootstrap || method == CIPoissonBootstrap
}

// TieRules is an accuracy under each prediction-tie rule, the label-tie
// rule and averaging of the policy unchanged.
type TieRules struct {
	Wrong   float64 `json:"wrong"`
	Half    float64 `json:"half"`
	Correct float64 `json:"correct"`
}

// TieCalibrated is the accuracy at the epsilon that maximises it.
type TieCalibrated struct {
	Accuracy float64 `json:"accuracy"`
	Epsilon  float64 `json:"epsilon"`
}

// CalibrationInfo is a logistic fit of "A preferred" on the score difference
// and the reliability of its probabilities.
type CalibrationInfo struct {
	Intercept float64          `json:"intercept"`
	Slope     float64          `json:"slope"`
	ECE       float64          `json:"ece"`
	Bins      []ReliabilityBin `json:"bins"`
	// Method says how the reliability bins and ECE were made: CalibCrossFit
	// (each pair's probability from a fit without its prompt's fold) or
	// CalibInSample (fitted and judged on the same pairs, when there are
	// too few prompts to cross-fit). Intercept and Slope are always the fit
	// on all pairs.
	Method string `json:"method,omitempty"`
	// Error is set when no fit was possible (e.g. perfectly separated data).
	Error string `json:"error,omitempty"`
}

// Calibration methods.
const (
	CalibCrossFit = "cross-fitted, 5 prompt folds"
	CalibInSample = "in-sample (fewer than 10 prompts)"
)

// ReliabilityBin is one bin of a reliability diagram.
type ReliabilityBin struct {
	Lo       float64 `json:"lo"`
	Hi       float64 `json:"hi"`
	MeanPred float64 `json:"mean_pred"`
	Observed float64 `json:"observed"`
	Count    int     `json:"count"`
}

// StrengthBin is the accuracy of pairs within a label-strength range.
type StrengthBin struct {
	Lo       float64    `json:"lo"`
	Hi       float64    `json:"hi"`
	Accuracy float64    `json:"accuracy"`
	CI95     [2]float64 `json:"ci95"`
	NPairs   int        `json:"n_pairs"`
}

// Comparison is a paired comparison of scorers A and B on the pairs both scored.
type Comparison struct {
	A      string  `json:"a"`
	B      string  `json:"b"`
	NPairs int     `json:"n_pairs"`
	AccA   float64 `json:"acc_a"`
	AccB   float64 `json:"acc_b"`
	// Diff is AccA - AccB; CI95 its interval by CIMethod: the paired
	// prompt bootstrap, or with few prompts the exact interval of the
	// discordant-pair difference (stats.ExactPairedDifference).
	Diff     float64    `json:"diff"`
	CI95     [2]float64 `json:"ci95"`
	CIMethod string     `json:"ci_method,omitempty"`
	// AWins / BWins are the discordant pairs (A right and B wrong, and vice versa).
	AWins    int     `json:"a_wins"`
	BWins    int     `json:"b_wins"`
	PMcNemar float64 `json:"p_mcnemar"`
	PHolm    float64 `json:"p_holm"`
	// Significant: Holm-adjusted p below the policy's alpha.
	Significant bool `json:"significant"`
	// Note explains a result a reader could misread: no common pairs, or an
	// interval and a test that disagree.
	Note string `json:"note,omitempty"`
}

// AgreementEntry is how far two scorers agree on the same pairs.
type AgreementEntry struct {
	A           string  `json:"a"`
	B           string  `json:"b"`
	N           int     `json:"n"`
	KendallTauB float64 `json:"kendall_tau_b"`
	PKendall    float64 `json:"p_kendall"`
	SameShare   float64 `json:"same_share"`
}

// Provenance ties the numbers to code, inputs and the command.
type Provenance struct {
	Command   []string `json:"command"`
	Commit    string   `json:"commit,omitempty"`
	GoVersion string   `json:"go_version"`
	Srbench   string   `json:"srbench_version"`
	StartedAt string   `json:"started_at"`
	Seconds   float64  `json:"seconds"`
	// Cached counts items served from the score cache instead of a plugin.
	Cached int `json:"cached_items"`
	// Resumed is true when the run was finished by srbench resume.
	Resumed bool `json:"resumed,omitempty"`
	// AllowUnpinned and AllowOutsideImages record the run's exceptions to
	// srbench's defaults (--allow-unpinned, --allow-outside-images), and
	// MaxImageBytes its image file size limit (-1: none).
	AllowUnpinned      bool  `json:"allow_unpinned,omitempty"`
	AllowOutsideImages bool  `json:"allow_outside_images,omitempty"`
	MaxImageBytes      int64 `json:"max_image_bytes,omitempty"`
	// PluginPeakRSS is each plugin process's peak resident memory in bytes
	// (Linux VmHWM; the largest over restarts), by scorer; absent when
	// unknown and in reproducible mode (it varies between runs).
	PluginPeakRSS map[string]int64 `json:"plugin_peak_rss_bytes,omitempty"`
	// Scoring is how long each scorer's plugin calls took, by scorer;
	// absent for a scorer served entirely from the cache and in
	// reproducible mode (it varies between runs).
	Scoring map[string]ScoringTime `json:"scoring,omitempty"`
}

// ScoringTime is the wall time a scorer spent in its plugin's Score calls.
// The first call also loads the model (plugins load on first use), so the
// throughput after it is the steady rate a larger run would see.
type ScoringTime struct {
	// Calls and Items count the Score calls and the items they carried
	// (items served by the cache are not counted).
	Calls int `json:"calls"`
	Items int `json:"items"`
	// Seconds is the time inside Score calls; FirstCallSeconds and
	// FirstCallItems are the first call's share of it.
	Seconds          float64 `json:"seconds"`
	FirstCallSeconds float64 `json:"first_call_seconds"`
	FirstCallItems   int     `json:"first_call_items"`
}

// SteadyItemsPerSecond is the throughput of the calls after the first
// (items per second); 0 when there was only one call.
func (t ScoringTime) SteadyItemsPerSecond() float64 {
	if t.Calls < 2 || t.Seconds <= t.FirstCallSeconds {
		return 0
	}
	return float64(t.Items-t.FirstCallItems) / (t.Seconds - t.FirstCallSeconds)
}

// ReadResults reads a results.json.
func ReadResults(path string) (*Results, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Results
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	switch r.SchemaVersion {
	case SchemaVersion:
	case 1:
		// Version 1 wrote 0 for undefined accuracies.
		for i := range r.Scorers {
			if r.Scorers[i].NPairs == 0 {
				r.Scorers[i].Accuracy, r.Scorers[i].CI95 = nil, nil
				r.Scorers[i].MicroAccuracy, r.Scorers[i].MacroAccuracy = nil, nil
			}
		}
		r.SchemaVersion = SchemaVersion
	default:
		return nil, fmt.Errorf("%s: field \"schema_version\" is %d; this srbench reads versions 1 and %d", path, r.SchemaVersion, SchemaVersion)
	}
	return &r, nil
}

// WriteJSON writes v as indented JSON to path.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Sample is one line of samples.jsonl: a pair, its label and every scorer's two scores.
type Sample struct {
	Index    int                    `json:"index"`
	ID       string                 `json:"id"`
	PromptID string                 `json:"prompt_id"`
	Prompt   string                 `json:"prompt"`
	ImageA   string                 `json:"image_a"`
	ImageB   string                 `json:"image_b"`
	Label    string                 `json:"label"`
	Weight   float64                `json:"weight"`
	Strength *float64               `json:"strength,omitempty"`
	Scores   map[string]SampleScore `json:"scores"`
}

// SampleScore is one scorer's view of a pair; Error is set when either image failed.
type SampleScore struct {
	A     float64 `json:"a"`
	B     float64 `json:"b"`
	Error string  `json:"error,omitempty"`
}

// SortedScorers returns the scorers most accurate first, those without an
// accuracy last (ties keep the results order).
func SortedScorers(r *Results) []ScorerResult {
	ss := slices.Clone(r.Scorers)
	slices.SortStableFunc(ss, func(a, b ScorerResult) int {
		x, okA := a.Acc()
		y, okB := b.Acc()
		if okA != okB {
			if okA {
				return -1
			}
			return 1
		}
		return cmp.Compare(y, x)
	})
	return ss
}
