package imageproc

import (
	"bytes"
	"encoding/binary"
)

// exifOrientation returns the Orientation tag (0x0112) of IFD0 in an EXIF
// payload: a TIFF structure, optionally preceded by "Exif\x00\x00". It
// returns 0 when the payload is malformed, the tag is absent or its value is
// outside 1..8. Every offset is bounds-checked.
func exifOrientation(p []byte) int {
	p = bytes.TrimPrefix(p, []byte("Exif\x00\x00"))
	if len(p) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(p[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(p[2:4]) != 42 {
		return 0
	}
	off := int64(bo.Uint32(p[4:8]))
	if off < 8 || off+2 > int64(len(p)) {
		return 0
	}
	n := int64(bo.Uint16(p[off : off+2]))
	for i := int64(0); i < n; i++ {
		e := off + 2 + 12*i
		if e+12 > int64(len(p)) {
			return 0
		}
		if bo.Uint16(p[e:e+2]) != 0x0112 {
			continue
		}
		typ, count := bo.Uint16(p[e+2:e+4]), bo.Uint32(p[e+4:e+8])
		var v int
		switch {
		case typ == 3 && count >= 1: // SHORT, stored in the value field
			v = int(bo.Uint16(p[e+8 : e+10]))
		case typ == 4 && count == 1: // LONG, tolerated as libexif does
			v = int(bo.Uint32(p[e+8 : e+12]))
		default:
			return 0
		}
		if v < 1 || v > 8 {
			return 0
		}
		return v
	}
	return 0
}
