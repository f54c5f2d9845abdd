package gallery

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/srbench/srbench/harness/dataset"
)

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func collect(t testing.TB, path string, opt Options) ([]Image, Stats, error) {
	t.Helper()
	var out []Image
	st, err := StreamOptions(path, opt, func(im Image) error {
		out = append(out, im)
		return nil
	})
	return out, st, err
}

func TestManifestErrors(t *testing.T) {
	t.Parallel()
	const good = `{"prompt":"p","generator":"g","image":"a.png"}`
	tests := []struct {
		name  string
		lines []string // the bad line is the last
		field string
		kind  string
		check bool   // Options.CheckImages
		want  string // substring of the message
	}{
		{name: "missing generator", lines: []string{`{"prompt":"p","image":"a.png"}`}, field: "generator", kind: "missing", want: "required field is missing"},
		{name: "empty generator", lines: []string{`{"prompt":"p","generator":"  ","image":"a.png"}`}, field: "generator", kind: "empty"},
		{name: "null generator", lines: []string{`{"prompt":"p","generator":null,"image":"a.png"}`}, field: "generator", kind: "missing", want: "is null"},
		{name: "missing prompt", lines: []string{`{"generator":"g","image":"a.png"}`}, field: "prompt", kind: "missing"},
		{name: "empty prompt", lines: []string{`{"prompt":"","generator":"g","image":"a.png"}`}, field: "prompt", kind: "empty"},
		{name: "missing image", lines: []string{`{"prompt":"p","generator":"g"}`}, field: "image", kind: "missing"},
		{name: "empty image", lines: []string{`{"prompt":"p","generator":"g","image":""}`}, field: "image", kind: "empty"},
		{name: "number image", lines: []string{`{"prompt":"p","generator":"g","image":3}`}, field: "image", kind: "wrong type", want: "found a number (want a string)"},
		{name: "float seed", lines: []string{`{"prompt":"p","generator":"g","image":"a.png","seed":1.5}`}, field: "seed", kind: "wrong type", want: "want an integer"},
		{name: "exponent seed", lines: []string{`{"prompt":"p","generator":"g","image":"a.png","seed":1e3}`}, field: "seed", kind: "wrong type"},
		{name: "string seed", lines: []string{`{"prompt":"p","generator":"g","image":"a.png","seed":"7"}`}, field: "seed", kind: "wrong type", want: "found a string"},
		{name: "huge seed", lines: []string{`{"prompt":"p","generator":"g","image":"a.png","seed":99999999999999999999}`}, field: "seed", kind: "invalid value", want: "out of range"},
		{name: "infinite truth", lines: []string{`{"prompt":"p","generator":"g","image":"a.png","truth":1e999}`}, field: "truth", kind: "invalid value", want: "not finite"},
		{name: "string truth", lines: []string{`{"prompt":"p","generator":"g","image":"a.png","truth":"NaN"}`}, field: "truth", kind: "wrong type"},
		{name: "float prompt_id", lines: []string{`{"prompt":"p","generator":"g","image":"a.png","prompt_id":2.5}`}, field: "prompt_id", kind: "wrong type"},
		{name: "absolute image", lines: []string{`{"prompt":"p","generator":"g","image":"/etc/passwd"}`}, field: "image", kind: "absolute path", want: "is absolute"},
		{name: "escaping image", lines: []string{`{"prompt":"p","generator":"g","image":"x/../../a.png"}`}, field: "image", kind: "escapes images root", want: "leaves the manifest's directory"},
		{name: "NUL image", lines: []string{`{"prompt":"p","generator":"g","image":"a\u0000.png"}`}, field: "image", kind: "invalid value", want: "NUL"},
		{name: "conflicting prompt", lines: []string{
			`{"prompt":"a fox","prompt_id":"1","generator":"g","image":"a.png"}`,
			`{"prompt":"an owl","prompt_id":1,"generator":"h","image":"b.png"}`,
		}, field: "prompt", kind: "conflicting prompt", want: `prompt_id "1" has prompt "an owl" here but "a fox" at line 2`},
		{name: "duplicate image in cell", lines: []string{good, `{"prompt":"p","generator":"g","image":"b.png"}`, `{"prompt":"p","generator":"g","image":"./a.png"}`},
			field: "image", kind: "duplicate image", want: "(first at line 2)"},
		{name: "missing file checked", lines: []string{`{"prompt":"p","generator":"g","image":"nope.png"}`}, check: true, field: "image", kind: "unreadable"},
		{name: "invalid JSON", lines: []string{good, `{"prompt":`}, kind: "invalid JSON"},
		{name: "not an object", lines: []string{good, `["p","g","a.png"]`}, kind: "not an object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFile(t, dir, "a.png", "x")
			writeFile(t, dir, "b.png", "x")
			// A blank first line checks that line numbers count it.
			path := writeFile(t, dir, "m.jsonl", "\n"+strings.Join(tc.lines, "\n")+"\n")
			_, _, err := collect(t, path, Options{CheckImages: tc.check})
			var re *dataset.RowError
			if !errors.As(err, &re) {
				t.Fatalf("error %v (%T), want a *dataset.RowError", err, err)
			}
			n := len(tc.lines) + 1
			if re.Field != tc.field || re.Kind != tc.kind || re.File != path || re.Where != fmt.Sprintf("line %d", n) {
				t.Errorf("got file %q where %q field %q kind %q, want %q line %d %q %q", re.File, re.Where, re.Field, re.Kind, path, n, tc.field, tc.kind)
			}
			msg := err.Error()
			prefix := fmt.Sprintf("file %q: line %d: ", path, n)
			if tc.field != "" {
				prefix += fmt.Sprintf("field %q: ", tc.field)
			}
			if !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, tc.want) {
				t.Errorf("message %q, want prefix %q and %q", msg, prefix, tc.want)
			}
		})
	}
}

