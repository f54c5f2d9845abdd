package wire

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseValueInfo(t *testing.T) {
	dim := func(b []byte, build func([]byte) []byte) []byte { return AppendMessage(b, ShapeDim, build) }
	valueInfo := func(name string, typ func([]byte) []byte) []byte {
		b := AppendString(nil, ValueInfoName, name)
		if typ != nil {
			b = AppendMessage(b, ValueInfoType, typ)
		}
		return b
	}
	tensor := func(elem uint64, shape func([]byte) []byte) func([]byte) []byte {
		return func(b []byte) []byte {
			return AppendMessage(b, TypeTensorType, func(b []byte) []byte {
				b = AppendVarint(b, TensorTypeElemType, elem)
				if shape != nil {
					b = AppendMessage(b, TensorTypeShape, shape)
				}
				return b
			})
		}
	}
	for _, tc := range []struct {
		name    string
		in      []byte
		want    ValueInfo
		wantErr string
	}{
		{"tensor with fixed, symbolic and unknown dimensions", valueInfo("x", tensor(1, func(b []byte) []byte {
			b = dim(b, func(b []byte) []byte { return AppendString(b, DimParam, "batch") })
			b = dim(b, func(b []byte) []byte { return AppendVarint(b, DimValue, 3) })
			return dim(b, func(b []byte) []byte { return b })
		})), ValueInfo{Name: "x", IsTensor: true, ElemType: 1, HasShape: true, Dims: []Dim{{Param: "batch"}, {Value: 3, Known: true}, {}}}, ""},
		{"scalar", valueInfo("s", tensor(7, func(b []byte) []byte { return b })), ValueInfo{Name: "s", IsTensor: true, ElemType: 7, HasShape: true}, ""},
		{"no shape", valueInfo("u", tensor(11, nil)), ValueInfo{Name: "u", IsTensor: true, ElemType: 11}, ""},
		{"no type", valueInfo("n", nil), ValueInfo{Name: "n"}, ""},
		{"not a tensor (a sequence type)", valueInfo("q", func(b []byte) []byte {
			return AppendBytes(b, TypeProto.Field(4), nil)
		}), ValueInfo{Name: "q"}, ""},
		{"the last name counts", AppendString(valueInfo("a", nil), ValueInfoName, "b"), ValueInfo{Name: "b"}, ""},
		{"malformed shape", valueInfo("m", tensor(1, func(b []byte) []byte { return append(b, 0x0a, 0x05) })), ValueInfo{},
			`value "m": TensorShapeProto.dim (1) at byte 13: length 5 runs past the end of the TensorShapeProto (0 bytes left)`},
		{"malformed dimension", valueInfo("d", tensor(1, func(b []byte) []byte { return dim(b, func(b []byte) []byte { return append(b, 0x08) }) })), ValueInfo{},
			`value "d": TensorShapeProto.Dimension.dim_value (1) at byte 15: varint value: unexpected EOF`},
		{"malformed value info", []byte{0x0a, 0x09}, ValueInfo{},
			"ValueInfoProto.name (1) at byte 2: length 9 runs past the end of the ValueInfoProto (0 bytes left)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseValueInfo(NewValue(GraphInput, tc.in))
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error %v\nwant  %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseEntry(t *testing.T) {
	k, v, err := ParseEntry(NewValue(TensorExternalData, AppendString(AppendString(nil, EntryKey, "location"), EntryValue, "w.bin")))
	if err != nil || k != "location" || v != "w.bin" {
		t.Errorf("ParseEntry = %q, %q, %v", k, v, err)
	}
	if _, _, err := ParseEntry(NewValue(TensorExternalData, []byte{0x12})); err == nil {
		t.Error("a truncated entry was read")
	}
}
