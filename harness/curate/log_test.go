package curate

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/parquet-go/parquet-go"
)

const goodLine1 = `{"image_id":"i1","image_path":"img/i1.png","prompt":"a red fox","prompt_id":"p1","author_id":"u1","author_followers":120,"created_at":"2024-05-01T00:00:00Z","observed_at":"2024-05-11T12:00:00Z","views":1000,"remixes":7,"creator_remixes":2}`
const goodLine2 = `{"image_id":7,"image_path":"img/i7.png","prompt":"a red fox","author_id":"u2","author_followers":0,"created_at":"2024-05-02T00:00:00+02:00","observed_at":"2024-05-11T12:00:00Z","remixes":0}`

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// wantRows are the rows of goodLine1 and goodLine2, written out by hand.
func wantRows() []LogRow {
	return []LogRow{
		{ImageID: "i1", ImagePath: "img/i1.png", Prompt: "a red fox", PromptID: "p1", AuthorID: "u1", AuthorFollowers: 120,
			CreatedAt: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), ObservedAt: time.Date(2024, 5, 11, 12, 0, 0, 0, time.UTC),
			Views: 1000, HasViews: true, Remixes: 7, CreatorRemixes: 2, HasCreatorRemixes: true},
		// prompt_id defaults to the first 16 hex digits of sha256("a red fox").
		{ImageID: "7", ImagePath: "img/i7.png", Prompt: "a red fox", PromptID: "647c3a6520b87d38", AuthorID: "u2", AuthorFollowers: 0,
			CreatedAt: time.Date(2024, 5, 1, 22, 0, 0, 0, time.UTC), ObservedAt: time.Date(2024, 5, 11, 12, 0, 0, 0, time.UTC), Remixes: 0},
	}
}

var rowCmp = []cmp.Option{cmpopts.IgnoreFields(LogRow{}, "Source"), cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })}

func TestReadLogJSONL(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "log.jsonl", "\xef\xbb\xbf"+goodLine1+"\n\n"+goodLine2+"\n")
	rows, st, err := ReadLog(p, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// PromptHash is checked against an independent value: printf 'a red fox' | sha256sum | cut -c1-16
	if got := PromptHash("a red fox"); got != "647c3a6520b87d38" {
		t.Fatalf("PromptHash = %q", got)
	}
	if d := cmp.Diff(wantRows(), rows, rowCmp...); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
	if rows[1].Source != p+":line 3" {
		t.Errorf("Source = %q, want %q", rows[1].Source, p+":line 3")
	}
	if st.Rows != 2 || st.Kept != 2 || st.Skipped != 0 {
		t.Errorf("stats = %+v", st)
	}
	if got := rows[0].ExposureDays(); got != 10.5 {
		t.Errorf("ExposureDays = %v, want 10.5", got)
	}
}

func TestLogRoundTrip(t *testing.T) {
	for _, ext := range []string{".jsonl", ".parquet"} {
		t.Run(ext, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "log"+ext)
			if err := WriteLog(p, wantRows()); err != nil {
				t.Fatal(err)
			}
			rows, _, err := ReadLog(p, ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(wantRows(), rows, rowCmp...); d != "" {
				t.Errorf("rows (-want +got):\n%s", d)
			}
		})
	}
}

// TestReadParquetTimestampColumns reads a log whose timestamps are INT64 TIMESTAMP
// columns and whose counts are INT32, as other tools write them.
func TestReadParquetTimestampColumns(t *testing.T) {
	type row struct {
		ImageID         int64     `parquet:"image_id"`
		ImagePath       string    `parquet:"image_path"`
		Prompt          string    `parquet:"prompt"`
		AuthorID        string    `parquet:"author_id"`
		AuthorFollowers int32     `parquet:"author_followers"`
		CreatedAt       time.Time `parquet:"created_at,timestamp(millisecond)"`
		ObservedAt      time.Time `parquet:"observed_at,timestamp(microsecond)"`
		Remixes         int32     `parquet:"remixes"`
		Extra           string    `parquet:"extra"`
	}
	p := filepath.Join(t.TempDir(), "log.parquet")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[row](f)
	created := time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.UTC)
	if _, err := w.Write([]row{{ImageID: 5, ImagePath: "a.png", Prompt: "p", AuthorID: "u", AuthorFollowers: 3,
		CreatedAt: created, ObservedAt: created.Add(36 * time.Hour), Remixes: 4, Extra: "x"}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	rows, st, err := ReadLog(p, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []LogRow{{ImageID: "5", ImagePath: "a.png", Prompt: "p", PromptID: PromptHash("p"), AuthorID: "u", AuthorFollowers: 3,
		CreatedAt: created, ObservedAt: created.Add(36 * time.Hour), Remixes: 4}}
	if d := cmp.Diff(want, rows, rowCmp...); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string]int{"extra": 1}, st.UnknownFields); d != "" {
		t.Errorf("unknown fields (-want +got):\n%s", d)
	}
}

