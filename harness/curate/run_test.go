package curate

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/parquet-go/parquet-go"

	"github.com/srbench/srbench/harness/dataset"
)

// runFixture writes a log of two prompts (P1: a>b>c by remixes, P2: d>e) with images.
func runFixture(t *testing.T) (logPath string) {
	t.Helper()
	dir := t.TempDir()
	rows := makeLog(t, dir, []img{im("a", "P1", 40), im("b", "P1", 10), im("c", "P1", 1), im("d", "P2", 9), im("e", "P2", 2)})
	for i := range rows {
		rows[i].Prompt = "prompt " + rows[i].PromptID
	}
	logPath = filepath.Join(dir, "log.jsonl")
	if err := WriteLog(logPath, rows); err != nil {
		t.Fatal(err)
	}
	return logPath
}

type pairLine struct {
	Prompt   string  `json:"prompt"`
	PromptID string  `json:"prompt_id"`
	ImageA   string  `json:"image_a"`
	ImageB   string  `json:"image_b"`
	Label    string  `json:"label"`
	Strength float64 `json:"strength"`
	ID       string  `json:"id"`
}

func readPairs(t *testing.T, path string) []pairLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []pairLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		var p pairLine
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, p)
	}
	return out
}

func TestRunOutputs(t *testing.T) {
	logPath := runFixture(t)
	out := filepath.Join(t.TempDir(), "curated")
	opts := Options{Preset: PresetRaw, TrainFrac: 1}
	f, err := Run(logPath, out, opts)
	if err != nil {
		t.Fatal(err)
	}
	if f.Read == nil || f.Read.Rows != 5 || f.Triplets != 4 {
		t.Fatalf("funnel: read %+v, %d triplets; want 5 rows, 4 triplets", f.Read, f.Triplets)
	}
	for _, name := range []string{"train.parquet", "validation.parquet", "test.parquet", "train.jsonl", "validation.jsonl", "test.jsonl", "funnel.json", "metadata.json"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("missing %s: %v", name, err)
		}
	}

	// Parquet: exactly the three Social Reward columns.
	pf, err := os.Open(filepath.Join(out, "train.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	fi, _ := pf.Stat()
	file, err := parquet.OpenFile(pf, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, fld := range file.Schema().Fields() {
		cols = append(cols, fld.Name())
	}
	if d := cmp.Diff([]string{"prompt", "pos_path", "neg_path"}, cols); d != "" {
		t.Errorf("parquet columns (-want +got):\n%s", d)
	}
	rows := make([]socialRewardRow, 10)
	r := parquet.NewGenericReader[socialRewardRow](pf)
	n, err := r.Read(rows)
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	want := []socialRewardRow{
		{"prompt P1", "images/img/a.png", "images/img/b.png"}, {"prompt P1", "images/img/a.png", "images/img/c.png"},
		{"prompt P1", "images/img/b.png", "images/img/c.png"}, {"prompt P2", "images/img/d.png", "images/img/e.png"},
	}
	if d := cmp.Diff(want, rows[:n]); d != "" {
		t.Errorf("parquet rows (-want +got):\n%s", d)
	}

	// Pairs JSONL: known fields only, the preferred image as a or b in a
	// balanced order, paths that resolve from the output directory to hard
	// links of the originals.
	pairs := readPairs(t, filepath.Join(out, "train.jsonl"))
	if len(pairs) != 4 {
		t.Fatalf("%d pairs", len(pairs))
	}
	wantFirst := pairLine{Prompt: "prompt P1", PromptID: "P1", ImageA: "images/img/a.png", ImageB: "images/img/b.png", Label: "a", Strength: 40.5 / 10.5, ID: "P1:a>b"}
	if swappedIDs(0, "P1:a>b", "P1:a>c", "P1:b>c", "P2:d>e")["P1:a>b"] {
		wantFirst.ImageA, wantFirst.ImageB, wantFirst.Label = wantFirst.ImageB, wantFirst.ImageA, "b"
	}
	if d := cmp.Diff(wantFirst, pairs[0], cmpopts.EquateApprox(0, 1e-12)); d != "" {
		t.Errorf("first pair (-want +got):\n%s", d)
	}
	for _, p := range pairs {
		for _, rel := range []string{p.ImageA, p.ImageB} {
			got, err := os.Stat(filepath.Join(out, rel))
			if err != nil {
				t.Fatal(err)
			}
			orig, _ := os.Stat(filepath.Join(filepath.Dir(logPath), strings.TrimPrefix(rel, "images/")))
			if !os.SameFile(got, orig) {
				t.Errorf("%s is not a hard link of the original", rel)
			}
		}
	}
	if got := readPairs(t, filepath.Join(out, "test.jsonl")); len(got) != 0 {
		t.Errorf("test split has %d pairs, want 0", len(got))
	}

	// funnel.json round-trips to the returned funnel; metadata records the input hash.
	var fj Funnel
	b, _ := os.ReadFile(filepath.Join(out, "funnel.json"))
	if err := json.Unmarshal(b, &fj); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(f, fj); d != "" {
		t.Errorf("funnel.json (-returned +file):\n%s", d)
	}
	var md Metadata
	b, _ = os.ReadFile(filepath.Join(out, "metadata.json"))
	if err := json.Unmarshal(b, &md); err != nil {
		t.Fatal(err)
	}
	logBytes, _ := os.ReadFile(logPath)
	sum := sha256.Sum256(logBytes)
	if md.Input.SHA256 != hex.EncodeToString(sum[:]) || md.Preset != PresetRaw || md.Format != MetadataFormat || md.Triplets != 4 || md.Opts.MinRatio != 1 || md.ExposureBasis != "none" {
		t.Errorf("metadata = %+v", md)
	}

	// Running again into the same directory works (links already in place).
	if _, err := Run(logPath, out, opts); err != nil {
		t.Fatalf("second run: %v", err)
	}
}

// swappedIDs restates BalancedOrder: the ids ranked by the hex sha256 of
// the seed's 8 little-endian bytes and the id; every second one swapped.
func swappedIDs(seed uint64, ids ...string) map[string]bool {
	key := func(id string) string {
		b := make([]byte, 8, 8+len(id))
		for i := range 8 {
			b[i] = byte(seed >> (8 * i))
		}
		h := sha256.Sum256(append(b, id...))
		return hex.EncodeToString(h[:]) + id
	}
	sorted := slices.Clone(ids)
	slices.SortFunc(sorted, func(a, b string) int { return strings.Compare(key(a), key(b)) })
	out := map[string]bool{}
	for k, id := range sorted {
		out[id] = k%2 == 1
	}
	return out
}

func TestRunImagesNone(t *testing.T) {
	logPath := runFixture(t)
	out := filepath.Join(t.TempDir(), "curated")
	if _, err := Run(logPath, out, Options{Preset: PresetRaw, TrainFrac: 1, Images: ImagesNone}); err != nil {
		t.Fatal(err)
	}
	pairs := readPairs(t, filepath.Join(out, "train.jsonl"))
	first := pairs[0].ImageA
	if pairs[0].Label == "b" {
		first = pairs[0].ImageB
	}
	if len(pairs) == 0 || first != "img/a.png" {
		t.Errorf("pairs %+v, want paths relative to the log's directory", pairs)
	}
	if _, err := os.Stat(filepath.Join(out, "images")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("images/ written with Images none: %v", err)
	}
}

func TestRunLenient(t *testing.T) {
	logPath := runFixture(t)
	b, _ := os.ReadFile(logPath)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	lines[2] = strings.Replace(lines[2], `"remixes":1`, `"remixes":-1`, 1)
	os.WriteFile(logPath, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	out := t.TempDir()
	_, err := Run(logPath, out, Options{Preset: PresetRaw})
	if err == nil || !strings.Contains(err.Error(), `line 3: field "remixes"`) {
		t.Fatalf("strict: err = %v", err)
	}
	f, err := Run(logPath, out, Options{Preset: PresetRaw, Lenient: true, TrainFrac: 1})
	if err != nil {
		t.Fatal(err)
	}
	if f.Read.Skipped != 1 || f.Read.SkipReason[`field "remixes": negative count`] != 1 || f.Stages[0].ImagesIn != 4 {
		t.Errorf("lenient funnel: %+v, first stage %+v", f.Read, f.Stages[0])
	}
	if !strings.Contains(f.String(), "1 malformed skipped") {
		t.Errorf("table does not report the skipped row:\n%s", f)
	}
}

// TestOutputsReadByDataset reads Run's outputs with the harness/dataset loaders, images
// checked.
func TestOutputsReadByDataset(t *testing.T) {
	logPath := runFixture(t)
	out := filepath.Join(t.TempDir(), "curated")
	if _, err := Run(logPath, out, Options{Preset: PresetRaw, TrainFrac: 1}); err != nil {
		t.Fatal(err)
	}
	// The same triplets (prompt, preferred image, other image) come out of
	// both files, whatever order each gives the images.
	triplets := map[string]map[string]bool{}
	labelsB := map[string]int{}
	for _, tc := range []struct {
		file   string
		format dataset.Format
	}{{"train.jsonl", dataset.PairsJSONL}, {"train.parquet", dataset.SocialRewardParquet}} {
		triplets[tc.file] = map[string]bool{}
		t.Run(tc.file, func(t *testing.T) {
			src, err := dataset.Open(dataset.Spec{Path: filepath.Join(out, tc.file), CheckImages: true})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			n := 0
			for {
				p, err := src.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				pref, other := p.A.Path, p.B.Path
				switch p.Label {
				case dataset.LabelB:
					pref, other = other, pref
					labelsB[tc.file]++
				case dataset.LabelA:
				default:
					t.Errorf("pair %s: label %v", p.ID, p.Label)
				}
				triplets[tc.file][p.Prompt+"|"+pref+"|"+other] = true
				n++
			}
			st := src.Stats()
			if n != 4 || st.Format != tc.format || len(st.Warnings()) != 0 {
				t.Errorf("%d pairs, stats %+v", n, st)
			}
		})
	}
	if !cmp.Equal(triplets["train.jsonl"], triplets["train.parquet"]) {
		t.Errorf("the two files hold different triplets:\n%v\n%v", triplets["train.jsonl"], triplets["train.parquet"])
	}
	if labelsB["train.jsonl"] != 2 {
		t.Errorf("train.jsonl: %d of 4 labels are b, want exactly 2 (balanced)", labelsB["train.jsonl"])
	}
}

// TestBalancedOrder: exactly ⌊n/2⌋ triplets are swapped, each triplet's
// order depends only on the seed and its id (not on its position), and
// another seed gives another order.
func TestBalancedOrder(t *testing.T) {
	mk := func(n int) []Triplet {
		ts := make([]Triplet, n)
		for i := range ts {
			ts[i] = Triplet{PromptID: fmt.Sprintf("p%d", i%3), Pos: LogRow{ImageID: fmt.Sprintf("i%d", i)}, Neg: LogRow{ImageID: fmt.Sprintf("j%d", i)}}
		}
		return ts
	}
	for _, n := range []int{0, 1, 2, 3, 10, 287, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			ts := mk(n)
			swap := BalancedOrder(ts, 0)
			k := 0
			byID := map[string]bool{}
			for i, s := range swap {
				if s {
					k++
				}
				byID[TripletID(ts[i])] = s
			}
			if k != n/2 {
				t.Errorf("%d of %d swapped, want %d", k, n, n/2)
			}
			rev := slices.Clone(ts)
			slices.Reverse(rev)
			for i, s := range BalancedOrder(rev, 0) {
				if byID[TripletID(rev[i])] != s {
					t.Fatalf("triplet %s changes order with its position", TripletID(rev[i]))
				}
			}
			if n >= 10 && slices.Equal(swap, BalancedOrder(ts, 1)) {
				t.Error("seeds 0 and 1 give the same order")
			}
		})
	}
}
