package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/srbench/srbench/internal/atomicfile"

	"github.com/srbench/srbench/harness/internal/suggest"
	"github.com/srbench/srbench/harness/results"
	"github.com/srbench/srbench/harness/stats"
)

// BaselineVersion is the version of the baseline file format this package
// reads and writes. It changes when a field is removed or changes meaning.
const BaselineVersion = 1

// DefaultTolerance is the tolerance of a scorer whose baseline entry does not
// give one: 0.02, two percentage points.
const DefaultTolerance = 0.02

// Baseline is a baseline file (JSON; see docs/ci-gate.md): the accuracies a
// run must keep.
type Baseline struct {
	// Version is BaselineVersion.
	Version int `json:"version"`
	// Kind is what the baseline gates: KindResults (a run's results.json;
	// also when the field is absent, as in files written before
	// leaderboards) or KindLeaderboard (a leaderboard.json of srbench
	// rank). A baseline of one kind cannot check the other.
	Kind string `json:"kind,omitempty"`
	// Benchmark is the benchmark name of the run the baseline was made from
	// (informational: a different name is a warning).
	Benchmark string `json:"benchmark,omitempty"`
	// DatasetSHA256 is the dataset hash of that run. The paired test runs
	// only when the checked run has the same hash.
	DatasetSHA256 string `json:"dataset_sha256,omitempty"`
	// Policy is the counting rule of the baseline accuracies. When set, a run
	// counted under another rule cannot be checked against it.
	Policy *results.Policy `json:"policy,omitempty"`
	// RunDir is the baseline's run directory, relative to the baseline file
	// (or absolute). Its samples.jsonl enables the paired test.
	RunDir string `json:"run_dir,omitempty"`
	// Scorers are the gated scorers (KindResults).
	Scorers []BaselineScorer `json:"scorers,omitempty"`
	// GallerySHA256 is the gallery hash of the leaderboard the baseline was
	// made from (KindLeaderboard); a leaderboard of another gallery is
	// refused unless Options.AllowDatasetChange.
	GallerySHA256 string `json:"gallery_sha256,omitempty"`
	// Judges are the gated judges of a leaderboard (KindLeaderboard).
	Judges []BaselineJudge `json:"judges,omitempty"`
}

// Baseline kinds (Baseline.Kind).
const (
	KindResults     = "results"
	KindLeaderboard = "leaderboard"
)

// IsLeaderboard reports whether b gates a leaderboard (Kind is
// KindLeaderboard) rather than a run's results.
func (b *Baseline) IsLeaderboard() bool { return b.Kind == KindLeaderboard }

// kindName is b's kind for messages ("" reads as results).
func (b *Baseline) kindName() string {
	if b.Kind == "" {
		return KindResults
	}
	return b.Kind
}

// BaselineScorer is one scorer's baseline.
type BaselineScorer struct {
	Name string `json:"name"`
	// Accuracy is the baseline accuracy, a proportion in [0, 1].
	Accuracy float64 `json:"accuracy"`
	// Tolerance is how far the accuracy may fall before the gate fails, as a
	// proportion: 0.02 allows a drop of 2 percentage points. Omitted in the
	// file, it is DefaultTolerance.
	Tolerance float64 `json:"tolerance"`
	// Fingerprint is the scorer's model fingerprint when the baseline was
	// made; a different fingerprint in the run is a warning, not a failure.
	Fingerprint string `json:"fingerprint,omitempty"`
	// NFailed is how many pairs the scorer failed on in the baseline run
	// (0 when omitted); a run that fails on more fails the gate.
	NFailed int `json:"n_failed"`
	// NPairs is how many pairs were counted in the baseline run
	// (informational; it turns NFailed into a rate when the datasets differ).
	NPairs int `json:"n_pairs,omitempty"`
}

// InputError is unusable input: a malformed or inconsistent baseline or run
// file. It names the file and, when it can, the field.
type InputError struct {
	File  string
	Field string // JSON path such as "scorers[1].tolerance"; "" for the whole file
	Err   error
}

func (e *InputError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: field %q: %v", e.File, e.Field, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// The raw file, with pointers to tell a missing field from a zero.
type rawBaseline struct {
	Version       *int            `json:"version"`
	Benchmark     string          `json:"benchmark"`
	DatasetSHA256 string          `json:"dataset_sha256"`
	Policy        *results.Policy `json:"policy"`
	RunDir        string          `json:"run_dir"`
	Scorers       []rawScorer     `json:"scorers"`
	Kind          *string         `json:"kind"`
	GallerySHA256 string          `json:"gallery_sha256"`
	Judges        []rawJudge      `json:"judges"`
}

type rawScorer struct {
	Name        *string  `json:"name"`
	Accuracy    *float64 `json:"accuracy"`
	Tolerance   *float64 `json:"tolerance"`
	Fingerprint string   `json:"fingerprint"`
	NFailed     *int     `json:"n_failed"`
	NPairs      *int     `json:"n_pairs"`
}

// fieldNames are every field a baseline file may have, for "did you mean".
var fieldNames = []string{
	"version", "benchmark", "dataset_sha256", "policy", "run_dir", "scorers",
	"name", "accuracy", "tolerance", "fingerprint", "n_failed", "n_pairs",
	"prediction_ties", "label_ties", "averaging", "epsilon", "alpha",
	"kind", "gallery_sha256", "judges", "generators", "strength", "se",
}

// LoadBaseline reads and validates the baseline file at path. Every error
// is an *InputError.
func LoadBaseline(path string) (*Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &InputError{File: path, Err: err}
	}
	return ParseBaseline(path, data)
}

