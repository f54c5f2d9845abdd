package gallery

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/srbench/srbench/harness/dataset"
	"github.com/srbench/srbench/harness/internal/jsonfield"
	"github.com/srbench/srbench/harness/internal/suggest"
)

// Format names a gallery layout.
type Format string

// The two gallery layouts.
const (
	// Manifest is a JSONL file, one image per line.
	Manifest Format = "gallery-jsonl"
	// Directory is ROOT/<generator>/<prompt id>/<n>.<ext> with ROOT/prompts.jsonl.
	Directory Format = "gallery-dir"
)

// PromptsFile is the name of a Directory gallery's prompt table.
const PromptsFile = "prompts.jsonl"

// Limits of the bounded parts of Stats.
const (
	MaxExamples          = 5
	MaxUnknownFieldNames = jsonfield.MaxUnknownNames
)

// Image is one generated image of a gallery.
type Image struct {
	PromptID  string // the prompt's id: "prompt_id" (default the prompt text) or the directory name
	Prompt    string // the prompt text, as written
	Generator string // the generator (model) that made the image
	// Sample is the image's index within its (PromptID, Generator) cell: the
	// order of appearance from 0 in a manifest, the file's number n in a directory.
	Sample int
	Seed   *int64 // the manifest's "seed"; nil when absent and always in a directory
	Name   string // the path relative to the gallery root, as written ('/'-separated)
	Path   string // absolute, cleaned path of the file, lexically inside the gallery root
	Truth  float64
	Line   int // manifest line (from 1); 0 in a directory
}

// HasTruth reports whether the image carries a held-out ground-truth value.
func (im Image) HasTruth() bool { return !math.IsNaN(im.Truth) }

// Options tunes Stream. The zero value is the documented default.
type Options struct {
	// CheckImages stats every manifest image when its line is read (missing, not a
	// regular file, larger than dataset.DefaultMaxImageBytes, or resolving through a
	// symbolic link outside the manifest's directory is an error on that line).
	// Directory galleries are always checked this way, since their files are listed.
	CheckImages bool
}

// Stats counts what Stream read, emitted and left out.
type Stats struct {
	Format Format
	// Images is the number of images passed to fn.
	Images int
	// Generators lists the generators seen, sorted (in a directory: every generator
	// directory, even one without images).
	Generators []string
	// Prompts is the number of prompts: distinct prompt ids in a manifest, every line
	// of prompts.jsonl in a directory (with or without images).
	Prompts int
	// Truth is the number of images with a ground-truth value.
	Truth int
	// BlankLines counts blank lines ignored in the manifest or prompts.jsonl.
	BlankLines int
	// Skipped counts directory entries that were not read (hidden and system files,
	// regular files in the gallery root); SkipReasons counts them per reason and
	// SkipExamples names the first MaxExamples.
	Skipped      int
	SkipReasons  map[string]int
	SkipExamples []string
	// UnknownFields counts, per field name, the records that carried a field the
	// format does not define (ignored, a warning). At most MaxUnknownFieldNames names
	// are kept; the rest are counted under "(other)".
	UnknownFields map[string]int
	// Summary holds the structural counts; it is filled only when Stream succeeds.
	Summary Summary
}

// Warnings returns human-readable warnings: unknown fields (with a "did you mean"),
// skipped entries and the Summary's lines. Empty when there is nothing to say.
func (s Stats) Warnings() []string {
	var w []string
	var known []string
	switch s.Format {
	case Manifest:
		known = manifestFields[:]
	case Directory:
		known = promptFields[:]
	}
	for _, k := range sortedKeys(s.UnknownFields) {
		msg := fmt.Sprintf("unknown field %q ignored in %d record(s)", k, s.UnknownFields[k])
		if sug := suggest.Closest(k, known); sug != "" && k != "(other)" {
			msg += fmt.Sprintf(" (did you mean %q?)", sug)
		}
		w = append(w, msg)
	}
	for _, k := range sortedKeys(s.SkipReasons) {
		w = append(w, fmt.Sprintf("skipped %d entr%s: %s", s.SkipReasons[k], plural(s.SkipReasons[k], "y", "ies"), k))
	}
	return append(w, s.Summary.Lines()...)
}

// Detect names the layout of the gallery at path: a directory is Directory (it must
// hold prompts.jsonl); a file whose first non-space byte (after an optional UTF-8 byte
// order mark) is '{' is Manifest. Anything else is an error naming the path.
func Detect(path string) (Format, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("gallery: %w", err)
	}
	if fi.IsDir() {
		pf := filepath.Join(path, PromptsFile)
		if _, err := os.Stat(pf); err != nil {
			return "", fmt.Errorf("gallery: directory %q: no %s (a gallery directory needs one, lines {\"id\": ..., \"prompt\": ...}): %w", path, PromptsFile, err)
		}
		return Directory, nil
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("gallery: %q is neither a directory nor a regular file (mode %v)", path, fi.Mode())
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("gallery: %w", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	if bom, _ := br.Peek(3); string(bom) == "\xef\xbb\xbf" {
		_, _ = br.Discard(3)
	}
	for {
		b, err := br.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "", fmt.Errorf("gallery: file %q is empty (want a JSONL manifest or a gallery directory)", path)
			}
			return "", fmt.Errorf("gallery: file %q: %w", path, err)
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return Manifest, nil
		}
		return "", fmt.Errorf("gallery: file %q starts with %q (want a JSONL manifest, one object per line, or a gallery directory)", path, b)
	}
}

