package dataset

import (
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLabel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Label
		wantErr bool
	}{
		{in: "a", want: LabelA},
		{in: "b", want: LabelB},
		{in: "tie", want: LabelTie},
		{in: "A", wantErr: true},
		{in: "", wantErr: true},
		{in: "ties", wantErr: true},
		{in: " a", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseLabel(tc.in)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), `want "a", "b" or "tie"`) {
					t.Fatalf("ParseLabel(%q) = %v, %v; want an error listing the labels", tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseLabel(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			if got.String() != tc.in || !got.Valid() {
				t.Errorf("%v.String() = %q, Valid %v", got, got.String(), got.Valid())
			}
		})
	}
	if Label(0).Valid() || Label(0).String() != "Label(0)" {
		t.Errorf("zero label: Valid %v String %q", Label(0).Valid(), Label(0).String())
	}
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Format
		errHas  []string
		errLack string
	}{
		{in: "pairs-jsonl", want: PairsJSONL},
		{in: " HPDv2-JSON ", want: HPDv2JSON},
		{in: "imagereward-json", want: ImageRewardJSON},
		{in: "socialreward-parquet", want: SocialRewardParquet},
		{in: "pickapic-parquet", want: PickAPicParquet},
		// Aliases and spelling variants (issue #13): all map to the canonical format.
		{in: "hpdv2", want: HPDv2JSON},
		{in: "HPDv2", want: HPDv2JSON},
		{in: "HPDv2_json", want: HPDv2JSON},
		{in: "hpd-v2", want: HPDv2JSON},
		{in: "imagereward", want: ImageRewardJSON},
		{in: "ImageReward_JSON", want: ImageRewardJSON},
		{in: "image-reward", want: ImageRewardJSON},
		{in: "pickapic", want: PickAPicParquet},
		{in: "Pick-a-Pic", want: PickAPicParquet},
		{in: "pickapic_parquet", want: PickAPicParquet},
		{in: "socialreward", want: SocialRewardParquet},
		{in: "social_reward", want: SocialRewardParquet},
		{in: "SocialReward-Parquet", want: SocialRewardParquet},
		{in: "pairs", want: PairsJSONL},
		{in: "jsonl", want: PairsJSONL},
		{in: "JSONL", want: PairsJSONL},
		{in: "pairs_jsonl", want: PairsJSONL},
		{in: "pickapic-parqet", errHas: []string{`did you mean "pickapic-parquet"`, "formats: pairs-jsonl (pairs, jsonl), socialreward-parquet (socialreward), pickapic-parquet (pickapic), hpdv2-json (hpdv2), imagereward-json (imagereward)"}},
		{in: "socialreward-parket", errHas: []string{`did you mean "socialreward-parquet"`}},
		{in: "hpdv3", errHas: []string{`unknown dataset format "hpdv3"`, `did you mean "hpdv2-json"`}},
		{in: "imagerewrd", errHas: []string{`did you mean "imagereward-json"`}},
		{in: "pick", errHas: []string{`did you mean "pickapic-parquet"`}},
		{in: "image", errHas: []string{`did you mean "imagereward-json"`}},
		{in: "json", errHas: []string{`ambiguous dataset format "json"`, `"hpdv2-json" or "imagereward-json"`, "formats:"}},
		{in: "Parquet", errHas: []string{`ambiguous dataset format "Parquet"`, `"socialreward-parquet" or "pickapic-parquet"`}},
		{in: "csv", errHas: []string{`unknown dataset format "csv"`, "formats:"}, errLack: "did you mean"},
		{in: "", errHas: []string{"formats:"}, errLack: "did you mean"},
		{in: "-", errHas: []string{`unknown dataset format "-"`}, errLack: "did you mean"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseFormat(tc.in)
			if tc.errHas == nil {
				if err != nil || got != tc.want {
					t.Fatalf("ParseFormat(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseFormat(%q) = %q, want an error", tc.in, got)
			}
			for _, s := range tc.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			if tc.errLack != "" && strings.Contains(err.Error(), tc.errLack) {
				t.Errorf("error %q has %q", err, tc.errLack)
			}
		})
	}
	if len(Formats()) != 5 {
		t.Errorf("Formats() = %v", Formats())
	}
}