func TestDirectoryErrors(t *testing.T) {
	t.Parallel()
	const prompts = `{"id":"fox","prompt":"a red fox"}` + "\n" + `{"id":7,"prompt":"an owl"}` + "\n"
	tests := []struct {
		name    string
		files   map[string]string
		prompts string
		where   string // path (relative) or "prompts.jsonl line N"
		field   string
		kind    string
		want    string
	}{
		{name: "unknown prompt id", files: map[string]string{"g/fxo/0.png": "x"}, where: "g/fxo", kind: "unknown prompt id", want: `(did you mean "fox"?)`},
		{name: "bad extension", files: map[string]string{"g/fox/0.gif": "x"}, where: "g/fox/0.gif", kind: "unsupported extension", want: `".gif"`},
		{name: "non-integer name", files: map[string]string{"g/fox/a.png": "x"}, where: "g/fox/a.png", kind: "bad sample number"},
		{name: "negative name", files: map[string]string{"g/fox/-1.png": "x"}, where: "g/fox/-1.png", kind: "bad sample number"},
		{name: "duplicate sample", files: map[string]string{"g/fox/1.png": "x", "g/fox/01.jpg": "x"}, where: "g/fox/1.png", kind: "duplicate sample", want: `"01.jpg"`},
		{name: "file instead of prompt dir", files: map[string]string{"g/fox.png": "x"}, where: "g/fox.png", kind: "not a directory"},
		{name: "nested directory", files: map[string]string{"g/fox/sub/0.png": "x"}, where: "g/fox/sub", kind: "unexpected directory"},
		{name: "prompt missing id", prompts: `{"prompt":"p"}`, where: "prompts.jsonl line 1", field: "id", kind: "missing"},
		{name: "prompt id with slash", prompts: `{"id":"a/b","prompt":"p"}`, where: "prompts.jsonl line 1", field: "id", kind: "invalid value"},
		{name: "prompt missing text", prompts: prompts + `{"id":"x"}`, where: "prompts.jsonl line 3", field: "prompt", kind: "missing"},
		{name: "prompt duplicate id", prompts: prompts + `{"id":"7","prompt":"again"}`, where: "prompts.jsonl line 3", field: "id", kind: "duplicate id", want: "line 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			p := tc.prompts
			if p == "" {
				p = prompts
			}
			writeFile(t, dir, PromptsFile, p)
			for name, content := range tc.files {
				writeFile(t, dir, name, content)
			}
			_, _, err := collect(t, dir, Options{})
			var re *dataset.RowError
			if !errors.As(err, &re) {
				t.Fatalf("error %v (%T), want a *dataset.RowError", err, err)
			}
			file, where, ok := strings.Cut(tc.where, " line ")
			if ok {
				where = "line " + where
			} else {
				where = "directory entry"
			}
			wantFile := filepath.Join(dir, filepath.FromSlash(file))
			if re.File != wantFile || re.Where != where || re.Field != tc.field || re.Kind != tc.kind {
				t.Errorf("got %q %q field %q kind %q, want %q %q %q %q", re.File, re.Where, re.Field, re.Kind, wantFile, where, tc.field, tc.kind)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, fmt.Sprintf("file %q: %s: ", wantFile, where)) || !strings.Contains(msg, tc.want) {
				t.Errorf("message %q, want it to name %q, %q and contain %q", msg, wantFile, where, tc.want)
			}
		})
	}
}

