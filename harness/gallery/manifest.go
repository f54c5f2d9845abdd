package gallery

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/srbench/srbench/harness/dataset"
	"github.com/srbench/srbench/harness/internal/jsonfield"
)

// manifestFields are the fields of a manifest line.
var manifestFields = [...]string{"prompt", "generator", "image", "seed", "prompt_id", "truth", "meta"}

func (r *run) manifest(path, root string, opt Options) error {
	return r.readJSONL(path, func(line []byte, n int) (*jsonfield.Problem, error) {
		im, pr := r.parseManifestLine(line, n, root, opt)
		if pr != nil {
			return pr, nil
		}
		return nil, r.emit(im)
	})
}

// readJSONL calls parse on each non-blank line of the JSONL file path (counting blank
// lines in the stats) with its 1-based number. A Problem becomes a *dataset.RowError
// naming the file and line; the first error or Problem ends the read.
func (r *run) readJSONL(path string, parse func(line []byte, n int) (*jsonfield.Problem, error)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("gallery: %w", err)
	}
	defer f.Close()
	lr := jsonfield.NewLineReader(path, f)
	for {
		line, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(line) == 0 {
			r.stats.BlankLines++
			continue
		}
		pr, err := parse(line, lr.Line())
		if pr != nil {
			return &dataset.RowError{File: path, Where: "line " + strconv.Itoa(lr.Line()), Field: pr.Field, Kind: pr.Kind, Detail: pr.Detail}
		}
		if err != nil {
			return err
		}
	}
}

func (r *run) parseManifestLine(line []byte, lineNo int, root string, opt Options) (Image, *jsonfield.Problem) {
	m, pr := jsonfield.DecodeObject(line)
	if pr != nil {
		return Image{}, pr
	}
	for k := range m {
		if !isField(k, manifestFields[:]) {
			r.unknownField(k)
		}
	}
	prompt, _, pr := jsonfield.String(m, "prompt", true)
	if pr != nil {
		return Image{}, pr
	}
	gen, _, pr := jsonfield.String(m, "generator", true)
	if pr != nil {
		return Image{}, pr
	}
	name, _, pr := jsonfield.String(m, "image", true)
	if pr != nil {
		return Image{}, pr
	}
	clean, pr := resolve(name, root, "image")
	if pr != nil {
		return Image{}, pr
	}
	abs := filepath.Join(root, clean)
	if opt.CheckImages {
		if err := r.limits.Check(abs); err != nil {
			var ie *dataset.ImageError
			if errors.As(err, &ie) {
				return Image{}, jsonfield.Problemf("image", ie.Kind, "image %q: %s", name, ie.Detail)
			}
			return Image{}, jsonfield.Problemf("image", "unreadable", "%v", err)
		}
	}
	var seed *int64
	if v, ok, pr := jsonfield.Int(m, "seed"); pr != nil {
		return Image{}, pr
	} else if ok {
		seed = &v
	}
	truth := math.NaN()
	if v, ok, pr := jsonfield.Number(m, "truth"); pr != nil {
		return Image{}, pr
	} else if ok {
		truth = v
	}
	id, ok, pr := jsonfield.ID(m, "prompt_id")
	if pr != nil {
		return Image{}, pr
	}
	if !ok {
		id = prompt
	}
	p := r.tr.prompts[id]
	if p == nil {
		p = &promptState{text: prompt, line: lineNo}
		r.tr.prompts[id] = p
	} else if p.text != prompt {
		return Image{}, jsonfield.Problemf("prompt", "conflicting prompt", "prompt_id %q has prompt %q here but %q at line %d (want one text per prompt id)", id, prompt, p.text, p.line)
	}
	c := p.cell(r.tr.generator(gen))
	h := pathHash(filepath.ToSlash(clean))
	for _, s := range c.paths {
		if s.hash == h {
			return Image{}, jsonfield.Problemf("image", "duplicate image", "image %q is listed twice for prompt_id %q, generator %q (first at line %d); each line must be a distinct sample", name, id, gen, s.line)
		}
	}
	c.paths = append(c.paths, seenPath{hash: h, line: lineNo})
	sample := c.n
	c.n++
	return Image{
		PromptID: id, Prompt: prompt, Generator: gen, Sample: sample, Seed: seed,
		Name: name, Path: abs, Truth: truth, Line: lineNo,
	}, nil
}

// resolve applies harness/dataset's image path rules: a relative path that stays
// inside root after lexical cleaning. It returns the cleaned, OS-separated path.
func resolve(name, root, field string) (string, *jsonfield.Problem) {
	switch {
	case strings.TrimSpace(name) == "":
		return "", jsonfield.Problemf(field, "empty", "image path is empty")
	case strings.ContainsRune(name, 0):
		return "", jsonfield.Problemf(field, "invalid value", "image path %q contains a NUL byte", name)
	case filepath.IsAbs(name) || strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`) || filepath.VolumeName(name) != "":
		return "", jsonfield.Problemf(field, "absolute path", "image path %q is absolute (want a path relative to the manifest's directory %q)", name, root)
	}
	local := filepath.FromSlash(name)
	if !filepath.IsLocal(local) {
		return "", jsonfield.Problemf(field, "escapes images root", "image path %q leaves the manifest's directory %q", name, root)
	}
	clean := filepath.Clean(local)
	if clean == "." {
		return "", jsonfield.Problemf(field, "invalid value", "image path %q names the manifest's directory itself, not a file", name)
	}
	return clean, nil
}

func isField(k string, fields []string) bool {
	for _, f := range fields {
		if k == f {
			return true
		}
	}
	return false
}