// TestReadLogBadInput: each malformed row is a strict error naming file, line and
// field, and a counted skip in lenient mode.
func TestReadLogBadInput(t *testing.T) {
	sub := func(field, value string) string {
		// goodLine1 with one field's raw JSON value replaced (or removed when value is "").
		i := strings.Index(goodLine1, `"`+field+`":`)
		if i < 0 {
			panic(field)
		}
		j := i + len(field) + 3
		k := j
		depth := 0
		for ; k < len(goodLine1); k++ {
			c := goodLine1[k]
			if c == '"' {
				k++
				for goodLine1[k] != '"' {
					k++
				}
				continue
			}
			if c == '{' || c == '[' {
				depth++
			}
			if (c == ',' || c == '}') && depth == 0 {
				break
			}
		}
		if value == "" {
			return goodLine1[:i] + strings.TrimPrefix(goodLine1[k:], ",")
		}
		return goodLine1[:j] + value + goodLine1[k:]
	}
	other := strings.Replace(goodLine1, `"i1"`, `"i2"`, 1)
	tests := []struct {
		name   string
		lines  []string // the bad row is the last one
		field  string
		reason string
		detail string
	}{
		{"negative remixes", []string{sub("remixes", "-3")}, "remixes", "negative count", "is -3 (want an integer >= 0)"},
		{"negative followers", []string{sub("author_followers", "-1")}, "author_followers", "negative count", "is -1"},
		{"negative views", []string{sub("views", "-10")}, "views", "negative count", "is -10"},
		{"fractional remixes", []string{sub("remixes", "2.5")}, "remixes", "wrong type", "is 2.5"},
		{"string remixes", []string{sub("remixes", `"7"`)}, "remixes", "wrong type", `the string "7"`},
		{"missing remixes", []string{sub("remixes", "")}, "remixes", "missing", "is missing"},
		{"missing image_id", []string{sub("image_id", "")}, "image_id", "missing", "is missing"},
		{"empty prompt", []string{sub("prompt", `"  "`)}, "prompt", "empty", "is empty"},
		{"bool image_path", []string{sub("image_path", "true")}, "image_path", "wrong type", "the value true"},
		{"duplicate id", []string{goodLine1, goodLine1}, "image_id", "duplicate image_id", `"i1" already used at line 1`},
		{"observed before created", []string{sub("observed_at", `"2024-04-30T00:00:00Z"`)}, "observed_at", "observed before created", "before created_at"},
		{"bad timestamp", []string{sub("created_at", `"yesterday"`)}, "created_at", "invalid timestamp", `"yesterday"`},
		{"absolute image path", []string{sub("image_path", `"/etc/passwd"`)}, "image_path", "invalid path", "is absolute"},
		{"escaping image path", []string{sub("image_path", `"../x.png"`)}, "image_path", "invalid path", "leaves the log's directory"},
		{"creator above remixes", []string{sub("creator_remixes", "9")}, "creator_remixes", "exceeds remixes", "is 9, more than remixes 7"},
		{"prompt id conflict", []string{other, strings.Replace(goodLine1, "a red fox", "a blue fox", 1)}, "prompt", "prompt_id conflict", `prompt_id "p1" has prompt "a red fox" at line 1 but "a blue fox"`},
		{"not JSON", []string{`{"image_id": "i1",`}, "", "invalid JSON", "not a JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			content := strings.Join(append(tc.lines, goodLine2), "\n") + "\n"
			p := writeFile(t, dir, "log.jsonl", content)
			line := len(tc.lines)

			_, _, err := ReadLog(p, ReadOptions{})
			var re *RowError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want a *RowError", err)
			}
			if re.File != p || re.Where != "line "+strconv.Itoa(line) || re.Field != tc.field || re.Reason != tc.reason || !strings.Contains(re.Detail, tc.detail) {
				t.Errorf("error = %+v\nwant line %d, field %q, reason %q, detail containing %q", re, line, tc.field, tc.reason, tc.detail)
			}
			if !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "line "+strconv.Itoa(line)) {
				t.Errorf("message %q does not name the file and line", err)
			}

			rows, st, err := ReadLog(p, ReadOptions{Lenient: true})
			if err != nil {
				t.Fatalf("lenient: %v", err)
			}
			if len(rows) != line || st.Skipped != 1 || st.Rows != line+1 {
				t.Errorf("lenient: %d rows, stats %+v; want %d rows, 1 skipped", len(rows), st, line)
			}
			key := tc.reason
			if tc.field != "" {
				key = `field "` + tc.field + `": ` + tc.reason
			}
			if st.SkipReason[key] != 1 || len(st.Examples) != 1 {
				t.Errorf("lenient: skip reasons %v, examples %v; want %q once", st.SkipReason, st.Examples, key)
			}
		})
	}
}

