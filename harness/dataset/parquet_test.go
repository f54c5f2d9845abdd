package dataset

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"

	"github.com/srbench/srbench/harness/internal/pqread/pqtest"
)

// writeParquet writes rows to path with parquet-go.
func writeParquet[T any](t testing.TB, path string, rows []T, opts ...parquet.WriterOption) string {
	t.Helper()
	return pqtest.Write(t, path, rows, opts...)
}

// srRow is the official Social Reward schema, dictionary-encoded and compressed.
type srRow struct {
	Prompt  string `parquet:"prompt,dict,snappy"`
	PosPath string `parquet:"pos_path,zstd"`
	NegPath string `parquet:"neg_path"`
	Other   int64  `parquet:"remixes"`
}

// srRowOpt has nullable columns and the optional extras.
type srRowOpt struct {
	Prompt   *string  `parquet:"prompt,optional"`
	PosPath  []byte   `parquet:"pos_path"` // binary, not string
	NegPath  string   `parquet:"neg_path"`
	PromptID *int64   `parquet:"prompt_id,optional"`
	ID       *string  `parquet:"id,optional"`
	Weight   *float64 `parquet:"weight,optional"`
	Strength *float32 `parquet:"strength,optional"`
}

func ptr[T any](v T) *T { return &v }

func TestSocialRewardGood(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rows := []srRow{
		{"a red fox", "pos/1.jpg", "neg/1.jpg", 3},
		{"a red fox", "pos/2.jpg", "neg/2.jpg", 1},
		{"a blue bird", "pos/3.jpg", "neg/3.jpg", 0},
		{"a blue bird", "p/../pos/4.jpg", "neg/4.jpg", 0},
		{"castle", "pos/5.jpg", "neg/5.jpg", 9},
	}
	// Two rows per row group: three groups, the last one short.
	path := writeParquet(t, filepath.Join(dir, "val.parquet"), rows, parquet.MaxRowsPerRowGroup(2))
	pairs, st, err := openAll(t, Spec{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	var want []brief
	for i, r := range rows {
		b := brief{ID: "r" + itoa(i), PromptID: PromptHash(r.Prompt), Prompt: r.Prompt,
			A: r.PosPath, B: r.NegPath, Label: "a", Weight: 1, Strength: nan, Source: path + ":row " + itoa(i)}
		if swappedSeed0(b.ID) {
			b.A, b.B, b.Label = b.B, b.A, "b"
		}
		want = append(want, b)
	}
	if d := diffPairs(want, pairs); d != "" {
		t.Errorf("pairs (-want +got):\n%s", d)
	}
	pos4 := pairs[3].A
	if pairs[3].Label == LabelB {
		pos4 = pairs[3].B
	}
	if got, want := pos4.Path, filepath.Join(dir, "pos", "4.jpg"); got != want {
		t.Errorf("positive path %q, want %q", got, want)
	}
	if d := cmp.Diff(Stats{Format: SocialRewardParquet, Rows: 5, Pairs: 5, PairOrder: srOrder0}, st); d != "" {
		t.Errorf("stats (-want +got):\n%s", d)
	}
	// Limit stops inside the second row group.
	pairs, st, err = openAll(t, Spec{Path: path, Limit: 3})
	if err != nil || len(pairs) != 3 || pairs[2].ID != "r2" || !st.StoppedAtLimit {
		t.Errorf("limit 3: %d pairs, %v, %+v", len(pairs), err, st)
	}
}

// swappedSeed0 restates TripletSwapped for seed 0: FNV-1a 64 over eight
// zero bytes and the id, lowest bit.
func swappedSeed0(id string) bool {
	h := uint64(0xcbf29ce484222325)
	for _, c := range append(make([]byte, 8), id...) {
		h ^= uint64(c)
		h *= 0x100000001b3
	}
	return h&1 == 1
}

const srOrder0 = "each triplet's preferred image is a or b by a seeded coin (dataset.TripletSwapped, seed 0, by pair id), so about half the labels are b"

// TestTripletOrderBalanced: the seeded order puts about half the preferred
// images second, differs between seeds, and does not depend on position.
func TestTripletOrderBalanced(t *testing.T) {
	t.Parallel()
	tests := []struct {
		seed uint64
	}{{0}, {1}, {7}, {1 << 40}}
	const n = 4000
	orders := map[uint64][]bool{}
	for _, tt := range tests {
		t.Run(itoa(int(tt.seed)), func(t *testing.T) {
			swapped := 0
			for i := range n {
				s := TripletSwapped(tt.seed, "r"+itoa(i))
				orders[tt.seed] = append(orders[tt.seed], s)
				if s {
					swapped++
				}
			}
			// Binomial(4000, 1/2): sd 31.6; 5 sd is 158.
			if swapped < n/2-158 || swapped > n/2+158 {
				t.Errorf("seed %d: %d of %d swapped, want about half", tt.seed, swapped, n)
			}
		})
	}
	if cmp.Equal(orders[0], orders[1]) {
		t.Error("seeds 0 and 1 give the same order")
	}
	for i := range 50 {
		if TripletSwapped(0, "r"+itoa(i)) != swappedSeed0("r"+itoa(i)) {
			t.Fatalf("id r%d: TripletSwapped disagrees with the restatement", i)
		}
	}
}

func TestSocialRewardOptionalColumns(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rows := []srRowOpt{
		{Prompt: ptr("p1"), PosPath: []byte("a.png"), NegPath: "b.png", PromptID: ptr(int64(42)), ID: ptr("t-1"), Weight: ptr(2.0), Strength: ptr(float32(0.5))},
		{Prompt: ptr("p2"), PosPath: []byte("c.png"), NegPath: "d.png"},
	}
	path := writeParquet(t, filepath.Join(dir, "sr.parquet"), rows)
	pairs, _, err := openAll(t, Spec{Path: path, Format: SocialRewardParquet})
	if err != nil {
		t.Fatal(err)
	}
	want := []brief{
		{ID: "t-1", PromptID: "42", Prompt: "p1", A: "a.png", B: "b.png", Label: "a", Weight: 2, Strength: 0.5, Source: path + ":row 0"},
		{ID: "r1", PromptID: PromptHash("p2"), Prompt: "p2", A: "c.png", B: "d.png", Label: "a", Weight: 1, Strength: nan, Source: path + ":row 1"},
	}
	for i := range want {
		if swappedSeed0(want[i].ID) {
			want[i].A, want[i].B, want[i].Label = want[i].B, want[i].A, "b"
		}
	}
	if d := diffPairs(want, pairs); d != "" {
		t.Errorf("pairs (-want +got):\n%s", d)
	}
}

func TestSocialRewardMalformed(t *testing.T) {
	t.Parallel()
	good := srRowOpt{Prompt: ptr("p"), PosPath: []byte("a.png"), NegPath: "b.png"}
	tests := []struct {
		name        string
		bad         srRowOpt
		field, kind string
	}{
		{"null prompt", srRowOpt{PosPath: []byte("a"), NegPath: "b"}, "prompt", "missing"},
		{"blank prompt", srRowOpt{Prompt: ptr("  "), PosPath: []byte("a"), NegPath: "b"}, "prompt", "empty"},
		{"empty pos", srRowOpt{Prompt: ptr("p"), PosPath: []byte(""), NegPath: "b"}, "pos_path", "empty"},
		{"invalid UTF-8", srRowOpt{Prompt: ptr("p"), PosPath: []byte("a\xff.png"), NegPath: "b"}, "pos_path", "invalid value"},
		{"escaping neg", srRowOpt{Prompt: ptr("p"), PosPath: []byte("a"), NegPath: "../../b.png"}, "neg_path", "escapes images root"},
		{"absolute pos", srRowOpt{Prompt: ptr("p"), PosPath: []byte("/tmp/a.png"), NegPath: "b"}, "pos_path", "absolute path"},
		{"negative weight", srRowOpt{Prompt: ptr("p"), PosPath: []byte("a"), NegPath: "b", Weight: ptr(-1.0)}, "weight", "invalid value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeParquet(t, filepath.Join(t.TempDir(), "sr.parquet"), []srRowOpt{good, good, tc.bad, good})
			pairs, _, err := openAll(t, Spec{Path: path})
			if len(pairs) != 2 {
				t.Errorf("strict: %d pairs before the error, want 2", len(pairs))
			}
			re := asRowError(t, err)
			if re.Where != "row 2" || re.Field != tc.field || re.Kind != tc.kind {
				t.Errorf("strict: RowError %+v; want row 2, field %q, kind %q", re, tc.field, tc.kind)
			}
			if !strings.HasPrefix(err.Error(), `file "`+path+`": row 2: field "`+tc.field+`": `) {
				t.Errorf("strict: message %q", err)
			}
			pairs, st, err := openAll(t, Spec{Path: path, Lenient: true})
			if err != nil {
				t.Fatal(err)
			}
			want := Stats{Format: SocialRewardParquet, Rows: 4, Pairs: 3, Skipped: 1,
				SkipReasons: map[string]int{re.Reason(): 1}, Examples: []string{re.Error()}, PairOrder: srOrder0}
			if d := cmp.Diff(want, st); d != "" || pairs[2].ID != "r3" {
				t.Errorf("lenient: last ID %q; stats (-want +got):\n%s", pairs[2].ID, d)
			}
		})
	}
}

func TestParquetSchemaErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	type noNeg struct {
		Prompt  string `parquet:"prompt"`
		PosPath string `parquet:"pos_path"`
		Other   string `parquet:"other"`
	}
	type intPrompt struct {
		Prompt  int64  `parquet:"prompt"`
		PosPath string `parquet:"pos_path"`
		NegPath string `parquet:"neg_path"`
	}
	type listPrompt struct {
		Prompt  []string `parquet:"prompt,list"`
		PosPath string   `parquet:"pos_path"`
		NegPath string   `parquet:"neg_path"`
	}
	type papStrLabel struct {
		Caption string `parquet:"caption"`
		Jpg0    []byte `parquet:"jpg_0"`
		Jpg1    []byte `parquet:"jpg_1"`
		Label0  string `parquet:"label_0"`
		Label1  string `parquet:"label_1"`
	}
	type other struct {
		A string `parquet:"a"`
		B int32  `parquet:"b"`
	}
	tests := []struct {
		name   string
		path   string
		format Format
		errHas []string
	}{
		{"missing column", writeParquet(t, filepath.Join(dir, "1.parquet"), []noNeg{{"p", "a", "x"}}), SocialRewardParquet,
			[]string{`missing column(s) "neg_path"`, `(found: "prompt", "pos_path", "other")`}},
		{"missing several", writeParquet(t, filepath.Join(dir, "2.parquet"), []noNeg{{"p", "a", "x"}}), PickAPicParquet,
			[]string{`missing column(s) "caption", "jpg_0", "jpg_1", "label_0", "label_1"`}},
		{"int prompt", writeParquet(t, filepath.Join(dir, "3.parquet"), []intPrompt{{1, "a", "b"}}), SocialRewardParquet,
			[]string{`column "prompt" has type INT64`, "(want a string column)"}},
		{"list prompt", writeParquet(t, filepath.Join(dir, "4.parquet"), []listPrompt{{[]string{"p"}, "a", "b"}}), SocialRewardParquet,
			[]string{`column "prompt" is nested`}},
		{"string labels", writeParquet(t, filepath.Join(dir, "5.parquet"), []papStrLabel{{"c", []byte{1}, []byte{2}, "1", "0"}}), PickAPicParquet,
			[]string{`column "label_0"`, "want a numeric column"}},
		{"undetectable", writeParquet(t, filepath.Join(dir, "6.parquet"), []other{{"x", 1}}), "",
			[]string{"cannot detect the format", `"a", "b"`, "socialreward-parquet (prompt, pos_path, neg_path)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, err := Open(Spec{Path: tc.path, Format: tc.format})
			if err == nil {
				src.Close()
				t.Fatal("no error")
			}
			for _, s := range tc.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
		})
	}
}

