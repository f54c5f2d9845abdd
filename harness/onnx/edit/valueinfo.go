package edit

import (
	"errors"

	"github.com/srbench/srbench/harness/onnx/internal/wire"
)

// setLastDim rewrites a ValueInfoProto so that the last dimension of its
// tensor shape is the fixed size n.
func setLastDim(vi []byte, n int64) ([]byte, error) {
	return wire.RewriteLast(vi, wire.ValueInfoType, func(typ []byte) ([]byte, error) {
		return wire.RewriteLast(typ, wire.TypeTensorType, func(tt []byte) ([]byte, error) {
			return wire.RewriteLast(tt, wire.TensorTypeShape, func(shape []byte) ([]byte, error) {
				return wire.RewriteLast(shape, wire.ShapeDim, func([]byte) ([]byte, error) {
					return wire.AppendVarint(nil, wire.DimValue, uint64(n)), nil
				})
			})
		})
	})
}

// renameValueInfo returns the ValueInfoProto in v's payload renamed.
func renameValueInfo(v wire.Value, name string) ([]byte, error) {
	fs, err := v.Fields(wire.ValueInfoProto)
	if err != nil {
		return nil, err
	}
	found := false
	for i, f := range fs {
		if f.Is(wire.ValueInfoName) {
			fs[i] = f.WithPayload([]byte(name))
			found = true
		}
	}
	if !found {
		return nil, errors.New("value info without a name")
	}
	return fs.Bytes(), nil
}