func TestReadLogUnknownFields(t *testing.T) {
	dir := t.TempDir()
	l1 := strings.Replace(goodLine1, `"remixes":7`, `"remixes":7,"likes":3,"nsfw":false`, 1)
	l2 := strings.Replace(goodLine2, `"remixes":0`, `"remixes":0,"likes":1`, 1)
	p := writeFile(t, dir, "log.jsonl", l1+"\n"+l2+"\n")
	rows, st, err := ReadLog(p, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	if d := cmp.Diff(map[string]int{"likes": 2, "nsfw": 1}, st.UnknownFields); d != "" {
		t.Errorf("unknown fields (-want +got):\n%s", d)
	}
	want := []string{`unknown field "likes" ignored in 2 row(s)`, `unknown field "nsfw" ignored in 1 row(s)`}
	if d := cmp.Diff(want, st.Warnings()); d != "" {
		t.Errorf("warnings (-want +got):\n%s", d)
	}
}

func TestOpenLogErrors(t *testing.T) {
	dir := t.TempDir()
	type noRemix struct {
		ImageID string `parquet:"image_id"`
	}
	pq := filepath.Join(dir, "short.parquet")
	f, _ := os.Create(pq)
	w := parquet.NewGenericWriter[noRemix](f)
	w.Write([]noRemix{{"a"}})
	w.Close()
	f.Close()
	type badType struct {
		ImageID         string  `parquet:"image_id"`
		ImagePath       string  `parquet:"image_path"`
		Prompt          string  `parquet:"prompt"`
		AuthorID        string  `parquet:"author_id"`
		AuthorFollowers int64   `parquet:"author_followers"`
		CreatedAt       string  `parquet:"created_at"`
		ObservedAt      string  `parquet:"observed_at"`
		Remixes         string  `parquet:"remixes"`
		Views           float32 `parquet:"views"`
	}
	bt := filepath.Join(dir, "badtype.parquet")
	f, _ = os.Create(bt)
	w2 := parquet.NewGenericWriter[badType](f)
	w2.Write([]badType{{}})
	w2.Close()
	f.Close()
	tests := []struct {
		name, path, want string
	}{
		{"extension", filepath.Join(dir, "log.csv"), `unknown extension ".csv"`},
		{"missing file", filepath.Join(dir, "none.jsonl"), "no such file"},
		{"missing columns", pq, `missing column(s) "image_path", "prompt", "author_id", "author_followers", "created_at", "observed_at", "remixes" (found: image_id)`},
		{"wrong column type", bt, `column "remixes" has type STRING (want an integer column)`},
		{"not parquet", writeFile(t, dir, "x.parquet", "hello"), "not a readable parquet file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := OpenLog(tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestParquetRowErrorNamesRow(t *testing.T) {
	rows := wantRows()
	rows[1].Remixes = -4 // writers do not validate; the reader does
	p := filepath.Join(t.TempDir(), "log.parquet")
	if err := WriteLog(p, rows); err != nil {
		t.Fatal(err)
	}
	r, err := OpenLog(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	_, err = r.Next()
	want := `file "` + p + `": row 1: field "remixes": is -4 (want an integer >= 0)`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	if _, err2 := r.Next(); err2 != err {
		t.Errorf("after an error Next returned %v", err2)
	}
}
