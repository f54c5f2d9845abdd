package dataset

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/srbench/srbench/harness/internal/jsonfield"
	"github.com/srbench/srbench/harness/internal/suggest"
)

// Label is the human (or engagement) preference between the two images of a Pair.
// The zero value is not a valid label.
type Label int8

// The three labels a Pair can carry.
const (
	LabelA   Label = iota + 1 // image A is preferred
	LabelB                    // image B is preferred
	LabelTie                  // neither is preferred
)

// String returns "a", "b" or "tie" (the spelling used by the pairs-jsonl format).
func (l Label) String() string {
	switch l {
	case LabelA:
		return "a"
	case LabelB:
		return "b"
	case LabelTie:
		return "tie"
	}
	return fmt.Sprintf("Label(%d)", int8(l))
}

// Valid reports whether l is one of LabelA, LabelB and LabelTie.
func (l Label) Valid() bool { return l == LabelA || l == LabelB || l == LabelTie }

// ParseLabel parses "a", "b" or "tie" (exactly, lower case).
func ParseLabel(s string) (Label, error) {
	switch s {
	case "a":
		return LabelA, nil
	case "b":
		return LabelB, nil
	case "tie":
		return LabelTie, nil
	}
	return 0, fmt.Errorf("invalid label %q (want %q, %q or %q)", s, "a", "b", "tie")
}

// ImageRef names one image of a Pair: a file under the images root, or bytes embedded in
// the dataset.
type ImageRef struct {
	// Name is the image as written in the dataset (the relative path), or
	// "<column>@row <n>" for embedded bytes. Meant for reports.
	Name string
	// Path is the absolute, cleaned path of the file, lexically inside the images root;
	// "" when Bytes is set.
	Path string
	// Bytes holds embedded image bytes (Pick-a-Pic parquet); nil otherwise. The slice is
	// owned by the Pair.
	Bytes []byte
}

// Pair is one pairwise comparison: a prompt, two images and a label.
type Pair struct {
	Index    int    // 0-based ordinal in the stream (stable across runs of the same file)
	ID       string // stable id: the record's "id" if given, else derived (see the package doc)
	PromptID string // explicit prompt id if given, else PromptHash(Prompt)
	Prompt   string // the prompt text, as written
	A, B     ImageRef
	Label    Label
	Weight   float64 // 1 when the dataset gives none
	Strength float64 // label strength (remix ratio, annotator agreement), NaN when absent
	Source   string  // where the pair came from: "<file>:line N", "<file>:row N", "<file>:element N"
}

// Format names a dataset file format.
type Format string

// The formats Open reads.
const (
	PairsJSONL          Format = "pairs-jsonl"
	SocialRewardParquet Format = "socialreward-parquet"
	PickAPicParquet     Format = "pickapic-parquet"
	HPDv2JSON           Format = "hpdv2-json"
	ImageRewardJSON     Format = "imagereward-json"
)

// Formats returns every format Open reads, in a fixed order.
func Formats() []Format {
	return []Format{PairsJSONL, SocialRewardParquet, PickAPicParquet, HPDv2JSON, ImageRewardJSON}
}

// FormatAliases returns the short names ParseFormat also accepts for f, in a fixed
// order; nil for an unknown format. Every alias names exactly one format.
func FormatAliases(f Format) []string {
	switch f {
	case PairsJSONL:
		return []string{"pairs", "jsonl"}
	case SocialRewardParquet:
		return []string{"socialreward"}
	case PickAPicParquet:
		return []string{"pickapic"}
	case HPDv2JSON:
		return []string{"hpdv2"}
	case ImageRewardJSON:
		return []string{"imagereward"}
	}
	return nil
}

// ambiguousFormats lists the names that could mean more than one format, with those
// formats; ParseFormat refuses them with the candidates rather than guessing.
func ambiguousFormats(key string) []Format {
	switch key {
	case "json":
		return []Format{HPDv2JSON, ImageRewardJSON}
	case "parquet":
		return []Format{SocialRewardParquet, PickAPicParquet}
	}
	return nil
}

