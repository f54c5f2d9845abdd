// Forked from Go's src/image/jpeg/huffman.go; see jpeg_reader.go for the
// licence and the list of changes.
//
//	Copyright 2009 The Go Authors. All rights reserved.
//	Use of this source code is governed by a BSD-style
//	license that can be found in Go's LICENSE file (https://go.dev/LICENSE).

package imageproc

import (
	"io"
)

// jpegMaxCodeLength is the maximum (inclusive) number of bits in a Huffman code.
const jpegMaxCodeLength = 16

// jpegMaxNCodes is the maximum (inclusive) number of codes in a Huffman tree.
const jpegMaxNCodes = 256

// jpegLUTSize is the log-2 size of the Huffman decoder's look-up table.
const jpegLUTSize = 8

// jpegFastBits is the log-2 size of the wider look-up table that the
// sequential fast path (decodeBlockFast) uses: with 10 bits, nearly every
// AC code of the usual tables resolves in one look-up.
const jpegFastBits = 10

// jpegHuffman is a Huffman decoder, specified in section C.
type jpegHuffman struct {
	// length is the number of codes in the tree.
	nCodes int32
	// lut is the look-up table for the next jpegLUTSize bits in the bit-stream.
	// The high 8 bits of the uint16 are the encoded value. The low 8 bits
	// are 1 plus the code length, or 0 if the value is too large to fit in
	// jpegLUTSize bits.
	lut [1 << jpegLUTSize]uint16
	// vals are the decoded values, sorted by their encoding.
	vals [jpegMaxNCodes]uint8
	// minCodes[i] is the minimum code of length i, or -1 if there are no
	// codes of that length.
	minCodes [jpegMaxCodeLength]int32
	// maxCodes[i] is the maximum code of length i, or -1 if there are no
	// codes of that length.
	maxCodes [jpegMaxCodeLength]int32
	// valsIndices[i] is the index into vals of minCodes[i].
	valsIndices [jpegMaxCodeLength]int32
	// fast maps the next jpegFastBits bits to the value (high 8 bits) and
	// code length (low 8 bits) that decodeHuffman would return for them,
	// or 0 when that needs more bits or would fail. It is derived from lut
	// and the canonical-code bounds (not from the code counts), so that it
	// agrees with decodeHuffman even for malformed tables.
	fast [1 << jpegFastBits]uint16
	// comb is fast for AC tables with the extra bits folded in, as
	// libjpeg-turbo's jdhuff.c lookahead does: when the code of the next
	// jpegFastBits bits has a size s != 0 and its s extra bits are among
	// them too, it holds the extended coefficient (high 16 bits), the run
	// (bits 12-15), s (bits 8-11) and the code length (low 8 bits); else 0.
	comb [1 << jpegFastBits]int32
}

// jpegErrShortHuffmanData means that an unexpected EOF occurred while decoding
// Huffman data.
var jpegErrShortHuffmanData = jpegFormatError("short Huffman data")

// ensureNBits reads bytes from the byte buffer to ensure that d.bits.n is at
// least n. For best performance (avoiding function calls inside hot loops),
// the caller is the one responsible for first checking that d.bits.n < n.
func (d *jpegDecoder) ensureNBits(n int32) error {
	for {
		c, err := d.readByteStuffedByte()
		if err != nil {
			if err == io.ErrUnexpectedEOF {
				return jpegErrShortHuffmanData
			}
			return err
		}
		d.bits.a = d.bits.a<<8 | uint32(c)
		d.bits.n += 8
		if d.bits.m == 0 {
			d.bits.m = 1 << 7
		} else {
			d.bits.m <<= 8
		}
		if d.bits.n >= n {
			break
		}
	}
	return nil
}

// receiveExtend is the composition of RECEIVE and EXTEND, specified in section
// F.2.2.1.
func (d *jpegDecoder) receiveExtend(t uint8) (int32, error) {
	if d.bits.n < int32(t) {
		if err := d.ensureNBits(int32(t)); err != nil {
			return 0, err
		}
	}
	d.bits.n -= int32(t)
	d.bits.m >>= t
	s := int32(1) << t
	x := int32(d.bits.a>>uint8(d.bits.n)) & (s - 1)
	if x < s>>1 {
		x += ((-1) << t) + 1
	}
	return x, nil
}