// papRow is the Pick-a-Pic v2 schema (a subset of its columns).
type papRow struct {
	Caption    string  `parquet:"caption"`
	Jpg0       []byte  `parquet:"jpg_0"`
	Jpg1       []byte  `parquet:"jpg_1"`
	Label0     float64 `parquet:"label_0"`
	Label1     float64 `parquet:"label_1"`
	RankingID  int64   `parquet:"ranking_id"`
	HasLabel   bool    `parquet:"has_label"`
	UserID     int64   `parquet:"user_id"`
	Image0UID  string  `parquet:"image_0_uid"`
	BestUID    string  `parquet:"best_image_uid"`
	Different  bool    `parquet:"are_different"`
	NumPerPrmt int64   `parquet:"num_example_per_prompt"`
}

func TestPickAPic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	img := func(s string) []byte { return []byte("\xff\xd8\xff" + s) } // JPEG-ish bytes
	rows := []papRow{
		{Caption: "a cat", Jpg0: img("0a"), Jpg1: img("0b"), Label0: 1, Label1: 0, RankingID: 100, HasLabel: true, Different: true},
		{Caption: "a cat", Jpg0: img("1a"), Jpg1: img("1b"), Label0: 0, Label1: 1, RankingID: 101, HasLabel: true, Different: true},
		{Caption: "a dog", Jpg0: img("2a"), Jpg1: img("2b"), Label0: 0.5, Label1: 0.5, RankingID: 102, HasLabel: true},
		{Caption: "a dog", Jpg0: img("3a"), Jpg1: img("3b"), Label0: 0, Label1: 0, RankingID: 103, HasLabel: false},
		{Caption: "a cow", Jpg0: img("4a"), Jpg1: img("4b"), Label0: 1, Label1: 0, RankingID: 104, HasLabel: true},
	}
	path := writeParquet(t, filepath.Join(dir, "test_unique-00000-of-00001.parquet"), rows, parquet.MaxRowsPerRowGroup(2))
	pairs, st, err := openAll(t, Spec{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	want := []brief{
		{ID: "100", PromptID: PromptHash("a cat"), Prompt: "a cat", A: "jpg_0@row 0", B: "jpg_1@row 0", Label: "a", Weight: 1, Strength: nan, Source: path + ":row 0"},
		{ID: "101", PromptID: PromptHash("a cat"), Prompt: "a cat", A: "jpg_0@row 1", B: "jpg_1@row 1", Label: "b", Weight: 1, Strength: nan, Source: path + ":row 1"},
		{ID: "102", PromptID: PromptHash("a dog"), Prompt: "a dog", A: "jpg_0@row 2", B: "jpg_1@row 2", Label: "tie", Weight: 1, Strength: nan, Source: path + ":row 2"},
		{ID: "104", PromptID: PromptHash("a cow"), Prompt: "a cow", A: "jpg_0@row 4", B: "jpg_1@row 4", Label: "a", Weight: 1, Strength: nan, Source: path + ":row 4"},
	}
	if d := diffPairs(want, pairs); d != "" {
		t.Errorf("pairs (-want +got):\n%s", d)
	}
	for i, p := range pairs {
		k := []int{0, 1, 2, 4}[i]
		if !bytes.Equal(p.A.Bytes, rows[k].Jpg0) || !bytes.Equal(p.B.Bytes, rows[k].Jpg1) || p.A.Path != "" {
			t.Errorf("pair %d: bytes %q %q, path %q", i, p.A.Bytes, p.B.Bytes, p.A.Path)
		}
	}
	// The bytes are copies: they survive reading the rest of the file.
	if !bytes.Equal(pairs[0].A.Bytes, img("0a")) {
		t.Errorf("first pair's bytes changed to %q", pairs[0].A.Bytes)
	}
	wantStats := Stats{Format: PickAPicParquet, Rows: 5, Pairs: 4, Filtered: 1,
		FilterReasons: map[string]int{"has_label is false or null": 1}}
	if d := cmp.Diff(wantStats, st); d != "" {
		t.Errorf("stats (-want +got):\n%s", d)
	}

	// The file is named after its split, so Split test_unique is accepted; another is not.
	if _, _, err := openAll(t, Spec{Path: path, Split: "test_unique"}); err != nil {
		t.Errorf("Split test_unique: %v", err)
	}
	if _, _, err := openAll(t, Spec{Path: path, Split: "test"}); err == nil || !strings.Contains(err.Error(), `does not start with split "test"`) {
		t.Errorf("Split test on a test_unique file: %v", err)
	}
}

func TestPickAPicLabels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		l0, l1 float64
		label  string // "" = malformed
	}{
		{1, 0, "a"}, {0, 1, "b"}, {0.5, 0.5, "tie"},
		{0, 0, ""}, {1, 1, ""}, {0.3, 0.7, ""}, {0.5, 0.4999, ""}, {-1, 2, ""},
	}
	for _, tc := range tests {
		t.Run(itoa(int(tc.l0*2))+"-"+itoa(int(tc.l1*2)), func(t *testing.T) {
			rows := []papRow{{Caption: "c", Jpg0: []byte{1}, Jpg1: []byte{2}, Label0: tc.l0, Label1: tc.l1, HasLabel: true, RankingID: 7}}
			path := writeParquet(t, filepath.Join(t.TempDir(), "p.parquet"), rows)
			pairs, _, err := openAll(t, Spec{Path: path, Format: PickAPicParquet})
			if tc.label != "" {
				if err != nil || len(pairs) != 1 || pairs[0].Label.String() != tc.label {
					t.Fatalf("got %v, %v; want label %s", briefs(pairs), err, tc.label)
				}
				return
			}
			re := asRowError(t, err)
			if re.Where != "row 0" || re.Field != "label_0/label_1" || !strings.Contains(re.Detail, "want 1/0, 0/1 or 0.5/0.5") {
				t.Errorf("RowError %+v", re)
			}
		})
	}
}

