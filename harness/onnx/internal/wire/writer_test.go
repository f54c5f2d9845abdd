package wire

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protowire"
)

// TestAppend compares the writer's output with bytes worked out by hand
// from the protobuf encoding (tag = number<<3 | wire type, then the value).
func TestAppend(t *testing.T) {
	long := strings.Repeat("x", 200) // a two-byte length
	for _, tc := range []struct {
		name string
		got  []byte
		want []byte
	}{
		{"varint", AppendVarint(nil, ModelIRVersion, 8), []byte{0x08, 8}},
		{"negative int64 is ten bytes", AppendVarint(nil, AttributeI, uint64(1<<64-1)), []byte{0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{"two-byte tag", AppendVarint(nil, AttributeType, 5), []byte{0xa0, 0x01, 5}},
		{"float", AppendFloat32(nil, AttributeF, 1), []byte{0x15, 0x00, 0x00, 0x80, 0x3f}},
		{"string", AppendString(nil, NodeName, "n"), []byte{0x1a, 1, 'n'}},
		{"bytes", AppendBytes(nil, TensorRawData, []byte{1, 2}), []byte{0x4a, 2, 1, 2}},
		{"appends", AppendString([]byte{0xee}, NodeName, ""), []byte{0xee, 0x1a, 0}},
		{"entry", AppendEntry(nil, ModelMetadataProps, "k", "v"), []byte{0x72, 6, 0x0a, 1, 'k', 0x12, 1, 'v'}},
		{"nested message", AppendMessage(nil, ModelOpsetImport, func(b []byte) []byte {
			return AppendVarint(b, OpsetVersion, 17)
		}), []byte{0x42, 2, 0x10, 17}},
		{"nested message with a two-byte length", AppendMessage([]byte{0xee}, GraphNode, func(b []byte) []byte {
			return AppendString(b, NodeName, long)
		}), append([]byte{0xee, 0x0a, 203, 1, 0x1a, 200, 1}, long...)},
		{"empty message", AppendMessage(nil, ShapeDim, func(b []byte) []byte { return b }), []byte{0x0a, 0}},
		{"packed int64s", AppendPackedInt64s(nil, TensorDims, []int64{3, 300}), []byte{0x0a, 3, 3, 0xac, 0x02}},
		{"header of a streamed payload", append(AppendBytesHeader(nil, GraphInitializer, 300), 0), []byte{0x2a, 0xac, 0x02, 0}},
		{"unknown fields take any wire type", AppendVarint(AppendBytes(nil, GraphProto.Field(99), nil), GraphProto.Field(98), 1), []byte{0x9a, 0x06, 0, 0x90, 0x06, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if n, want := SizeBytesField(GraphInitializer, 300), int64(len(AppendBytes(nil, GraphInitializer, make([]byte, 300)))); n != want {
		t.Errorf("SizeBytesField = %d, want %d", n, want)
	}
}

// TestAppendWrongType: writing a known field with another wire type is a
// programmer error.
func TestAppendWrongType(t *testing.T) {
	for _, tc := range []struct {
		name   string
		append func()
		want   string
	}{
		{"varint into a message field", func() { AppendVarint(nil, GraphInput, 1) }, "wire: GraphProto.input (11) is a bytes field, not varint"},
		{"string into a varint field", func() { AppendString(nil, ModelIRVersion, "8") }, "wire: ModelProto.ir_version (1) is a varint field, not bytes"},
		{"float into an int field", func() { AppendFloat32(nil, AttributeI, 1) }, "wire: AttributeProto.i (3) is a varint field, not fixed32"},
		{"packed strings", func() { AppendPackedInt64s(nil, NodeInput, nil) }, "wire: NodeProto.input (1) is a bytes field, not varint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != tc.want {
					t.Errorf("panic %v, want %q", r, tc.want)
				}
			}()
			tc.append()
		})
	}
}

// TestRoundTrip reads back what the writer wrote.
func TestRoundTrip(t *testing.T) {
	b := AppendString(nil, AttributeName, "alpha")
	b = AppendFloat32(b, AttributeF, -0.25)
	b = AppendVarint(b, AttributeI, uint64(math.MaxUint64)) // -1
	b = AppendFloat32(b, AttributeFloats, float32(math.Inf(1)))
	fs, err := Parse(AttributeProto, b)
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := fs.Float32(AttributeF); !ok || f != -0.25 {
		t.Errorf("f = %v, %v", f, ok)
	}
	if i, _ := fs.Uint(AttributeI); int64(i) != -1 {
		t.Errorf("i = %d", int64(i))
	}
	v, _ := fs.Last(AttributeFloats)
	if f, err := v.Float32(); err != nil || !math.IsInf(float64(f), 1) {
		t.Errorf("floats = %v, %v", f, err)
	}
	if fs.String(AttributeName) != "alpha" {
		t.Errorf("name %q", fs.String(AttributeName))
	}
	name, _ := fs.Last(AttributeName)
	renamed := name.WithPayload([]byte("beta"))
	if !bytes.Equal(renamed.Raw, AppendString(nil, AttributeName, "beta")) || string(renamed.Payload) != "beta" || renamed.Offset != name.Offset {
		t.Errorf("WithPayload: raw % x payload %q offset %d", renamed.Raw, renamed.Payload, renamed.Offset)
	}
	if nv := NewValue(GraphOutput, []byte{1}); nv.Field != GraphOutput || nv.Type != protowire.BytesType || !bytes.Equal(nv.Raw, []byte{0x62, 1, 1}) {
		t.Errorf("NewValue: %+v", nv)
	}
}
