package dataset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestJSONLGood(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	content := "\xef\xbb\xbf" + // byte order mark
		`{"prompt":"a red fox","image_a":"img/fox1.png","image_b":"img/fox2.png","label":"a"}` + "\r\n" +
		"\n" + // blank line 2
		`{"prompt":"a red fox","image_a":"img/./fox3.png","image_b":"img/sub/../fox1.png","label":"b","prompt_id":"fox","id":"pair-7","weight":2.5,"strength":0.75}` + "\n" +
		"   \t\n" + // blank line 4
		`{"prompt":"two cats","image_a":"c1.webp","image_b":"c2.webp","label":"tie","weight":0,"strength":-1.5,"prompt_id":17,"id":null,"note":"x","rater":3}` + "\n" +
		`{"label":"a","image_b":"b.png","image_a":"a.png","prompt":"last line, no newline","score":1}`
	path := writeFile(t, dir, "pairs.jsonl", content)
	pairs, st, err := openAll(t, Spec{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	want := []brief{
		{ID: "L1", PromptID: PromptHash("a red fox"), Prompt: "a red fox", A: "img/fox1.png", B: "img/fox2.png", Label: "a", Weight: 1, Strength: nan, Source: path + ":line 1"},
		{ID: "pair-7", PromptID: "fox", Prompt: "a red fox", A: "img/./fox3.png", B: "img/sub/../fox1.png", Label: "b", Weight: 2.5, Strength: 0.75, Source: path + ":line 3"},
		{ID: "L5", PromptID: "17", Prompt: "two cats", A: "c1.webp", B: "c2.webp", Label: "tie", Weight: 0, Strength: -1.5, Source: path + ":line 5"},
		{ID: "L6", PromptID: PromptHash("last line, no newline"), Prompt: "last line, no newline", A: "a.png", B: "b.png", Label: "a", Weight: 1, Strength: nan, Source: path + ":line 6"},
	}
	if d := diffPairs(want, pairs); d != "" {
		t.Errorf("pairs (-want +got):\n%s", d)
	}
	// Paths are cleaned and absolute under the dataset's directory.
	wantPaths := [][2]string{
		{filepath.Join(dir, "img", "fox1.png"), filepath.Join(dir, "img", "fox2.png")},
		{filepath.Join(dir, "img", "fox3.png"), filepath.Join(dir, "img", "fox1.png")},
		{filepath.Join(dir, "c1.webp"), filepath.Join(dir, "c2.webp")},
		{filepath.Join(dir, "a.png"), filepath.Join(dir, "b.png")},
	}
	for i, p := range pairs {
		if got := [2]string{p.A.Path, p.B.Path}; got != wantPaths[i] {
			t.Errorf("pair %d paths %q, want %q", i, got, wantPaths[i])
		}
		if p.A.Bytes != nil || p.B.Bytes != nil || p.Index != i {
			t.Errorf("pair %d: Bytes set or Index %d", i, p.Index)
		}
	}
	wantStats := Stats{Format: PairsJSONL, Rows: 4, Pairs: 4, BlankLines: 2,
		UnknownFields: map[string]int{"note": 1, "rater": 1, "score": 1}}
	if d := cmp.Diff(wantStats, st); d != "" {
		t.Errorf("stats (-want +got):\n%s", d)
	}

	// An explicit images root.
	root := filepath.Join(dir, "elsewhere")
	pairs, _, err = openAll(t, Spec{Path: path, Images: root, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pairs[0].A.Path, filepath.Join(root, "img", "fox1.png"); got != want {
		t.Errorf("with Images: A.Path %q, want %q", got, want)
	}
}

// TestJSONLMalformed puts one bad record on line 2 between two good ones: strict mode
// must stop at line 2 naming the field; lenient mode must return the two good pairs and
// count the bad one.
func TestJSONLMalformed(t *testing.T) {
	t.Parallel()
	const good = `{"prompt":"p","image_a":"a.png","image_b":"b.png","label":"a"}`
	tests := []struct {
		name   string
		line   string
		field  string
		kind   string
		detail string // substring of the message
	}{
		{name: "invalid JSON", line: `{"prompt":"p",`, kind: "invalid JSON", detail: "invalid JSON at byte"},
		{name: "trailing garbage", line: good + ` x`, kind: "invalid JSON", detail: "invalid character 'x'"},
		{name: "NaN weight is not JSON", line: `{"prompt":"p","image_a":"a","image_b":"b","label":"a","weight":NaN}`, kind: "invalid JSON"},
		{name: "array", line: `["p","a","b","a"]`, kind: "not an object", detail: "found an array (want a JSON object)"},
		{name: "string", line: `"p"`, kind: "not an object"},
		{name: "missing prompt", line: `{"image_a":"a","image_b":"b","label":"a"}`, field: "prompt", kind: "missing", detail: "required field is missing"},
		{name: "null prompt", line: `{"prompt":null,"image_a":"a","image_b":"b","label":"a"}`, field: "prompt", kind: "missing", detail: "is null"},
		{name: "empty prompt", line: `{"prompt":" ","image_a":"a","image_b":"b","label":"a"}`, field: "prompt", kind: "empty"},
		{name: "number prompt", line: `{"prompt":3,"image_a":"a","image_b":"b","label":"a"}`, field: "prompt", kind: "wrong type", detail: "found a number (want a string)"},
		{name: "missing image_a", line: `{"prompt":"p","image_b":"b","label":"a"}`, field: "image_a", kind: "missing"},
		{name: "empty image_b", line: `{"prompt":"p","image_a":"a","image_b":"","label":"a"}`, field: "image_b", kind: "empty"},
		{name: "missing label", line: `{"prompt":"p","image_a":"a","image_b":"b"}`, field: "label", kind: "missing"},
		{name: "bad label", line: `{"prompt":"p","image_a":"a","image_b":"b","label":"c"}`, field: "label", kind: "invalid value", detail: `invalid label "c" (want "a", "b" or "tie")`},
		{name: "upper-case label", line: `{"prompt":"p","image_a":"a","image_b":"b","label":"A"}`, field: "label", kind: "invalid value"},
		{name: "numeric label", line: `{"prompt":"p","image_a":"a","image_b":"b","label":1}`, field: "label", kind: "wrong type"},
		{name: "negative weight", line: `{"prompt":"p","image_a":"a","image_b":"b","label":"a","weight":-0.5}`, field: "weight", kind: "invalid value", detail: "weight -0.5 is negative (want >= 0)"},
		{name: "string weight", line: `{"prompt":"p","image_a":"a","image_b":"b","label":"a","weight":"1"}`, field: "weight", kind: "wrong type"},
		{name: "huge weight", line: `{"prompt":"p","image_a":"a","image_b":"b","label":"a","weight":1e999}`, field: "weight", kind: "invalid value"},
		{name: "string strength", line: `{"prompt":"p","image_a":"a","image_b":"b","label":"a","strength":"high"}`, field: "strength", kind: "wrong type"},
		{name: "float id", line: `{"prompt":"p","image_a":"a","image_b":"b","label":"a","id":1.5}`, field: "id", kind: "wrong type", detail: "found the number 1.5 (want a string or an integer)"},
		{name: "empty prompt_id", line: `{"prompt":"p","image_a":"a","image_b":"b","label":"a","prompt_id":""}`, field: "prompt_id", kind: "empty"},
		{name: "absolute path", line: `{"prompt":"p","image_a":"/etc/passwd","image_b":"b","label":"a"}`, field: "image_a", kind: "absolute path", detail: `image path "/etc/passwd" is absolute`},
		{name: "parent escape", line: `{"prompt":"p","image_a":"a","image_b":"../secret.png","label":"a"}`, field: "image_b", kind: "escapes images root", detail: `"../secret.png" leaves the images root`},
		{name: "inner escape", line: `{"prompt":"p","image_a":"img/../../x.png","image_b":"b","label":"a"}`, field: "image_a", kind: "escapes images root"},
		{name: "bare parent", line: `{"prompt":"p","image_a":"..","image_b":"b","label":"a"}`, field: "image_a", kind: "escapes images root"},
		{name: "NUL byte", line: `{"prompt":"p","image_a":"a\u0000.png","image_b":"b","label":"a"}`, field: "image_a", kind: "invalid value", detail: "NUL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeFile(t, dir, "d.jsonl", good+"\n"+tc.line+"\n"+good+"\n")

			pairs, _, err := openAll(t, Spec{Path: path})
			if len(pairs) != 1 {
				t.Errorf("strict: %d pairs before the error, want 1", len(pairs))
			}
			re := asRowError(t, err)
			if re.Where != "line 2" || re.Field != tc.field || re.Kind != tc.kind || re.File != path {
				t.Errorf("strict: RowError %+v; want line 2, field %q, kind %q", re, tc.field, tc.kind)
			}
			msg := err.Error()
			wantPrefix := `file "` + path + `": line 2: `
			if tc.field != "" {
				wantPrefix += `field "` + tc.field + `": `
			}
			if !strings.HasPrefix(msg, wantPrefix) || !strings.Contains(msg, tc.detail) {
				t.Errorf("strict: message %q; want prefix %q and %q", msg, wantPrefix, tc.detail)
			}

			pairs, st, err := openAll(t, Spec{Path: path, Lenient: true})
			if err != nil {
				t.Fatalf("lenient: %v", err)
			}
			if len(pairs) != 2 || [2]string{pairs[0].ID, pairs[1].ID} != [2]string{"L1", "L3"} {
				t.Errorf("lenient: pairs %v, want L1 and L3", briefs(pairs))
			}
			if pairs[1].Index != 1 {
				t.Errorf("lenient: second pair Index %d, want 1", pairs[1].Index)
			}
			wantStats := Stats{Format: PairsJSONL, Rows: 3, Pairs: 2, Skipped: 1,
				SkipReasons: map[string]int{re.Reason(): 1}, Examples: []string{msg}}
			if d := cmp.Diff(wantStats, st); d != "" {
				t.Errorf("lenient: stats (-want +got):\n%s", d)
			}
		})
	}
}

func TestJSONLLenientBounds(t *testing.T) {
	t.Parallel()
	// 20 bad lines: all counted, 5 examples kept; 100 distinct unknown fields: capped.
	var b strings.Builder
	for i := 0; i < 20; i++ {
		b.WriteString(`{"prompt":"p","image_a":"a","image_b":"b","label":"z"}` + "\n")
	}
	for i := 0; i < 100; i++ {
		b.WriteString(`{"prompt":"p","image_a":"a","image_b":"b","label":"a","x` + strings.Repeat("y", i) + `":1}` + "\n")
	}
	path := writeFile(t, t.TempDir(), "d.jsonl", b.String())
	pairs, st, err := openAll(t, Spec{Path: path, Lenient: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 100 || st.Skipped != 20 || st.SkipReasons[`field "label": invalid value`] != 20 {
		t.Errorf("pairs %d, skipped %d, reasons %v", len(pairs), st.Skipped, st.SkipReasons)
	}
	if len(st.Examples) != MaxExamples || !strings.Contains(st.Examples[4], "line 5:") {
		t.Errorf("examples %q", st.Examples)
	}
	total := 0
	for _, n := range st.UnknownFields {
		total += n
	}
	if len(st.UnknownFields) != MaxUnknownFieldNames+1 || st.UnknownFields["(other)"] != 100-MaxUnknownFieldNames || total != 100 {
		t.Errorf("unknown fields: %d names, (other) = %d, total %d", len(st.UnknownFields), st.UnknownFields["(other)"], total)
	}
}

func TestJSONLLongLine(t *testing.T) {
	t.Parallel()
	// A prompt longer than bufio's buffer spans several reads.
	long := strings.Repeat("fox ", 50_000)
	path := writeFile(t, t.TempDir(), "d.jsonl",
		`{"prompt":"`+long+`","image_a":"a","image_b":"b","label":"b"}`+"\n"+
			`{"prompt":"short","image_a":"a","image_b":"b","label":"a"}`)
	pairs, _, err := openAll(t, Spec{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 2 || pairs[0].Prompt != long || pairs[1].Prompt != "short" || pairs[1].ID != "L2" {
		t.Errorf("got %d pairs; first prompt %d bytes", len(pairs), len(pairs[0].Prompt))
	}
}

func TestCheckImages(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	outside := writeFile(t, dir, "outside.png", "x")
	writeFile(t, root, "ok.png", "x")
	writeFile(t, root, "sub/inner.png", "x")
	if err := os.Mkdir(filepath.Join(root, "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "escape.png")); err != nil {
		t.Skipf("symlinks unavailable: %v", err)
	}
	if err := os.Symlink(filepath.Join(root, "sub", "inner.png"), filepath.Join(root, "link.png")); err != nil {
		t.Fatal(err)
	}
	line := func(b string) string {
		return `{"prompt":"p","image_a":"ok.png","image_b":"` + b + `","label":"a"}` + "\n"
	}
	tests := []struct {
		b, kind string
	}{
		{b: "ok.png"},
		{b: "link.png"}, // a symlink that stays inside the root
		{b: "missing.png", kind: "image missing"},
		{b: "adir", kind: "image not a file"},
		{b: "escape.png", kind: "escapes images root"},
	}
	for _, tc := range tests {
		t.Run(tc.b, func(t *testing.T) {
			path := writeFile(t, dir, "d.jsonl", line(tc.b))
			// Without CheckImages the loader never looks at the files.
			if _, _, err := openAll(t, Spec{Path: path, Images: root}); err != nil {
				t.Fatalf("without CheckImages: %v", err)
			}
			pairs, _, err := openAll(t, Spec{Path: path, Images: root, CheckImages: true})
			if tc.kind == "" {
				if err != nil || len(pairs) != 1 {
					t.Fatalf("got %d pairs, %v", len(pairs), err)
				}
				return
			}
			re := asRowError(t, err)
			if re.Field != "image_b" || re.Kind != tc.kind || re.Where != "line 1" {
				t.Errorf("RowError %+v; want field image_b kind %q", re, tc.kind)
			}
		})
	}
}

func TestResolveConfinement(t *testing.T) {
	t.Parallel()
	root := filepath.Join(string(filepath.Separator)+"data", "imgs")
	r := &imageResolver{root: root}
	tests := []struct {
		in       string
		wantPath string
		kind     string
	}{
		{in: "a.png", wantPath: filepath.Join(root, "a.png")},
		{in: "./a.png", wantPath: filepath.Join(root, "a.png")},
		{in: "x/y/../a.png", wantPath: filepath.Join(root, "x", "a.png")},
		{in: "x//a.png", wantPath: filepath.Join(root, "x", "a.png")},
		{in: "..a.png", wantPath: filepath.Join(root, "..a.png")}, // a name, not a parent
		{in: "", kind: "empty"},
		{in: "  ", kind: "empty"},
		{in: ".", kind: "invalid value"},
		{in: "x/..", kind: "invalid value"},
		{in: "..", kind: "escapes images root"},
		{in: "../a.png", kind: "escapes images root"},
		{in: "x/../../a.png", kind: "escapes images root"},
		{in: "/abs/a.png", kind: "absolute path"},
		{in: `\abs\a.png`, kind: "absolute path"},
		{in: "a\x00.png", kind: "invalid value"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			ref, kind, detail := r.resolve(tc.in)
			if kind != tc.kind {
				t.Fatalf("resolve(%q) kind %q (%s), want %q", tc.in, kind, detail, tc.kind)
			}
			if tc.kind == "" && (ref.Path != tc.wantPath || ref.Name != tc.in) {
				t.Errorf("resolve(%q) = %+v, want Path %q", tc.in, ref, tc.wantPath)
			}
		})
	}
}
