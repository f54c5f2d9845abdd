package graph

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"github.com/srbench/srbench/internal/atomicfile"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
)

// Defaults for ModelOptions.
const (
	DefaultIRVersion = 8
	DefaultOpset     = 17
	DefaultProducer  = "srbench"
)

// maxProtoSize is the largest message protobuf implementations accept.
const maxProtoSize = math.MaxInt32

// OpsetID imports an operator set (OperatorSetIdProto).
type OpsetID struct {
	Domain  string
	Version int64
}

// KeyValue is a metadata entry (StringStringEntryProto).
type KeyValue struct {
	Key, Value string
}

// ModelOptions are the ModelProto fields around the graph. The zero value
// gives IR version 8, default-domain opset 17 and producer "srbench".
type ModelOptions struct {
	IRVersion       int64     // 0 means DefaultIRVersion
	Opset           int64     // default-domain opset; 0 means DefaultOpset
	ExtraOpsets     []OpsetID // further domains, e.g. {"com.microsoft", 1}
	ProducerName    string    // "" means DefaultProducer
	ProducerVersion string
	DocString       string
	Metadata        []KeyValue // metadata_props, written in this order

	// ExternalDataThreshold, when positive, makes WriteFile store every
	// initializer of at least this many bytes in a separate file (ONNX
	// external data) instead of inline. Encode and Marshal reject it.
	ExternalDataThreshold int64
	// ExternalDataFile is that file's name, relative to the model's
	// directory; "" means the model file name plus ".data".
	ExternalDataFile string
}

func (o ModelOptions) withDefaults() ModelOptions {
	if o.IRVersion == 0 {
		o.IRVersion = DefaultIRVersion
	}
	if o.Opset == 0 {
		o.Opset = DefaultOpset
	}
	if o.ProducerName == "" {
		o.ProducerName = DefaultProducer
	}
	return o
}

// externalRef says where an initializer's data lives in the external file.
type externalRef struct {
	offset, length int64
}

// encoder holds a model laid out for writing: small messages as bytes and
// initializer data to be streamed from the Go slices.
type encoder struct {
	head      []byte // ModelProto fields before the graph, and the graph's tag and length
	graphPre  []byte // GraphProto nodes and name
	inits     []initPart
	graphPost []byte // inputs and outputs
	tail      []byte // ModelProto fields after the graph
	size      int64
}

type initPart struct {
	t      *Tensor
	header []byte // tag, length and the TensorProto fields other than raw_data
	inline bool   // raw_data follows the header
}

func appendStringField(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendMessage(b []byte, num protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}

func keyValue(k, v string) []byte {
	var b []byte
	b = appendStringField(b, 1, k)
	return appendStringField(b, 2, v)
}

// tensorFields encodes TensorProto dims(1), data_type(2) and name(8).
func tensorFields(t *Tensor) []byte {
	var b []byte
	for _, d := range t.Dims {
		b = appendVarintField(b, 1, uint64(d))
	}
	b = appendVarintField(b, 2, uint64(t.Type()))
	if t.Name != "" {
		b = appendStringField(b, 8, t.Name)
	}
	return b
}

// rawData returns t's data as little-endian bytes (small tensors only).
func rawData(t *Tensor) []byte {
	var buf bytes.Buffer
	_ = writeRaw(&buf, t) // a bytes.Buffer does not fail
	return buf.Bytes()
}

// writeRaw streams t's data as little-endian bytes.
func writeRaw(w io.Writer, t *Tensor) error {
	const chunk = 1 << 14
	var buf [8 * chunk]byte
	switch t.Type() {
	case Float32:
		for s := t.Float32; len(s) > 0; {
			n := min(len(s), chunk)
			for i, v := range s[:n] {
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
			}
			if _, err := w.Write(buf[:4*n]); err != nil {
				return err
			}
			s = s[n:]
		}
	case Int64:
		for s := t.Int64; len(s) > 0; {
			n := min(len(s), chunk)
			for i, v := range s[:n] {
				binary.LittleEndian.PutUint64(buf[8*i:], uint64(v))
			}
			if _, err := w.Write(buf[:8*n]); err != nil {
				return err
			}
			s = s[n:]
		}
	}
	return nil
}

func inlineTensor(t *Tensor) []byte {
	b := tensorFields(t)
	b = protowire.AppendTag(b, 9, protowire.BytesType)
	return protowire.AppendBytes(b, rawData(t))
}

func encodeAttr(a Attr) []byte {
	var b []byte
	b = appendStringField(b, 1, a.name)
	b = appendVarintField(b, 20, uint64(a.typ))
	switch a.typ {
	case attrFloat:
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.f))
	case attrInt:
		b = appendVarintField(b, 3, uint64(a.i))
	case attrString:
		b = appendStringField(b, 4, a.s)
	case attrTensor:
		b = appendMessage(b, 5, inlineTensor(a.t))
	case attrFloats:
		for _, f := range a.floats {
			b = protowire.AppendTag(b, 7, protowire.Fixed32Type)
			b = protowire.AppendFixed32(b, math.Float32bits(f))
		}
	case attrInts:
		for _, i := range a.ints {
			b = appendVarintField(b, 8, uint64(i))
		}
	case attrStrings:
		for _, s := range a.strings {
			b = appendStringField(b, 9, s)
		}
	}
	return b
}