// processDHT processes a Define Huffman Table marker, and initializes a jpegHuffman
// struct from its contents. Specified in section B.2.4.2.
func (d *jpegDecoder) processDHT(n int) error {
	for n > 0 {
		if n < 17 {
			return jpegFormatError("DHT has wrong length")
		}
		if err := d.readFull(d.tmp[:17]); err != nil {
			return err
		}
		tc := d.tmp[0] >> 4
		if tc > jpegMaxTc {
			return jpegFormatError("bad Tc value")
		}
		th := d.tmp[0] & 0x0f
		// The baseline th <= 1 restriction is specified in table B.5.
		if th > jpegMaxTh || (d.baseline && th > 1) {
			return jpegFormatError("bad Th value")
		}
		h := &d.huff[tc][th]

		// Read nCodes and h.vals (and derive h.nCodes).
		// nCodes[i] is the number of codes with code length i.
		// h.nCodes is the total number of codes.
		h.nCodes = 0
		var nCodes [jpegMaxCodeLength]int32
		for i := range nCodes {
			nCodes[i] = int32(d.tmp[i+1])
			h.nCodes += nCodes[i]
		}
		if h.nCodes == 0 {
			return jpegFormatError("Huffman table has zero length")
		}
		if h.nCodes > jpegMaxNCodes {
			return jpegFormatError("Huffman table has excessive length")
		}
		n -= int(h.nCodes) + 17
		if n < 0 {
			return jpegFormatError("DHT has wrong length")
		}
		if err := d.readFull(h.vals[:h.nCodes]); err != nil {
			return err
		}

		h.derive(&nCodes)
	}
	return nil
}

// derive builds the look-up table and the canonical-code bounds of h from
// the number of codes of each length; h.nCodes and h.vals must be set.
func (h *jpegHuffman) derive(nCodes *[jpegMaxCodeLength]int32) {
	// Derive the look-up table.
	clear(h.lut[:])
	var x, code uint32
	for i := uint32(0); i < jpegLUTSize; i++ {
		code <<= 1
		for j := int32(0); j < nCodes[i]; j++ {
			// The codeLength is 1+i, so shift code by 8-(1+i) to
			// calculate the high bits for every 8-bit sequence
			// whose codeLength's high bits matches code.
			// The high 8 bits of lutValue are the encoded value.
			// The low 8 bits are 1 plus the codeLength.
			base := uint8(code << (7 - i))
			lutValue := uint16(h.vals[x])<<8 | uint16(2+i)
			for k := uint8(0); k < 1<<(7-i); k++ {
				h.lut[base|k] = lutValue
			}
			code++
			x++
		}
	}

	// Derive minCodes, maxCodes, and valsIndices.
	var c, index int32
	for i, n := range nCodes {
		if n == 0 {
			h.minCodes[i] = -1
			h.maxCodes[i] = -1
			h.valsIndices[i] = -1
		} else {
			h.minCodes[i] = c
			h.maxCodes[i] = c + n - 1
			h.valsIndices[i] = index
			c += n
			index += n
		}
		c <<= 1
	}

	// Derive fast by replaying decodeHuffman on every jpegFastBits-bit
	// pattern: the 8-bit look-up first, then the bit-by-bit search.
	for p := range h.fast {
		if v := h.lut[p>>(jpegFastBits-jpegLUTSize)]; v != 0 {
			h.fast[p] = v&0xff00 | (v&0xff - 1)
			continue
		}
		h.fast[p] = h.searchCode(uint64(p), jpegFastBits)
	}
	for p, v := range h.fast {
		h.comb[p] = 0
		l, s := int(v&0xff), int(v>>8)&0x0f
		if v == 0 || s == 0 || l+s > jpegFastBits {
			continue
		}
		x := int32(p>>(jpegFastBits-l-s)) & (1<<s - 1)
		if x < 1<<(s-1) {
			x += -1<<s + 1
		}
		h.comb[p] = x<<16 | int32(v>>12)<<12 | int32(s)<<8 | int32(l)
	}
}

