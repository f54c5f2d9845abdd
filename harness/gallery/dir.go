package gallery

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/srbench/srbench/harness/dataset"
	"github.com/srbench/srbench/harness/internal/jsonfield"
	"github.com/srbench/srbench/harness/internal/suggest"
)

// promptFields are the fields of a prompts.jsonl line.
var promptFields = [...]string{"id", "prompt"}

// imageExts are the accepted image extensions (compared in lower case).
var imageExts = [...]string{".png", ".jpg", ".jpeg", ".webp"}

// Skip reasons, the keys of Stats.SkipReasons.
const (
	SkipHidden   = "hidden or system file"
	SkipRootFile = "file in the gallery root (not a generator directory)"
)

// stray reports whether a directory entry is a hidden or operating-system file that
// is skipped (and counted) rather than refused: a name starting with '.' (.DS_Store,
// ._x.png, .git), Thumbs.db or desktop.ini.
func stray(name string) bool {
	return strings.HasPrefix(name, ".") || strings.EqualFold(name, "Thumbs.db") || strings.EqualFold(name, "desktop.ini")
}

func entryError(path, kind, format string, args ...any) error {
	return &dataset.RowError{File: path, Where: "directory entry", Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// directory streams a Directory gallery; onName, when not nil, gets every image's
// Name in order (Hash).
func (r *run) directory(path, root string, onName func(string)) error {
	ppath := filepath.Join(path, PromptsFile)
	if err := r.readPrompts(ppath); err != nil {
		return err
	}
	ents, err := os.ReadDir(path)
	if err != nil {
		return fmt.Errorf("gallery: %w", err)
	}
	var gens []string // ReadDir sorts by name
	for _, e := range ents {
		name := e.Name()
		p := filepath.Join(path, name)
		switch {
		case name == PromptsFile:
		case stray(name):
			r.skip(p, SkipHidden)
		case isDir(p, e):
			gens = append(gens, name)
		default:
			r.skip(p, SkipRootFile)
		}
	}
	for _, gen := range gens {
		gi := r.tr.generator(gen)
		if err := r.generatorDir(path, root, gen, gi, onName); err != nil {
			return err
		}
	}
	return nil
}

func isDir(p string, e fs.DirEntry) bool {
	if e.IsDir() {
		return true
	}
	if e.Type()&fs.ModeSymlink != 0 {
		fi, err := os.Stat(p)
		return err == nil && fi.IsDir()
	}
	return false
}

func (r *run) generatorDir(path, root, gen string, gi int, onName func(string)) error {
	gpath := filepath.Join(path, gen)
	ents, err := os.ReadDir(gpath)
	if err != nil {
		return fmt.Errorf("gallery: %w", err)
	}
	for _, e := range ents {
		id := e.Name()
		p := filepath.Join(gpath, id)
		if stray(id) {
			r.skip(p, SkipHidden)
			continue
		}
		if !isDir(p, e) {
			return entryError(p, "not a directory", "found a file where a prompt id directory belongs (want %s/<generator>/<prompt id>/<n>.png)", filepath.Base(path))
		}
		ps := r.tr.prompts[id]
		if ps == nil {
			msg := fmt.Sprintf("prompt id %q is not in %s", id, PromptsFile)
			if sug := suggest.Closest(id, r.promptIDs()); sug != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", sug)
			}
			return entryError(p, "unknown prompt id", "%s", msg)
		}
		if err := r.promptDir(p, root, gen, gi, id, ps, onName); err != nil {
			return err
		}
	}
	return nil
}

type sampleFile struct {
	n    int
	name string
}

func (r *run) promptDir(dir, root, gen string, gi int, id string, ps *promptState, onName func(string)) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("gallery: %w", err)
	}
	var files []sampleFile
	for _, e := range ents {
		name := e.Name()
		p := filepath.Join(dir, name)
		if stray(name) {
			r.skip(p, SkipHidden)
			continue
		}
		if isDir(p, e) {
			return entryError(p, "unexpected directory", "found a directory inside a prompt directory (want image files <n>.png, .jpg, .jpeg or .webp)")
		}
		ext := filepath.Ext(name)
		if !isField(strings.ToLower(ext), imageExts[:]) {
			return entryError(p, "unsupported extension", "extension %q is not an image extension (want <n>.png, .jpg, .jpeg or .webp)", ext)
		}
		base := strings.TrimSuffix(name, ext)
		n, err := sampleNumber(base)
		if err != nil {
			return entryError(p, "bad sample number", "file name %q is not <n>%s with n a non-negative integer (%v)", base, ext, err)
		}
		files = append(files, sampleFile{n: n, name: name})
	}
	sort.SliceStable(files, func(i, j int) bool { return files[i].n < files[j].n })
	c := ps.cell(gi)
	for i, f := range files {
		p := filepath.Join(dir, f.name)
		if i > 0 && files[i-1].n == f.n {
			return entryError(p, "duplicate sample", "sample %d is also %q (want one file per sample number)", f.n, files[i-1].name)
		}
		abs := filepath.Join(root, gen, id, f.name)
		if err := r.limits.Check(abs); err != nil {
			var ie *dataset.ImageError
			if errors.As(err, &ie) {
				return entryError(p, ie.Kind, "%s", ie.Detail)
			}
			return err
		}
		name := gen + "/" + id + "/" + f.name
		c.n++
		if onName != nil {
			onName(name)
		}
		if err := r.emit(Image{
			PromptID: id, Prompt: ps.text, Generator: gen, Sample: f.n,
			Name: name, Path: abs, Truth: math.NaN(),
		}); err != nil {
			return err
		}
	}
	return nil
}

