package train

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type fixture struct {
	Tensors  map[string][2]json.RawMessage // name → [shape, values]
	Metadata map[string]string
}

func loadFixtures(t *testing.T) map[string]fixture {
	t.Helper()
	raw, err := os.ReadFile("testdata/fixtures.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx map[string]fixture
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	return fx
}

// tensorsOf flattens a model into "side.param" → values.
func tensorsOf(m *Model) map[string][]float64 {
	out := map[string][]float64{}
	for _, s := range []struct {
		name string
		a    *Adapter
	}{{"text", m.TextAdapter}, {"image", m.ImageAdapter}} {
		if s.a == nil {
			continue
		}
		for _, p := range s.a.params {
			out[s.name+"."+p.Name] = p.Data
		}
	}
	return out
}

func fixtureValues(t *testing.T, f fixture) map[string][]float64 {
	t.Helper()
	out := map[string][]float64{}
	for name, sv := range f.Tensors {
		var vals []float64
		if err := json.Unmarshal(sv[1], &vals); err != nil {
			t.Fatal(err)
		}
		out[name] = vals
	}
	return out
}

// TestReadHandMadeFixtures reads safetensors files written by
// testdata/make_safetensors.py with struct/json only.
func TestReadHandMadeFixtures(t *testing.T) {
	t.Parallel()
	fx := loadFixtures(t)
	tests := []struct {
		file, key   string
		text, image Kind
	}{
		{"adapters_f32.safetensors", "adapters_f32", Linear, LowRank},
		{"mlp_f64_pretty.safetensors", "mlp_f64_pretty", "", MLP},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			m, md, err := LoadCheckpoint(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(fx[tc.key].Metadata, md); diff != "" {
				t.Errorf("metadata (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(fixtureValues(t, fx[tc.key]), tensorsOf(m)); diff != "" {
				t.Errorf("tensors (-want +got):\n%s", diff)
			}
			kindOf := func(a *Adapter) Kind {
				if a == nil {
					return ""
				}
				return a.Kind()
			}
			if kindOf(m.TextAdapter) != tc.text || kindOf(m.ImageAdapter) != tc.image {
				t.Errorf("kinds text=%q image=%q, want %q %q", kindOf(m.TextAdapter), kindOf(m.ImageAdapter), tc.text, tc.image)
			}
		})
	}
}

// TestWriteMatchesHandMadeBytes: the writer must produce exactly the bytes
// of the Python-made F32 fixture for the same model and metadata.
func TestWriteMatchesHandMadeBytes(t *testing.T) {
	t.Parallel()
	want, err := os.ReadFile("testdata/adapters_f32.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	m := &Model{TextAdapter: NewLinear(2)}
	copy(m.TextAdapter.Param("W").Data, []float64{1, 2, 3, 4})
	copy(m.TextAdapter.Param("b").Data, []float64{0.5, -0.5})
	var err2 error
	m.ImageAdapter, err2 = NewAdapter(AdapterSpec{Kind: LowRank, Rank: 1}, 2, rand.New(rand.NewPCG(0, 0)))
	if err2 != nil {
		t.Fatal(err2)
	}
	copy(m.ImageAdapter.Param("U").Data, []float64{0.5, -1})
	copy(m.ImageAdapter.Param("V").Data, []float64{2, 0.25})
	copy(m.ImageAdapter.Param("b").Data, []float64{0, 1})
	var buf bytes.Buffer
	if err := WriteCheckpoint(&buf, m, map[string]string{"note": "hand-made fixture"}, CheckpointOptions{DType: F32}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("written bytes differ from the fixture:\n got %q\nwant %q", buf.Bytes(), want)
	}
}

func randomModel(t *testing.T, kind Kind, dim int, seed uint64) *Model {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	spec := AdapterSpec{Kind: kind, Rank: 3, Hidden: 5}
	ta, err := NewAdapter(spec, dim, rng)
	if err != nil {
		t.Fatal(err)
	}
	ia, err := NewAdapter(spec, dim, rng)
	if err != nil {
		t.Fatal(err)
	}
	perturb(ta, rng, 0.5)
	perturb(ia, rng, 0.5)
	return &Model{TextAdapter: ta, ImageAdapter: ia}
}

func TestCheckpointRoundTrip(t *testing.T) {
	t.Parallel()
	meta := map[string]string{"srbench.config": `{"loss":"triplet"}`, "k": "v with \"quotes\" and <tags>"}
	for _, kind := range []Kind{Linear, LowRank, MLP} {
		for _, dt := range []DType{"", F64, F32} {
			t.Run(string(kind)+"/"+string(dt), func(t *testing.T) {
				m := randomModel(t, kind, 6, 3)
				path := filepath.Join(t.TempDir(), "adapters.safetensors")
				if err := SaveCheckpoint(path, m, meta, CheckpointOptions{DType: dt}); err != nil {
					t.Fatal(err)
				}
				got, md, err := LoadCheckpoint(path)
				if err != nil {
					t.Fatal(err)
				}
				want := tensorsOf(m)
				if dt == F32 {
					for _, v := range want {
						for i := range v {
							v[i] = float64(float32(v[i]))
						}
					}
				}
				if diff := cmp.Diff(want, tensorsOf(got)); diff != "" {
					t.Errorf("tensors (-want +got):\n%s", diff)
				}
				wantMeta := map[string]string{MetaFormat: FormatValue, MetaTextAdapter: string(kind), MetaImageAdapter: string(kind)}
				for k, v := range meta {
					wantMeta[k] = v
				}
				if diff := cmp.Diff(wantMeta, md); diff != "" {
					t.Errorf("metadata (-want +got):\n%s", diff)
				}
				raw, _ := os.ReadFile(path)
				if n := binary.LittleEndian.Uint64(raw); n%8 != 0 {
					t.Errorf("header length %d not a multiple of 8", n)
				}
				if dt != F32 {
					x := []float32{0.3, -1, 2, 0.5, 0.25, -0.75}
					if a, b := m.Score(x, x[:6]), got.Score(x, x[:6]); a != b {
						t.Errorf("score changed by the round trip: %v → %v", a, b)
					}
				}
			})
		}
	}
	t.Run("identity model", func(t *testing.T) {
		var buf bytes.Buffer
		if err := WriteCheckpoint(&buf, &Model{}, nil, CheckpointOptions{}); err != nil {
			t.Fatal(err)
		}
		m, _, err := ReadCheckpoint(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if m.TextAdapter != nil || m.ImageAdapter != nil {
			t.Errorf("identity model read back with adapters")
		}
	})
}

// st builds safetensors bytes from a header string and data.
func st(header string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(out, header...), data...)
}

func TestParseCheckpointErrors(t *testing.T) {
	t.Parallel()
	f32 := func(vs ...float32) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
		return b
	}
	okMeta := `"__metadata__":{"srbench.text_adapter":"linear"}`
	w := `"text.W":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]}`
	b := `"text.b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}`
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"valid", st("{"+okMeta+","+w+","+b+"}", f32(2, 3)), ""},
		{"too short", []byte{1, 2, 3}, "too short"},
		{"header beyond file", binary.LittleEndian.AppendUint64(nil, 50), "only 0 bytes follow"},
		{"huge header", binary.LittleEndian.AppendUint64(nil, 1<<40), "limit"},
		{"not an object", st(`[1,2]   `, nil), "starting with '{'"},
		{"bad json", st(`{"a":`, nil), "header"},
		{"duplicate", st("{"+okMeta+","+w+","+w+"}", f32(2)), "duplicate key"},
		{"dtype", st("{"+okMeta+`,"text.W":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}`, []byte{0, 0}), `dtype "BF16"`},
		{"gap", st("{"+okMeta+","+w+`,"text.b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, f32(1, 2, 3)), "contiguous"},
		{"size", st("{"+okMeta+`,"text.W":{"dtype":"F32","shape":[2,1],"data_offsets":[0,4]}}`, f32(1)), "want 8"},
		{"extra data", st("{"+okMeta+","+w+","+b+"}", f32(2, 3, 4)), "cover 8 data bytes, the file has 12"},
		{"missing data", st("{"+okMeta+","+w+","+b+"}", f32(2)), "beyond"},
		{"trailing", st("{"+okMeta+","+w+","+b+"}x", f32(2, 3)), "trailing"},
		{"metadata not strings", st(`{"__metadata__":{"a":1}}`, nil), "object of strings"},
		{"no kind", st("{"+w+","+b+"}", f32(2, 3)), "metadata key"},
		{"bad kind", st(`{"__metadata__":{"srbench.text_adapter":"linaer"},`+w+","+b+"}", f32(2, 3)), `did you mean "linear"`},
		{"missing tensor", st("{"+okMeta+","+w+"}", f32(2)), "tensors [W], want [W b]"},
		{"bad name", st("{"+okMeta+`,"audio.W":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, f32(1)), "text.<param>"},
		{"bad shape", st("{"+okMeta+`,"text.W":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},`+`"text.b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}`, f32(1, 2, 3, 4)), "want [out, in]"},
		{"negative dim", st("{"+okMeta+`,"text.W":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}`, nil), "invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ParseCheckpoint(tc.data)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestWriteCheckpointErrors(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteCheckpoint(&buf, &Model{}, map[string]string{MetaTextAdapter: "mlp"}, CheckpointOptions{}); err == nil || !strings.Contains(err.Error(), "reserved") {
		t.Errorf("reserved key: err = %v", err)
	}
	if err := WriteCheckpoint(&buf, &Model{}, nil, CheckpointOptions{DType: "F16"}); err == nil || !strings.Contains(err.Error(), "F16") {
		t.Errorf("bad dtype: err = %v", err)
	}
}
