package extsort

import (
	"encoding/binary"
	"math"
)

func putF64(b []byte, v float64) { binary.LittleEndian.PutUint64(b, math.Float64bits(v)) }
func getF64(b []byte) float64    { return math.Float64frombits(binary.LittleEndian.Uint64(b)) }

// PutFloat64 writes v at b[0:8] (little endian); for codecs of larger records.
func PutFloat64(b []byte, v float64) { putF64(b, v) }

// Float64At reads the float64 at b[0:8] written by PutFloat64.
func Float64At(b []byte) float64 { return getF64(b) }