func encodeNode(n node) []byte {
	var b []byte
	for _, in := range n.inputs {
		b = appendStringField(b, 1, in)
	}
	for _, out := range n.outputs {
		b = appendStringField(b, 2, out)
	}
	b = appendStringField(b, 3, n.name)
	b = appendStringField(b, 4, n.op)
	for _, a := range n.attrs {
		b = appendMessage(b, 5, encodeAttr(a))
	}
	if n.domain != "" {
		b = appendStringField(b, 7, n.domain)
	}
	return b
}

// encodeValueInfo writes ValueInfoProto{name, type: TypeProto{tensor_type:
// {elem_type, shape}}}. The shape is always present, so no dimensions means
// rank 0.
func encodeValueInfo(v valueInfo) []byte {
	var shape []byte
	for _, d := range v.dims {
		var dim []byte
		if d.Param != "" {
			dim = appendStringField(dim, 2, d.Param)
		} else {
			dim = appendVarintField(dim, 1, uint64(d.Value))
		}
		shape = appendMessage(shape, 1, dim)
	}
	var tensorType []byte
	tensorType = appendVarintField(tensorType, 1, uint64(v.typ))
	tensorType = appendMessage(tensorType, 2, shape)
	var typ []byte
	typ = appendMessage(typ, 1, tensorType)
	var b []byte
	b = appendStringField(b, 1, v.name)
	return appendMessage(b, 2, typ)
}

// layout lays the model out. ext, when not nil, maps the initializers to be
// stored externally (in location) to their place in that file.
func (g *Graph) layout(o ModelOptions, location string, ext map[*Tensor]externalRef) (*encoder, error) {
	e := &encoder{}
	for _, n := range g.nodes {
		e.graphPre = appendMessage(e.graphPre, 1, encodeNode(n))
	}
	e.graphPre = appendStringField(e.graphPre, 2, g.name)
	graphSize := int64(len(e.graphPre))
	for _, t := range g.inits {
		fields := tensorFields(t)
		var body int64
		p := initPart{t: t}
		if ref, ok := ext[t]; ok {
			fields = appendMessage(fields, 13, keyValue("location", location))
			fields = appendMessage(fields, 13, keyValue("offset", strconv.FormatInt(ref.offset, 10)))
			fields = appendMessage(fields, 13, keyValue("length", strconv.FormatInt(ref.length, 10)))
			fields = appendVarintField(fields, 14, 1) // data_location = EXTERNAL
			body = int64(len(fields))
		} else {
			p.inline = true
			n := t.byteLen()
			body = int64(len(fields)) + int64(protowire.SizeTag(9)) + int64(protowire.SizeVarint(uint64(n))) + n
		}
		var h []byte
		h = protowire.AppendTag(h, 5, protowire.BytesType)
		h = protowire.AppendVarint(h, uint64(body))
		h = append(h, fields...)
		if p.inline {
			h = protowire.AppendTag(h, 9, protowire.BytesType)
			h = protowire.AppendVarint(h, uint64(t.byteLen()))
		}
		p.header = h
		e.inits = append(e.inits, p)
		graphSize += int64(protowire.SizeTag(5)) + int64(protowire.SizeVarint(uint64(body))) + body
	}
	for _, v := range g.inputs {
		e.graphPost = appendMessage(e.graphPost, 11, encodeValueInfo(v))
	}
	for _, v := range g.outputs {
		e.graphPost = appendMessage(e.graphPost, 12, encodeValueInfo(v))
	}
	graphSize += int64(len(e.graphPost))

	e.head = appendVarintField(e.head, 1, uint64(o.IRVersion))
	e.head = appendStringField(e.head, 2, o.ProducerName)
	if o.ProducerVersion != "" {
		e.head = appendStringField(e.head, 3, o.ProducerVersion)
	}
	if o.DocString != "" {
		e.head = appendStringField(e.head, 6, o.DocString)
	}
	e.head = protowire.AppendTag(e.head, 7, protowire.BytesType)
	e.head = protowire.AppendVarint(e.head, uint64(graphSize))

	var opset []byte
	opset = appendVarintField(opset, 2, uint64(o.Opset))
	e.tail = appendMessage(e.tail, 8, opset)
	for _, x := range o.ExtraOpsets {
		var b []byte
		b = appendStringField(b, 1, x.Domain)
		b = appendVarintField(b, 2, uint64(x.Version))
		e.tail = appendMessage(e.tail, 8, b)
	}
	for _, kv := range o.Metadata {
		e.tail = appendMessage(e.tail, 14, keyValue(kv.Key, kv.Value))
	}
	e.size = int64(len(e.head)) + graphSize + int64(len(e.tail))
	if e.size > maxProtoSize {
		return nil, fmt.Errorf("graph %q: the model would be %d bytes, over protobuf's 2 GiB limit; set ModelOptions.ExternalDataThreshold and use WriteFile", g.name, e.size)
	}
	return e, nil
}

