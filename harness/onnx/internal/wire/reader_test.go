package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protowire"
)

// inputs returns the ways a test reads b as a message of type m: from the
// slice, from a seekable stream and from a stream that can only be read.
func inputs(m Message, b []byte) map[string]func() *Reader {
	return map[string]func() *Reader{
		"slice":    func() *Reader { return NewReader(m, b) },
		"seekable": func() *Reader { return NewStreamReader(m, bytes.NewReader(b), int64(len(b))) },
		"stream":   func() *Reader { return NewStreamReader(m, struct{ io.Reader }{bytes.NewReader(b)}, int64(len(b))) },
	}
}

// drain reads every field of r and of the messages nested in it that the
// table knows to be messages, and returns the first error.
func drain(r *Reader) error {
	for r.Next() {
		v := r.Value()
		var nested Message
		switch {
		case v.Is(ModelGraph):
			nested = GraphProto
		case v.Is(GraphInput), v.Is(GraphOutput):
			nested = ValueInfoProto
		case v.Is(GraphInitializer):
			nested = TensorProto
		}
		if nested != 0 {
			if err := drain(r.Message(nested)); err != nil {
				return err
			}
		}
	}
	return r.Err()
}

// TestReaderMalformed feeds the reader broken messages: every error names
// the field (or, when the tag itself is broken, the message) and the byte
// offset, whether the message comes from a slice or a stream.
func TestReaderMalformed(t *testing.T) {
	graph := func(g []byte) []byte { return AppendBytes(AppendVarint(nil, ModelIRVersion, 8), ModelGraph, g) }
	for _, tc := range []struct {
		name string
		msg  Message
		in   []byte
		read func(*Reader) error // nil: drain
		want string
	}{
		{"truncated varint", ModelProto, []byte{0x08, 0x80}, nil,
			"ModelProto.ir_version (1) at byte 0: varint value: unexpected EOF"},
		{"varint overflows 64 bits", ModelProto, append([]byte{0x08}, bytes.Repeat([]byte{0xff}, 10)...), nil,
			"ModelProto.ir_version (1) at byte 0: varint value: varint overflows 64 bits"},
		{"truncated tag", GraphProto, []byte{0x0a, 0x00, 0x80}, nil,
			"GraphProto at byte 2: tag: unexpected EOF"},
		{"field number 0", NodeProto, []byte{0x00}, nil,
			"NodeProto at byte 0: tag: invalid field number 0"},
		{"tag overflows 64 bits", NodeProto, bytes.Repeat([]byte{0x80}, 11), nil,
			"NodeProto at byte 0: tag: varint overflows 64 bits"},
		{"field number over 2³¹", NodeProto, []byte{0xf8, 0xff, 0xff, 0xff, 0x7f}, nil,
			"NodeProto at byte 0: tag: invalid field number 4294967295"},
		{"truncated length", GraphProto, []byte{0x5a, 0x80}, nil,
			"GraphProto.input (11) at byte 0: length: unexpected EOF"},
		{"length beyond the buffer", GraphProto, []byte{0x5a, 0x05, 'a'}, nil,
			"GraphProto.input (11) at byte 0: length 5 runs past the end of the GraphProto (1 bytes left)"},
		{"length beyond the enclosing message", ModelProto, append(graph([]byte{0x5a, 0x05}), "abcde"...), nil,
			"GraphProto.input (11) at byte 4: length 5 runs past the end of the GraphProto (0 bytes left)"},
		{"unknown field beyond the buffer", GraphProto, []byte{0xfa, 0x01, 0x09}, nil,
			"GraphProto field 31 at byte 0: length 9 runs past the end of the GraphProto (0 bytes left)"},
		{"truncated fixed32", AttributeProto, []byte{0x15, 0x00, 0x00, 0x80}, nil,
			"AttributeProto.f (2) at byte 0: fixed32 value: unexpected EOF"},
		{"truncated fixed64", TensorProto, []byte{0x09, 0x00}, nil,
			"TensorProto.dims (1) at byte 0: fixed64 value: unexpected EOF"},
		{"group", ModelProto, []byte{0x0b, 0x0c}, nil,
			"ModelProto.ir_version (1) at byte 0: wire type start-group is not supported"},
		{"reserved wire type", ModelProto, []byte{0x0e}, nil,
			"ModelProto.ir_version (1) at byte 0: wire type 6 is not supported"},
		{"wrong wire type for a message field", GraphProto, []byte{0x5a, 0x00, 0x58, 0x01}, func(r *Reader) error {
			for r.Next() {
				if r.Value().Field == GraphInput {
					if _, err := r.Load(1 << 10); err != nil {
						return err
					}
				}
			}
			return r.Err()
		}, "GraphProto.input (11) at byte 2: wire type varint, want bytes"},
		{"wrong wire type for a varint field", ModelProto, []byte{0x0a, 0x01, 0x08}, func(r *Reader) error {
			r.Next()
			_, err := r.Value().Uint()
			return err
		}, "ModelProto.ir_version (1) at byte 0: wire type bytes, want varint"},
		{"wrong wire type for a float field", AttributeProto, []byte{0x10, 0x01}, func(r *Reader) error {
			r.Next()
			_, err := r.Value().Float32()
			return err
		}, "AttributeProto.f (2) at byte 0: wire type varint, want fixed32"},
		{"nested message of a varint field", ModelProto, []byte{0x38, 0x01}, func(r *Reader) error {
			r.Next()
			return drain(r.Message(GraphProto))
		}, "ModelProto.graph (7) at byte 0: wire type varint, want bytes"},
		{"truncated packed varints", TensorProto, []byte{0x0a, 0x02, 0x01, 0x80}, func(r *Reader) error {
			r.Next()
			v, err := r.Load(16)
			if err != nil {
				return err
			}
			_, err = v.Int64s()
			return err
		}, "TensorProto.dims (1) at byte 3: packed varint 1: unexpected EOF"},
	} {
		for mode, open := range inputs(tc.msg, tc.in) {
			t.Run(tc.name+"/"+mode, func(t *testing.T) {
				read := tc.read
				if read == nil {
					read = drain
				}
				err := read(open())
				if err == nil || err.Error() != tc.want {
					t.Errorf("error %v\nwant          %s", err, tc.want)
				}
				var we *Error
				if !errors.As(err, &we) {
					t.Errorf("error %T is not a *wire.Error", err)
				}
			})
		}
	}
}