// Check validates the gallery at path without a callback: Stream(path, nil).
func Check(path string) (Stats, error) { return Stream(path, nil) }

// Stream reads the gallery at path (detecting its layout) and calls fn for every
// image in order, with the zero Options. See StreamOptions.
func Stream(path string, fn func(Image) error) (Stats, error) {
	return StreamOptions(path, Options{}, fn)
}

// StreamOptions reads the gallery at path and calls fn (which may be nil) for every
// image, in file order for a manifest and in (generator, prompt id, sample) order for a
// directory. The first malformed record or entry ends the stream with a
// *dataset.RowError naming the file, the line (or "directory entry") and the field; an
// error returned by fn ends it and is returned as is. On error Stats holds the counts
// so far and a zero Summary.
func StreamOptions(path string, opt Options, fn func(Image) error) (Stats, error) {
	format, err := Detect(path)
	if err != nil {
		return Stats{}, err
	}
	if fn == nil {
		fn = func(Image) error { return nil }
	}
	root, err := filepath.Abs(path)
	if err != nil {
		return Stats{}, fmt.Errorf("gallery: %w", err)
	}
	r := &run{stats: Stats{Format: format}, tr: newTracker(), fn: fn}
	switch format {
	case Manifest:
		r.limits = &dataset.ImageLimits{Root: filepath.Dir(root)}
		err = r.manifest(path, filepath.Dir(root), opt)
	case Directory:
		r.limits = &dataset.ImageLimits{Root: root}
		err = r.directory(path, root, nil)
	}
	r.stats.Generators = r.tr.sortedGenerators()
	r.stats.Prompts = len(r.tr.prompts)
	if err != nil {
		return r.stats, err
	}
	r.stats.Summary = r.tr.summary()
	return r.stats, nil
}

// run is the state of one Stream call.
type run struct {
	stats  Stats
	tr     *tracker
	limits *dataset.ImageLimits
	fn     func(Image) error
}

func (r *run) emit(im Image) error {
	r.stats.Images++
	if im.HasTruth() {
		r.stats.Truth++
	}
	return r.fn(im)
}

func (r *run) skip(path, reason string) {
	r.stats.Skipped++
	if r.stats.SkipReasons == nil {
		r.stats.SkipReasons = map[string]int{}
	}
	r.stats.SkipReasons[reason]++
	if len(r.stats.SkipExamples) < MaxExamples {
		r.stats.SkipExamples = append(r.stats.SkipExamples, fmt.Sprintf("%s: %s", path, reason))
	}
}

func (r *run) unknownField(name string) {
	r.stats.UnknownFields = jsonfield.CountUnknown(r.stats.UnknownFields, name)
}

// Hash returns the hex SHA-256 identity of the gallery at path, for provenance.
//
// For a manifest it is dataset.Hash of the file: the SHA-256 of its bytes (the images
// are not read). For a directory it is the SHA-256 of the text
//
//	"srbench-gallery-dir v1\n"
//	"prompts.jsonl <hex SHA-256 of prompts.jsonl>\n"
//	"<Name>\n" for every image, in Stream order
//
// where Name is the image's '/'-separated path relative to the root
// ("sdxl/fox/0.png"). It covers the prompt table and the listing of image files, not
// their content or size: adding, removing or renaming an image changes it, rewriting
// one in place does not, and neither do skipped entries (.DS_Store). The directory is
// validated as by Stream; a malformed gallery has no hash.
func Hash(path string) (string, error) {
	format, err := Detect(path)
	if err != nil {
		return "", err
	}
	if format == Manifest {
		return dataset.Hash(path)
	}
	ph, err := dataset.Hash(filepath.Join(path, PromptsFile))
	if err != nil {
		return "", fmt.Errorf("gallery hash: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "srbench-gallery-dir v1\n%s %s\n", PromptsFile, ph)
	root, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("gallery hash: %w", err)
	}
	r := &run{stats: Stats{Format: Directory}, tr: newTracker(), limits: &dataset.ImageLimits{Root: root}, fn: func(Image) error { return nil }}
	err = r.directory(path, root, func(name string) {
		io.WriteString(h, name)
		io.WriteString(h, "\n")
	})
	if err != nil {
		return "", fmt.Errorf("gallery hash: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
