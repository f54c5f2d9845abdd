package curate

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// MetadataFormat identifies the metadata.json layout written by Run.
const MetadataFormat = "srbench-curate/1"

// Metadata is the content of metadata.json: everything needed to redo or audit a curation.
type Metadata struct {
	Format string  `json:"format"`
	Preset string  `json:"preset"`
	Seed   uint64  `json:"seed"`
	Opts   Options `json:"options"` // resolved
	Input  struct {
		Path   string `json:"path"`
		SHA256 string `json:"sha256"`
		Rows   int    `json:"rows"`
	} `json:"input"`
	// PairOrder says how the pairs-jsonl files order each triplet's images.
	PairOrder              string       `json:"pair_order"`
	ExposureBasis          string       `json:"exposure_basis"`
	FollowerExponent       float64      `json:"follower_exponent"`
	FollowerExponentFitted bool         `json:"follower_exponent_fitted"`
	ImageRoot              string       `json:"image_root"` // absolute directory image_path values were read against
	ImagePaths             string       `json:"image_paths"`
	Splits                 []SplitCount `json:"splits"`
	Triplets               int          `json:"triplets"`
	Files                  []string     `json:"files"`
	Warnings               []string     `json:"warnings"`
}

// Run curates the log at in and writes the result into outDir (created if needed):
//
//   - train.parquet, validation.parquet, test.parquet: the Social Reward format, exactly
//     the columns prompt, pos_path, neg_path;
//   - train.jsonl, validation.jsonl, test.jsonl: pairs-jsonl records {prompt, prompt_id,
//     image_a, image_b, label, strength, id} in a balanced order (BalancedOrder): in
//     half of each split's pairs the preferred image is image_b (label "b"), so a
//     scorer that favours a position, or ties, cannot look accurate;
//   - images/: the images of the triplets (Images "link" or "copy");
//   - funnel.json and metadata.json.
//
// Image paths in both formats are relative to outDir (with Images "none": relative to
// the log's directory). Files of a split with no triplets are still written, empty.
func Run(in, outDir string, opts Options) (Funnel, error) {
	o, err := opts.Resolve()
	if err != nil {
		return Funnel{}, err
	}
	rows, stats, err := ReadLog(in, ReadOptions{Lenient: o.Lenient})
	if err != nil {
		return Funnel{}, fmt.Errorf("curate: %w", err)
	}
	if o.ImageRoot == "" {
		o.ImageRoot = filepath.Dir(in)
	}
	res, err := Curate(rows, o)
	if err != nil {
		return Funnel{}, err
	}
	res.Funnel.Read = &stats
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return Funnel{}, fmt.Errorf("curate: %w", err)
	}
	rel := func(r LogRow) string { return r.ImagePath }
	if o.Images != ImagesNone {
		rel = func(r LogRow) string { return path.Join("images", r.ImagePath) }
		if err := placeImages(res.Triplets, o.ImageRoot, outDir, o.Images == ImagesLink); err != nil {
			return Funnel{}, err
		}
	}
	var files []string
	for _, split := range Splits() {
		var ts []Triplet
		for _, t := range res.Triplets {
			if t.Split == split {
				ts = append(ts, t)
			}
		}
		if err := writeParquet(filepath.Join(outDir, split+".parquet"), ts, rel); err != nil {
			return Funnel{}, err
		}
		if err := writePairsJSONL(filepath.Join(outDir, split+".jsonl"), ts, BalancedOrder(ts, o.Seed), rel); err != nil {
			return Funnel{}, err
		}
		files = append(files, split+".parquet", split+".jsonl")
	}
	files = append(files, "funnel.json", "metadata.json")
	if err := writeJSON(filepath.Join(outDir, "funnel.json"), res.Funnel); err != nil {
		return Funnel{}, err
	}
	var md Metadata
	md.Format, md.Preset, md.Seed, md.Opts = MetadataFormat, o.Preset, o.Seed, res.Options
	md.PairOrder = fmt.Sprintf("balanced: in each split, the triplets ranked by sha256(seed %d, id) alternate between the preferred image as image_a (label a) and as image_b (label b)", o.Seed)
	md.Opts.ImageRoot = ""
	md.Input.Path = in
	md.Input.Rows = stats.Rows
	if md.Input.SHA256, err = fileSHA256(in); err != nil {
		return Funnel{}, err
	}
	md.ExposureBasis, md.FollowerExponent, md.FollowerExponentFitted = res.ExposureBasis, res.FollowerExponent, res.FollowerExponentFitted
	if md.ImageRoot, err = filepath.Abs(o.ImageRoot); err != nil {
		return Funnel{}, fmt.Errorf("curate: %w", err)
	}
	if o.Images == ImagesNone {
		md.ImagePaths = "relative to image_root (the log's directory unless given); pass it as the images root when reading"
	} else {
		md.ImagePaths = "relative to this directory; the images are " + map[bool]string{true: "hard links (or copies) under images/", false: "copies under images/"}[o.Images == ImagesLink]
	}
	md.Splits, md.Triplets, md.Files = res.Funnel.Splits, res.Funnel.Triplets, files
	md.Warnings = append(append([]string{}, stats.Warnings()...), res.Warnings...)
	if err := writeJSON(filepath.Join(outDir, "metadata.json"), md); err != nil {
		return Funnel{}, err
	}
	return res.Funnel, nil
}

