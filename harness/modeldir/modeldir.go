// Package modeldir reads srbench model directories: the layout a user gets
// from Hugging Face Optimum (`optimum-cli export onnx`) plus a small
// srbench.yaml naming the scorer kind, its variant and constants.
//
// A directory holds model.onnx, or text_model.onnx + vision_model.onnx (so
// text and image embeddings can be computed and cached separately); a
// tokenizer (tokenizer.json or the OpenAI bpe_simple_vocab_16e6.txt.gz); a
// preprocessor_config.json (optional: the scorer's default pipeline applies
// without it); and srbench.yaml:
//
//	kind: clipscore          # which scorer this directory is for
//	variant: hessel          # optional; the scorer's default otherwise
//	constants:               # optional scorer constants
//	  logit_scale: 100
//
// The fingerprint is sha256 over the names and contents of every regular file
// in the directory (sorted by name), so a reported number is tied to exact
// weights, tokenizer and configuration. Symbolic links are followed (the
// directory itself, linked subdirectories, and linked files as in a Hugging
// Face snapshot), so a link has the fingerprint of what it points to. Load remembers it in srbench's cache
// directory under the files' sizes, inode numbers and change times, so an
// unchanged model is hashed once; a file changed in the last two seconds is
// always hashed, and SRBENCH_FINGERPRINT_CACHE=off hashes every time.
package modeldir

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

// ManifestName is the srbench file in a model directory.
const ManifestName = "srbench.yaml"

// Manifest is srbench.yaml.
type Manifest struct {
	Kind      string             `yaml:"kind"`
	Variant   string             `yaml:"variant,omitempty"`
	Constants map[string]float64 `yaml:"constants,omitempty"`
	Strings   map[string]string  `yaml:"strings,omitempty"`
	// Description is free text for reports (e.g. "demo model, random weights").
	Description string `yaml:"description,omitempty"`
}

// Dir is a loaded model directory.
type Dir struct {
	Path     string
	Manifest Manifest
	// Fingerprint is "sha256:<hex>" over all files.
	Fingerprint string
}

// Load reads and validates dir's srbench.yaml and fingerprints the files.
// wantKind, when non-empty, must equal the manifest's kind.
func Load(dir, wantKind string) (*Dir, error) {
	d, wait, err := LoadAsync(dir, wantKind)
	if err != nil {
		return nil, err
	}
	if err := wait(); err != nil {
		return nil, err
	}
	return d, nil
}

// LoadAsync is Load with the fingerprint computed in the background, so a
// scorer can check the rest of its directory meanwhile (hashing a large
// model not seen before takes about a second per gigabyte). Fingerprint is empty until wait returns nil;
// call wait, from the goroutine that reads the Dir, before using it.
func LoadAsync(dir, wantKind string) (d *Dir, wait func() error, err error) {
	d, err = LoadManifest(dir, wantKind)
	if err != nil {
		return nil, nil, err
	}
	type result struct {
		fp  string
		err error
	}
	done := make(chan result, 1)
	go func() {
		fp, err := cachedFingerprint(d.Path, defaultCacheDir(), time.Now())
		done <- result{fp, err}
	}()
	var once sync.Once
	var werr error
	wait = func() error {
		once.Do(func() {
			r := <-done
			d.Fingerprint, werr = r.fp, r.err
		})
		return werr
	}
	return d, wait, nil
}

// LoadManifest reads and validates dir's srbench.yaml like Load but does not
// fingerprint the files: Fingerprint stays empty. It is for tools that only
// need the manifest and the file names (srbench inspect), never for scoring.
func LoadManifest(dir, wantKind string) (*Dir, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("model directory %s: %w", abs, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("model directory %s: not a directory", abs)
	}
	mpath := filepath.Join(abs, ManifestName)
	b, err := os.ReadFile(mpath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("model directory %s: missing %s (want at least `kind: <scorer>`)", abs, ManifestName)
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", mpath, err)
	}
	if m.Kind == "" {
		return nil, fmt.Errorf("%s: field \"kind\" is missing (want e.g. clipscore, pickscore, imagereward, socialreward)", mpath)
	}
	if wantKind != "" && m.Kind != wantKind {
		return nil, fmt.Errorf("%s: field \"kind\" is %q, but this is the %s scorer", mpath, m.Kind, wantKind)
	}
	return &Dir{Path: abs, Manifest: m}, nil
}