// sameGallery writes one gallery as a directory and, in the same root, a manifest
// listing the same files in directory order.
func sameGallery(t *testing.T) (dir, manifest string) {
	t.Helper()
	dir = t.TempDir()
	writeFile(t, dir, PromptsFile, `{"id":"fox","prompt":"a red fox"}`+"\n"+`{"id":"owl","prompt":"an owl"}`+"\n")
	var lines []string
	for _, g := range []string{"flux", "sdxl"} {
		for _, id := range []string{"fox", "owl"} {
			text := map[string]string{"fox": "a red fox", "owl": "an owl"}[id]
			for n := range 3 {
				name := fmt.Sprintf("%s/%s/%d.png", g, id, n)
				writeFile(t, dir, name, "img")
				lines = append(lines, fmt.Sprintf(`{"prompt":%q,"prompt_id":%q,"generator":%q,"image":%q}`, text, id, g, name))
			}
		}
	}
	manifest = writeFile(t, dir, "gallery.jsonl", strings.Join(lines, "\n")+"\n")
	return dir, manifest
}

func TestManifestAndDirectoryAgree(t *testing.T) {
	t.Parallel()
	dir, manifest := sameGallery(t)
	fromDir, dst, err := collect(t, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fromMan, mst, err := collect(t, manifest, Options{CheckImages: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(fromDir) != 12 {
		t.Fatalf("%d images from the directory, want 12", len(fromDir))
	}
	for i := range fromMan {
		if fromMan[i].Line != i+1 {
			t.Errorf("manifest image %d: line %d, want %d", i, fromMan[i].Line, i+1)
		}
	}
	opts := cmp.Options{cmpopts.IgnoreFields(Image{}, "Line"), cmpopts.EquateNaNs()}
	if d := cmp.Diff(fromDir, fromMan, opts); d != "" {
		t.Errorf("directory vs manifest (-dir +manifest):\n%s", d)
	}
	// The directory skips the manifest itself, a file in its root.
	if dst.Skipped != 1 || dst.SkipReasons[SkipRootFile] != 1 {
		t.Errorf("directory skipped %d %v, want the manifest", dst.Skipped, dst.SkipReasons)
	}
	if d := cmp.Diff(dst, mst, cmpopts.IgnoreFields(Stats{}, "Format", "Skipped", "SkipReasons", "SkipExamples")); d != "" {
		t.Errorf("stats (-dir +manifest):\n%s", d)
	}
	if !dst.Summary.Complete() || dst.Summary.String() != "complete: 2 prompts x 2 generators, 3 sample(s) per cell" {
		t.Errorf("summary %q, want complete", dst.Summary)
	}
	if im := fromDir[0]; im.Path != filepath.Join(dir, "flux", "fox", "0.png") || im.Prompt != "a red fox" || !math.IsNaN(im.Truth) || im.Seed != nil {
		t.Errorf("first image %+v", im)
	}
}

func TestManifestFields(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, dir, "m.jsonl", "\xef\xbb\xbf"+`{"prompt":"p","generator":"g","image":"x/../a.png","seed":-3,"truth":0.25,"extra":1}`+"\r\n\r\n"+
		`{"prompt":"p","generator":"g","image":"b.png","seed":null,"truth":null}`+"\n")
	got, st, err := collect(t, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].PromptID != "p" || *got[0].Seed != -3 || got[0].Truth != 0.25 || got[0].Path != filepath.Join(dir, "a.png") || got[0].Name != "x/../a.png" {
		t.Errorf("first image %+v", got[0])
	}
	if got[1].Seed != nil || got[1].HasTruth() || got[1].Sample != 1 || got[1].Line != 3 {
		t.Errorf("second image %+v", got[1])
	}
	if st.Truth != 1 || st.BlankLines != 1 || st.UnknownFields["extra"] != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestSummaryCounts checks the structural counts on a gallery built so that they can
// be counted by hand.
func TestSummaryCounts(t *testing.T) {
	t.Parallel()
	// cells[prompt] = samples of generators a, b, c (0 = no image).
	cells := map[string][3]int{
		"p1": {2, 2, 2}, // complete
		"p2": {2, 2, 0}, // lacks c
		"p3": {2, 1, 2}, // unequal
		"p4": {0, 0, 3}, // lacks a and b
		"p5": {1, 0, 2}, // lacks b, unequal
		"p6": {1, 1, 1}, // complete
	}
	// Hand counts: lack a: p4 = 1; lack b: p4, p5 = 2; lack c: p2 = 1; missing cells
	// 4; unequal: p3, p5 = 2; cells hold 1 to 3 images.
	want := Summary{
		Prompts: 6, Generators: []string{"a", "b", "c"},
		MissingCells: 4, MissingByGenerator: map[string]int{"a": 1, "b": 2, "c": 1},
		Unequal: 2, MinSamples: 1, MaxSamples: 3,
	}
	dir := t.TempDir()
	var lines, prompts []string
	for _, p := range []string{"p1", "p2", "p3", "p4", "p5", "p6"} {
		prompts = append(prompts, fmt.Sprintf(`{"id":%q,"prompt":"text of %s"}`, p, p))
		for g, n := range cells[p] {
			gen := string(rune('a' + g))
			for i := range n {
				name := fmt.Sprintf("%s/%s/%d.webp", gen, p, i)
				writeFile(t, dir, name, "img")
				lines = append(lines, fmt.Sprintf(`{"prompt":"text of %s","prompt_id":%q,"generator":%q,"image":%q}`, p, p, gen, name))
			}
		}
	}
	// An empty prompt (directory only) and an empty prompt directory for it.
	prompts = append(prompts, `{"id":"p7","prompt":"never drawn"}`)
	if err := os.MkdirAll(filepath.Join(dir, "a", "p7"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, PromptsFile, strings.Join(prompts, "\n")+"\n")
	manifest := writeFile(t, dir, "m.jsonl", strings.Join(lines, "\n")+"\n")

	st, err := Check(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, st.Summary); d != "" {
		t.Errorf("manifest summary (-want +got):\n%s", d)
	}
	wantDir := want
	wantDir.Prompts, wantDir.EmptyPrompts, wantDir.MissingCells = 7, 1, 7
	wantDir.MissingByGenerator = map[string]int{"a": 2, "b": 3, "c": 2}
	dst, err := Check(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(wantDir, dst.Summary); d != "" {
		t.Errorf("directory summary (-want +got):\n%s", d)
	}
	wantLines := []string{
		`1 prompt lacks generator "a" (of 6)`,
		`2 prompts lack generator "b" (of 6)`,
		`1 prompt lacks generator "c" (of 6)`,
		`2 prompts have unequal samples per generator (of 6; cells hold 1 to 3 images)`,
	}
	if d := cmp.Diff(wantLines, st.Summary.Lines()); d != "" {
		t.Errorf("lines (-want +got):\n%s", d)
	}
	if got := dst.Summary.Lines()[3]; got != "1 prompt has no images (of 7)" {
		t.Errorf("directory line %q", got)
	}
	if st.Images != 24 || dst.Images != 24 || st.Prompts != 6 || dst.Prompts != 7 {
		t.Errorf("images %d/%d prompts %d/%d", st.Images, dst.Images, st.Prompts, dst.Prompts)
	}
}

func TestDirectorySkipsStrayFiles(t *testing.T) {
	t.Parallel()
	dir, _ := sameGallery(t)
	for _, name := range []string{".DS_Store", "README.md", "sdxl/.DS_Store", "sdxl/fox/._0.png", "flux/owl/Thumbs.db", ".git/HEAD"} {
		writeFile(t, dir, name, "junk")
	}
	got, st, err := collect(t, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// gallery.jsonl and README.md are root files; the rest hidden or system files.
	wantReasons := map[string]int{SkipHidden: 5, SkipRootFile: 2}
	if len(got) != 12 || st.Skipped != 7 || !cmp.Equal(st.SkipReasons, wantReasons) || len(st.SkipExamples) != MaxExamples {
		t.Errorf("%d images, skipped %d %v %q", len(got), st.Skipped, st.SkipReasons, st.SkipExamples)
	}
	w := st.Warnings()
	if len(w) != 2 || !strings.Contains(w[0], "skipped 2 entries: file in the gallery root") {
		t.Errorf("warnings %q", w)
	}
}

func TestHash(t *testing.T) {
	t.Parallel()
	dir, manifest := sameGallery(t)
	h1, err := Hash(dir)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := Hash(dir)
	if err != nil {
		t.Fatal(err)
	}
	if h1 != h2 || len(h1) != 64 {
		t.Fatalf("hash not stable: %s vs %s", h1, h2)
	}
	writeFile(t, dir, ".DS_Store", "junk")
	if h, _ := Hash(dir); h != h1 {
		t.Errorf("a skipped file changed the hash")
	}
	writeFile(t, dir, "sdxl/owl/3.png", "img")
	h3, err := Hash(dir)
	if err != nil {
		t.Fatal(err)
	}
	if h3 == h1 {
		t.Errorf("adding an image did not change the hash")
	}
	writeFile(t, dir, PromptsFile, `{"id":"fox","prompt":"a red fox!"}`+"\n"+`{"id":"owl","prompt":"an owl"}`+"\n")
	if h, _ := Hash(dir); h == h3 {
		t.Errorf("changing prompts.jsonl did not change the hash")
	}
	m1, err := Hash(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := dataset.Hash(manifest); m1 != want {
		t.Errorf("manifest hash %s, want the file's %s", m1, want)
	}
	f, err := os.OpenFile(manifest, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, `{"prompt":"an owl","prompt_id":"owl","generator":"sdxl","image":"sdxl/owl/3.png"}`)
	f.Close()
	if m2, _ := Hash(manifest); m2 == m1 {
		t.Errorf("adding a line did not change the manifest hash")
	}
	writeFile(t, dir, "sdxl/owl/x.png", "img")
	if _, err := Hash(dir); err == nil {
		t.Errorf("a malformed directory has a hash")
	}
}

func TestDetect(t *testing.T) {
	t.Parallel()
	dir, manifest := sameGallery(t)
	empty := writeFile(t, dir, "empty.jsonl", " \n")
	array := writeFile(t, dir, "array.json", "[]")
	noPrompts := t.TempDir()
	tests := []struct {
		path string
		want Format
		err  string
	}{
		{path: dir, want: Directory},
		{path: manifest, want: Manifest},
		{path: empty, err: "is empty"},
		{path: array, err: "starts with '['"},
		{path: noPrompts, err: "no prompts.jsonl"},
		{path: filepath.Join(dir, "nope"), err: "no such file"},
	}
	for _, tc := range tests {
		got, err := Detect(tc.path)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), tc.path) {
				t.Errorf("Detect(%q) = %q, %v; want an error naming the path with %q", tc.path, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Detect(%q) = %q, %v; want %q", tc.path, got, err, tc.want)
		}
	}
}

func TestCallbackErrorStops(t *testing.T) {
	t.Parallel()
	dir, manifest := sameGallery(t)
	stop := errors.New("stop")
	for _, path := range []string{dir, manifest} {
		n := 0
		st, err := Stream(path, func(Image) error {
			n++
			if n == 3 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || n != 3 || st.Images != 3 || st.Summary.Prompts != 0 {
			t.Errorf("%s: err %v, %d calls, stats %+v", path, err, n, st)
		}
	}
}

func TestDirectorySymlinkOutside(t *testing.T) {
	t.Parallel()
	dir, _ := sameGallery(t)
	outside := writeFile(t, t.TempDir(), "secret.png", "x")
	if err := os.Symlink(outside, filepath.Join(dir, "sdxl", "owl", "5.png")); err != nil {
		t.Skip(err)
	}
	_, _, err := collect(t, dir, Options{})
	var re *dataset.RowError
	if !errors.As(err, &re) || re.Kind != "outside images root" {
		t.Errorf("error %v, want an outside images root error", err)
	}
}
