package train

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Checkpoints are safetensors files (https://github.com/huggingface/safetensors):
// an 8-byte little-endian header length N, N bytes of JSON header
// {"__metadata__": {string: string}, name: {"dtype", "shape", "data_offsets": [begin, end]}},
// then the raw little-endian row-major data; offsets are relative to the
// end of the header. The header is padded with spaces to a multiple of 8
// bytes, as the reference writer does.
//
// Tensor names are "<side>.<param>", e.g. "text.W", "image.U", "image.b2".
// The metadata keys MetaTextAdapter and MetaImageAdapter hold the adapter
// kinds (absent = identity); other keys are free.

// Reserved metadata keys.
const (
	MetaFormat       = "format"
	MetaTextAdapter  = "srbench.text_adapter"
	MetaImageAdapter = "srbench.image_adapter"
	// Keys written by Result.Metadata.
	MetaConfig   = "srbench.config"      // JSON of the resolved Config
	MetaDataHash = "srbench.data_sha256" // HashData of the training data
	MetaMetrics  = "srbench.metrics"     // JSON of the training metrics
	// FormatValue is the value of MetaFormat in srbench checkpoints.
	FormatValue = "srbench-adapters/v1"
)

// maxHeader bounds the JSON header, as the reference implementation does.
const maxHeader = 100_000_000

// DType is a safetensors element type supported here.
type DType string

// Supported element types.
const (
	F64 DType = "F64"
	F32 DType = "F32"
)

func (d DType) size() int {
	if d == F32 {
		return 4
	}
	return 8
}

// CheckpointOptions controls WriteCheckpoint. The zero value writes F64.
type CheckpointOptions struct {
	// DType is the stored element type: F64 (default, exact) or F32.
	DType DType
}

// Metadata returns checkpoint metadata describing a training run: the
// resolved config, the data hash and the metrics (JSON-encoded strings).
func (r Result) Metadata() (map[string]string, error) {
	cfg, err := json.Marshal(r.Config)
	if err != nil {
		return nil, fmt.Errorf("metadata: config: %w", err)
	}
	metrics, err := json.Marshal(struct {
		InitialValAccuracy float64      `json:"initial_val_accuracy"`
		BestEpoch          int          `json:"best_epoch"`
		BestValAccuracy    float64      `json:"best_val_accuracy"`
		Steps              int          `json:"steps"`
		StopReason         string       `json:"stop_reason"`
		TrainSize          int          `json:"train_size"`
		ValSize            int          `json:"val_size"`
		History            []EpochStats `json:"history"`
	}{r.InitialValAccuracy, r.BestEpoch, r.BestValAccuracy, r.Steps, r.StopReason, r.TrainSize, r.ValSize, r.History})
	if err != nil {
		return nil, fmt.Errorf("metadata: metrics: %w", err)
	}
	return map[string]string{MetaConfig: string(cfg), MetaDataHash: r.DataHash, MetaMetrics: string(metrics)}, nil
}

type ckTensor struct {
	name string
	t    *Tensor
}

// WriteCheckpoint writes m's adapters and meta as safetensors to w. meta
// must not use the keys MetaFormat, MetaTextAdapter or MetaImageAdapter,
// which the writer sets.
func WriteCheckpoint(w io.Writer, m *Model, meta map[string]string, opts CheckpointOptions) error {
	dt := opts.DType
	if dt == "" {
		dt = F64
	}
	if dt != F64 && dt != F32 {
		return fmt.Errorf("checkpoint: dtype %q: want %q or %q", dt, F64, F32)
	}
	md := map[string]string{MetaFormat: FormatValue}
	for k, v := range meta {
		if k == MetaFormat || k == MetaTextAdapter || k == MetaImageAdapter {
			return fmt.Errorf("checkpoint: metadata key %q is reserved", k)
		}
		md[k] = v
	}
	var ts []ckTensor
	for _, side := range []struct {
		name string
		a    *Adapter
		key  string
	}{{"text", m.text(), MetaTextAdapter}, {"image", m.image(), MetaImageAdapter}} {
		if side.a == nil {
			continue
		}
		md[side.key] = string(side.a.kind)
		for _, t := range side.a.params {
			ts = append(ts, ckTensor{side.name + "." + t.Name, t})
		}
	}
	// Data in name order (all tensors share one dtype), as the reference writer.
	sort.Slice(ts, func(i, j int) bool { return ts[i].name < ts[j].name })

	var hdr bytes.Buffer
	hdr.WriteString(`{"__metadata__":`)
	mdJSON, err := json.Marshal(md) // keys sorted
	if err != nil {
		return fmt.Errorf("checkpoint: metadata: %w", err)
	}
	hdr.Write(mdJSON)
	var off int64
	for _, t := range ts {
		name, _ := json.Marshal(t.name)
		shape, _ := json.Marshal(t.t.Shape)
		n := int64(len(t.t.Data) * dt.size())
		fmt.Fprintf(&hdr, `,%s:{"dtype":"%s","shape":%s,"data_offsets":[%d,%d]}`, name, dt, shape, off, off+n)
		off += n
	}
	hdr.WriteByte('}')
	for hdr.Len()%8 != 0 {
		hdr.WriteByte(' ')
	}
	out := make([]byte, 0, 8+hdr.Len()+int(off))
	out = binary.LittleEndian.AppendUint64(out, uint64(hdr.Len()))
	out = append(out, hdr.Bytes()...)
	for _, t := range ts {
		for _, v := range t.t.Data {
			if dt == F32 {
				out = binary.LittleEndian.AppendUint32(out, math.Float32bits(float32(v)))
			} else {
				out = binary.LittleEndian.AppendUint64(out, math.Float64bits(v))
			}
		}
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// SaveCheckpoint writes a checkpoint to path atomically (a temporary file in
// the same directory, then a rename).
func SaveCheckpoint(path string, m *Model, meta map[string]string, opts CheckpointOptions) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("checkpoint %q: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if err := WriteCheckpoint(f, m, meta, opts); err != nil {
		f.Close()
		return fmt.Errorf("checkpoint %q: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("checkpoint %q: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("checkpoint %q: %w", path, err)
	}
	return nil
}

// LoadCheckpoint reads a checkpoint written by SaveCheckpoint.
func LoadCheckpoint(path string) (*Model, map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint: %w", err)
	}
	m, md, err := ParseCheckpoint(b)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint %q: %w", path, err)
	}
	return m, md, nil
}

// ReadCheckpoint reads a whole checkpoint from r.
func ReadCheckpoint(r io.Reader) (*Model, map[string]string, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint: %w", err)
	}
	m, md, err := ParseCheckpoint(b)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint: %w", err)
	}
	return m, md, nil
}