// formatKey is the form names are compared in: lower case, without the separators
// '-', '_', '.' and spaces, so "HPDv2_json", "hpdv2-json" and "Pick-a-Pic" match
// "hpdv2json", "hpdv2json" and "pickapic".
func formatKey(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', '.', ' ', '\t':
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(s)))
}

// ParseFormat returns the format named s: a canonical name (Formats) or one of its
// aliases (FormatAliases), compared ignoring case, spaces and the separators '-', '_'
// and '.' ("HPDv2_json" and "hpdv2" are HPDv2JSON). The result is always the
// canonical Format, which is what results record. A name that could mean two formats
// ("json", "parquet") is an error naming both; an unknown name gives an error with a
// "did you mean" suggestion and the list of formats with their aliases.
func ParseFormat(s string) (Format, error) {
	key := formatKey(s)
	var options []string
	canonical := map[string]Format{}
	for _, f := range Formats() {
		names := append([]string{string(f)}, FormatAliases(f)...)
		for _, n := range names {
			if key != "" && key == formatKey(n) {
				return f, nil
			}
			options = append(options, n)
			canonical[n] = f
		}
	}
	if amb := ambiguousFormats(key); amb != nil {
		return "", fmt.Errorf("ambiguous dataset format %q: it could be %q or %q; formats: %s", s, amb[0], amb[1], FormatNames())
	}
	msg := fmt.Sprintf("unknown dataset format %q", s)
	if sug := suggestFormat(s, options, canonical); sug != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", sug)
	}
	return "", fmt.Errorf("%s; formats: %s", msg, FormatNames())
}

// suggestFormat returns the format a misspelt name most likely means, or "": the only
// format with a name that starts with it (separators ignored), else the format of the
// closest name by edit distance (suggest.Closest).
func suggestFormat(s string, options []string, canonical map[string]Format) Format {
	key := formatKey(s)
	var prefixed []Format
	for _, f := range Formats() {
		for _, name := range append([]string{string(f)}, FormatAliases(f)...) {
			if key != "" && strings.HasPrefix(formatKey(name), key) {
				prefixed = append(prefixed, f)
				break
			}
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0]
	}
	norm := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "_", "-")
	return canonical[suggest.Closest(norm, options)]
}

// FormatNames lists the formats for help texts and error messages: each canonical name
// followed by its aliases in parentheses, e.g. "pairs-jsonl (pairs, jsonl), ...".
func FormatNames() string {
	var b strings.Builder
	for i, f := range Formats() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(f))
		if a := FormatAliases(f); len(a) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(a, ", "))
		}
	}
	return b.String()
}

// Spec says which dataset file to read and how. Its zero value (with Path set) reads the
// whole file, detecting the format, with images relative to the file's directory, failing
// on the first malformed record.
type Spec struct {
	// Format of the file; "" detects it from the content (see the package doc), failing
	// with the list of formats when that is ambiguous.
	Format Format
	// Path of the dataset file.
	Path string
	// Images is the root that relative image paths are resolved against and confined to;
	// "" means the dataset file's directory.
	Images string
	// Split keeps only the records of one split, for the parquet formats: rows whose
	// "split" column equals Split when the file has such a column; otherwise the file
	// itself must be that split's file, i.e. its base name starts with Split followed by
	// "-" or "." (the Hugging Face layout, e.g. "test_unique-00000-of-00001.parquet"),
	// and Open fails if it does not. The JSON formats have no splits: a non-empty Split is
	// an error there.
	Split string
	// Limit stops the stream after this many pairs; 0 means all. Negative is an error.
	Limit int
	// Lenient skips malformed records instead of failing: each is counted in Stats by
	// reason, and the first few are kept as examples. When false, the first malformed
	// record ends the stream with a *RowError naming the file, position and field.
	Lenient bool
	// CheckImages stats every image file when its pair is read: a missing file, one that
	// is not a regular file, or one whose path resolves (through symlinks) outside the
	// images root makes the record malformed. Off by default: the scorer reports
	// unreadable images per item. Costs a few system calls per image.
	CheckImages bool
	// OrderSeed decides, for formats of triplets (socialreward-parquet:
	// a preferred and a rejected image), which image of each triplet is a:
	// TripletSwapped(OrderSeed, pair id) puts the preferred one second
	// (label "b"). About half the pairs are swapped, so a scorer that
	// favours one position, or ties, cannot look accurate.
	OrderSeed uint64
}

