package wire

import "fmt"

// ValueInfo is what srbench reads of a ValueInfoProto: name and, for a
// tensor, element type and declared shape.
type ValueInfo struct {
	Name     string
	IsTensor bool  // the type is a tensor type (TypeProto.tensor_type)
	ElemType int64 // TensorProto.DataType; 0 when not declared
	HasShape bool  // a shape is declared (with no dimensions: a scalar)
	Dims     []Dim
}

// Dim is one declared dimension: a fixed size, a symbolic name, or
// neither (unknown).
type Dim struct {
	Value int64  // dim_value, when Known
	Known bool   // dim_value is set
	Param string // dim_param
}

// ParseValueInfo reads the ValueInfoProto in v's payload (a graph input,
// output or value_info, in memory):
//
//	ValueInfoProto{name, type: TypeProto{tensor_type: TypeProto.Tensor{
//	    elem_type, shape: TensorShapeProto{dim: [{dim_value | dim_param}]}}}}
//
// Where a field occurs more than once the last occurrence counts.
func ParseValueInfo(v Value) (ValueInfo, error) {
	fs, err := v.Fields(ValueInfoProto)
	if err != nil {
		return ValueInfo{}, err
	}
	vi := ValueInfo{Name: fs.String(ValueInfoName)}
	wrap := func(err error) error { return fmt.Errorf("value %q: %w", vi.Name, err) }
	typ, ok := fs.Last(ValueInfoType)
	if !ok {
		return vi, nil
	}
	tfs, err := typ.Fields(TypeProto)
	if err != nil {
		return vi, wrap(err)
	}
	tt, ok := tfs.Last(TypeTensorType)
	if !ok {
		return vi, nil
	}
	vi.IsTensor = true
	ttf, err := tt.Fields(TypeProtoTensor)
	if err != nil {
		return vi, wrap(err)
	}
	if e, ok := ttf.Uint(TensorTypeElemType); ok {
		vi.ElemType = int64(e)
	}
	shape, ok := ttf.Last(TensorTypeShape)
	if !ok {
		return vi, nil
	}
	vi.HasShape = true
	sfs, err := shape.Fields(TensorShapeProto)
	if err != nil {
		return vi, wrap(err)
	}
	for _, f := range sfs {
		if !f.Is(ShapeDim) {
			continue
		}
		dfs, err := f.Fields(TensorShapeDimension)
		if err != nil {
			return vi, wrap(err)
		}
		var d Dim
		if x, ok := dfs.Uint(DimValue); ok {
			d.Value, d.Known = int64(x), true
		}
		d.Param = dfs.String(DimParam)
		vi.Dims = append(vi.Dims, d)
	}
	return vi, nil
}

// ParseEntry reads the StringStringEntryProto in v's payload (an
// external_data or metadata_props entry, in memory).
func ParseEntry(v Value) (key, value string, err error) {
	fs, err := v.Fields(StringStringEntryProto)
	if err != nil {
		return "", "", err
	}
	return fs.String(EntryKey), fs.String(EntryValue), nil
}