type tensorInfo struct {
	DType       string  `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// ParseCheckpoint decodes safetensors bytes holding srbench adapters. F32
// and F64 tensors are accepted; the checks follow the reference reader
// (header bounds, contiguous offsets covering the whole data, byte sizes
// matching dtype and shape, no duplicate names).
func ParseCheckpoint(b []byte) (*Model, map[string]string, error) {
	if len(b) < 8 {
		return nil, nil, fmt.Errorf("%d bytes: too short for the 8-byte header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > maxHeader {
		return nil, nil, fmt.Errorf("header length %d: larger than the %d-byte limit", n, maxHeader)
	}
	if n > uint64(len(b)-8) {
		return nil, nil, fmt.Errorf("header length %d: only %d bytes follow", n, len(b)-8)
	}
	hdr, data := b[8:8+n], b[8+n:]
	if len(hdr) == 0 || hdr[0] != '{' {
		return nil, nil, fmt.Errorf("header: want a JSON object starting with '{'")
	}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	if _, err := dec.Token(); err != nil { // '{'
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	var md map[string]string
	infos := map[string]tensorInfo{}
	var names []string
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("header: %w", err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, nil, fmt.Errorf("header: object key %v: want a string", tok)
		}
		if seen[key] {
			return nil, nil, fmt.Errorf("header: duplicate key %q", key)
		}
		seen[key] = true
		if key == "__metadata__" {
			if err := dec.Decode(&md); err != nil {
				return nil, nil, fmt.Errorf("header: __metadata__: want an object of strings: %w", err)
			}
			continue
		}
		var ti tensorInfo
		if err := dec.Decode(&ti); err != nil {
			return nil, nil, fmt.Errorf("header: tensor %q: %w", key, err)
		}
		infos[key] = ti
		names = append(names, key)
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	rest, _ := io.ReadAll(dec.Buffered())
	if len(bytes.TrimRight(rest, " \t\r\n")) != 0 {
		return nil, nil, fmt.Errorf("header: trailing data after the JSON object")
	}

	// Validate offsets: sorted by begin, contiguous from 0, covering data.
	slices.SortFunc(names, func(x, y string) int {
		ox, oy := infos[x].DataOffsets, infos[y].DataOffsets
		if len(ox) > 0 && len(oy) > 0 && ox[0] != oy[0] {
			if ox[0] < oy[0] {
				return -1
			}
			return 1
		}
		return strings.Compare(x, y)
	})
	tensors := map[string]map[string]*Tensor{"text": {}, "image": {}}
	var pos int64
	for _, name := range names {
		ti := infos[name]
		if ti.DType != string(F32) && ti.DType != string(F64) {
			return nil, nil, fmt.Errorf("tensor %q: dtype %q: want %q or %q", name, ti.DType, F32, F64)
		}
		if len(ti.DataOffsets) != 2 {
			return nil, nil, fmt.Errorf("tensor %q: data_offsets %v: want [begin, end]", name, ti.DataOffsets)
		}
		beg, end := ti.DataOffsets[0], ti.DataOffsets[1]
		if beg != pos || end < beg {
			return nil, nil, fmt.Errorf("tensor %q: data_offsets [%d, %d]: want to begin at %d (tensors must be contiguous)", name, beg, end, pos)
		}
		count := int64(1)
		shape := make([]int, len(ti.Shape))
		for i, s := range ti.Shape {
			if s < 0 || (s > 0 && count > math.MaxInt32/s) {
				return nil, nil, fmt.Errorf("tensor %q: shape %v: invalid or too large", name, ti.Shape)
			}
			count *= s
			shape[i] = int(s)
		}
		size := int64(DType(ti.DType).size())
		if end-beg != count*size {
			return nil, nil, fmt.Errorf("tensor %q: %d bytes, want %d for shape %v of %s", name, end-beg, count*size, ti.Shape, ti.DType)
		}
		if end > int64(len(data)) {
			return nil, nil, fmt.Errorf("tensor %q: data_offsets end %d beyond the %d data bytes", name, end, len(data))
		}
		raw := data[beg:end]
		vals := make([]float64, count)
		for i := range vals {
			if ti.DType == string(F32) {
				vals[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
			} else {
				vals[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
			}
		}
		pos = end
		side, param, ok := strings.Cut(name, ".")
		if !ok || tensors[side] == nil {
			return nil, nil, fmt.Errorf("tensor %q: want a name \"text.<param>\" or \"image.<param>\"", name)
		}
		tensors[side][param] = &Tensor{Name: param, Shape: shape, Data: vals}
	}
	if pos != int64(len(data)) {
		return nil, nil, fmt.Errorf("tensors cover %d data bytes, the file has %d", pos, len(data))
	}
	m := &Model{}
	for _, side := range []struct {
		name string
		key  string
		dst  **Adapter
	}{{"text", MetaTextAdapter, &m.TextAdapter}, {"image", MetaImageAdapter, &m.ImageAdapter}} {
		kindName, ok := md[side.key]
		if !ok {
			if len(tensors[side.name]) > 0 {
				return nil, nil, fmt.Errorf("%s tensors present but metadata key %q missing", side.name, side.key)
			}
			continue
		}
		if kindName == "" {
			return nil, nil, fmt.Errorf("metadata %q: empty adapter kind", side.key)
		}
		kind, err := ParseKind(kindName)
		if err != nil {
			return nil, nil, fmt.Errorf("metadata %q: %w", side.key, err)
		}
		a, err := adapterFromTensors(kind, tensors[side.name])
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", side.name, err)
		}
		*side.dst = a
	}
	if m.TextAdapter != nil && m.ImageAdapter != nil && m.TextAdapter.out != m.ImageAdapter.out {
		return nil, nil, fmt.Errorf("text adapter outputs %d values, image adapter %d", m.TextAdapter.out, m.ImageAdapter.out)
	}
	return m, md, nil
}