// TestFormatAliasesUnambiguous checks that no name (canonical or alias, compared the way
// ParseFormat compares them) belongs to two formats, and that each parses back to its own.
func TestFormatAliasesUnambiguous(t *testing.T) {
	t.Parallel()
	owner := map[string]Format{}
	for _, f := range Formats() {
		if len(FormatAliases(f)) == 0 {
			t.Errorf("format %q has no alias", f)
		}
		for _, n := range append([]string{string(f)}, FormatAliases(f)...) {
			if o, ok := owner[formatKey(n)]; ok && o != f {
				t.Errorf("name %q belongs to %q and %q", n, o, f)
			}
			owner[formatKey(n)] = f
			if got, err := ParseFormat(n); err != nil || got != f {
				t.Errorf("ParseFormat(%q) = %q, %v; want %q", n, got, err, f)
			}
		}
	}
	if FormatAliases("csv") != nil {
		t.Errorf("FormatAliases(csv) = %v, want nil", FormatAliases("csv"))
	}
}

// TestOpenFormatAlias opens a pairs file with an alias and checks the stream reports
// the canonical format (what results record).
func TestOpenFormatAlias(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := writeFile(t, dir, "d.jsonl", `{"prompt":"p","image_a":"a.png","image_b":"b.png","label":"a"}`+"\n")
	for _, alias := range []string{"pairs", "JSONL", "Pairs_JSONL"} {
		t.Run(alias, func(t *testing.T) {
			src, err := Open(Spec{Path: p, Format: Format(alias)})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			if _, err := src.Next(); err != nil {
				t.Fatal(err)
			}
			if got := src.Stats().Format; got != PairsJSONL {
				t.Errorf("Stats().Format = %q, want %q", got, PairsJSONL)
			}
		})
	}
}

func TestHashes(t *testing.T) {
	t.Parallel()
	// FIPS 180-2 test vector: SHA-256("abc").
	const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := PromptHash("abc"); got != abc[:16] {
		t.Errorf("PromptHash(abc) = %s, want %s", got, abc[:16])
	}
	p := writeFile(t, t.TempDir(), "d.jsonl", "abc")
	got, err := Hash(p)
	if err != nil || got != abc {
		t.Errorf("Hash = %s, %v; want %s", got, err, abc)
	}
	if _, err := Hash(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Error("Hash of a missing file: no error")
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	jl := writeFile(t, dir, "d.jsonl", `{"prompt":"p","image_a":"a.png","image_b":"b.png","label":"a"}`+"\n")
	hpd := writeFile(t, dir, "h.json", `[{"prompt":"p","image_path":["a","b"],"rank":[1,2]}]`)
	tests := []struct {
		name   string
		spec   Spec
		errHas string
	}{
		{"no path", Spec{}, "no file given"},
		{"negative limit", Spec{Path: jl, Limit: -1}, "negative limit -1"},
		{"bad format", Spec{Path: jl, Format: "pairs-jsonnl"}, `did you mean "pairs-jsonl"`},
		{"split on jsonl", Spec{Path: jl, Split: "test"}, "has no splits"},
		{"split on hpdv2", Spec{Path: hpd, Split: "test"}, "has no splits"},
		{"missing file", Spec{Path: filepath.Join(dir, "missing.jsonl"), Format: PairsJSONL}, "no such file"},
		{"jsonl as hpdv2", Spec{Path: jl, Format: HPDv2JSON}, "wants a JSON array"},
		{"jsonl as parquet", Spec{Path: jl, Format: SocialRewardParquet}, "not a readable parquet file"},
		{"check images, missing root", Spec{Path: jl, Images: filepath.Join(dir, "nope"), CheckImages: true}, "images root"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, err := Open(tc.spec)
			if err == nil {
				src.Close()
				t.Fatalf("Open(%+v): no error, want %q", tc.spec, tc.errHas)
			}
			if !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("error %q lacks %q", err, tc.errHas)
			}
		})
	}
	// A format name in another case is accepted.
	if _, _, err := openAll(t, Spec{Path: jl, Format: "Pairs-JSONL"}); err != nil {
		t.Errorf("Format Pairs-JSONL: %v", err)
	}
}

