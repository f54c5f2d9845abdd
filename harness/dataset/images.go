package dataset

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// imageResolver turns image paths written in a dataset into ImageRefs confined to the
// images root.
type imageResolver struct {
	root     string // absolute images root
	check    bool   // Spec.CheckImages
	realRoot string // root with symlinks resolved (check only)
}

// resolve checks name against the confinement rule and returns its ImageRef. On failure
// it returns the RowError kind and detail (the caller knows file, position and field).
func (r *imageResolver) resolve(name string) (ImageRef, string, string) {
	switch {
	case strings.TrimSpace(name) == "":
		return ImageRef{}, "empty", "image path is empty"
	case strings.ContainsRune(name, 0):
		return ImageRef{}, "invalid value", fmt.Sprintf("image path %q contains a NUL byte", name)
	case filepath.IsAbs(name) || strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`) || filepath.VolumeName(name) != "":
		return ImageRef{}, "absolute path", fmt.Sprintf("image path %q is absolute (want a path relative to the images root %q)", name, r.root)
	}
	local := filepath.FromSlash(name)
	if !filepath.IsLocal(local) {
		return ImageRef{}, "escapes images root", fmt.Sprintf("image path %q leaves the images root %q", name, r.root)
	}
	clean := filepath.Clean(local)
	if clean == "." {
		return ImageRef{}, "invalid value", fmt.Sprintf("image path %q names the images root itself, not a file", name)
	}
	ref := ImageRef{Name: name, Path: filepath.Join(r.root, clean)}
	if r.check {
		if kind, detail := r.stat(ref.Path, name); kind != "" {
			return ImageRef{}, kind, detail
		}
	}
	return ref, "", ""
}

// stat implements Spec.CheckImages for one resolved path.
func (r *imageResolver) stat(path, name string) (string, string) {
	fi, err := os.Stat(path)
	if err != nil {
		if os.IsNotExist(err) {
			return "image missing", fmt.Sprintf("image %q not found at %q", name, path)
		}
		return "image unreadable", fmt.Sprintf("image %q: %v", name, err)
	}
	if !fi.Mode().IsRegular() {
		return "image not a file", fmt.Sprintf("image %q at %q is not a regular file (mode %v)", name, path, fi.Mode())
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "image unreadable", fmt.Sprintf("image %q: %v", name, err)
	}
	rel, err := filepath.Rel(r.realRoot, real)
	if err != nil || !filepath.IsLocal(rel) {
		return "escapes images root", fmt.Sprintf("image %q resolves through a symlink to %q, outside the images root %q", name, real, r.realRoot)
	}
	return "", ""
}
