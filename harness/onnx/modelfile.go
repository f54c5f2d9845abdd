package onnx

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
)

// This file reads a model's declared inputs and outputs straight from the
// ONNX protobuf, seeking over initializer data, so NewSession does not have
// to load the weights twice (the bindings can only report a signature by
// building a throwaway session). Field numbers are onnx/onnx.proto's.

// fileReader reads protobuf fields from a file, skipping large values by
// seeking.
type fileReader struct {
	f   *os.File
	br  *bufio.Reader
	pos int64
}

func (r *fileReader) ReadByte() (byte, error) {
	b, err := r.br.ReadByte()
	if err == nil {
		r.pos++
	}
	return b, err
}

func (r *fileReader) varint() (uint64, error) {
	var v uint64
	for shift := uint(0); shift < 64; shift += 7 {
		b, err := r.ReadByte()
		if err != nil {
			return 0, err
		}
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return v, nil
		}
	}
	return 0, errors.New("varint overflows 64 bits")
}

func (r *fileReader) read(n int64) ([]byte, error) {
	if n > 1<<24 {
		return nil, fmt.Errorf("a %d-byte field where a small one was expected", n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r.br, b); err != nil {
		return nil, err
	}
	r.pos += n
	return b, nil
}

func (r *fileReader) skip(n int64) error {
	if n <= int64(r.br.Buffered()) {
		_, err := r.br.Discard(int(n))
		r.pos += n
		return err
	}
	if _, err := r.f.Seek(r.pos+n, io.SeekStart); err != nil {
		return err
	}
	r.pos += n
	r.br.Reset(r.f)
	return nil
}

// field reads one tag. For length-delimited fields it also returns the
// length; other values are skipped.
func (r *fileReader) field() (num protowire.Number, typ protowire.Type, length int64, err error) {
	tag, err := r.varint()
	if err != nil {
		return 0, 0, 0, err
	}
	num, typ = protowire.DecodeTag(tag)
	if num < 1 {
		return 0, 0, 0, fmt.Errorf("invalid field number %d at byte %d", num, r.pos)
	}
	switch typ {
	case protowire.VarintType:
		_, err = r.varint()
	case protowire.Fixed32Type:
		err = r.skip(4)
	case protowire.Fixed64Type:
		err = r.skip(8)
	case protowire.BytesType:
		var n uint64
		n, err = r.varint()
		length = int64(n)
		if err == nil && length < 0 {
			err = fmt.Errorf("field %d: bad length", num)
		}
	default:
		err = fmt.Errorf("unsupported wire type %d at byte %d", typ, r.pos)
	}
	return num, typ, length, err
}

// readModelSignature returns the graph inputs that are not initializers, and
// the graph outputs, as declared in the ONNX file at path.
func readModelSignature(path string) (Signature, error) {
	sig, _, err := readModelFile(path)
	return sig, err
}

// externalData is where an initializer's data lives outside the model file
// (TensorProto.external_data: location, offset, length).
type externalData struct {
	tensor, location string
	offset, length   int64 // length -1 when not given (the rest of the file)
}

// readModelFile is readModelSignature that also returns the initializers
// whose data is external.
func readModelFile(path string) (sig Signature, ext []externalData, err error) {
	f, err := os.Open(path)
	if err != nil {
		return Signature{}, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Signature{}, nil, err
	}
	r := &fileReader{f: f, br: bufio.NewReaderSize(f, 1<<16)}
	var (
		sawIR, sawGraph bool
		ins, outs       []TensorSpec
		inits           = map[string]bool{}
	)
	for r.pos < st.Size() {
		num, typ, n, err := r.field()
		if err != nil {
			return Signature{}, nil, err
		}
		switch {
		case num == 1 && typ == protowire.VarintType:
			sawIR = true
		case num == 7 && typ == protowire.BytesType:
			sawGraph = true
			end := r.pos + n
			if end > st.Size() {
				return Signature{}, nil, fmt.Errorf("graph of %d bytes runs past the end of the file", n)
			}
			for r.pos < end {
				gnum, gtyp, gn, err := r.field()
				if err != nil {
					return Signature{}, nil, fmt.Errorf("graph: %w", err)
				}
				if gtyp != protowire.BytesType {
					continue
				}
				switch gnum {
				case 5: // initializer: its name and where external data lives
					name, loc, err := r.tensorName(r.pos + gn)
					if err != nil {
						return Signature{}, nil, fmt.Errorf("graph initializer: %w", err)
					}
					inits[name] = true
					if loc != nil {
						loc.tensor = name
						ext = append(ext, *loc)
					}
				case 11, 12: // input, output
					b, err := r.read(gn)
					if err != nil {
						return Signature{}, nil, fmt.Errorf("graph: %w", err)
					}
					spec, err := parseValueInfo(b)
					if err != nil {
						return Signature{}, nil, fmt.Errorf("graph input/output: %w", err)
					}
					if gnum == 11 {
						ins = append(ins, spec)
					} else {
						outs = append(outs, spec)
					}
				default:
					if err := r.skip(gn); err != nil {
						return Signature{}, nil, err
					}
				}
			}
		case typ == protowire.BytesType:
			if err := r.skip(n); err != nil {
				return Signature{}, nil, err
			}
		}
	}
	if !sawIR || !sawGraph {
		return Signature{}, nil, errors.New("no ir_version and graph fields (not an ONNX ModelProto)")
	}
	for _, in := range ins {
		if !inits[in.Name] {
			sig.Inputs = append(sig.Inputs, in)
		}
	}
	sig.Outputs = outs
	return sig, ext, nil
}

// tensorName reads a TensorProto up to end and returns its name and, when
// its external_data (field 13) names a location, where its data lives.
func (r *fileReader) tensorName(end int64) (string, *externalData, error) {
	var name string
	var ext *externalData
	for r.pos < end {
		num, typ, n, err := r.field()
		if err != nil {
			return "", nil, err
		}
		if typ != protowire.BytesType {
			continue
		}
		switch num {
		case 8, 13:
			b, err := r.read(n)
			if err != nil {
				return "", nil, err
			}
			if num == 8 {
				name = string(b)
				continue
			}
			var key, value string
			if err := consumeMessage(b, func(f protowire.Number, typ protowire.Type, _ uint64, data []byte) error {
				switch {
				case f == 1 && typ == protowire.BytesType:
					key = string(data)
				case f == 2 && typ == protowire.BytesType:
					value = string(data)
				}
				return nil
			}); err != nil {
				return "", nil, fmt.Errorf("external_data: %w", err)
			}
			if ext == nil {
				ext = &externalData{length: -1}
			}
			switch key {
			case "location":
				ext.location = value
			case "offset", "length":
				v, err := strconv.ParseInt(value, 10, 64)
				if err != nil || v < 0 {
					return "", nil, fmt.Errorf("external_data %s %q: want a byte count", key, value)
				}
				if key == "offset" {
					ext.offset = v
				} else {
					ext.length = v
				}
			}
		default:
			if err := r.skip(n); err != nil {
				return "", nil, err
			}
		}
	}
	if r.pos != end {
		return "", nil, errors.New("tensor runs past its length")
	}
	if ext != nil && ext.location == "" {
		ext = nil // entries without a location do not move the data
	}
	return name, ext, nil
}

// checkExternalData checks that every external initializer's file exists
// beside the model (not outside its directory) and is long enough.
func checkExternalData(model string, ext []externalData) error {
	dir := filepath.Dir(model)
	sizes := map[string]int64{}
	for _, e := range ext {
		if !filepath.IsLocal(e.location) {
			return fmt.Errorf("initializer %q: external data location %q is outside the model's directory", e.tensor, e.location)
		}
		size, ok := sizes[e.location]
		if !ok {
			st, err := os.Stat(filepath.Join(dir, e.location))
			if err != nil {
				return fmt.Errorf("initializer %q: external data file: %w", e.tensor, err)
			}
			size = st.Size()
			sizes[e.location] = size
		}
		need := e.offset + max(e.length, 0)
		if size < need {
			return fmt.Errorf("initializer %q: external data file %s has %d bytes, want at least %d (offset %d + length %d)", e.tensor, e.location, size, need, e.offset, e.length)
		}
	}
	return nil
}

// consumeMessage iterates over the fields of b, calling fn with each field's
// number, wire type and (for length-delimited fields) bytes or (for varints)
// value.
func consumeMessage(b []byte, fn func(num protowire.Number, typ protowire.Type, v uint64, data []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v uint64
		var data []byte
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			data, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := fn(num, typ, v, data); err != nil {
			return err
		}
	}
	return nil
}

// parseValueInfo reads ValueInfoProto{name=1, type=2: TypeProto{tensor_type=1:
// {elem_type=1, shape=2: TensorShapeProto{dim=1: {dim_value=1,
// dim_param=2}}}}}. Unknown and symbolic dimensions become -1.
func parseValueInfo(b []byte) (TensorSpec, error) {
	var spec TensorSpec
	var tensorType []byte
	isTensor := false
	err := consumeMessage(b, func(num protowire.Number, typ protowire.Type, _ uint64, data []byte) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			spec.Name = string(data)
		case num == 2 && typ == protowire.BytesType:
			return consumeMessage(data, func(num protowire.Number, typ protowire.Type, _ uint64, data []byte) error {
				if num == 1 && typ == protowire.BytesType {
					isTensor, tensorType = true, data
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return spec, err
	}
	if !isTensor {
		return spec, fmt.Errorf("%q is not a tensor (only tensor inputs and outputs are supported)", spec.Name)
	}
	err = consumeMessage(tensorType, func(num protowire.Number, typ protowire.Type, v uint64, data []byte) error {
		switch {
		case num == 1 && typ == protowire.VarintType:
			spec.Type = ElementType(int32(v))
		case num == 2 && typ == protowire.BytesType:
			spec.Shape = []int64{}
			return consumeMessage(data, func(num protowire.Number, typ protowire.Type, _ uint64, dim []byte) error {
				if num != 1 || typ != protowire.BytesType {
					return nil
				}
				size := int64(-1)
				err := consumeMessage(dim, func(num protowire.Number, typ protowire.Type, v uint64, _ []byte) error {
					if num == 1 && typ == protowire.VarintType {
						size = int64(v)
					}
					return nil
				})
				spec.Shape = append(spec.Shape, size)
				return err
			})
		}
		return nil
	})
	return spec, err
}
