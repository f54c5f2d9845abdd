package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
)

// colKind is what a parquet column must hold.
type colKind int

const (
	colString colKind = iota // BYTE_ARRAY (string, large_string, binary)
	colBytes                 // BYTE_ARRAY, or a struct with a "bytes" BYTE_ARRAY (Hugging Face Image)
	colNumber                // DOUBLE, FLOAT, INT32, INT64
	colID                    // BYTE_ARRAY, INT32, INT64
	colBool                  // BOOLEAN
)

func (k colKind) want() string {
	switch k {
	case colString:
		return "a string column"
	case colBytes:
		return "a binary column (or a struct with a binary \"bytes\" field)"
	case colNumber:
		return "a numeric column"
	case colID:
		return "a string or integer column"
	case colBool:
		return "a boolean column"
	}
	return "?"
}

func (k colKind) accepts(t parquet.Kind) bool {
	switch k {
	case colString, colBytes:
		return t == parquet.ByteArray
	case colNumber:
		return t == parquet.Double || t == parquet.Float || t == parquet.Int32 || t == parquet.Int64
	case colID:
		return t == parquet.ByteArray || t == parquet.Int32 || t == parquet.Int64
	case colBool:
		return t == parquet.Boolean
	}
	return false
}

// colSpec asks for one column.
type colSpec struct {
	name     string
	kind     colKind
	required bool
}

// parquetReader reads the rows of a parquet file row group by row group, a batch of rows
// at a time, and finds the asked-for columns in each row.
type parquetReader struct {
	spec   Spec
	st     *recorder
	f      *os.File
	pf     *parquet.File
	groups []parquet.RowGroup
	g      int // next row group
	rows   parquet.Rows
	// groupDone is set once rows has reported the end of its group.
	groupDone bool
	buf       []parquet.Row
	n, k      int // rows in buf, next row in buf
	row       int // global 0-based index of the next row
	cols      map[string]int
	split     int // leaf index of the "split" column used as a filter, -1 if none
}

