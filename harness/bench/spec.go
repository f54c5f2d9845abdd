package bench

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/srbench/srbench/harness/dataset"
	"github.com/srbench/srbench/harness/internal/suggest"
	"github.com/srbench/srbench/harness/stats"
)

// SpecVersion is the version of the benchmark spec format this srbench
// reads: a spec's "version" must be it (or absent).
const SpecVersion = "1"

// Spec is a declarative, versioned benchmark (benchmarks/*.yaml). Relative
// paths are relative to the file that names them. A spec may include a base
// spec (include: base.yaml); its fields fill what the including spec leaves
// unset (scorers: the including spec's list replaces the base's).
type Spec struct {
	Include     string        `yaml:"include,omitempty"`
	Name        string        `yaml:"name"`
	Version     string        `yaml:"version,omitempty"`
	Description string        `yaml:"description,omitempty"`
	Dataset     DatasetSpec   `yaml:"dataset"`
	Scorers     []ScorerEntry `yaml:"scorers,omitempty"`
	// Policy is a preset (socialreward, pickscore, imagereward, hpsv2, tiecal);
	// Ties, Averaging and Epsilon override its parts.
	Policy    string        `yaml:"policy,omitempty"`
	Ties      *TiesSpec     `yaml:"ties,omitempty"`
	Averaging string        `yaml:"averaging,omitempty"`
	Epsilon   *float64      `yaml:"epsilon,omitempty"`
	Bootstrap BootstrapSpec `yaml:"bootstrap,omitempty"`
	Alpha     float64       `yaml:"alpha,omitempty"`
	Notes     []string      `yaml:"notes,omitempty"`

	// File is where the spec was read from (not a YAML field).
	File string `yaml:"-"`
}

// DatasetSpec is the dataset part of a Spec.
type DatasetSpec struct {
	Format  string `yaml:"format,omitempty"`
	Path    string `yaml:"path,omitempty"`
	Images  string `yaml:"images,omitempty"`
	Split   string `yaml:"split,omitempty"`
	Limit   int    `yaml:"limit,omitempty"`
	Lenient bool   `yaml:"lenient,omitempty"`
	// OrderSeed orders the images of triplet formats (dataset.Spec.OrderSeed).
	OrderSeed uint64 `yaml:"order_seed,omitempty"`
}

// ScorerEntry names a scorer in a Spec.
type ScorerEntry struct {
	Name      string            `yaml:"name"`
	Plugin    string            `yaml:"plugin,omitempty"`
	Model     string            `yaml:"model,omitempty"`
	Options   map[string]string `yaml:"options,omitempty"`
	BatchSize int               `yaml:"batch_size,omitempty"`
	Threads   int               `yaml:"threads,omitempty"`
	Provider  string            `yaml:"provider,omitempty"`
}

// PluginName is the plugin that runs this scorer (Plugin, else Name).
func (e ScorerEntry) PluginName() string {
	return ScorerSpec{Name: e.Name, Plugin: e.Plugin}.PluginName()
}

// TiesSpec overrides the tie handling of a policy.
type TiesSpec struct {
	Prediction string `yaml:"prediction,omitempty"`
	Label      string `yaml:"label,omitempty"`
}

// BootstrapSpec configures the bootstrap.
type BootstrapSpec struct {
	B    int    `yaml:"b,omitempty"`
	Seed uint64 `yaml:"seed,omitempty"`
}

// LoadSpec reads a spec file, resolving include: chains and relative paths.
func LoadSpec(path string) (*Spec, error) {
	return loadSpec(path, map[string]bool{})
}

func loadSpec(path string, seen map[string]bool) (*Spec, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if seen[abs] {
		return nil, fmt.Errorf("benchmark spec %s: include cycle", abs)
	}
	seen[abs] = true
	b, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("benchmark spec: %w", err)
	}
	if err := checkKeys(abs, b); err != nil {
		return nil, err
	}
	var s Spec
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("benchmark spec %s: %w", abs, err)
	}
	s.File = abs
	if s.Version != "" && s.Version != SpecVersion {
		return nil, fmt.Errorf("benchmark spec %s: field \"version\": %q; this srbench reads benchmark specs of version %q (the version of the spec's format, recorded in results)", abs, s.Version, SpecVersion)
	}
	dir := filepath.Dir(abs)
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	s.Dataset.Path, s.Dataset.Images = rel(s.Dataset.Path), rel(s.Dataset.Images)
	for i := range s.Scorers {
		s.Scorers[i].Model = rel(s.Scorers[i].Model)
	}
	if s.Include != "" {
		base, err := loadSpec(rel(s.Include), seen)
		if err != nil {
			return nil, fmt.Errorf("benchmark spec %s: include: %w", abs, err)
		}
		s.mergeBase(base)
	}
	return &s, nil
}

