package dataset

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// imageRewardFixture mirrors the layout of ImageReward's data/test.json (indent 4): the
// fifth record of the real file (6 images, ranking [1,2,1,4,3,4], two ties) and a
// 4-image record without ties.
const imageRewardFixture = `[
    {
        "id": "005695-0057",
        "prompt": "a concept art of a vehicle, cyberpunk, artstation",
        "generations": [
            "part-005695/images/0057/a.webp",
            "part-005695/images/0057/b.webp",
            "part-005695/images/0057/c.webp",
            "part-005695/images/0057/d.webp",
            "part-005695/images/0057/e.webp",
            "part-005695/images/0057/f.webp"
        ],
        "ranking": [
            1,
            2,
            1,
            4,
            3,
            4
        ]
    },
    {
        "id": "005664-0153",
        "prompt": "cola made from cockroaches",
        "generations": ["g0.webp", "g1.webp", "g2.webp", "g3.webp"],
        "ranking": [4, 3, 2, 1]
    }
]
`

func TestImageRewardGood(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, dir, "test.json", imageRewardFixture)
	pairs, st, err := openAll(t, Spec{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	// Labels worked out by hand from ranking [1,2,1,4,3,4] (lower is better).
	type ijl struct {
		i, j  int
		label string
	}
	first := []ijl{
		{0, 1, "a"}, {0, 2, "tie"}, {0, 3, "a"}, {0, 4, "a"}, {0, 5, "a"},
		{1, 2, "b"}, {1, 3, "a"}, {1, 4, "a"}, {1, 5, "a"},
		{2, 3, "a"}, {2, 4, "a"}, {2, 5, "a"},
		{3, 4, "b"}, {3, 5, "tie"},
		{4, 5, "a"},
	}
	// ranking [4,3,2,1]: every later image is better.
	second := []ijl{{0, 1, "b"}, {0, 2, "b"}, {0, 3, "b"}, {1, 2, "b"}, {1, 3, "b"}, {2, 3, "b"}}
	letters := "abcdef"
	var want []brief
	for _, x := range first {
		want = append(want, brief{
			ID: "005695-0057/" + itoa(x.i) + "-" + itoa(x.j), PromptID: "005695-0057",
			Prompt: "a concept art of a vehicle, cyberpunk, artstation",
			A:      "part-005695/images/0057/" + letters[x.i:x.i+1] + ".webp",
			B:      "part-005695/images/0057/" + letters[x.j:x.j+1] + ".webp",
			Label:  x.label, Weight: 1, Strength: nan, Source: path + ":element 0",
		})
	}
	for _, x := range second {
		want = append(want, brief{
			ID: "005664-0153/" + itoa(x.i) + "-" + itoa(x.j), PromptID: "005664-0153",
			Prompt: "cola made from cockroaches", A: "g" + itoa(x.i) + ".webp", B: "g" + itoa(x.j) + ".webp",
			Label: x.label, Weight: 1, Strength: nan, Source: path + ":element 1",
		})
	}
	if d := diffPairs(want, pairs); d != "" {
		t.Errorf("pairs (-want +got):\n%s", d)
	}
	// ImageReward's test.py skips tied pairs: 13 + 6 = 19 of the 21 count there.
	nonTie := 0
	for _, p := range pairs {
		if p.Label != LabelTie {
			nonTie++
		}
	}
	if nonTie != 19 {
		t.Errorf("%d non-tied pairs, want 19", nonTie)
	}
	if d := cmp.Diff(Stats{Format: ImageRewardJSON, Rows: 2, Pairs: 21}, st); d != "" {
		t.Errorf("stats (-want +got):\n%s", d)
	}
}

func itoa(i int) string { return string(rune('0' + i)) }

func TestHPDv2Good(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, dir, "test.json", `[
{"prompt": "a dog", "image_path": ["d/0.jpg", "d/1.jpg", "d/2.jpg"], "rank": [2, 1, 2], "user_hash": "u1"},
{"prompt": "a dog", "image_path": ["e/0.jpg", "e/1.jpg"], "rank": [1.5, 1.5]}
]`)
	pairs, st, err := openAll(t, Spec{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	h := PromptHash("a dog")
	want := []brief{
		{ID: "e0/0-1", PromptID: h, Prompt: "a dog", A: "d/0.jpg", B: "d/1.jpg", Label: "b", Weight: 1, Strength: nan, Source: path + ":element 0"},
		{ID: "e0/0-2", PromptID: h, Prompt: "a dog", A: "d/0.jpg", B: "d/2.jpg", Label: "tie", Weight: 1, Strength: nan, Source: path + ":element 0"},
		{ID: "e0/1-2", PromptID: h, Prompt: "a dog", A: "d/1.jpg", B: "d/2.jpg", Label: "a", Weight: 1, Strength: nan, Source: path + ":element 0"},
		{ID: "e1/0-1", PromptID: h, Prompt: "a dog", A: "e/0.jpg", B: "e/1.jpg", Label: "tie", Weight: 1, Strength: nan, Source: path + ":element 1"},
	}
	if d := diffPairs(want, pairs); d != "" {
		t.Errorf("pairs (-want +got):\n%s", d)
	}
	if st.Rows != 2 || st.Pairs != 4 || st.UnknownFields["user_hash"] != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestRankMalformed puts a bad element between two good ones (each good one gives one
// pair); the bad element starts on line 3.
func TestRankMalformed(t *testing.T) {
	t.Parallel()
	const goodHPD = `{"prompt":"p","image_path":["a","b"],"rank":[1,2]}`
	const goodIR = `{"id":"x","prompt":"p","generations":["a","b"],"ranking":[1,2]}`
	tests := []struct {
		name   string
		format Format
		elem   string
		field  string
		kind   string
		detail string
	}{
		{name: "length mismatch", format: HPDv2JSON, elem: `{"prompt":"p","image_path":["a","b","c"],"rank":[1,2]}`,
			field: "rank", kind: "length mismatch", detail: `has 2 entries but "image_path" has 3`},
		{name: "length mismatch ir", format: ImageRewardJSON, elem: `{"id":"y","prompt":"p","generations":["a","b"],"ranking":[1,2,3]}`,
			field: "ranking", kind: "length mismatch", detail: `has 3 entries but "generations" has 2`},
		{name: "one image", format: HPDv2JSON, elem: `{"prompt":"p","image_path":["a"],"rank":[1]}`,
			field: "image_path", kind: "too few images", detail: "has 1 image(s) (want at least 2"},
		{name: "missing prompt", format: ImageRewardJSON, elem: `{"id":"y","generations":["a","b"],"ranking":[1,2]}`,
			field: "prompt", kind: "missing"},
		{name: "missing ranks", format: HPDv2JSON, elem: `{"prompt":"p","image_path":["a","b"]}`,
			field: "rank", kind: "missing", detail: "want an array"},
		{name: "ranks not array", format: HPDv2JSON, elem: `{"prompt":"p","image_path":["a","b"],"rank":"1,2"}`,
			field: "rank", kind: "wrong type", detail: "found a string (want an array)"},
		{name: "string rank", format: ImageRewardJSON, elem: `{"id":"y","prompt":"p","generations":["a","b"],"ranking":[1,"2"]}`,
			field: "ranking[1]", kind: "wrong type", detail: "want a number"},
		{name: "image not a string", format: HPDv2JSON, elem: `{"prompt":"p","image_path":["a",7],"rank":[1,2]}`,
			field: "image_path[1]", kind: "wrong type"},
		{name: "escaping image", format: HPDv2JSON, elem: `{"prompt":"p","image_path":["a","b","../../etc/x.png"],"rank":[1,2,3]}`,
			field: "image_path[2]", kind: "escapes images root"},
		{name: "absolute image", format: ImageRewardJSON, elem: `{"id":"y","prompt":"p","generations":["/a","b"],"ranking":[1,2]}`,
			field: "generations[0]", kind: "absolute path"},
		{name: "float id", format: ImageRewardJSON, elem: `{"id":2.5,"prompt":"p","generations":["a","b"],"ranking":[1,2]}`,
			field: "id", kind: "wrong type"},
		{name: "not an object", format: HPDv2JSON, elem: `[1, 2]`, kind: "not an object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			good := goodHPD
			if tc.format == ImageRewardJSON {
				good = goodIR
			}
			path := writeFile(t, t.TempDir(), "test.json", "[\n"+good+",\n"+tc.elem+",\n"+good+"\n]\n")
			pairs, _, err := openAll(t, Spec{Path: path, Format: tc.format})
			if len(pairs) != 1 {
				t.Errorf("strict: %d pairs before the error, want 1", len(pairs))
			}
			re := asRowError(t, err)
			if re.Where != "element 1 (line 3)" || re.Field != tc.field || re.Kind != tc.kind {
				t.Errorf("strict: RowError %+v; want element 1 (line 3), field %q, kind %q", re, tc.field, tc.kind)
			}
			if !strings.Contains(err.Error(), tc.detail) || !strings.Contains(err.Error(), `file "`+path+`"`) {
				t.Errorf("strict: message %q lacks %q", err, tc.detail)
			}

			pairs, st, err := openAll(t, Spec{Path: path, Format: tc.format, Lenient: true})
			if err != nil {
				t.Fatalf("lenient: %v", err)
			}
			if len(pairs) != 2 || !strings.HasSuffix(pairs[1].Source, ":element 2") || pairs[1].Index != 1 {
				t.Errorf("lenient: pairs %v", briefs(pairs))
			}
			want := Stats{Format: tc.format, Rows: 3, Pairs: 2, Skipped: 1,
				SkipReasons: map[string]int{re.Reason(): 1}, Examples: []string{err2s(re)}}
			if d := cmp.Diff(want, st); d != "" {
				t.Errorf("lenient: stats (-want +got):\n%s", d)
			}
		})
	}
}

func err2s(e error) string { return e.Error() }

// TestRankFatal covers damage the decoder cannot step over: both modes stop.
func TestRankFatal(t *testing.T) {
	t.Parallel()
	const good = `{"prompt":"p","image_path":["a","b"],"rank":[1,2]}`
	tests := []struct {
		name, content string
		pairs         int
		errHas        []string
	}{
		{name: "truncated", content: "[\n" + good + ",\n" + `{"prompt":"p","image_pa`, pairs: 1,
			errHas: []string{"element 1", "truncated JSON array"}},
		{name: "syntax error", content: "[\n" + good + ",\n\n" + `{"prompt":"p" "image_path":["a","b"],"rank":[1,2]}` + "\n]", pairs: 1,
			errHas: []string{"element 1 (line 4)", "invalid character"}},
		{name: "trailing data", content: "[" + good + "] [", pairs: 1,
			errHas: []string{"unexpected data after the JSON array"}},
		{name: "missing close", content: "[" + good, pairs: 1,
			errHas: []string{"element 1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "test.json", tc.content)
			for _, lenient := range []bool{false, true} {
				pairs, _, err := openAll(t, Spec{Path: path, Format: HPDv2JSON, Lenient: lenient})
				if err == nil || errors.Is(err, io.EOF) {
					t.Fatalf("lenient=%v: no error", lenient)
				}
				var re *RowError
				if errors.As(err, &re) {
					t.Errorf("lenient=%v: got a RowError %v, want a fatal error", lenient, err)
				}
				if len(pairs) != tc.pairs {
					t.Errorf("lenient=%v: %d pairs, want %d", lenient, len(pairs), tc.pairs)
				}
				for _, s := range tc.errHas {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("lenient=%v: error %q lacks %q", lenient, err, s)
					}
				}
			}
		})
	}
}