func openParquet(spec Spec, format Format, st *recorder, batch int, specs []colSpec) (*parquetReader, error) {
	f, err := os.Open(spec.Path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("dataset: %w", err)
	}
	pf, err := parquet.OpenFile(f, fi.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("dataset: file %q: not a readable parquet file: %w", spec.Path, err)
	}
	r := &parquetReader{spec: spec, st: st, f: f, pf: pf, groups: pf.RowGroups(), buf: make([]parquet.Row, batch), cols: map[string]int{}, split: -1}
	if spec.Split != "" {
		specs = append(specs, colSpec{name: "split", kind: colString})
	}
	if err := r.lookup(format, specs); err != nil {
		f.Close()
		return nil, err
	}
	if spec.Split != "" {
		if idx, ok := r.cols["split"]; ok {
			r.split = idx
		} else if !splitFileName(spec.Path, spec.Split) {
			f.Close()
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

// topLevelNames lists the file's top-level columns, for messages.
func topLevelNames(pf *parquet.File) []string {
	var names []string
	for _, fld := range pf.Schema().Fields() {
		names = append(names, fld.Name())
	}
	return names
}

func (r *parquetReader) lookup(format Format, specs []colSpec) error {
	schema := r.pf.Schema()
	top := map[string]bool{}
	for _, n := range topLevelNames(r.pf) {
		top[n] = true
	}
	var missing []string
	for _, c := range specs {
		if !top[c.name] {
			if c.required {
				missing = append(missing, strconv.Quote(c.name))
			}
			continue
		}
		leaf, ok := schema.Lookup(c.name)
		if ok && !leaf.Node.Leaf() {
			ok = false
		}
		if !ok && c.kind == colBytes {
			leaf, ok = schema.Lookup(c.name, "bytes")
		}
		if !ok || leaf.MaxRepetitionLevel > 0 {
			return fmt.Errorf("dataset: file %q: column %q is nested (a list or struct; want %s)", r.spec.Path, c.name, c.kind.want())
		}
		if t := leaf.Node.Type(); !c.kind.accepts(t.Kind()) {
			typ := t.Kind().String()
			if s := t.String(); s != typ {
				typ += " (" + s + ")"
			}
			return fmt.Errorf("dataset: file %q: column %q has type %s (want %s)", r.spec.Path, c.name, typ, c.kind.want())
		}
		r.cols[c.name] = leaf.ColumnIndex
	}
	if len(missing) > 0 {
		return fmt.Errorf("dataset: file %q: format %s: missing column(s) %s (found: %s)", r.spec.Path, format, strings.Join(missing, ", "), strings.Join(quoteAll(topLevelNames(r.pf)), ", "))
	}
	return nil
}

func quoteAll(s []string) []string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = strconv.Quote(x)
	}
	return q
}

// nextRow returns the next row that passes the split filter and its 0-based index. The
// row's values are valid until the next call.
func (r *parquetReader) nextRow() (parquet.Row, int, error) {
	for {
		for r.k >= r.n {
			if err := r.fill(); err != nil {
				return nil, 0, err
			}
		}
		row, idx := r.buf[r.k], r.row
		r.k++
		r.row++
		r.st.row()
		if r.split >= 0 {
			v := value(row, r.split)
			s := "(null)"
			if !v.IsNull() {
				s = string(v.ByteArray())
			}
			if s != r.spec.Split {
				r.st.filter(fmt.Sprintf("split %s, not %q", strconv.Quote(s), r.spec.Split))
				continue
			}
		}
		return row, idx, nil
	}
}

// fill reads the next batch of rows, moving to the next row group when one ends. A
// group's reader is closed only on the call after its last batch, so the values of that
// batch stay valid while they are used.
func (r *parquetReader) fill() error {
	for {
		if r.rows != nil && r.groupDone {
			r.closeRows()
		}
		if r.rows == nil {
			if r.g >= len(r.groups) {
				return io.EOF
			}
			r.rows = r.groups[r.g].Rows()
			r.g++
		}
		n, err := r.rows.ReadRows(r.buf)
		if errors.Is(err, io.EOF) {
			r.groupDone = true
		} else if err != nil {
			return r.readErr(err)
		}
		if n > 0 {
			r.n, r.k = n, 0
			return nil
		}
		r.groupDone = true
	}
}

func (r *parquetReader) readErr(err error) error {
	return fmt.Errorf("file %q: row group %d (rows from %d): %w", r.spec.Path, r.g-1, r.row, err)
}

func (r *parquetReader) closeRows() {
	if r.rows != nil {
		r.rows.Close()
		r.rows = nil
	}
	r.groupDone = false
}

func (r *parquetReader) close() error {
	r.closeRows()
	return r.f.Close()
}

// value finds the value of leaf column col in row (rows list values by column).
func value(row parquet.Row, col int) parquet.Value {
	if col < len(row) && row[col].Column() == col {
		return row[col]
	}
	for _, v := range row {
		if v.Column() == col {
			return v
		}
	}
	return parquet.Value{}
}

// rowErr builds the RowError for row idx.
func (r *parquetReader) rowErr(idx int, pr *fieldProblem) *RowError {
	return &RowError{File: r.spec.Path, Where: fmt.Sprintf("row %d", idx), Field: pr.field, Kind: pr.kind, Detail: pr.detail}
}

// str reads a string column; required ones must be non-null and non-blank.
func (r *parquetReader) str(row parquet.Row, name string, required bool) (string, bool, *fieldProblem) {
	col, ok := r.cols[name]
	if !ok {
		return "", false, nil
	}
	v := value(row, col)
	if v.IsNull() {
		if required {
			return "", false, problem(name, "missing", "is null (want a non-empty string)")
		}
		return "", false, nil
	}
	b := v.ByteArray()
	if !utf8.Valid(b) {
		return "", false, problem(name, "invalid value", "is not valid UTF-8")
	}
	s := string(b)
	if strings.TrimSpace(s) == "" {
		return "", false, problem(name, "empty", "is empty (want a non-empty string)")
	}
	return s, true, nil
}

// id reads an optional string or integer id column.
func (r *parquetReader) id(row parquet.Row, name string) (string, bool, *fieldProblem) {
	col, ok := r.cols[name]
	if !ok {
		return "", false, nil
	}
	v := value(row, col)
	switch {
	case v.IsNull():
		return "", false, nil
	case v.Kind() == parquet.Int32:
		return strconv.FormatInt(int64(v.Int32()), 10), true, nil
	case v.Kind() == parquet.Int64:
		return strconv.FormatInt(v.Int64(), 10), true, nil
	}
	return r.str(row, name, false)
}

// num reads a numeric column.
func (r *parquetReader) num(row parquet.Row, name string, required bool) (float64, bool, *fieldProblem) {
	col, ok := r.cols[name]
	if !ok {
		return 0, false, nil
	}
	v := value(row, col)
	if v.IsNull() {
		if required {
			return 0, false, problem(name, "missing", "is null (want a number)")
		}
		return 0, false, nil
	}
	var x float64
	switch v.Kind() {
	case parquet.Double:
		x = v.Double()
	case parquet.Float:
		x = float64(v.Float())
	case parquet.Int32:
		x = float64(v.Int32())
	case parquet.Int64:
		x = float64(v.Int64())
	default:
		return 0, false, problem(name, "wrong type", "has a %s value (want a number)", v.Kind())
	}
	return x, true, nil
}

// weightStrength reads the optional weight and strength columns.
func (r *parquetReader) weightStrength(row parquet.Row) (float64, float64, *fieldProblem) {
	w, ok, pr := r.num(row, "weight", false)
	if pr != nil {
		return 0, 0, pr
	}
	if !ok {
		w = 1
	} else if msg := checkWeight(w); msg != "" {
		return 0, 0, problem("weight", "invalid value", "%s", msg)
	}
	s, ok, pr := r.num(row, "strength", false)
	if pr != nil {
		return 0, 0, pr
	}
	if !ok {
		s = math.NaN()
	} else if math.IsNaN(s) || math.IsInf(s, 0) {
		return 0, 0, problem("strength", "invalid value", "strength %v is not a finite number", s)
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
	pr, err := openParquet(spec, SocialRewardParquet, st, 256, []colSpec{
		{name: "prompt", kind: colString, required: true},
		{name: "pos_path", kind: colString, required: true},
		{name: "neg_path", kind: colString, required: true},
		{name: "prompt_id", kind: colID},
		{name: "id", kind: colID},
		{name: "weight", kind: colNumber},
		{name: "strength", kind: colNumber},
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

func (r *socialRewardReader) parse(row parquet.Row, idx int, p *Pair) *fieldProblem {
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
			return problem(name, kind, "%s", detail)
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
	pr, err := openParquet(spec, PickAPicParquet, st, 16, []colSpec{
		{name: "caption", kind: colString, required: true},
		{name: "jpg_0", kind: colBytes, required: true},
		{name: "jpg_1", kind: colBytes, required: true},
		{name: "label_0", kind: colNumber, required: true},
		{name: "label_1", kind: colNumber, required: true},
		{name: "ranking_id", kind: colID},
		{name: "has_label", kind: colBool},
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
		if col, ok := r.cols["has_label"]; ok {
			if v := value(row, col); v.IsNull() || !v.Boolean() {
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

func (r *pickAPicReader) parse(row parquet.Row, idx int, p *Pair) *fieldProblem {
	caption, _, pr := r.str(row, "caption", true)
	if pr != nil {
		return pr
	}
	var refs [2]ImageRef
	for i, name := range [2]string{"jpg_0", "jpg_1"} {
		v := value(row, r.cols[name])
		if v.IsNull() {
			return problem(name, "missing", "is null (want image bytes)")
		}
		if len(v.ByteArray()) == 0 {
			return problem(name, "empty", "has no bytes (want image bytes)")
		}
		refs[i] = ImageRef{Name: fmt.Sprintf("%s@row %d", name, idx), Bytes: bytes.Clone(v.ByteArray())}
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
		return problem("label_0/label_1", "invalid value", "label_0=%v, label_1=%v (want 1/0, 0/1 or 0.5/0.5)", l0, l1)
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