// TestLoadLimit: a stream refuses to load a payload over the limit (a
// slice's payloads are in memory already).
func TestLoadLimit(t *testing.T) {
	in := AppendString(nil, GraphName, "hello")
	for mode, open := range inputs(GraphProto, in) {
		t.Run(mode, func(t *testing.T) {
			r := open()
			r.Next()
			v, err := r.Load(4)
			switch {
			case mode == "slice" && (err != nil || string(v.Payload) != "hello"):
				t.Errorf("Load = %q, %v; want hello", v.Payload, err)
			case mode != "slice" && (err == nil || err.Error() != "GraphProto.name (2) at byte 0: 5 bytes, over the 4 expected"):
				t.Errorf("Load error %v", err)
			}
		})
	}
}

// TestReaderStreamsLikeSlices walks a model with nested messages, unknown
// fields and a large payload from each kind of input: the same fields,
// values, offsets and lengths; the stream reads only the payloads asked
// for.
func TestReaderStreamsLikeSlices(t *testing.T) {
	weights := bytes.Repeat([]byte{0xab}, 200_000)
	tensor := AppendVarint(nil, TensorDims, 2)
	tensor = AppendString(tensor, TensorName, "w")
	tensor = AppendBytes(tensor, TensorRawData, weights)
	g := AppendBytes(nil, GraphInitializer, tensor)
	g = AppendMessage(g, GraphInput, func(b []byte) []byte { return AppendString(b, ValueInfoName, "x") })
	g = protowire.AppendVarint(protowire.AppendTag(g, 99, protowire.VarintType), 7) // unknown
	model := AppendVarint(nil, ModelIRVersion, 8)
	model = AppendBytes(model, ModelGraph, g)
	model = protowire.AppendFixed32(protowire.AppendTag(model, 50, protowire.Fixed32Type), 1) // unknown
	model = AppendEntry(model, ModelMetadataProps, "k", "v")

	type seen struct {
		Path          string
		Offset, Len   int64
		Num           uint64
		Type          protowire.Type
		Name, Payload string
	}
	walk := func(r *Reader, path string, out *[]seen) error {
		var rec func(r *Reader, path string) error
		rec = func(r *Reader, path string) error {
			for r.Next() {
				v := r.Value()
				s := seen{Path: path + "/" + v.Field.String(), Offset: v.Offset, Len: v.Len, Num: v.Num, Type: v.Type}
				switch {
				case v.Is(ModelGraph):
					*out = append(*out, s)
					if err := rec(r.Message(GraphProto), s.Path); err != nil {
						return err
					}
					continue
				case v.Is(GraphInitializer):
					*out = append(*out, s)
					if err := rec(r.Message(TensorProto), s.Path); err != nil {
						return err
					}
					continue
				case v.Is(GraphInput), v.Is(TensorName), v.Is(ModelMetadataProps):
					lv, err := r.Load(1 << 10)
					if err != nil {
						return err
					}
					s.Payload = string(lv.Payload)
				}
				*out = append(*out, s)
			}
			return r.Err()
		}
		return rec(r, path)
	}
	var want []seen
	if err := walk(NewReader(ModelProto, model), "", &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != 10 {
		t.Fatalf("walked %d fields, want 10: %+v", len(want), want)
	}
	for mode, open := range inputs(ModelProto, model) {
		t.Run(mode, func(t *testing.T) {
			var got []seen
			if err := walk(open(), "", &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("fields (-slice +%s):\n%s", mode, diff)
			}
		})
	}
	t.Run("seeks over what it does not read", func(t *testing.T) {
		cr := &countingReader{r: bytes.NewReader(model)}
		if err := drain(NewStreamReader(ModelProto, cr, int64(len(model)))); err != nil {
			t.Fatal(err)
		}
		if cr.n >= int64(len(weights)) {
			t.Errorf("read %d bytes of a %d-byte model whose weights are %d bytes", cr.n, len(model), len(weights))
		}
	})
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r *bytes.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) Seek(off int64, whence int) (int64, error) { return c.r.Seek(off, whence) }

func TestFieldsAccessors(t *testing.T) {
	b := AppendString(nil, NodeInput, "a")
	b = AppendString(b, NodeInput, "b")
	b = AppendString(b, NodeName, "first")
	b = AppendString(b, NodeName, "last")
	b = protowire.AppendVarint(protowire.AppendTag(b, NodeName.Number(), protowire.VarintType), 3) // not a name
	b = AppendString(b, NodeOpType, "Op")
	fs, err := Parse(NodeProto, b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b"}, fs.Strings(NodeInput)); diff != "" {
		t.Errorf("Strings (-want +got):\n%s", diff)
	}
	if got := fs.String(NodeName); got != "last" {
		t.Errorf("String(NodeName) = %q, want the last one written with its wire type", got)
	}
	if _, ok := fs.Uint(NodeDomain); ok {
		t.Error("Uint of an absent field reports it present")
	}
	if !bytes.Equal(fs.Bytes(), b) {
		t.Error("Bytes does not give back the message read")
	}

	dims := AppendVarint(nil, TensorDims, 2)
	dims = AppendPackedInt64s(dims, TensorDims, []int64{3, 300, -1})
	dims = AppendVarint(dims, TensorDims, 5)
	tfs, err := Parse(TensorProto, dims)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tfs.Int64s(TensorDims)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{2, 3, 300, -1, 5}, got); diff != "" {
		t.Errorf("Int64s, unpacked and packed (-want +got):\n%s", diff)
	}

	re, err := RewriteLast(b, NodeOpType, func(p []byte) ([]byte, error) { return append(p, "Op"...), nil })
	if err != nil {
		t.Fatal(err)
	}
	rfs, _ := Parse(NodeProto, re)
	if rfs.String(NodeOpType) != "OpOp" || rfs.String(NodeName) != "last" || len(rfs) != len(fs) {
		t.Errorf("RewriteLast: %q, %q, %d fields", rfs.String(NodeOpType), rfs.String(NodeName), len(rfs))
	}
	if _, err := RewriteLast(b, NodeDomain, nil); err == nil || err.Error() != "NodeProto: no NodeProto.domain (7) field" {
		t.Errorf("RewriteLast of an absent field: %v", err)
	}
}