func (e *encoder) write(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.Write(e.head); err != nil {
		return err
	}
	if _, err := bw.Write(e.graphPre); err != nil {
		return err
	}
	for _, p := range e.inits {
		if _, err := bw.Write(p.header); err != nil {
			return err
		}
		if p.inline {
			if err := writeRaw(bw, p.t); err != nil {
				return err
			}
		}
	}
	if _, err := bw.Write(e.graphPost); err != nil {
		return err
	}
	if _, err := bw.Write(e.tail); err != nil {
		return err
	}
	return bw.Flush()
}

// Encode writes the model (all initializers inline) to w.
func (g *Graph) Encode(w io.Writer, opts ModelOptions) error {
	if err := g.validate(); err != nil {
		return err
	}
	o := opts.withDefaults()
	if o.ExternalDataThreshold > 0 {
		return fmt.Errorf("graph %q: external data needs a file; use WriteFile", g.name)
	}
	e, err := g.layout(o, "", nil)
	if err != nil {
		return err
	}
	return e.write(w)
}

// Marshal returns the encoded model (all initializers inline).
func (g *Graph) Marshal(opts ModelOptions) ([]byte, error) {
	var buf bytes.Buffer
	if err := g.Encode(&buf, opts); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// externalAlign is the alignment of tensors in an external data file, so
// runtimes can memory-map them.
const externalAlign = 4096

// WriteFile writes the model to path (via a temporary file renamed into
// place). With opts.ExternalDataThreshold > 0, large initializers go to
// opts.ExternalDataFile beside it, each at an offset aligned to 4096 bytes.
func (g *Graph) WriteFile(path string, opts ModelOptions) (err error) {
	if err := g.validate(); err != nil {
		return err
	}
	o := opts.withDefaults()
	var ext map[*Tensor]externalRef
	var extTensors []*Tensor
	location := o.ExternalDataFile
	if o.ExternalDataThreshold > 0 {
		if location == "" {
			location = filepath.Base(path) + ".data"
		}
		if filepath.IsAbs(location) || filepath.Clean(location) != filepath.Base(location) {
			return fmt.Errorf("graph %q: external data file %q must be a plain file name (it is stored relative to the model)", g.name, location)
		}
		ext = map[*Tensor]externalRef{}
		var off int64
		for _, t := range g.inits {
			n := t.byteLen()
			if n < o.ExternalDataThreshold {
				continue
			}
			off = (off + externalAlign - 1) / externalAlign * externalAlign
			ext[t] = externalRef{offset: off, length: n}
			extTensors = append(extTensors, t)
			off += n
		}
	}
	e, err := g.layout(o, location, ext)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if len(extTensors) > 0 {
		if err := writeExternal(filepath.Join(dir, location), extTensors, ext); err != nil {
			return fmt.Errorf("graph %q: external data %q: %w", g.name, location, err)
		}
	}
	if err := atomicWrite(path, e.write); err != nil {
		return fmt.Errorf("graph %q: %w", g.name, err)
	}
	return nil
}

func writeExternal(path string, ts []*Tensor, ext map[*Tensor]externalRef) error {
	sort.Slice(ts, func(i, j int) bool { return ext[ts[i]].offset < ext[ts[j]].offset })
	return atomicWrite(path, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<16)
		var pos int64
		var zeros [externalAlign]byte
		for _, t := range ts {
			ref := ext[t]
			if _, err := bw.Write(zeros[:ref.offset-pos]); err != nil {
				return err
			}
			if err := writeRaw(bw, t); err != nil {
				return err
			}
			pos = ref.offset + ref.length
		}
		return bw.Flush()
	})
}

// atomicWrite writes a file through fill into a temporary file in the same
// directory and renames it to path.
func atomicWrite(path string, fill func(io.Writer) error) error { return atomicfile.Write(path, fill) }