// mergeBase fills unset fields from base.
func (s *Spec) mergeBase(base *Spec) {
	set := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	set(&s.Name, base.Name)
	set(&s.Version, base.Version)
	set(&s.Description, base.Description)
	set(&s.Dataset.Format, base.Dataset.Format)
	set(&s.Dataset.Path, base.Dataset.Path)
	set(&s.Dataset.Images, base.Dataset.Images)
	set(&s.Dataset.Split, base.Dataset.Split)
	if s.Dataset.Limit == 0 {
		s.Dataset.Limit = base.Dataset.Limit
	}
	s.Dataset.Lenient = s.Dataset.Lenient || base.Dataset.Lenient
	if len(s.Scorers) == 0 {
		s.Scorers = base.Scorers
	}
	set(&s.Policy, base.Policy)
	if s.Ties == nil {
		s.Ties = base.Ties
	}
	set(&s.Averaging, base.Averaging)
	if s.Epsilon == nil {
		s.Epsilon = base.Epsilon
	}
	if s.Bootstrap.B == 0 {
		s.Bootstrap.B = base.Bootstrap.B
	}
	if s.Bootstrap.Seed == 0 {
		s.Bootstrap.Seed = base.Bootstrap.Seed
	}
	if s.Alpha == 0 {
		s.Alpha = base.Alpha
	}
	s.Notes = append(append([]string(nil), base.Notes...), s.Notes...)
}