// socialRewardRow is one row of the official Social Reward training parquet.
type socialRewardRow struct {
	Prompt  string `parquet:"prompt"`
	PosPath string `parquet:"pos_path"`
	NegPath string `parquet:"neg_path"`
}

func writeParquet(file string, ts []Triplet, rel func(LogRow) string) error {
	rows := make([]socialRewardRow, len(ts))
	for i, t := range ts {
		rows[i] = socialRewardRow{Prompt: t.Prompt, PosPath: rel(t.Pos), NegPath: rel(t.Neg)}
	}
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("curate: %w", err)
	}
	w := parquet.NewGenericWriter[socialRewardRow](f, parquet.Compression(&parquet.Zstd))
	if _, err := w.Write(rows); err != nil {
		f.Close()
		return fmt.Errorf("curate: write %q: %w", file, err)
	}
	if err := w.Close(); err != nil {
		f.Close()
		return fmt.Errorf("curate: write %q: %w", file, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("curate: write %q: %w", file, err)
	}
	return nil
}

// pairRecord is one pairs-jsonl record.
type pairRecord struct {
	Prompt   string  `json:"prompt"`
	PromptID string  `json:"prompt_id"`
	ImageA   string  `json:"image_a"`
	ImageB   string  `json:"image_b"`
	Label    string  `json:"label"`
	Strength float64 `json:"strength"`
	ID       string  `json:"id"`
}

// TripletID is the id a triplet gets in the pairs JSONL: "<prompt_id>:<pos id>><neg id>".
func TripletID(t Triplet) string { return t.PromptID + ":" + t.Pos.ImageID + ">" + t.Neg.ImageID }

// BalancedOrder decides, for each triplet of ts, whether the pairs-jsonl
// record shows its preferred image second (label "b"): the triplets are
// ranked by sha256 over seed (8 bytes, little endian) and their id, and
// every second one in that ranking is swapped, so exactly ⌊n/2⌋ are. The
// ranking, and so the order, depends only on the seed and the ids.
func BalancedOrder(ts []Triplet, seed uint64) []bool {
	type ranked struct {
		key [sha256.Size]byte
		id  string
		i   int
	}
	rs := make([]ranked, len(ts))
	var sb [8]byte
	binary.LittleEndian.PutUint64(sb[:], seed)
	for i, t := range ts {
		id := TripletID(t)
		rs[i] = ranked{key: sha256.Sum256(append(sb[:], id...)), id: id, i: i}
	}
	slices.SortFunc(rs, func(a, b ranked) int {
		if c := bytes.Compare(a.key[:], b.key[:]); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	swap := make([]bool, len(ts))
	for k, r := range rs {
		swap[r.i] = k%2 == 1
	}
	return swap
}

func writePairsJSONL(file string, ts []Triplet, swap []bool, rel func(LogRow) string) error {
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("curate: %w", err)
	}
	bw := bufio.NewWriter(f)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i, t := range ts {
		rec := pairRecord{Prompt: t.Prompt, PromptID: t.PromptID, ImageA: rel(t.Pos), ImageB: rel(t.Neg), Label: "a", Strength: t.Strength, ID: TripletID(t)}
		if swap[i] {
			rec.ImageA, rec.ImageB, rec.Label = rec.ImageB, rec.ImageA, "b"
		}
		if err := enc.Encode(rec); err != nil {
			f.Close()
			return fmt.Errorf("curate: write %q: %w", file, err)
		}
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("curate: write %q: %w", file, err)
	}
	return f.Close()
}

func writeJSON(file string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("curate: %w", err)
	}
	if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("curate: %w", err)
	}
	return nil
}

func fileSHA256(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", fmt.Errorf("curate: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("curate: hash %q: %w", file, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// placeImages puts every image of the triplets at outDir/images/<image_path>.
func placeImages(ts []Triplet, root, outDir string, link bool) error {
	seen := map[string]bool{}
	var paths []string
	for _, t := range ts {
		for _, r := range [2]LogRow{t.Pos, t.Neg} {
			if !seen[r.ImagePath] {
				seen[r.ImagePath] = true
				paths = append(paths, r.ImagePath)
			}
		}
	}
	slices.Sort(paths)
	for _, p := range paths {
		src := filepath.Join(root, filepath.FromSlash(p))
		dst := filepath.Join(outDir, "images", filepath.FromSlash(p))
		if err := placeImage(src, dst, link); err != nil {
			return fmt.Errorf("curate: image %q: %w", p, err)
		}
	}
	return nil
}

func placeImage(src, dst string, link bool) error {
	si, err := os.Stat(src)
	if err != nil {
		return err
	}
	if di, err := os.Stat(dst); err == nil {
		if os.SameFile(si, di) {
			return nil
		}
		if !di.Mode().IsRegular() {
			return fmt.Errorf("%q exists and is not a regular file", dst)
		}
		if err := os.Remove(dst); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if link {
		if err := os.Link(src, dst); err == nil {
			return nil
		}
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
