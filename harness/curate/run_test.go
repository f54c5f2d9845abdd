package curate

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
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

	// Pairs JSONL: known fields only, label "a", paths that resolve from the output
	// directory to hard links of the originals.
	pairs := readPairs(t, filepath.Join(out, "train.jsonl"))
	if len(pairs) != 4 {
		t.Fatalf("%d pairs", len(pairs))
	}
	wantFirst := pairLine{Prompt: "prompt P1", PromptID: "P1", ImageA: "images/img/a.png", ImageB: "images/img/b.png", Label: "a", Strength: 40.5 / 10.5, ID: "P1:a>b"}
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

func TestRunImagesNone(t *testing.T) {
	logPath := runFixture(t)
	out := filepath.Join(t.TempDir(), "curated")
	if _, err := Run(logPath, out, Options{Preset: PresetRaw, TrainFrac: 1, Images: ImagesNone}); err != nil {
		t.Fatal(err)
	}
	pairs := readPairs(t, filepath.Join(out, "train.jsonl"))
	if len(pairs) == 0 || pairs[0].ImageA != "img/a.png" {
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
	for _, tc := range []struct {
		file   string
		format dataset.Format
	}{{"train.jsonl", dataset.PairsJSONL}, {"train.parquet", dataset.SocialRewardParquet}} {
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
				if p.Label != dataset.LabelA {
					t.Errorf("pair %s: label %v", p.ID, p.Label)
				}
				n++
			}
			st := src.Stats()
			if n != 4 || st.Format != tc.format || len(st.Warnings()) != 0 {
				t.Errorf("%d pairs, stats %+v", n, st)
			}
		})
	}
}