// checkKeys rejects unknown keys with a "did you mean" suggestion (the YAML
// decoder alone only says "field x not found").
func checkKeys(file string, b []byte) error {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return fmt.Errorf("benchmark spec %s: %w", file, err)
	}
	if len(root.Content) == 0 {
		return nil
	}
	// The field names come from the structs' yaml tags, so the check
	// cannot drift from what the decoder accepts.
	known := map[string][]string{
		"":          yamlFields(reflect.TypeFor[Spec]()),
		"dataset":   yamlFields(reflect.TypeFor[DatasetSpec]()),
		"scorers[]": yamlFields(reflect.TypeFor[ScorerEntry]()),
		"ties":      yamlFields(reflect.TypeFor[TiesSpec]()),
		"bootstrap": yamlFields(reflect.TypeFor[BootstrapSpec]()),
	}
	var walk func(n *yaml.Node, ctx string) error
	walk = func(n *yaml.Node, ctx string) error {
		switch n.Kind {
		case yaml.MappingNode:
			keys, ok := known[ctx]
			if !ok {
				return nil
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				if !contains(keys, k) {
					msg := fmt.Sprintf("benchmark spec %s: line %d: unknown field %q", file, n.Content[i].Line, k)
					if ctx != "" {
						msg += " in " + strings.TrimSuffix(ctx, "[]")
					}
					if sug := suggest.Closest(k, keys); sug != "" {
						msg += fmt.Sprintf(" (did you mean %q?)", sug)
					}
					return errors.New(msg)
				}
				child := "-" // below the known levels: not checked
				if ctx == "" {
					child = k
				}
				if err := walk(n.Content[i+1], child); err != nil {
					return err
				}
			}
		case yaml.SequenceNode:
			if ctx == "scorers" {
				for _, c := range n.Content {
					if err := walk(c, "scorers[]"); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	return walk(root.Content[0], "")
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// ResolveSpec finds a spec by path or by name in dir (benchmarks/), with a
// "did you mean" for unknown names.
func ResolveSpec(arg, dir string) (string, error) {
	if st, err := os.Stat(arg); err == nil && !st.IsDir() {
		return arg, nil
	}
	cand := filepath.Join(dir, arg+".yaml")
	if _, err := os.Stat(cand); err == nil {
		return cand, nil
	}
	names, _ := SpecNames(dir)
	msg := fmt.Sprintf("no benchmark %q (no such file, and not in %s)", arg, dir)
	if sug := suggest.Closest(arg, names); sug != "" {
		msg += fmt.Sprintf("; did you mean %q?", sug)
	}
	if len(names) > 0 {
		msg += "; available: " + strings.Join(names, ", ")
	}
	return "", errors.New(msg)
}

// SpecNames lists the benchmark names (YAML files) in dir. Subdirectories
// (such as ablations/, whose specs are not benchmarks) are not listed.
func SpecNames(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".yaml") {
			names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
		}
	}
	sort.Strings(names)
	return names, nil
}

// AnalyzeOptions turns the spec's statistics fields into options.
func (s *Spec) AnalyzeOptions() (AnalyzeOptions, error) {
	return PolicyOptions(s.Policy, s.Ties, s.Averaging, s.Epsilon, s.Bootstrap, s.Alpha)
}

// PolicyOptions builds AnalyzeOptions from a preset and overrides; "" preset
// means the default (socialreward).
func PolicyOptions(preset string, ties *TiesSpec, averaging string, eps *float64, bs BootstrapSpec, alpha float64) (AnalyzeOptions, error) {
	o := AnalyzeOptions{B: bs.B, Seed: bs.Seed, Alpha: alpha, PolicySet: true}
	name := preset
	if name == "" {
		name = DefaultPolicyName
	}
	pol, err := stats.ParsePolicy(name)
	if err != nil {
		return o, err
	}
	custom := false
	if ties != nil && ties.Prediction != "" {
		if pol.PredTie, err = stats.ParsePredTie(ties.Prediction); err != nil {
			return o, err
		}
		custom = true
	}
	if ties != nil && ties.Label != "" {
		if pol.LabelTie, err = stats.ParseLabelTie(ties.Label); err != nil {
			return o, err
		}
		custom = true
	}
	if averaging != "" {
		if pol.Averaging, err = stats.ParseAveraging(averaging); err != nil {
			return o, err
		}
		custom = true
	}
	if eps != nil {
		pol.Epsilon = *eps
		custom = custom || *eps != 0
	}
	if err := pol.Validate(); err != nil {
		return o, err
	}
	o.Policy = pol
	o.PolicyName = name
	if custom {
		o.PolicyName = pol.String()
	}
	return o, nil
}

// Config turns the spec into a run configuration (scorer model paths as
// given; "" means <models root>/<name>).
func (s *Spec) Config() (Config, error) {
	var cfg Config
	if s.Dataset.Path == "" {
		return cfg, fmt.Errorf("benchmark spec %s: field \"dataset.path\" is required (or pass --dataset)", s.File)
	}
	var format dataset.Format
	if s.Dataset.Format != "" {
		f, err := dataset.ParseFormat(s.Dataset.Format)
		if err != nil {
			return cfg, fmt.Errorf("benchmark spec %s: field \"dataset.format\": %w", s.File, err)
		}
		format = f
	}
	ao, err := s.AnalyzeOptions()
	if err != nil {
		return cfg, fmt.Errorf("benchmark spec %s: %w", s.File, err)
	}
	cfg = Config{
		Dataset: dataset.Spec{Format: format, Path: s.Dataset.Path, Images: s.Dataset.Images,
			Split: s.Dataset.Split, Limit: s.Dataset.Limit, Lenient: s.Dataset.Lenient, OrderSeed: s.Dataset.OrderSeed},
		Analyze: ao,
		Notes:   s.Notes,
	}
	cfg.Benchmark.Name, cfg.Benchmark.Version, cfg.Benchmark.Spec, cfg.Benchmark.Description = s.Name, s.Version, s.File, s.Description
	for _, e := range s.Scorers {
		if e.Name == "" {
			return cfg, fmt.Errorf("benchmark spec %s: a scorer has no \"name\"", s.File)
		}
		cfg.Scorers = append(cfg.Scorers, ScorerSpec{Name: e.Name, Plugin: e.Plugin, ModelDir: e.Model, Options: e.Options,
			BatchSize: e.BatchSize, Threads: e.Threads, Provider: e.Provider})
	}
	return cfg, nil
}

// yamlFields lists the yaml keys of a struct type's fields, in order.
func yamlFields(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out = append(out, name)
	}
	return out
}