// TripletSwapped reports whether the triplet with this id is shown with its
// preferred image second under seed: the lowest bit of FNV-1a (64 bit) over
// the seed's 8 little-endian bytes and the id. It depends on nothing but the
// seed and the id, so a pair's order does not change with the rest of the
// file.
func TripletSwapped(seed uint64, id string) bool {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(id))
	return h.Sum64()&1 == 1
}

// Source is a stream of pairs read from one dataset file.
type Source interface {
	// Next returns the next pair, or io.EOF at the end of the stream (or once Limit pairs
	// have been returned). After an error other than io.EOF the stream is over and Next
	// keeps returning that error.
	Next() (Pair, error)
	// Stats returns a copy of the counters so far.
	Stats() Stats
	// Close releases the file. Next after Close returns an error.
	Close() error
}

// Stats counts what a Source has read, emitted and left out.
type Stats struct {
	Format Format
	// Rows is the number of records read: non-blank JSONL lines, parquet rows, JSON
	// array elements.
	Rows int
	// Pairs is the number of pairs returned by Next.
	Pairs int
	// Skipped is the number of malformed records skipped (Lenient only).
	Skipped int
	// SkipReasons counts skipped records per reason ("field \"label\": invalid value").
	SkipReasons map[string]int
	// Examples holds the messages of the first MaxExamples skipped records, each naming
	// file, position and field.
	Examples []string
	// Filtered is the number of well-formed records left out on purpose: another split,
	// or Pick-a-Pic rows with has_label = false.
	Filtered int
	// FilterReasons counts filtered records per reason.
	FilterReasons map[string]int
	// UnknownFields counts, per field name, the records that carried a field the format
	// does not define (ignored, a warning). At most MaxUnknownFieldNames names are kept;
	// the rest are counted under "(other)".
	UnknownFields map[string]int
	// BlankLines is the number of blank JSONL lines ignored.
	BlankLines int
	// StoppedAtLimit is true when the stream ended because Spec.Limit was reached.
	StoppedAtLimit bool
	// PairOrder says how the loader ordered the images of triplets ("" when
	// the file gives the order, as pairs-jsonl does).
	PairOrder string
}

// Limits of the bounded parts of Stats.
const (
	MaxExamples          = 5
	MaxUnknownFieldNames = jsonfield.MaxUnknownNames
)

// Warnings returns human-readable warnings about the stream so far: unknown fields,
// skipped and filtered records. Empty when there is nothing to say.
func (s Stats) Warnings() []string {
	var w []string
	for _, k := range sortedKeys(s.UnknownFields) {
		w = append(w, fmt.Sprintf("unknown field %q ignored in %d record(s)", k, s.UnknownFields[k]))
	}
	for _, k := range sortedKeys(s.SkipReasons) {
		w = append(w, fmt.Sprintf("skipped %d malformed record(s): %s", s.SkipReasons[k], k))
	}
	for _, k := range sortedKeys(s.FilterReasons) {
		w = append(w, fmt.Sprintf("filtered %d record(s): %s", s.FilterReasons[k], k))
	}
	return w
}

// RowError reports a malformed record. Open's sources return it from Next (strict mode)
// and record its message in Stats (lenient mode).
type RowError struct {
	File   string // dataset file, as given in Spec.Path
	Where  string // "line 12", "row 7", "element 3 (line 40)"
	Field  string // the offending field or column; "" when the record as a whole is bad
	Kind   string // short, stable category: "missing", "invalid value", "escapes images root", ...
	Detail string // what was found and what was expected
}

func (e *RowError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("file %q: %s: %s", e.File, e.Where, e.Detail)
	}
	return fmt.Sprintf("file %q: %s: field %q: %s", e.File, e.Where, e.Field, e.Detail)
}

// Reason is the key the error is counted under in Stats.SkipReasons.
func (e *RowError) Reason() string {
	if e.Field == "" {
		return e.Kind
	}
	return fmt.Sprintf("field %q: %s", e.Field, e.Kind)
}