func TestPickAPicVariants(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Hugging Face Image feature: struct {bytes, path}; integer labels; string ids;
	// a split column; no has_label column; a null image.
	type hfImage struct {
		Bytes []byte  `parquet:"bytes"`
		Path  *string `parquet:"path,optional"`
	}
	type row struct {
		Caption   string   `parquet:"caption"`
		Jpg0      hfImage  `parquet:"jpg_0"`
		Jpg1      *hfImage `parquet:"jpg_1,optional"`
		Label0    int64    `parquet:"label_0"`
		Label1    int32    `parquet:"label_1"`
		RankingID string   `parquet:"ranking_id"`
		Split     string   `parquet:"split"`
	}
	rows := []row{
		{Caption: "x", Jpg0: hfImage{Bytes: []byte("A0")}, Jpg1: &hfImage{Bytes: []byte("B0")}, Label0: 1, Label1: 0, RankingID: "r-0", Split: "train"},
		{Caption: "y", Jpg0: hfImage{Bytes: []byte("A1")}, Jpg1: &hfImage{Bytes: []byte("B1")}, Label0: 0, Label1: 1, RankingID: "r-1", Split: "test_unique"},
		{Caption: "z", Jpg0: hfImage{Bytes: []byte("A2")}, Jpg1: nil, Label0: 0, Label1: 1, RankingID: "r-2", Split: "test_unique"},
		{Caption: "w", Jpg0: hfImage{Bytes: []byte("A3")}, Jpg1: &hfImage{Bytes: []byte("B3")}, Label0: 1, Label1: 0, RankingID: "r-3", Split: "test_unique"},
	}
	path := writeParquet(t, filepath.Join(dir, "all.parquet"), rows)

	pairs, st, err := openAll(t, Spec{Path: path, Split: "test_unique", Lenient: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []brief{
		{ID: "r-1", PromptID: PromptHash("y"), Prompt: "y", A: "jpg_0@row 1", B: "jpg_1@row 1", Label: "b", Weight: 1, Strength: nan, Source: path + ":row 1"},
		{ID: "r-3", PromptID: PromptHash("w"), Prompt: "w", A: "jpg_0@row 3", B: "jpg_1@row 3", Label: "a", Weight: 1, Strength: nan, Source: path + ":row 3"},
	}
	if d := diffPairs(want, pairs); d != "" {
		t.Errorf("pairs (-want +got):\n%s", d)
	}
	if string(pairs[0].A.Bytes) != "A1" || string(pairs[1].B.Bytes) != "B3" {
		t.Errorf("bytes %q %q", pairs[0].A.Bytes, pairs[1].B.Bytes)
	}
	wantStats := Stats{Format: PickAPicParquet, Rows: 4, Pairs: 2, Skipped: 1, Filtered: 1,
		SkipReasons:   map[string]int{`field "jpg_1": missing`: 1},
		Examples:      []string{`file "` + path + `": row 2: field "jpg_1": is null (want image bytes)`},
		FilterReasons: map[string]int{`split "train", not "test_unique"`: 1}}
	if d := cmp.Diff(wantStats, st); d != "" {
		t.Errorf("stats (-want +got):\n%s", d)
	}
	// Without Split every row counts; strict mode stops at the null image.
	pairs, _, err = openAll(t, Spec{Path: path})
	if re := asRowError(t, err); len(pairs) != 2 || re.Where != "row 2" || re.Field != "jpg_1" {
		t.Errorf("strict: %d pairs, %v", len(pairs), err)
	}
}
