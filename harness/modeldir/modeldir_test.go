package modeldir_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/srbench/srbench/harness/modeldir"
)

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name     string
		manifest string // "" = no srbench.yaml
		kind     string
		wantErr  string
	}{
		{"ok", "kind: clipscore\nvariant: hessel\nconstants: {logit_scale: 100}\n", "clipscore", ""},
		{"missing manifest", "", "clipscore", "missing srbench.yaml"},
		{"missing kind", "variant: x\n", "", `field "kind" is missing`},
		{"wrong kind", "kind: pickscore\n", "clipscore", `"kind" is "pickscore", but this is the clipscore scorer`},
		{"unknown field", "kind: clipscore\nvarient: x\n", "", "field varient not found"},
	}
	// LoadManifest validates exactly as Load does, without the fingerprint.
	loaders := []struct {
		name        string
		load        func(dir, kind string) (*modeldir.Dir, error)
		fingerprint bool
	}{
		{"Load", modeldir.Load, true},
		{"LoadManifest", modeldir.LoadManifest, false},
	}
	for _, l := range loaders {
		for _, tc := range tests {
			t.Run(l.name+"/"+tc.name, func(t *testing.T) {
				dir := t.TempDir()
				if tc.manifest != "" {
					write(t, dir, modeldir.ManifestName, tc.manifest)
				}
				d, err := l.load(dir, tc.kind)
				if tc.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
						t.Fatalf("got %v, want error containing %q", err, tc.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if d.Manifest.Variant != "hessel" || d.Constant("logit_scale", 1) != 100 || d.Constant("other", 7) != 7 {
					t.Errorf("manifest = %+v", d.Manifest)
				}
				if got := strings.HasPrefix(d.Fingerprint, "sha256:"); got != l.fingerprint {
					t.Errorf("Fingerprint = %q, want one: %v", d.Fingerprint, l.fingerprint)
				}
			})
		}
	}
}

func TestFingerprint(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "b.onnx", "BB")
	write(t, dir, "a.json", "A")
	got, err := modeldir.Fingerprint(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Independent computation of the documented scheme.
	h := sha256.New()
	h.Write([]byte("a.json\x001\x00A"))
	h.Write([]byte("b.onnx\x002\x00BB"))
	if want := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != want {
		t.Fatalf("fingerprint %s, want %s", got, want)
	}
	write(t, dir, "b.onnx", "BC")
	changed, _ := modeldir.Fingerprint(dir)
	if changed == got {
		t.Error("fingerprint did not change with the content")
	}
	// A symbolic link to a file counts as the file (Hugging Face snapshots
	// are links into a blob store): same fingerprint, and it follows the
	// target's content.
	linked := t.TempDir()
	blobs := t.TempDir()
	write(t, blobs, "blob1", "BC")
	write(t, linked, "a.json", "A")
	if err := os.Symlink(filepath.Join(blobs, "blob1"), filepath.Join(linked, "b.onnx")); err != nil {
		t.Fatal(err)
	}
	if viaLink, err := modeldir.Fingerprint(linked); err != nil || viaLink != changed {
		t.Errorf("through a link: %s, %v; want %s", viaLink, err, changed)
	}
	write(t, blobs, "blob1", "BD")
	if viaLink, _ := modeldir.Fingerprint(linked); viaLink == changed {
		t.Error("fingerprint did not follow the link target's content")
	}
}

