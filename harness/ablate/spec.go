package ablate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/srbench/srbench/harness/curate"
	"github.com/srbench/srbench/harness/internal/suggest"
)

// Modes of a Spec.
const (
	// ModeOneAtATime trains the reference cell and, for every axis, one cell
	// per other value of that axis with every other axis at its reference
	// value (the default).
	ModeOneAtATime = "one-at-a-time"
	// ModeFull trains the cartesian product of the axes.
	ModeFull = "full"
)

var modeNames = []string{ModeOneAtATime, ModeFull}

// Defaults of Spec.
const (
	DefaultParallel = 2
	DefaultAlpha    = 0.05
	// MinSeeds is the smallest number of seeds a spec may list: a t-interval
	// over seeds needs at least two, and two give a useless one.
	MinSeeds = 3
)

// Spec is an ablation grid (benchmarks/ablations/*.yaml): which training
// settings vary, the reference configuration they vary around, the seeds
// every cell is trained with and the settings all cells share.
//
// Settings are named as in the training config of the socialreward plugin,
// with four differences: "adapter" is the adapter kind (adapter.kind),
// "rank" and "hidden" are its sizes (adapter.rank, adapter.hidden),
// "fraction" is train_fraction and "curation" is the curate preset the
// training and validation triplets come from (not a training field). See
// SettingNames.
type Spec struct {
	Name        string `yaml:"name" json:"name"`
	Version     string `yaml:"version,omitempty" json:"version,omitempty"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Grid maps an axis (a setting name) to the values it takes, in the order
	// cells and tables list them.
	Grid map[string][]any `yaml:"grid" json:"grid"`
	// Mode is "one-at-a-time" ("" means this) or "full".
	Mode string `yaml:"mode,omitempty" json:"mode"`
	// Reference is the configuration the grid varies around (the paper's).
	// It must give a value for every axis, one of that axis' values; keys
	// that are not axes are settings of every cell, like Base.
	Reference map[string]any `yaml:"reference" json:"reference"`
	// Seeds are the training seeds of every cell; at least MinSeeds, distinct.
	Seeds []uint64 `yaml:"seeds" json:"seeds"`
	// Base holds settings shared by all cells (epochs, batch_size, ...);
	// axis values and Reference override them.
	Base map[string]any `yaml:"base,omitempty" json:"base,omitempty"`
	// Parallel is the number of cell-seeds trained at once; 0 means 2.
	Parallel int `yaml:"parallel,omitempty" json:"parallel,omitempty"`
	// Alpha is the family-wise level of the Holm-corrected tests against
	// the reference; 0 means 0.05.
	Alpha float64 `yaml:"alpha,omitempty" json:"alpha,omitempty"`

	// File is where the spec was read from (not a YAML field).
	File string `yaml:"-" json:"-"`
}

// Cell is one configuration of the grid.
type Cell struct {
	// Name identifies the cell and names its directory: "reference" for the
	// reference cell of a one-at-a-time grid, "axis=value" for the others;
	// "axis=value,axis=value,..." (every axis, in SettingNames order) in a
	// full grid.
	Name string
	// Settings are the cell's value of every axis plus the reference's
	// non-axis settings (Base is applied on top when training).
	Settings map[string]any
	// Reference marks the reference cell.
	Reference bool
}

// ---------- settings ----------

type valueKind int

const (
	kindString valueKind = iota
	kindFloat
	kindInt
)

// setting describes one setting name: its value type, its validity check and
// where it goes in the training config JSON.
type setting struct {
	name    string
	kind    valueKind
	options func() []string // for strings: the allowed values
	check   func(float64) string
	key     []string // path in the config JSON; nil = not a training field
	noAxis  bool     // may not vary
}

func positive(x float64) string {
	if x > 0 {
		return ""
	}
	return "a value > 0"
}

func atLeast(lo float64) func(float64) string {
	return func(x float64) string {
		if x >= lo {
			return ""
		}
		return fmt.Sprintf("a value >= %v", lo)
	}
}

func openUnit(x float64) string {
	if x > 0 && x < 1 {
		return ""
	}
	return "0 < value < 1"
}

func fractionCheck(x float64) string {
	if x > 0 && x <= 1 {
		return ""
	}
	return "0 < value <= 1"
}

func anyValue(float64) string { return "" }

func fixed(opts ...string) func() []string { return func() []string { return opts } }

// The trainers a "trainer" axis chooses between: adapters on frozen
// embeddings (the socialreward plugin) and the paper's recipe, CLIP's last
// transformer blocks fine-tuned in PyTorch (the socialreward-torch plugin).
// A cell's config JSON carries its trainer under "trainer"; the caller's
// Deps.Train routes on it (pipeline.AblationDeps does).
const (
	TrainerAdapters    = "adapters"
	TrainerTorchBlocks = "torch-blocks"
)

// settingTable lists the settings in their canonical order (axis order in
// cells, names and tables).
func settingTable() []setting {
	return []setting{
		{name: "trainer", kind: kindString, options: fixed(TrainerAdapters, TrainerTorchBlocks), key: []string{"trainer"}},
		{name: "vision_blocks", kind: kindInt, check: atLeast(0), key: []string{"vision_blocks"}},
		{name: "text_blocks", kind: kindInt, check: atLeast(0), key: []string{"text_blocks"}},
		{name: "loss", kind: kindString, options: fixed("triplet", "logistic", "infonce"), key: []string{"loss"}},
		{name: "margin", kind: kindFloat, check: positive, key: []string{"margin"}},
		{name: "scale", kind: kindFloat, check: positive, key: []string{"scale"}},
		{name: "temperature", kind: kindFloat, check: positive, key: []string{"temperature"}},
		{name: "side", kind: kindString, options: fixed("both", "image", "text"), key: []string{"side"}},
		{name: "adapter", kind: kindString, options: fixed("linear", "lowrank", "mlp"), key: []string{"adapter", "kind"}},
		{name: "rank", kind: kindInt, check: atLeast(1), key: []string{"adapter", "rank"}},
		{name: "hidden", kind: kindInt, check: atLeast(1), key: []string{"adapter", "hidden"}},
		{name: "lr", kind: kindFloat, check: positive, key: []string{"lr"}},
		{name: "beta1", kind: kindFloat, check: openUnit, key: []string{"beta1"}},
		{name: "beta2", kind: kindFloat, check: openUnit, key: []string{"beta2"}},
		{name: "eps", kind: kindFloat, check: positive, key: []string{"eps"}},
		{name: "weight_decay", kind: kindFloat, check: anyValue, key: []string{"weight_decay"}},
		{name: "batch_size", kind: kindInt, check: atLeast(1), key: []string{"batch_size"}},
		{name: "epochs", kind: kindInt, check: atLeast(1), key: []string{"epochs"}},
		{name: "patience", kind: kindInt, check: anyValue, key: []string{"patience"}},
		{name: "max_steps", kind: kindInt, check: atLeast(0), key: []string{"max_steps"}},
		{name: "curation", kind: kindString, options: curate.Presets},
		{name: "fraction", kind: kindFloat, check: fractionCheck, key: []string{"train_fraction"}},
		{name: "embedding_cache", kind: kindString, key: []string{"embedding_cache"}, noAxis: true},
	}
}

// SettingNames returns the names a grid axis, a reference key or a base key
// may use, in canonical order. embedding_cache may not be an axis.
func SettingNames() []string {
	var out []string
	for _, s := range settingTable() {
		out = append(out, s.name)
	}
	return out
}

func lookupSetting(name string) (setting, bool) {
	for _, s := range settingTable() {
		if s.name == name {
			return s, true
		}
	}
	return setting{}, false
}

func axisNames() []string {
	var out []string
	for _, s := range settingTable() {
		if !s.noAxis {
			out = append(out, s.name)
		}
	}
	return out
}

// unknownSetting is the error for a name that is not a setting.
func unknownSetting(what, name string, known []string) error {
	msg := fmt.Sprintf("unknown %s %q", what, name)
	if s := suggest.Closest(name, known); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return fmt.Errorf("%s; known: %s", msg, strings.Join(known, ", "))
}

// normalize returns v as the canonical Go value of setting s (string,
// float64 or int), or an error saying what was expected.
func (s setting) normalize(v any) (any, error) {
	switch s.kind {
	case kindString:
		str, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("value %v: want a string", v)
		}
		if s.options != nil {
			opts := s.options()
			if !slices.Contains(opts, str) {
				return nil, unknownSetting(s.name+" value", str, opts)
			}
		}
		return str, nil
	case kindFloat, kindInt:
		x, ok := number(v)
		if !ok {
			return nil, fmt.Errorf("value %v: want a number", v)
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("value %v: want a finite number", v)
		}
		if s.kind == kindInt && (x != math.Trunc(x) || math.Abs(x) > 1<<53) {
			return nil, fmt.Errorf("value %v: want an integer", v)
		}
		if want := s.check(x); want != "" {
			return nil, fmt.Errorf("value %v: want %s", v, want)
		}
		if s.kind == kindInt {
			return int(x), nil
		}
		return x, nil
	}
	panic("ablate: unknown value kind")
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint32:
		return float64(x), true
	}
	return 0, false
}

// FormatValue formats a setting value as cell names and tables show it:
// strings as they are, numbers in the shortest form that reads back
// exactly (1.0 → "1", 0.25 → "0.25").
func FormatValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int:
		return strconv.Itoa(x)
	}
	return fmt.Sprint(v)
}

// ---------- loading and validation ----------

// specFile is the YAML form of a Spec: maps as nodes, for line numbers.
type specFile struct {
	Name        string    `yaml:"name"`
	Version     string    `yaml:"version"`
	Description string    `yaml:"description"`
	Grid        yaml.Node `yaml:"grid"`
	Mode        string    `yaml:"mode"`
	Reference   yaml.Node `yaml:"reference"`
	Seeds       yaml.Node `yaml:"seeds"`
	Base        yaml.Node `yaml:"base"`
	Parallel    int       `yaml:"parallel"`
	Alpha       float64   `yaml:"alpha"`
}

var topKeys = []string{"name", "version", "description", "grid", "mode", "reference", "seeds", "base", "parallel", "alpha"}

// LoadSpec reads an ablation spec. Unknown keys, axes and settings are
// errors with a "did you mean" suggestion; every value is checked (see
// Validate); errors name the file and line.
func LoadSpec(path string) (*Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ablation spec: %w", err)
	}
	fail := func(line int, format string, a ...any) error {
		return fmt.Errorf("ablation spec %s: line %d: %s", path, line, fmt.Sprintf(format, a...))
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("ablation spec %s: %w", path, err)
	}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("ablation spec %s: empty file", path)
	}
	top := root.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, fail(top.Line, "want a mapping of %s", strings.Join(topKeys, ", "))
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k := top.Content[i]
		if !slices.Contains(topKeys, k.Value) {
			return nil, fail(k.Line, "%v", unknownSetting("field", k.Value, topKeys))
		}
	}
	var f specFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("ablation spec %s: %w", path, err)
	}
	s := &Spec{Name: f.Name, Version: f.Version, Description: f.Description, Mode: f.Mode,
		Parallel: f.Parallel, Alpha: f.Alpha, File: path}

	// grid: axis → sequence of values.
	if f.Grid.Kind != 0 {
		if f.Grid.Kind != yaml.MappingNode {
			return nil, fail(f.Grid.Line, "field \"grid\": want a mapping of axis names to lists of values")
		}
		s.Grid = map[string][]any{}
		for i := 0; i+1 < len(f.Grid.Content); i += 2 {
			k, v := f.Grid.Content[i], f.Grid.Content[i+1]
			set, ok := lookupSetting(k.Value)
			if !ok || set.noAxis {
				return nil, fail(k.Line, "grid: %v", unknownSetting("axis", k.Value, axisNames()))
			}
			if _, dup := s.Grid[k.Value]; dup {
				return nil, fail(k.Line, "grid: axis %q given twice", k.Value)
			}
			if v.Kind != yaml.SequenceNode {
				return nil, fail(v.Line, "grid: axis %q: want a list of values, e.g. [a, b]", k.Value)
			}
			vals := []any{}
			for _, item := range v.Content {
				x, err := scalar(item)
				if err == nil {
					x, err = set.normalize(x)
				}
				if err != nil {
					return nil, fail(item.Line, "grid: axis %q: %v", k.Value, err)
				}
				vals = append(vals, x)
			}
			s.Grid[k.Value] = vals
		}
	}
	settingsMap := func(n *yaml.Node, field string) (map[string]any, error) {
		if n.Kind == 0 {
			return nil, nil
		}
		if n.Kind != yaml.MappingNode {
			return nil, fail(n.Line, "field %q: want a mapping of setting names to values", field)
		}
		out := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			set, ok := lookupSetting(k.Value)
			if !ok {
				return nil, fail(k.Line, "%s: %v", field, unknownSetting("setting", k.Value, SettingNames()))
			}
			x, err := scalar(v)
			if err == nil {
				x, err = set.normalize(x)
			}
			if err != nil {
				return nil, fail(v.Line, "%s: setting %q: %v", field, k.Value, err)
			}
			out[k.Value] = x
		}
		return out, nil
	}
	if s.Reference, err = settingsMap(&f.Reference, "reference"); err != nil {
		return nil, err
	}
	if s.Base, err = settingsMap(&f.Base, "base"); err != nil {
		return nil, err
	}
	if f.Seeds.Kind != 0 {
		if f.Seeds.Kind != yaml.SequenceNode {
			return nil, fail(f.Seeds.Line, "field \"seeds\": want a list of non-negative integers")
		}
		for _, item := range f.Seeds.Content {
			u, err := strconv.ParseUint(item.Value, 10, 64)
			if item.Kind != yaml.ScalarNode || err != nil {
				return nil, fail(item.Line, "field \"seeds\": value %q: want a non-negative integer", item.Value)
			}
			s.Seeds = append(s.Seeds, u)
		}
	}
	if err := s.Validate(); err != nil {
		line := top.Line
		for i := 0; i+1 < len(top.Content); i += 2 {
			if k := top.Content[i]; errors.Is(err, errField(k.Value)) {
				line = k.Line
			}
		}
		return nil, fmt.Errorf("ablation spec %s: line %d: %w", path, line, err)
	}
	return s, nil
}

// scalar decodes a YAML scalar node into a string, int or float64.
func scalar(n *yaml.Node) (any, error) {
	if n.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("want a single value, not a list or mapping")
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// fieldError is a validation error of one top-level field.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return fmt.Sprintf("field %q: %v", e.field, e.err) }
func (e *fieldError) Unwrap() error { return e.err }
func (e *fieldError) Is(target error) bool {
	t, ok := target.(*fieldError)
	return ok && t.err == nil && t.field == e.field
}

// errField matches (errors.Is) any validation error of field.
func errField(field string) error { return &fieldError{field: field} }

func fieldErr(field, format string, a ...any) error {
	return &fieldError{field: field, err: fmt.Errorf(format, a...)}
}

// Validate checks a spec and puts every setting value in canonical form
// (strings, float64, int), so specs built in code behave like loaded ones:
// a name, a known mode, at least one axis with distinct valid values, a
// reference value (one of the axis' values) for every axis, at least
// MinSeeds distinct seeds, valid base settings, Parallel >= 0 and
// 0 <= Alpha < 1.
func (s *Spec) Validate() error {
	if strings.TrimSpace(s.Name) == "" {
		return fieldErr("name", "missing: give the ablation a name")
	}
	if s.Mode != "" && !slices.Contains(modeNames, s.Mode) {
		return fieldErr("mode", "%v", unknownSetting("mode", s.Mode, modeNames))
	}
	if len(s.Grid) == 0 {
		return fieldErr("grid", "no axes: give at least one setting to vary, e.g. loss: [triplet, logistic]")
	}
	for _, ax := range sortedAxes(s.Grid) {
		set, ok := lookupSetting(ax)
		if !ok || set.noAxis {
			return fieldErr("grid", "%v", unknownSetting("axis", ax, axisNames()))
		}
		vals := s.Grid[ax]
		if len(vals) == 0 {
			return fieldErr("grid", "axis %q has no values", ax)
		}
		for i, v := range vals {
			x, err := set.normalize(v)
			if err != nil {
				return fieldErr("grid", "axis %q: %v", ax, err)
			}
			if slices.Contains(vals[:i], x) {
				return fieldErr("grid", "axis %q: value %s given twice", ax, FormatValue(x))
			}
			vals[i] = x
		}
	}
	for _, part := range []struct {
		field string
		m     map[string]any
	}{{"reference", s.Reference}, {"base", s.Base}} {
		for _, k := range sortedKeys(part.m) {
			set, ok := lookupSetting(k)
			if !ok {
				return fieldErr(part.field, "%v", unknownSetting("setting", k, SettingNames()))
			}
			x, err := set.normalize(part.m[k])
			if err != nil {
				return fieldErr(part.field, "setting %q: %v", k, err)
			}
			part.m[k] = x
		}
	}
	for _, ax := range sortedAxes(s.Grid) {
		v, ok := s.Reference[ax]
		if !ok {
			return fieldErr("reference", "no value for axis %q: the reference must give every axis a value", ax)
		}
		if !slices.Contains(s.Grid[ax], v) {
			var opts []string
			for _, x := range s.Grid[ax] {
				opts = append(opts, FormatValue(x))
			}
			msg := fmt.Sprintf("axis %q: value %s is not one of the grid's values [%s]", ax, FormatValue(v), strings.Join(opts, ", "))
			if _, isString := v.(string); !isString {
				// no suggestion for numbers: the list says it all
			} else if sug := suggest.Closest(FormatValue(v), opts); sug != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", sug)
			}
			return fieldErr("reference", "%s", msg)
		}
	}
	if len(s.Seeds) < MinSeeds {
		return fieldErr("seeds", "%d seeds %v: want at least %d (the t-interval over seeds needs them)", len(s.Seeds), s.Seeds, MinSeeds)
	}
	for i, sd := range s.Seeds {
		if slices.Contains(s.Seeds[:i], sd) {
			return fieldErr("seeds", "seed %d given twice", sd)
		}
	}
	if s.Parallel < 0 {
		return fieldErr("parallel", "%d: want >= 0 (0 = %d)", s.Parallel, DefaultParallel)
	}
	if !(s.Alpha >= 0 && s.Alpha < 1) {
		return fieldErr("alpha", "%v: want 0 <= alpha < 1 (0 = %v)", s.Alpha, DefaultAlpha)
	}
	return nil
}

func (s *Spec) mode() string {
	if s.Mode == "" {
		return ModeOneAtATime
	}
	return s.Mode
}

func (s *Spec) parallel() int {
	if s.Parallel == 0 {
		return DefaultParallel
	}
	return s.Parallel
}

func (s *Spec) alpha() float64 {
	if s.Alpha == 0 {
		return DefaultAlpha
	}
	return s.Alpha
}

// sortedAxes returns the axes of grid in canonical (SettingNames) order;
// unknown names come last, sorted.
func sortedAxes(grid map[string][]any) []string {
	var out []string
	for _, n := range SettingNames() {
		if _, ok := grid[n]; ok {
			out = append(out, n)
		}
	}
	var rest []string
	for k := range grid {
		if !slices.Contains(out, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ReferenceName is the name of the reference cell of a one-at-a-time grid.
const ReferenceName = "reference"

// Cells returns the grid's cells in a deterministic order. One-at-a-time:
// the reference cell first, then for each axis (in SettingNames order) one
// cell per value other than the reference's, in the order the grid lists
// them. Full: the cartesian product, the first axis varying slowest; the
// cell equal to the reference on every axis is marked Reference.
func (s *Spec) Cells() ([]Cell, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("ablation spec %q: %w", s.Name, err)
	}
	axes := sortedAxes(s.Grid)
	fixedSettings := map[string]any{}
	for k, v := range s.Reference {
		if _, isAxis := s.Grid[k]; !isAxis {
			fixedSettings[k] = v
		}
	}
	with := func(vals map[string]any) map[string]any {
		m := make(map[string]any, len(fixedSettings)+len(vals))
		for k, v := range fixedSettings {
			m[k] = v
		}
		for k, v := range vals {
			m[k] = v
		}
		return m
	}
	refVals := map[string]any{}
	for _, ax := range axes {
		refVals[ax] = s.Reference[ax]
	}
	var cells []Cell
	switch s.mode() {
	case ModeOneAtATime:
		cells = append(cells, Cell{Name: ReferenceName, Settings: with(refVals), Reference: true})
		for _, ax := range axes {
			for _, v := range s.Grid[ax] {
				if v == s.Reference[ax] {
					continue
				}
				vals := with(refVals)
				vals[ax] = v
				cells = append(cells, Cell{Name: ax + "=" + FormatValue(v), Settings: vals})
			}
		}
	case ModeFull:
		idx := make([]int, len(axes))
		for {
			vals := map[string]any{}
			var parts []string
			ref := true
			for i, ax := range axes {
				v := s.Grid[ax][idx[i]]
				vals[ax] = v
				parts = append(parts, ax+"="+FormatValue(v))
				ref = ref && v == s.Reference[ax]
			}
			cells = append(cells, Cell{Name: strings.Join(parts, ","), Settings: with(vals), Reference: ref})
			i := len(axes) - 1
			for ; i >= 0; i-- {
				idx[i]++
				if idx[i] < len(s.Grid[axes[i]]) {
					break
				}
				idx[i] = 0
			}
			if i < 0 {
				break
			}
		}
	}
	return cells, nil
}

// ConfigJSON returns the training config of cell with seed: Base, then the
// cell's settings, mapped to the socialreward plugin's config fields
// (adapter, rank and hidden into "adapter", fraction as "train_fraction";
// curation is left out), plus "seed". Keys are sorted, so the text is
// deterministic.
func (s *Spec) ConfigJSON(cell Cell, seed uint64) (string, error) {
	merged := map[string]any{}
	for k, v := range s.Base {
		merged[k] = v
	}
	for k, v := range cell.Settings {
		merged[k] = v
	}
	cfg := map[string]any{}
	for _, k := range sortedKeys(merged) {
		set, ok := lookupSetting(k)
		if !ok {
			return "", unknownSetting("setting", k, SettingNames())
		}
		if set.key == nil {
			continue
		}
		m := cfg
		for _, p := range set.key[:len(set.key)-1] {
			sub, ok := m[p].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[p] = sub
			}
			m = sub
		}
		m[set.key[len(set.key)-1]] = merged[k]
	}
	cfg["seed"] = seed
	b, err := jsonMarshal(cfg)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// curation returns the curate preset of a cell (Base's or the default).
func (s *Spec) curation(cell Cell) string {
	if v, ok := cell.Settings["curation"].(string); ok {
		return v
	}
	if v, ok := s.Base["curation"].(string); ok {
		return v
	}
	return curate.PresetDebiased
}