// sampleNumber parses a file's base name as a non-negative decimal integer.
func sampleNumber(s string) (int, error) {
	if s == "" {
		return 0, errors.New("empty name")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a digit", c)
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, errors.New("out of range")
	}
	return n, nil
}

func (r *run) promptIDs() []string {
	ids := make([]string, 0, len(r.tr.prompts))
	for id := range r.tr.prompts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// readPrompts loads prompts.jsonl into the tracker: one promptState per id.
func (r *run) readPrompts(path string) error {
	err := r.readJSONL(path, func(line []byte, n int) (*jsonfield.Problem, error) {
		return r.parsePromptLine(line, n), nil
	})
	if err != nil {
		return err
	}
	if len(r.tr.prompts) == 0 {
		return fmt.Errorf("gallery: file %q: no prompts (want lines {\"id\": ..., \"prompt\": ...})", path)
	}
	return nil
}

func (r *run) parsePromptLine(line []byte, lineNo int) *jsonfield.Problem {
	m, pr := jsonfield.DecodeObject(line)
	if pr != nil {
		return pr
	}
	for k := range m {
		if !isField(k, promptFields[:]) {
			r.unknownField(k)
		}
	}
	id, ok, pr := jsonfield.ID(m, "id")
	if pr != nil {
		return pr
	}
	if !ok {
		return jsonfield.Problemf("id", "missing", "required field is missing (want a non-empty string or an integer)")
	}
	switch {
	case strings.ContainsAny(id, `/\`) || strings.ContainsRune(id, 0) || id == "..":
		return jsonfield.Problemf("id", "invalid value", "id %q cannot be a directory name (want no '/', '\\' or NUL, not \"..\")", id)
	case stray(id):
		return jsonfield.Problemf("id", "invalid value", "id %q would be a hidden or system directory, which galleries skip (want a name not starting with '.')", id)
	}
	prompt, _, pr := jsonfield.String(m, "prompt", true)
	if pr != nil {
		return pr
	}
	if prev := r.tr.prompts[id]; prev != nil {
		return jsonfield.Problemf("id", "duplicate id", "id %q is already defined at line %d (want each id once)", id, prev.line)
	}
	r.tr.prompts[id] = &promptState{text: prompt, line: lineNo}
	return nil
}