// File returns the path of name inside the directory.
func (d *Dir) File(name string) string { return filepath.Join(d.Path, name) }

// Has reports whether the directory has a regular file called name.
func (d *Dir) Has(name string) bool {
	st, err := os.Stat(d.File(name))
	return err == nil && st.Mode().IsRegular()
}

// FirstOf returns the first of names present in the directory, or an error
// that says which were expected.
func (d *Dir) FirstOf(what string, names ...string) (string, error) {
	for _, n := range names {
		if d.Has(n) {
			return d.File(n), nil
		}
	}
	return "", fmt.Errorf("model directory %s: no %s: expected one of %s", d.Path, what, strings.Join(names, ", "))
}

// Constant returns a named constant from srbench.yaml, or def.
func (d *Dir) Constant(name string, def float64) float64 {
	if v, ok := d.Manifest.Constants[name]; ok {
		return v
	}
	return def
}

// Fingerprint hashes every regular file below dir, and every symbolic link
// to one, as that file (names relative to dir, sorted, each name and its
// length and content fed to sha256). dir and its subdirectories may be
// symbolic links; the fingerprint is that of the real content, so a linked
// directory and its target have the same fingerprint. A directory with no
// file is an error.
func Fingerprint(dir string) (string, error) {
	entries, err := modelFiles(dir)
	if err != nil {
		return "", fmt.Errorf("fingerprint %s: %w", dir, err)
	}
	h := sha256.New()
	for _, e := range entries {
		rel := e.rel
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return "", fmt.Errorf("fingerprint %s: %w", dir, err)
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", rel, st.Size())
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", fmt.Errorf("fingerprint %s: %w", rel, err)
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// Write writes a manifest into dir.
func Write(dir string, m Manifest) error {
	b, err := yaml.Marshal(m)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ManifestName), b, 0o644)
}

// modelFile is one file the fingerprint covers: its slash-separated name
// relative to the directory and what os.Stat says of it.
type modelFile struct {
	rel  string
	info fs.FileInfo
}

// modelFiles lists the files below dir that the fingerprint covers, sorted
// by name: regular files, and symbolic links to regular files as those
// files (Hugging Face snapshots link every file into a blob store). dir
// itself may be a symbolic link (a models root assembled from links), and
// linked subdirectories are followed, so a linked directory covers its
// real content. A dangling link, a link loop and a directory without any
// file are errors rather than files silently left out: a fingerprint of no
// files would make every empty or unreadable model look the same.
func modelFiles(dir string) ([]modelFile, error) {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	var out []modelFile
	// visiting holds the real paths of the directories on the current
	// descent, to refuse a link back to one of them.
	visiting := map[string]bool{}
	var walk func(real, rel string) error
	walk = func(real, rel string) error {
		if visiting[real] {
			return fmt.Errorf("symbolic link loop: %s leads back to %s", filepath.Join(dir, rel), real)
		}
		visiting[real] = true
		defer delete(visiting, real)
		ents, err := os.ReadDir(real)
		if err != nil {
			return err
		}
		for _, e := range ents {
			name := path.Join(rel, e.Name())
			p := filepath.Join(real, e.Name())
			if e.Type()&fs.ModeSymlink != 0 {
				st, err := os.Stat(p) // follows the link
				if err != nil {
					return fmt.Errorf("symbolic link %s: %w", filepath.Join(dir, name), err)
				}
				switch {
				case st.Mode().IsRegular():
					out = append(out, modelFile{rel: name, info: st})
				case st.IsDir():
					target, err := filepath.EvalSymlinks(p)
					if err != nil {
						return fmt.Errorf("symbolic link %s: %w", filepath.Join(dir, name), err)
					}
					if err := walk(target, name); err != nil {
						return err
					}
				}
				continue
			}
			switch {
			case e.IsDir():
				if err := walk(p, name); err != nil {
					return err
				}
			case e.Type().IsRegular():
				st, err := e.Info()
				if err != nil {
					return err
				}
				out = append(out, modelFile{rel: name, info: st})
			}
		}
		return nil
	}
	if err := walk(root, ""); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no files in %s (resolved to %s): nothing to fingerprint", dir, root)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rel < out[j].rel })
	return out, nil
}
