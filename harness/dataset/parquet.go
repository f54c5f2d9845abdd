package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/srbench/srbench/harness/internal/jsonfield"
	"github.com/srbench/srbench/harness/internal/pqread"
)

// parquetReader reads the rows of a parquet file through pqread (srbench's one parquet
// layer), counts them, applies the split filter and reads fields with the dataset's
// rules and messages.
type parquetReader struct {
	*pqread.Reader
	spec     Spec
	st       *recorder
	hasSplit bool // the "split" column is used as a filter
}

func openParquet(spec Spec, format Format, st *recorder, batch int, cols []pqread.Column) (*parquetReader, error) {
	if spec.Split != "" {
		cols = append(cols, pqread.Column{Name: "split", Kind: pqread.String})
	}
	pr, err := pqread.Open(spec.Path, batch, cols)
	var se *pqread.SchemaError
	if errors.As(err, &se) && len(se.Missing) > 0 {
		return nil, fmt.Errorf("dataset: file %q: format %s: missing column(s) %s (found: %s)", spec.Path, format, strings.Join(pqread.Quote(se.Missing), ", "), strings.Join(pqread.Quote(se.Found), ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	r := &parquetReader{Reader: pr, spec: spec, st: st}
	if spec.Split != "" {
		if pr.Has("split") {
			r.hasSplit = true
		} else if !splitFileName(spec.Path, spec.Split) {
			pr.Close()
			return nil, fmt.Errorf("dataset: file %q: no %q column, and the file name does not start with split %q: pass that split's file (e.g. %s-00000-of-00001.parquet) or leave Split empty", spec.Path, "split", spec.Split, spec.Split)
		}
	}
	return r, nil
}

// splitFileName reports whether a file is named after split, Hugging Face style.
func splitFileName(path, split string) bool {
	base := filepath.Base(path)
	if !strings.HasPrefix(base, split) || len(base) == len(split) {
		return false
	}
	return base[len(split)] == '-' || base[len(split)] == '.'
}

// nextRow returns the next row that passes the split filter and its 0-based index. The
// row's values are valid until the next call.
func (r *parquetReader) nextRow() (pqread.Row, int, error) {
	for {
		row, idx, err := r.Next()
		if err != nil {
			return pqread.Row{}, 0, err
		}
		r.st.row()
		if r.hasSplit {
			s, ok := row.Value("split").(string)
			if !ok {
				s = "(null)"
			}
			if s != r.spec.Split {
				r.st.filter(fmt.Sprintf("split %s, not %q", strconv.Quote(s), r.spec.Split))
				continue
			}
		}
		return row, idx, nil
	}
}

func (r *parquetReader) close() error { return r.Close() }

// rowErr builds the RowError for row idx.
func (r *parquetReader) rowErr(idx int, pr *jsonfield.Problem) *RowError {
	return &RowError{File: r.spec.Path, Where: fmt.Sprintf("row %d", idx), Field: pr.Field, Kind: pr.Kind, Detail: pr.Detail}
}

// str reads a string column; required ones must be non-null and non-blank.
func (r *parquetReader) str(row pqread.Row, name string, required bool) (string, bool, *jsonfield.Problem) {
	v := row.Value(name)
	if v == nil {
		if required && r.Has(name) {
			return "", false, jsonfield.Problemf(name, "missing", "is null (want a non-empty string)")
		}
		return "", false, nil
	}
	s, _ := v.(string)
	if !utf8.ValidString(s) {
		return "", false, jsonfield.Problemf(name, "invalid value", "is not valid UTF-8")
	}
	if strings.TrimSpace(s) == "" {
		return "", false, jsonfield.Problemf(name, "empty", "is empty (want a non-empty string)")
	}
	return s, true, nil
}

// id reads an optional string or integer id column.
func (r *parquetReader) id(row pqread.Row, name string) (string, bool, *jsonfield.Problem) {
	if n, ok := row.Value(name).(int64); ok {
		return strconv.FormatInt(n, 10), true, nil
	}
	return r.str(row, name, false)
}

// num reads a numeric column.
func (r *parquetReader) num(row pqread.Row, name string, required bool) (float64, bool, *jsonfield.Problem) {
	switch v := row.Value(name).(type) {
	case nil:
		if required && r.Has(name) {
			return 0, false, jsonfield.Problemf(name, "missing", "is null (want a number)")
		}
		return 0, false, nil
	case float64:
		return v, true, nil
	case int64:
		return float64(v), true, nil
	case pqread.Unsupported:
		return 0, false, jsonfield.Problemf(name, "wrong type", "has a %s value (want a number)", v.Kind)
	default:
		return 0, false, jsonfield.Problemf(name, "wrong type", "has a %T value (want a number)", v)
	}
}

// weightStrength reads the optional weight and strength columns.
func (r *parquetReader) weightStrength(row pqread.Row) (float64, float64, *jsonfield.Problem) {
	w, ok, pr := r.num(row, "weight", false)
	if pr != nil {
		return 0, 0, pr
	}
	if !ok {
		w = 1
	} else if msg := checkWeight(w); msg != "" {
		return 0, 0, jsonfield.Problemf("weight", "invalid value", "%s", msg)
	}
	s, ok, pr := r.num(row, "strength", false)
	if pr != nil {
		return 0, 0, pr
	}
	if !ok {
		s = math.NaN()
	} else if math.IsNaN(s) || math.IsInf(s, 0) {
		return 0, 0, jsonfield.Problemf("strength", "invalid value", "strength %v is not a finite number", s)
	}
	return w, s, nil
}

// socialRewardReader reads the official Social Reward parquet: prompt, pos_path, neg_path.
type socialRewardReader struct {
	*parquetReader
	imgs *imageResolver
	seed uint64 // Spec.OrderSeed
}

func openSocialReward(spec Spec, imgs *imageResolver, st *recorder) (*socialRewardReader, error) {
	pr, err := openParquet(spec, SocialRewardParquet, st, 256, []pqread.Column{
		{Name: "prompt", Kind: pqread.String, Required: true},
		{Name: "pos_path", Kind: pqread.String, Required: true},
		{Name: "neg_path", Kind: pqread.String, Required: true},
		{Name: "prompt_id", Kind: pqread.ID},
		{Name: "id", Kind: pqread.ID},
		{Name: "weight", Kind: pqread.Number},
		{Name: "strength", Kind: pqread.Number},
	})
	if err != nil {
		return nil, err
	}
	st.s.PairOrder = fmt.Sprintf("each triplet's preferred image is a or b by a seeded coin (dataset.TripletSwapped, seed %d, by pair id), so about half the labels are b", spec.OrderSeed)
	return &socialRewardReader{parquetReader: pr, imgs: imgs, seed: spec.OrderSeed}, nil
}

func (r *socialRewardReader) next(p *Pair) error {
	row, idx, err := r.nextRow()
	if err != nil {
		return err
	}
	if pr := r.parse(row, idx, p); pr != nil {
		return r.rowErr(idx, pr)
	}
	return nil
}

func (r *socialRewardReader) parse(row pqread.Row, idx int, p *Pair) *jsonfield.Problem {
	prompt, _, pr := r.str(row, "prompt", true)
	if pr != nil {
		return pr
	}
	var refs [2]ImageRef
	for i, name := range [2]string{"pos_path", "neg_path"} {
		s, _, pr := r.str(row, name, true)
		if pr != nil {
			return pr
		}
		ref, kind, detail := r.imgs.resolve(s)
		if kind != "" {
			return jsonfield.Problemf(name, kind, "%s", detail)
		}
		refs[i] = ref
	}
	w, s, pr := r.weightStrength(row)
	if pr != nil {
		return pr
	}
	promptID, ok, pr := r.id(row, "prompt_id")
	if pr != nil {
		return pr
	}
	if !ok {
		promptID = PromptHash(prompt)
	}
	id, ok, pr := r.id(row, "id")
	if pr != nil {
		return pr
	}
	if !ok {
		id = fmt.Sprintf("r%d", idx)
	}
	*p = Pair{
		ID: id, PromptID: promptID, Prompt: prompt,
		A: refs[0], B: refs[1], Label: LabelA,
		Weight: w, Strength: s,
		Source: fmt.Sprintf("%s:row %d", r.spec.Path, idx),
	}
	if TripletSwapped(r.seed, id) {
		p.A, p.B, p.Label = p.B, p.A, LabelB
	}
	return nil
}

// pickAPicReader reads Pick-a-Pic v2 parquet: caption, jpg_0, jpg_1, label_0, label_1.
type pickAPicReader struct {
	*parquetReader
}

func openPickAPic(spec Spec, st *recorder) (*pickAPicReader, error) {
	pr, err := openParquet(spec, PickAPicParquet, st, 16, []pqread.Column{
		{Name: "caption", Kind: pqread.String, Required: true},
		{Name: "jpg_0", Kind: pqread.Bytes, Required: true},
		{Name: "jpg_1", Kind: pqread.Bytes, Required: true},
		{Name: "label_0", Kind: pqread.Number, Required: true},
		{Name: "label_1", Kind: pqread.Number, Required: true},
		{Name: "ranking_id", Kind: pqread.ID},
		{Name: "has_label", Kind: pqread.Bool},
	})
	if err != nil {
		return nil, err
	}
	return &pickAPicReader{parquetReader: pr}, nil
}

func (r *pickAPicReader) next(p *Pair) error {
	for {
		row, idx, err := r.nextRow()
		if err != nil {
			return err
		}
		if r.Has("has_label") {
			if v, _ := row.Value("has_label").(bool); !v {
				r.st.filter("has_label is false or null")
				continue
			}
		}
		if pr := r.parse(row, idx, p); pr != nil {
			return r.rowErr(idx, pr)
		}
		return nil
	}
}

func (r *pickAPicReader) parse(row pqread.Row, idx int, p *Pair) *jsonfield.Problem {
	caption, _, pr := r.str(row, "caption", true)
	if pr != nil {
		return pr
	}
	var refs [2]ImageRef
	for i, name := range [2]string{"jpg_0", "jpg_1"} {
		b, ok := row.Value(name).([]byte)
		if !ok {
			return jsonfield.Problemf(name, "missing", "is null (want image bytes)")
		}
		if len(b) == 0 {
			return jsonfield.Problemf(name, "empty", "has no bytes (want image bytes)")
		}
		refs[i] = ImageRef{Name: fmt.Sprintf("%s@row %d", name, idx), Bytes: bytes.Clone(b)}
	}
	l0, _, pr := r.num(row, "label_0", true)
	if pr != nil {
		return pr
	}
	l1, _, pr := r.num(row, "label_1", true)
	if pr != nil {
		return pr
	}
	var label Label
	switch {
	case l0 == 1 && l1 == 0:
		label = LabelA
	case l0 == 0 && l1 == 1:
		label = LabelB
	case l0 == 0.5 && l1 == 0.5:
		label = LabelTie
	default:
		return jsonfield.Problemf("label_0/label_1", "invalid value", "label_0=%v, label_1=%v (want 1/0, 0/1 or 0.5/0.5)", l0, l1)
	}
	id, ok, pr := r.id(row, "ranking_id")
	if pr != nil {
		return pr
	}
	if !ok {
		id = fmt.Sprintf("r%d", idx)
	}
	*p = Pair{
		ID: id, PromptID: PromptHash(caption), Prompt: caption,
		A: refs[0], B: refs[1], Label: label,
		Weight: 1, Strength: math.NaN(),
		Source: fmt.Sprintf("%s:row %d", r.spec.Path, idx),
	}
	return nil
}