// ParseBaseline parses and validates a baseline file's contents; name is the
// file's name for messages. Unknown fields are errors (with a suggestion),
// so a misspelt "tolerance" is not silently the default. Every error is an
// *InputError.
func ParseBaseline(name string, data []byte) (*Baseline, error) {
	bad := func(field string, format string, args ...any) error {
		return &InputError{File: name, Field: field, Err: fmt.Errorf(format, args...)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var raw rawBaseline
	if err := dec.Decode(&raw); err != nil {
		return nil, decodeError(name, data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &InputError{File: name, Err: errors.New("unexpected data after the JSON object")}
	}
	b := &Baseline{Benchmark: raw.Benchmark, DatasetSHA256: raw.DatasetSHA256, Policy: raw.Policy, RunDir: raw.RunDir}
	switch {
	case raw.Version == nil:
		return nil, bad("version", "missing; want %d", BaselineVersion)
	case *raw.Version != BaselineVersion:
		return nil, bad("version", "%d; this srbench reads version %d", *raw.Version, BaselineVersion)
	}
	b.Version = *raw.Version
	if raw.Kind != nil {
		b.Kind = *raw.Kind
	}
	switch b.Kind {
	case "", KindResults:
		if len(raw.Judges) > 0 || raw.GallerySHA256 != "" {
			return nil, bad("kind", "%q, but the file has leaderboard fields (judges, gallery_sha256); want \"kind\": %q", b.kindName(), KindLeaderboard)
		}
	case KindLeaderboard:
		if len(raw.Scorers) > 0 || raw.Policy != nil || raw.DatasetSHA256 != "" {
			return nil, bad("kind", "%q, but the file has results fields (scorers, policy, dataset_sha256); want \"kind\": %q", b.Kind, KindResults)
		}
		return parseLeaderboardBaseline(b, raw, bad)
	default:
		return nil, bad("kind", "%q; want %q or %q", b.Kind, KindResults, KindLeaderboard)
	}
	if raw.Policy != nil {
		if _, err := statsPolicy(*raw.Policy); err != nil {
			return nil, &InputError{File: name, Field: "policy." + err.field, Err: err.err}
		}
	}
	if len(raw.Scorers) == 0 {
		return nil, bad("scorers", "missing or empty; want at least one scorer")
	}
	seen := map[string]int{}
	for i, s := range raw.Scorers {
		f := func(field string) string { return fmt.Sprintf("scorers[%d].%s", i, field) }
		if s.Name == nil || strings.TrimSpace(*s.Name) == "" {
			return nil, bad(f("name"), "missing or empty; want the scorer's name")
		}
		if j, dup := seen[*s.Name]; dup {
			return nil, bad(f("name"), "%q is listed twice (also scorers[%d])", *s.Name, j)
		}
		seen[*s.Name] = i
		if s.Accuracy == nil {
			return nil, bad(f("accuracy"), "missing; want the baseline accuracy, a proportion in [0, 1]")
		}
		if !(*s.Accuracy >= 0 && *s.Accuracy <= 1) {
			return nil, bad(f("accuracy"), "%v; want a proportion in [0, 1] (0.697, not 69.7)", *s.Accuracy)
		}
		tol := DefaultTolerance
		if s.Tolerance != nil {
			tol = *s.Tolerance
		}
		if !(tol >= 0 && tol <= 1) {
			return nil, bad(f("tolerance"), "%v; want a proportion in [0, 1] (0.02 allows a drop of 2 points)", tol)
		}
		bs := BaselineScorer{Name: *s.Name, Accuracy: *s.Accuracy, Tolerance: tol, Fingerprint: s.Fingerprint}
		if s.NFailed != nil {
			if *s.NFailed < 0 {
				return nil, bad(f("n_failed"), "%d; want a count >= 0", *s.NFailed)
			}
			bs.NFailed = *s.NFailed
		}
		if s.NPairs != nil {
			if *s.NPairs < 0 {
				return nil, bad(f("n_pairs"), "%d; want a count >= 0", *s.NPairs)
			}
			bs.NPairs = *s.NPairs
		}
		b.Scorers = append(b.Scorers, bs)
	}
	return b, nil
}

// decodeError turns a json error into an *InputError with a line and
// column, the field, and a suggestion for unknown fields.
func decodeError(name string, data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		l, c := lineCol(data, syn.Offset)
		return &InputError{File: name, Err: fmt.Errorf("line %d, column %d: %v", l, c, syn)}
	case errors.As(err, &typ):
		l, c := lineCol(data, typ.Offset)
		return &InputError{File: name, Field: typ.Field, Err: fmt.Errorf("line %d, column %d: a JSON %s, want %s", l, c, typ.Value, typ.Type)}
	case errors.Is(err, io.EOF):
		return &InputError{File: name, Err: errors.New("empty file; want a JSON object")}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &InputError{File: name, Err: errors.New("the JSON ends early")}
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		e := fmt.Errorf("unknown field")
		if s := suggest.Closest(f, fieldNames); s != "" {
			e = fmt.Errorf("unknown field; did you mean %q?", s)
		}
		return &InputError{File: name, Field: f, Err: e}
	}
	return &InputError{File: name, Err: err}
}

func lineCol(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1)
	return line, max(col, 1)
}

// fieldError is a policy field that does not parse.
type fieldError struct {
	field string
	err   error
}

// statsPolicy turns a results policy into the stats package's rule.
func statsPolicy(p results.Policy) (stats.Policy, *fieldError) {
	var pol stats.Policy
	var err error
	if pol.PredTie, err = stats.ParsePredTie(p.PredictionTies); err != nil {
		return pol, &fieldError{"prediction_ties", err}
	}
	if pol.LabelTie, err = stats.ParseLabelTie(p.LabelTies); err != nil {
		return pol, &fieldError{"label_ties", err}
	}
	if pol.Averaging, err = stats.ParseAveraging(p.Averaging); err != nil {
		return pol, &fieldError{"averaging", err}
	}
	if !(p.Epsilon >= 0) || math.IsInf(p.Epsilon, 0) {
		return pol, &fieldError{"epsilon", fmt.Errorf("%v; want a finite number >= 0", p.Epsilon)}
	}
	pol.Epsilon = p.Epsilon
	return pol, nil
}

// sameRule reports whether two policies count accuracy the same way (names
// and alpha aside).
func sameRule(a, b results.Policy) bool {
	return a.PredictionTies == b.PredictionTies && a.LabelTies == b.LabelTies &&
		a.Averaging == b.Averaging && a.Epsilon == b.Epsilon
}

func ruleString(p results.Policy) string {
	return fmt.Sprintf("%s (prediction ties %s, label ties %s, %s, epsilon %v)", p.Name, p.PredictionTies, p.LabelTies, p.Averaging, p.Epsilon)
}

// Update returns the baseline made from run: every scorer of the run with its
// accuracy and fingerprint, keeping the tolerance of scorers old already has
// (DefaultTolerance for new ones), and the run's benchmark, dataset hash and
// policy. runDir is recorded as the baseline's run directory (relative to
// the baseline file). old may be nil. The notes say which scorers were added
// or dropped, and which failed on some pairs (their failure count becomes
// the most the gate allows). A run scorer without counted pairs is an
// error: a baseline without an accuracy gates nothing.
func Update(old *Baseline, run *results.Results, runDir string) (*Baseline, []string, error) {
	b := &Baseline{
		Version: BaselineVersion, Kind: KindResults, Benchmark: run.Benchmark.Name, DatasetSHA256: run.Dataset.SHA256,
		RunDir: filepath.ToSlash(runDir),
	}
	if old != nil && old.IsLeaderboard() {
		return nil, nil, &InputError{File: "baseline", Field: "kind", Err: fmt.Errorf(
			"the baseline is a %s baseline and the run is a results.json: write the results baseline to another file (or remove this one)", old.Kind)}
	}
	pol := run.Policy
	b.Policy = &pol
	var notes []string
	inRun := map[string]bool{}
	for i, s := range run.Scorers {
		acc, ok := s.Acc()
		if !ok {
			return nil, nil, &InputError{File: results.ResultsFile, Field: fmt.Sprintf("scorers[%d].accuracy", i),
				Err: fmt.Errorf("scorer %q has no counted pairs (%d failed); a baseline without an accuracy would gate nothing", s.Name, s.NFailed)}
		}
		if s.NFailed > 0 {
			notes = append(notes, fmt.Sprintf("scorer %q failed on %d pairs in this run: the baseline allows up to %d", s.Name, s.NFailed, s.NFailed))
		}
		inRun[s.Name] = true
		tol := DefaultTolerance
		found := false
		if old != nil {
			if j := slices.IndexFunc(old.Scorers, func(o BaselineScorer) bool { return o.Name == s.Name }); j >= 0 {
				tol, found = old.Scorers[j].Tolerance, true
			}
		}
		if !found && old != nil {
			notes = append(notes, fmt.Sprintf("added scorer %q (tolerance %s points)", s.Name, points(tol)))
		}
		b.Scorers = append(b.Scorers, BaselineScorer{Name: s.Name, Accuracy: acc, Tolerance: tol, Fingerprint: s.Fingerprint,
			NFailed: s.NFailed, NPairs: s.NPairs})
	}
	if old != nil {
		for _, o := range old.Scorers {
			if !inRun[o.Name] {
				notes = append(notes, fmt.Sprintf("dropped scorer %q: it is not in the run", o.Name))
			}
		}
	}
	return b, notes, nil
}

// WriteFile writes b as indented JSON to path, through a temporary file.
func (b *Baseline) WriteFile(path string) error {
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, append(data, '\n'))
}
