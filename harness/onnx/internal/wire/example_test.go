package wire_test

import (
	"bytes"
	"fmt"

	"github.com/srbench/srbench/harness/onnx/internal/wire"
)

// Write a GraphProto with one initializer and one input, then stream it:
// the initializer's data is skipped, the input is loaded and parsed.
func Example() {
	g := wire.AppendMessage(nil, wire.GraphInitializer, func(b []byte) []byte {
		b = wire.AppendString(b, wire.TensorName, "w")
		return wire.AppendBytes(b, wire.TensorRawData, make([]byte, 4096))
	})
	g = wire.AppendMessage(g, wire.GraphInput, func(b []byte) []byte {
		b = wire.AppendString(b, wire.ValueInfoName, "x")
		return wire.AppendMessage(b, wire.ValueInfoType, func(b []byte) []byte {
			return wire.AppendMessage(b, wire.TypeTensorType, func(b []byte) []byte {
				return wire.AppendVarint(b, wire.TensorTypeElemType, 1)
			})
		})
	})

	r := wire.NewStreamReader(wire.GraphProto, bytes.NewReader(g), int64(len(g)))
	for r.Next() {
		v := r.Value()
		fmt.Printf("%s at byte %d, %d bytes\n", v.Field, v.Offset, v.Len)
		if v.Is(wire.GraphInput) {
			v, err := r.Load(1 << 10)
			if err != nil {
				fmt.Println(err)
				return
			}
			vi, err := wire.ParseValueInfo(v)
			fmt.Printf("  %+v %v\n", vi, err)
		}
	}
	fmt.Println(r.Err())

	// Malformed input names the field and where it is.
	r = wire.NewReader(wire.GraphProto, g[:20])
	for r.Next() {
	}
	fmt.Println(r.Err())
	// Output:
	// GraphProto.initializer (5) at byte 0, 4102 bytes
	// GraphProto.input (11) at byte 4105, 9 bytes
	//   {Name:x IsTensor:true ElemType:1 HasShape:false Dims:[]} <nil>
	// <nil>
	// GraphProto.initializer (5) at byte 0: length 4102 runs past the end of the GraphProto (17 bytes left)
}
