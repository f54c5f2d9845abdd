package graph

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/srbench/srbench/harness/onnx/internal/wire"
	"github.com/srbench/srbench/internal/atomicfile"
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

// tensorFields encodes the TensorProto fields before the data: dims,
// data_type and name.
func tensorFields(t *Tensor) []byte {
	var b []byte
	for _, d := range t.Dims {
		b = wire.AppendVarint(b, wire.TensorDims, uint64(d))
	}
	b = wire.AppendVarint(b, wire.TensorDataType, uint64(t.Type()))
	if t.Name != "" {
		b = wire.AppendString(b, wire.TensorName, t.Name)
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
	return wire.AppendBytes(tensorFields(t), wire.TensorRawData, rawData(t))
}

func encodeAttr(a Attr) []byte {
	var b []byte
	b = wire.AppendString(b, wire.AttributeName, a.name)
	b = wire.AppendVarint(b, wire.AttributeType, uint64(a.typ))
	switch a.typ {
	case attrFloat:
		b = wire.AppendFloat32(b, wire.AttributeF, a.f)
	case attrInt:
		b = wire.AppendVarint(b, wire.AttributeI, uint64(a.i))
	case attrString:
		b = wire.AppendString(b, wire.AttributeS, a.s)
	case attrTensor:
		b = wire.AppendBytes(b, wire.AttributeT, inlineTensor(a.t))
	case attrFloats:
		for _, f := range a.floats {
			b = wire.AppendFloat32(b, wire.AttributeFloats, f)
		}
	case attrInts:
		for _, i := range a.ints {
			b = wire.AppendVarint(b, wire.AttributeInts, uint64(i))
		}
	case attrStrings:
		for _, s := range a.strings {
			b = wire.AppendString(b, wire.AttributeStrings, s)
		}
	}
	return b
}

func encodeNode(n node) []byte {
	var b []byte
	for _, in := range n.inputs {
		b = wire.AppendString(b, wire.NodeInput, in)
	}
	for _, out := range n.outputs {
		b = wire.AppendString(b, wire.NodeOutput, out)
	}
	b = wire.AppendString(b, wire.NodeName, n.name)
	b = wire.AppendString(b, wire.NodeOpType, n.op)
	for _, a := range n.attrs {
		b = wire.AppendBytes(b, wire.NodeAttribute, encodeAttr(a))
	}
	if n.domain != "" {
		b = wire.AppendString(b, wire.NodeDomain, n.domain)
	}
	return b
}

// encodeValueInfo writes ValueInfoProto{name, type: TypeProto{tensor_type:
// {elem_type, shape}}}. The shape is always present, so no dimensions means
// rank 0.
func encodeValueInfo(v valueInfo) []byte {
	b := wire.AppendString(nil, wire.ValueInfoName, v.name)
	return wire.AppendMessage(b, wire.ValueInfoType, func(b []byte) []byte {
		return wire.AppendMessage(b, wire.TypeTensorType, func(b []byte) []byte {
			b = wire.AppendVarint(b, wire.TensorTypeElemType, uint64(v.typ))
			return wire.AppendMessage(b, wire.TensorTypeShape, func(b []byte) []byte {
				for _, d := range v.dims {
					b = wire.AppendMessage(b, wire.ShapeDim, func(b []byte) []byte {
						if d.Param != "" {
							return wire.AppendString(b, wire.DimParam, d.Param)
						}
						return wire.AppendVarint(b, wire.DimValue, uint64(d.Value))
					})
				}
				return b
			})
		})
	})
}

// layout lays the model out. ext, when not nil, maps the initializers to be
// stored externally (in location) to their place in that file.
func (g *Graph) layout(o ModelOptions, location string, ext map[*Tensor]externalRef) (*encoder, error) {
	e := &encoder{}
	for _, n := range g.nodes {
		e.graphPre = wire.AppendBytes(e.graphPre, wire.GraphNode, encodeNode(n))
	}
	e.graphPre = wire.AppendString(e.graphPre, wire.GraphName, g.name)
	graphSize := int64(len(e.graphPre))
	for _, t := range g.inits {
		fields := tensorFields(t)
		var body int64
		p := initPart{t: t}
		if ref, ok := ext[t]; ok {
			fields = wire.AppendEntry(fields, wire.TensorExternalData, "location", location)
			fields = wire.AppendEntry(fields, wire.TensorExternalData, "offset", strconv.FormatInt(ref.offset, 10))
			fields = wire.AppendEntry(fields, wire.TensorExternalData, "length", strconv.FormatInt(ref.length, 10))
			fields = wire.AppendVarint(fields, wire.TensorDataLocation, wire.DataLocationExternal)
			body = int64(len(fields))
		} else {
			p.inline = true
			body = int64(len(fields)) + wire.SizeBytesField(wire.TensorRawData, t.byteLen())
		}
		h := wire.AppendBytesHeader(nil, wire.GraphInitializer, body)
		h = append(h, fields...)
		if p.inline {
			h = wire.AppendBytesHeader(h, wire.TensorRawData, t.byteLen())
		}
		p.header = h
		e.inits = append(e.inits, p)
		graphSize += wire.SizeBytesField(wire.GraphInitializer, body)
	}
	for _, v := range g.inputs {
		e.graphPost = wire.AppendBytes(e.graphPost, wire.GraphInput, encodeValueInfo(v))
	}
	for _, v := range g.outputs {
		e.graphPost = wire.AppendBytes(e.graphPost, wire.GraphOutput, encodeValueInfo(v))
	}
	graphSize += int64(len(e.graphPost))

	e.head = wire.AppendVarint(e.head, wire.ModelIRVersion, uint64(o.IRVersion))
	e.head = wire.AppendString(e.head, wire.ModelProducerName, o.ProducerName)
	if o.ProducerVersion != "" {
		e.head = wire.AppendString(e.head, wire.ModelProducerVersion, o.ProducerVersion)
	}
	if o.DocString != "" {
		e.head = wire.AppendString(e.head, wire.ModelDocString, o.DocString)
	}
	e.head = wire.AppendBytesHeader(e.head, wire.ModelGraph, graphSize)

	e.tail = wire.AppendMessage(e.tail, wire.ModelOpsetImport, func(b []byte) []byte {
		return wire.AppendVarint(b, wire.OpsetVersion, uint64(o.Opset))
	})
	for _, x := range o.ExtraOpsets {
		e.tail = wire.AppendMessage(e.tail, wire.ModelOpsetImport, func(b []byte) []byte {
			b = wire.AppendString(b, wire.OpsetDomain, x.Domain)
			return wire.AppendVarint(b, wire.OpsetVersion, uint64(x.Version))
		})
	}
	for _, kv := range o.Metadata {
		e.tail = wire.AppendEntry(e.tail, wire.ModelMetadataProps, kv.Key, kv.Value)
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