// TestFingerprintFollowsLinkedDirectories: a model directory that is a
// symbolic link, or that links a subdirectory, has the fingerprint of the
// real content; two links to different content never share one; a
// directory without files and a link loop are refused.
func TestFingerprintFollowsLinkedDirectories(t *testing.T) {
	real1, real2 := t.TempDir(), t.TempDir()
	write(t, real1, "model.onnx", "weights-1")
	write(t, real1, modeldir.ManifestName, "kind: x\n")
	write(t, real2, "model.onnx", "weights-2")
	write(t, real2, modeldir.ManifestName, "kind: x\n")
	// Independent computation of the documented scheme for real1.
	h := sha256.New()
	h.Write([]byte("model.onnx\x009\x00weights-1"))
	h.Write([]byte("srbench.yaml\x008\x00kind: x\n"))
	want1 := "sha256:" + hex.EncodeToString(h.Sum(nil))

	root := t.TempDir() // a models root assembled from links
	link := func(target, name string) string {
		p := filepath.Join(root, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	l1, l2 := link(real1, "clipscore"), link(real2, "pickscore")
	empty := sha256.Sum256(nil)
	for _, tc := range []struct {
		name, dir, want string
	}{
		{"real directory", real1, want1},
		{"linked directory", l1, want1},
		{"link to a link", link(l1, "again"), want1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := modeldir.Fingerprint(tc.dir)
			if err != nil || got != tc.want {
				t.Fatalf("Fingerprint(%s) = %s, %v; want %s", tc.dir, got, err, tc.want)
			}
		})
	}
	f2, err := modeldir.Fingerprint(l2)
	if err != nil || f2 == want1 || f2 == "sha256:"+hex.EncodeToString(empty[:]) {
		t.Errorf("second linked directory: %s, %v; want a fingerprint of its own content", f2, err)
	}
	// Load (through the fingerprint cache) agrees.
	d, err := modeldir.Load(l1, "x")
	if err != nil || d.Fingerprint != want1 {
		t.Errorf("Load(linked) fingerprint %v, %v; want %s", d, err, want1)
	}

	// A linked subdirectory is part of the content.
	withSub := t.TempDir()
	write(t, withSub, "model.onnx", "weights-1")
	write(t, withSub, modeldir.ManifestName, "kind: x\n")
	before, _ := modeldir.Fingerprint(withSub)
	sub := t.TempDir()
	write(t, sub, "extra.bin", "E")
	if err := os.Symlink(sub, filepath.Join(withSub, "onnx")); err != nil {
		t.Fatal(err)
	}
	after, err := modeldir.Fingerprint(withSub)
	if err != nil || after == before {
		t.Errorf("linked subdirectory: %s, %v; want a fingerprint that changed from %s", after, err, before)
	}

	// Refused: no files at all, and a loop.
	if _, err := modeldir.Fingerprint(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no files") {
		t.Errorf("empty directory: %v, want a 'no files' error", err)
	}
	loop := t.TempDir()
	write(t, loop, "a", "A")
	if err := os.Symlink(loop, filepath.Join(loop, "self")); err != nil {
		t.Fatal(err)
	}
	if _, err := modeldir.Fingerprint(loop); err == nil || !strings.Contains(err.Error(), "loop") {
		t.Errorf("link loop: %v, want a loop error", err)
	}
}

func TestFirstOf(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, modeldir.ManifestName, "kind: x\n")
	d, err := modeldir.Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.FirstOf("ONNX model", "model.onnx", "text_model.onnx")
	if err == nil || !strings.Contains(err.Error(), "no ONNX model: expected one of model.onnx, text_model.onnx") {
		t.Fatalf("got %v", err)
	}
}

// LoadAsync's fingerprint, once waited for, is the documented scheme's
// value; a file that cannot be read is reported by wait.
func TestLoadAsync(t *testing.T) {
	h := sha256.New()
	manifest := "kind: clipscore\n"
	h.Write([]byte("a.onnx\x002\x00AA"))
	h.Write([]byte(modeldir.ManifestName + "\x00" + fmt.Sprint(len(manifest)) + "\x00" + manifest))
	want := "sha256:" + hex.EncodeToString(h.Sum(nil))
	tests := []struct {
		name       string
		unreadable bool
		wantErr    string
	}{
		{name: "ok"},
		{name: "unreadable file", unreadable: true, wantErr: "a.onnx"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, modeldir.ManifestName, manifest)
			if tc.unreadable {
				// A directory where a file is expected cannot be hashed
				// the same way: make a dangling symlink instead.
				if err := os.Symlink(filepath.Join(dir, "missing"), filepath.Join(dir, "a.onnx")); err != nil {
					t.Fatal(err)
				}
			} else {
				write(t, dir, "a.onnx", "AA")
			}
			d, wait, err := modeldir.LoadAsync(dir, "clipscore")
			if err != nil {
				t.Fatal(err)
			}
			for range 2 { // wait may be called again and gives the same answer
				err = wait()
				if tc.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
						t.Fatalf("wait: %v, want an error naming %q", err, tc.wantErr)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if d.Fingerprint != want {
					t.Fatalf("fingerprint %s, want %s", d.Fingerprint, want)
				}
			}
		})
	}
}