// PromptHash is the PromptID given to a prompt without an explicit id: the first 16
// hex digits of the SHA-256 of its UTF-8 text, exactly as written (no normalisation).
func PromptHash(prompt string) string {
	sum := sha256.Sum256([]byte(prompt))
	return hex.EncodeToString(sum[:8])
}

// Hash returns the hex SHA-256 of the dataset file's content, read as a stream.
func Hash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("dataset hash: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("dataset hash: file %q: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Open opens the dataset file named by spec and returns a stream of its pairs.
func Open(spec Spec) (Source, error) {
	if spec.Path == "" {
		return nil, errors.New("dataset: no file given (Spec.Path is empty)")
	}
	if spec.Limit < 0 {
		return nil, fmt.Errorf("dataset: file %q: negative limit %d", spec.Path, spec.Limit)
	}
	format := spec.Format
	if format == "" {
		f, err := Detect(spec.Path)
		if err != nil {
			return nil, err
		}
		format = f
	} else {
		f, err := ParseFormat(string(format))
		if err != nil {
			return nil, fmt.Errorf("dataset: file %q: %w", spec.Path, err)
		}
		format = f
	}
	absRoot, err := ImagesRoot(spec)
	if err != nil {
		return nil, err
	}
	root := absRoot
	imgs := &imageResolver{root: absRoot, check: spec.CheckImages}
	if spec.CheckImages {
		real, err := filepath.EvalSymlinks(absRoot)
		if err != nil {
			return nil, fmt.Errorf("dataset: images root %q: %w", root, err)
		}
		imgs.realRoot = real
	}
	st := newRecorder(format)
	var r pairReader
	switch format {
	case PairsJSONL:
		if spec.Split != "" {
			return nil, noSplitError(spec, format)
		}
		r, err = openJSONL(spec, imgs, st)
	case HPDv2JSON, ImageRewardJSON:
		if spec.Split != "" {
			return nil, noSplitError(spec, format)
		}
		r, err = openRankJSON(spec, format, imgs, st)
	case SocialRewardParquet:
		r, err = openSocialReward(spec, imgs, st)
	case PickAPicParquet:
		r, err = openPickAPic(spec, st)
	default:
		panic("dataset: format list and Open disagree on " + string(format))
	}
	if err != nil {
		return nil, err
	}
	return &source{spec: spec, r: r, st: st}, nil
}

func noSplitError(spec Spec, f Format) error {
	return fmt.Errorf("dataset: file %q: format %s has no splits (Split is %q); pass the file of the split you want", spec.Path, f, spec.Split)
}

// pairReader is what each format implements: next fills p with the next pair (Index is
// set by the caller), returning io.EOF at the end, a *RowError for a malformed record
// (the reader has moved past it and can go on), or any other error (fatal).
type pairReader interface {
	next(p *Pair) error
	close() error
}

type source struct {
	spec    Spec
	r       pairReader
	st      *recorder
	emitted int
	err     error
	closed  bool
}

var errClosed = errors.New("dataset: source is closed")

func (s *source) Next() (Pair, error) {
	if s.closed {
		return Pair{}, errClosed
	}
	if s.err != nil {
		return Pair{}, s.err
	}
	if s.spec.Limit > 0 && s.emitted >= s.spec.Limit {
		s.st.s.StoppedAtLimit = true
		return Pair{}, io.EOF
	}
	for {
		var p Pair
		err := s.r.next(&p)
		if err == nil {
			p.Index = s.emitted
			s.emitted++
			s.st.s.Pairs++
			return p, nil
		}
		var re *RowError
		if s.spec.Lenient && errors.As(err, &re) {
			s.st.skip(re)
			continue
		}
		s.err = err
		return Pair{}, err
	}
}

func (s *source) Stats() Stats { return s.st.snapshot() }

func (s *source) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.r.close()
}

// checkWeight validates an explicit weight.
func checkWeight(w float64) string {
	switch {
	case math.IsNaN(w) || math.IsInf(w, 0):
		return fmt.Sprintf("weight %v is not a finite number", w)
	case w < 0:
		return fmt.Sprintf("weight %v is negative (want >= 0)", w)
	}
	return ""
}