// searchCode is decodeHuffman's bit-by-bit search over the top n (at most
// 16) of the low n bits of x: it returns the value and code length packed
// as in fast, or 0 when no code of at most n bits matches or the match
// would index outside vals (where decodeHuffman would panic; the callers
// then leave the block to decodeHuffman so that it does the same).
func (h *jpegHuffman) searchCode(x uint64, n uint) uint16 {
	code := int32(0)
	for i := uint(0); i < n && i < jpegMaxCodeLength; i++ {
		code |= int32(x>>(n-1-i)) & 1
		if code <= h.maxCodes[i] {
			k := h.valsIndices[i] + code - h.minCodes[i]
			if k < 0 || k >= jpegMaxNCodes {
				return 0
			}
			return uint16(h.vals[k])<<8 | uint16(i+1)
		}
		code <<= 1
	}
	return 0
}

// decodeHuffman returns the next Huffman-coded value from the bit-stream,
// decoded according to h.
func (d *jpegDecoder) decodeHuffman(h *jpegHuffman) (uint8, error) {
	if h.nCodes == 0 {
		return 0, jpegFormatError("uninitialized Huffman table")
	}

	if d.bits.n < 8 {
		if err := d.ensureNBits(8); err != nil {
			if err != jpegErrMissingFF00 && err != jpegErrShortHuffmanData {
				return 0, err
			}
			// There are no more bytes of data in this segment, but we may still
			// be able to read the next symbol out of the previously read bits.
			// First, undo the readByte that the ensureNBits call made.
			if d.bytes.nUnreadable != 0 {
				d.unreadByteStuffedByte()
			}
			goto slowPath
		}
	}
	if v := h.lut[(d.bits.a>>uint32(d.bits.n-jpegLUTSize))&0xff]; v != 0 {
		n := (v & 0xff) - 1
		d.bits.n -= int32(n)
		d.bits.m >>= n
		return uint8(v >> 8), nil
	}

slowPath:
	for i, code := 0, int32(0); i < jpegMaxCodeLength; i++ {
		if d.bits.n == 0 {
			if err := d.ensureNBits(1); err != nil {
				return 0, err
			}
		}
		if d.bits.a&d.bits.m != 0 {
			code |= 1
		}
		d.bits.n--
		d.bits.m >>= 1
		if code <= h.maxCodes[i] {
			return h.vals[h.valsIndices[i]+code-h.minCodes[i]], nil
		}
		code <<= 1
	}
	return 0, jpegFormatError("bad Huffman code")
}

func (d *jpegDecoder) decodeBit() (bool, error) {
	if d.bits.n == 0 {
		if err := d.ensureNBits(1); err != nil {
			return false, err
		}
	}
	ret := d.bits.a&d.bits.m != 0
	d.bits.n--
	d.bits.m >>= 1
	return ret, nil
}

func (d *jpegDecoder) decodeBits(n int32) (uint32, error) {
	if d.bits.n < n {
		if err := d.ensureNBits(n); err != nil {
			return 0, err
		}
	}
	ret := d.bits.a >> uint32(d.bits.n-n)
	ret &= (1 << uint32(n)) - 1
	d.bits.n -= n
	d.bits.m >>= uint32(n)
	return ret, nil
}

// jpegStdHuffman holds the example tables of ITU-T T.81 Annex K.3 (as Go's
// image/jpeg encoder lists them): [table class][table number], number of
// codes of each length, then the values.
var jpegStdHuffman = [2][2]struct {
	counts [16]byte
	values []byte
}{
	{ // DC
		{[16]byte{0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0}, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
		{[16]byte{0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0}, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
	},
	{ // AC
		{[16]byte{0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 125}, []byte{
			0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
			0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0,
			0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
			0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
			0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
			0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
			0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
			0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5,
			0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
			0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
			0xf9, 0xfa,
		}},
		{[16]byte{0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 119}, []byte{
			0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
			0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0,
			0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
			0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
			0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
			0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
			0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5,
			0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3,
			0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
			0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
			0xf9, 0xfa,
		}},
	},
}

// useStdHuffman installs the Annex K.3 table as table th of class tc when
// the file never defined it. libjpeg-turbo does this (jstdhuff.c) for the
// Motion-JPEG frames that omit their DHT segments; only tables 0 and 1
// have standard versions.
func (d *jpegDecoder) useStdHuffman(tc, th uint8) {
	h := &d.huff[tc][th]
	if h.nCodes != 0 || th > 1 {
		return
	}
	spec := &jpegStdHuffman[tc][th]
	var nCodes [jpegMaxCodeLength]int32
	for i, c := range spec.counts {
		nCodes[i] = int32(c)
		h.nCodes += int32(c)
	}
	copy(h.vals[:], spec.values)
	h.derive(&nCodes)
}