func TestDetect(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name, file, content string
		want                Format
		errHas              string
	}{
		{name: "jsonl", file: "a.jsonl", content: "\n  {\"prompt\":\"x\"}\n", want: PairsJSONL},
		{name: "jsonl named json", file: "a.json", content: "{\"prompt\":\"x\"}\n{}\n", want: PairsJSONL},
		{name: "jsonl with BOM", file: "bom.jsonl", content: "\xef\xbb\xbf{}", want: PairsJSONL},
		{name: "hpdv2", file: "h.json", content: `[ {"prompt":"x","image_path":[],"rank":[]} ]`, want: HPDv2JSON},
		{name: "imagereward", file: "i.json", content: "[\n{\"id\":\"1\",\"generations\":[],\"ranking\":[]}]", want: ImageRewardJSON},
		{name: "ambiguous array", file: "amb.json", content: `[{"rank":[],"ranking":[]}]`, errHas: "both"},
		{name: "unknown array", file: "u.json", content: `[{"prompt":"x"}]`, errHas: "neither"},
		{name: "empty array", file: "e.json", content: `[]`, errHas: "array is empty"},
		{name: "empty file", file: "empty.jsonl", content: "", errHas: "file is empty"},
		{name: "csv", file: "a.csv", content: "prompt,a,b\n", errHas: "neither JSON nor parquet"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, dir, tc.file, tc.content)
			got, err := Detect(p)
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) || !strings.Contains(err.Error(), "pickapic-parquet") {
					t.Fatalf("Detect = %q, %v; want an error with %q and the format list", got, err, tc.errHas)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Detect = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestLimitAndClose(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var b strings.Builder
	for i := 0; i < 5; i++ {
		b.WriteString(`{"prompt":"p","image_a":"a.png","image_b":"b.png","label":"b"}` + "\n")
	}
	jl := writeFile(t, dir, "d.jsonl", b.String())
	hpd := writeFile(t, dir, "h.json", `[{"prompt":"p","image_path":["a","b","c"],"rank":[1,2,3]},{"prompt":"q","image_path":["a","b"],"rank":[1,2]}]`)
	tests := []struct {
		name      string
		spec      Spec
		wantIDs   []string
		wantLimit bool
	}{
		{"jsonl limit 2", Spec{Path: jl, Limit: 2}, []string{"L1", "L2"}, true},
		{"jsonl limit 0 is all", Spec{Path: jl}, []string{"L1", "L2", "L3", "L4", "L5"}, false},
		{"jsonl limit above size", Spec{Path: jl, Limit: 9}, []string{"L1", "L2", "L3", "L4", "L5"}, false},
		{"ranking limit inside an element", Spec{Path: hpd, Limit: 2}, []string{"e0/0-1", "e0/0-2"}, true},
		{"ranking limit 4", Spec{Path: hpd, Limit: 4}, []string{"e0/0-1", "e0/0-2", "e0/1-2", "e1/0-1"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pairs, st, err := openAll(t, tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for i, p := range pairs {
				ids = append(ids, p.ID)
				if p.Index != i {
					t.Errorf("pair %d has Index %d", i, p.Index)
				}
			}
			if d := cmp.Diff(tc.wantIDs, ids); d != "" {
				t.Errorf("IDs (-want +got):\n%s", d)
			}
			if st.Pairs != len(tc.wantIDs) || st.StoppedAtLimit != tc.wantLimit {
				t.Errorf("Stats.Pairs %d StoppedAtLimit %v; want %d, %v", st.Pairs, st.StoppedAtLimit, len(tc.wantIDs), tc.wantLimit)
			}
		})
	}

	src, err := Open(Spec{Path: jl})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Next(); err == nil || errors.Is(err, io.EOF) {
		t.Errorf("Next after Close = %v, want an error", err)
	}
	if err := src.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestStatsSnapshotIsACopy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	jl := writeFile(t, dir, "d.jsonl", `{"prompt":"p","image_a":"a","image_b":"b","label":"x","extra":1}`+"\n")
	src, err := Open(Spec{Path: jl, Lenient: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := readAll(t, src); err != nil {
		t.Fatal(err)
	}
	s1 := src.Stats()
	s1.SkipReasons["x"] = 7
	s1.UnknownFields["extra"] = 99
	s1.Examples[0] = "changed"
	s2 := src.Stats()
	want := Stats{Format: PairsJSONL, Rows: 1, Skipped: 1,
		SkipReasons:   map[string]int{`field "label": invalid value`: 1},
		Examples:      []string{`file "` + jl + `": line 1: field "label": invalid label "x" (want "a", "b" or "tie")`},
		UnknownFields: map[string]int{"extra": 1}}
	if d := cmp.Diff(want, s2); d != "" {
		t.Errorf("Stats (-want +got):\n%s", d)
	}
	wantW := []string{`unknown field "extra" ignored in 1 record(s)`, `skipped 1 malformed record(s): field "label": invalid value`}
	if d := cmp.Diff(wantW, s2.Warnings()); d != "" {
		t.Errorf("Warnings (-want +got):\n%s", d)
	}
}
