// Forked from Go's src/image/jpeg/scan.go; see jpeg_reader.go for the
// licence and the list of changes.
//
//	Copyright 2012 The Go Authors. All rights reserved.
//	Use of this source code is governed by a BSD-style
//	license that can be found in Go's LICENSE file (https://go.dev/LICENSE).

package imageproc

import "encoding/binary"

// allocPlanes allocates one sample plane per component, covering whole
// MCUs: 8*mxx*h samples wide and 8*myy*v rows high.
func (d *jpegDecoder) allocPlanes() {
	for i := 0; i < d.nComp; i++ {
		w, h := 8*d.mxx*d.comp[i].h, 8*d.myy*d.comp[i].v
		d.planes[i] = make([]byte, w*h)
		d.strides[i] = w
	}
}

// compBlocks returns how many blocks of component i cover the image:
// libjpeg's width_in_blocks and height_in_blocks.
func (d *jpegDecoder) compBlocks(i int) (bw, bh int) {
	cw := (d.width*d.comp[i].h + d.hmax - 1) / d.hmax
	ch := (d.height*d.comp[i].v + d.vmax - 1) / d.vmax
	return (cw + 7) / 8, (ch + 7) / 8
}

// Specified in section B.2.3.
func (d *jpegDecoder) processSOS(n int) error {
	if d.nComp == 0 {
		return jpegFormatError("missing SOF marker")
	}
	if n < 6 || 4+2*d.nComp < n || n%2 != 0 {
		return jpegFormatError("SOS has wrong length")
	}
	if err := d.readFull(d.tmp[:n]); err != nil {
		return err
	}
	// Every scan walks all blocks of its components, so a file made of
	// many tiny scans costs time out of proportion to its size; real files
	// have about ten. (libjpeg-turbo's tools suggest a limit of 500.)
	d.nScans++
	if d.nScans > jpegMaxScans {
		return jpegUnsupportedError("more than 500 scans")
	}
	nComp := int(d.tmp[0])
	if n != 4+2*nComp {
		return jpegFormatError("SOS length inconsistent with number of components")
	}
	var scan [jpegMaxComponents]struct {
		compIndex uint8
		td        uint8 // DC table selector.
		ta        uint8 // AC table selector.
	}
	totalHV := 0
	for i := 0; i < nComp; i++ {
		cs := d.tmp[1+2*i] // Component selector.
		compIndex := -1
		for j, comp := range d.comp[:d.nComp] {
			if cs == comp.c {
				compIndex = j
			}
		}
		if compIndex < 0 {
			return jpegFormatError("unknown component selector")
		}
		scan[i].compIndex = uint8(compIndex)
		// Section B.2.3 states that "the value of Cs_j shall be different from
		// the values of Cs_1 through Cs_(j-1)". Since we have previously
		// verified that a frame's component identifiers (C_i values in section
		// B.2.2) are unique, it suffices to check that the implicit indexes
		// into d.comp are unique.
		for j := 0; j < i; j++ {
			if scan[i].compIndex == scan[j].compIndex {
				return jpegFormatError("repeated component selector")
			}
		}
		totalHV += d.comp[compIndex].h * d.comp[compIndex].v

		// The baseline t <= 1 restriction is specified in table B.3.
		scan[i].td = d.tmp[2+2*i] >> 4
		if t := scan[i].td; t > jpegMaxTh || (d.baseline && t > 1) {
			return jpegFormatError("bad Td value")
		}
		scan[i].ta = d.tmp[2+2*i] & 0x0f
		if t := scan[i].ta; t > jpegMaxTh || (d.baseline && t > 1) {
			return jpegFormatError("bad Ta value")
		}
	}
	// Section B.2.3 states that if there is more than one component then the
	// total H*V values in a scan must be <= 10.
	if nComp > 1 && totalHV > 10 {
		return jpegFormatError("total sampling factors too large")
	}

	// zigStart and zigEnd are the spectral selection bounds.
	// ah and al are the successive approximation high and low values.
	// The spec calls these values Ss, Se, Ah and Al.
	// For sequential JPEGs, these parameters are hard-coded to 0/63/0/0, as
	// per table B.3.
	zigStart, zigEnd, ah, al := int32(0), int32(jpegBlockSize-1), uint32(0), uint32(0)
	if d.progressive {
		zigStart = int32(d.tmp[1+2*nComp])
		zigEnd = int32(d.tmp[2+2*nComp])
		ah = uint32(d.tmp[3+2*nComp] >> 4)
		al = uint32(d.tmp[3+2*nComp] & 0x0f)
		if (zigStart == 0 && zigEnd != 0) || zigStart > zigEnd || jpegBlockSize <= zigEnd {
			return jpegFormatError("bad spectral selection bounds")
		}
		if zigStart != 0 && nComp != 1 {
			return jpegFormatError("progressive AC coefficients for more than one component")
		}
		if ah != 0 && ah != al+1 {
			return jpegFormatError("bad successive approximation values")
		}
		if al > 13 {
			return jpegFormatError("bad successive approximation values")
		}
	}

	// Latch the quantisation tables of components seen for the first time,
	// as libjpeg's latch_quant_tables does: a later DQT with the same table
	// number does not affect them.
	for i := 0; i < nComp; i++ {
		ci := scan[i].compIndex
		if d.quantLatched[ci] {
			continue
		}
		tq := d.comp[ci].tq
		if !d.quantSeen[tq] {
			return jpegFormatError("quantization table not defined")
		}
		for zig := 0; zig < jpegBlockSize; zig++ {
			d.compQuant[ci][jpegUnzig[zig]] = d.quant[tq][zig]
		}
		d.quantLatched[ci] = true
	}

	for i := 0; i < nComp; i++ {
		if zigStart == 0 && ah == 0 {
			d.useStdHuffman(jpegDCTable, scan[i].td)
		}
		if zigEnd > 0 {
			d.useStdHuffman(jpegACTable, scan[i].ta)
		}
	}
	if d.planes[0] == nil {
		d.allocPlanes()
	}
	if d.progressive {
		for i := 0; i < nComp; i++ {
			ci := scan[i].compIndex
			if d.progCoeffs[ci] == nil {
				d.progCoeffs[ci] = make([]jpegCoefBlock, d.mxx*d.myy*d.comp[ci].h*d.comp[ci].v)
			}
		}
	}

	d.bits = jpegBits{}
	d.eobRun = 0
	var (
		b  jpegBlock
		dc [jpegMaxComponents]int32
	)
	// block decodes the next block of component ci at block position
	// (bx, by) and stores or reconstructs it.
	block := func(i, bx, by int) error {
		ci := int(scan[i].compIndex)
		if d.progressive {
			stored := &d.progCoeffs[ci][by*d.mxx*d.comp[ci].h+bx]
			for k, c := range stored {
				b[k] = int32(c)
			}
		} else {
			b = jpegBlock{}
			if d.decodeBlockFast(&b, &d.huff[jpegDCTable][scan[i].td], &d.huff[jpegACTable][scan[i].ta], &dc[ci]) {
				d.reconstructBlock(&b, bx, by, ci)
				return nil
			}
			b = jpegBlock{}
		}
		if err := d.decodeBlock(&b, scan[i].td, scan[i].ta, ci, &dc, zigStart, zigEnd, ah, al); err != nil {
			return err
		}
		if d.progressive {
			// Save the coefficients. They are reconstructed after the last
			// scan, by reconstructProgressiveImage.
			stored := &d.progCoeffs[ci][by*d.mxx*d.comp[ci].h+bx]
			for k, c := range b {
				stored[k] = int16(c)
			}
			return nil
		}
		d.reconstructBlock(&b, bx, by, ci)
		return nil
	}
	// restart handles the RST marker expected after mcu MCUs of nMCU.
	expectedRST := uint8(jpegRST0)
	restart := func(mcu, nMCU int) error {
		if d.ri == 0 || mcu%d.ri != 0 || mcu >= nMCU {
			return nil
		}
		// For well-formed input, the RST[0-7] restart marker follows
		// immediately. For corrupt input, call findRST to try to
		// resynchronize.
		if err := d.readFull(d.tmp[:2]); err != nil {
			return err
		} else if d.tmp[0] != 0xff || d.tmp[1] != expectedRST {
			if err := d.findRST(expectedRST); err != nil {
				return err
			}
		}
		expectedRST++
		if expectedRST == jpegRST7+1 {
			expectedRST = jpegRST0
		}
		// Reset the Huffman decoder.
		d.bits = jpegBits{}
		// Reset the DC components, as per section F.2.1.3.1.
		dc = [jpegMaxComponents]int32{}
		// Reset the progressive decoder state, as per section G.1.2.2.
		d.eobRun = 0
		return nil
	}

	if nComp == 1 {
		// A non-interleaved scan: its MCU is one block, and only the blocks
		// covering the component's samples are coded (section A.2.2).
		bw, bh := d.compBlocks(int(scan[0].compIndex))
		nMCU := bw * bh
		for mcu := 0; mcu < nMCU; {
			if err := block(0, mcu%bw, mcu/bw); err != nil {
				return err
			}
			mcu++
			if err := restart(mcu, nMCU); err != nil {
				return err
			}
		}
		return nil
	}
	// An interleaved scan: each MCU holds h*v blocks of every component,
	// visited left to right, top to bottom within the MCU.
	nMCU := d.mxx * d.myy
	for mcu := 0; mcu < nMCU; {
		mx, my := mcu%d.mxx, mcu/d.mxx
		for i := 0; i < nComp; i++ {
			ci := scan[i].compIndex
			hi, vi := d.comp[ci].h, d.comp[ci].v
			for j := 0; j < hi*vi; j++ {
				if err := block(i, hi*mx+j%hi, vi*my+j/hi); err != nil {
					return err
				}
			}
		}
		mcu++
		if err := restart(mcu, nMCU); err != nil {
			return err
		}
	}
	return nil
}

// decodeBlock decodes one block's share of a scan into b (natural order).
// Coefficients are stored as libjpeg's 16-bit JCOEF would hold them.
func (d *jpegDecoder) decodeBlock(b *jpegBlock, td, ta uint8, ci int, dc *[jpegMaxComponents]int32, zigStart, zigEnd int32, ah, al uint32) error {
	if ah != 0 {
		return d.refine(b, &d.huff[jpegACTable][ta], zigStart, zigEnd, 1<<al)
	}
	zig := zigStart
	if zig == 0 {
		zig++
		// Decode the DC coefficient, as specified in section F.2.2.1.
		value, err := d.decodeHuffman(&d.huff[jpegDCTable][td])
		if err != nil {
			return err
		}
		if value > 16 {
			return jpegUnsupportedError("excessive DC component")
		}
		dcDelta, err := d.receiveExtend(value)
		if err != nil {
			return err
		}
		dc[ci] += dcDelta
		b[0] = int32(int16(dc[ci] << al))
	}

	if zig <= zigEnd && d.eobRun > 0 {
		d.eobRun--
		return nil
	}
	// Decode the AC coefficients, as specified in section F.2.2.2.
	huff := &d.huff[jpegACTable][ta]
	for ; zig <= zigEnd; zig++ {
		value, err := d.decodeHuffman(huff)
		if err != nil {
			return err
		}
		val0 := value >> 4
		val1 := value & 0x0f
		if val1 != 0 {
			zig += int32(val0)
			ac, err := d.receiveExtend(val1)
			if err != nil {
				return err
			}
			// Corrupt data can run past the band: libjpeg still consumes
			// the bits and stores the value at natural_order[k], whose
			// entries past 63 all point to 63.
			b[jpegUnzig[min(zig, jpegBlockSize-1)]] = int32(int16(ac << al))
		} else {
			if val0 != 0x0f {
				if !d.progressive {
					// Sequential mode has no EOB runs: libjpeg's
					// decode_mcu ends the block on any (r, 0), r != 15.
					break
				}
				d.eobRun = uint16(1 << val0)
				if val0 != 0 {
					bits, err := d.decodeBits(int32(val0))
					if err != nil {
						return err
					}
					d.eobRun |= uint16(bits)
				}
				d.eobRun--
				break
			}
			zig += 0x0f
		}
	}
	return nil
}

// decodeBlockFast decodes one block of a sequential scan as decodeBlock
// would, but from a 64-bit bit buffer filled several bytes at a time and
// with the wider fast look-up table: the bit-at-a-time reading of
// decodeBlock (ensureNBits, readByteStuffedByte) costs more than the
// decoding itself.
//
// It works on copies of the decoder state and reads only bytes already in
// d.bytes.buf. Whenever the block needs anything out of the ordinary (a
// marker or the end of the buffer within the next 32 bits, a code that is
// not in the fast table and fails the search, a DC magnitude over 16, an
// undefined table), it returns false without having changed d or *dc, and
// the caller decodes the block again with decodeBlock, so errors, markers,
// restarts and truncation keep their exact behaviour. On success it
// leaves d.bits and d.bytes as decodeBlock would have: decodeBlock reads a
// byte only when it needs more bits (8 for a Huffman look-up, the code
// length or size otherwise), so nOld replays its bit count, and the bytes
// read ahead beyond that are given back.
func (d *jpegDecoder) decodeBlockFast(b *jpegBlock, dcH, acH *jpegHuffman, dc *int32) bool {
	if dcH.nCodes == 0 || acH.nCodes == 0 {
		return false
	}
	buf := &d.bytes.buf
	i0, j := d.bytes.i, d.bytes.j
	i := i0
	// acc holds n unread bits (the low ones; higher bits are stale). nOld
	// is the d.bits.n that decodeBlock would have. got counts the bits
	// read from buf; ff records whether any of them came from 0xff 0x00.
	acc, n := uint64(d.bits.a), uint(d.bits.n)
	nOld, got := n, uint(0)
	ff := false
	// Every step needs at most 32 bits: a code of up to 16 bits and up to
	// 16 extra bits.
	if n < 32 {
		if acc, n, i, got, ff = jpegFastFill(buf, i, j, acc, n, got, ff); n < 32 {
			return false
		}
	}

	// The DC coefficient (section F.2.2.1).
	v := dcH.fast[(acc>>(n-jpegFastBits))&(1<<jpegFastBits-1)]
	if v == 0 {
		if v = dcH.searchCode(acc>>(n-jpegMaxCodeLength), jpegMaxCodeLength); v == 0 {
			return false
		}
	}
	l, t := uint(v&0xff), uint(v>>8)
	nOld = jpegReplayCode(nOld, l)
	n -= l
	if t > 16 {
		return false
	}
	nOld = jpegReplayBits(nOld, t)
	pred := *dc
	if t != 0 {
		x := int32(acc>>(n-t)) & (1<<t - 1)
		n -= t
		if x < 1<<(t-1) {
			x += -1<<t + 1
		}
		pred += x
	}
	b[0] = int32(int16(pred))

	// The AC coefficients (section F.2.2.2).
	for zig := int32(1); zig < jpegBlockSize; zig++ {
		if n < 32 {
			if acc, n, i, got, ff = jpegFastFill(buf, i, j, acc, n, got, ff); n < 32 {
				return false
			}
		}
		k := (acc >> (n - jpegFastBits)) & (1<<jpegFastBits - 1)
		if e := acH.comb[k]; e != 0 {
			// The code and its extra bits in one look-up; decodeBlock
			// reads them in two steps, which nOld replays.
			l, s := uint(e&0xff), uint(e>>8)&0x0f
			nOld = jpegReplayCode(nOld, l)
			nOld = jpegReplayBits(nOld, s)
			n -= l + s
			zig += (e >> 12) & 0x0f
			b[jpegUnzig[min(zig, jpegBlockSize-1)]&(jpegBlockSize-1)] = e >> 16
			continue
		}
		v := acH.fast[k]
		if v == 0 {
			if v = acH.searchCode(acc>>(n-jpegMaxCodeLength), jpegMaxCodeLength); v == 0 {
				return false
			}
		}
		l, r, s := uint(v&0xff), int32(v>>12), uint(v>>8)&0x0f
		nOld = jpegReplayCode(nOld, l)
		n -= l
		if s != 0 {
			zig += r
			nOld = jpegReplayBits(nOld, s)
			x := int32(acc>>(n-s)) & (1<<s - 1)
			n -= s
			// EXTEND without a branch (the sign is unpredictable), as
			// libjpeg-turbo's HUFF_EXTEND: x < 1<<(s-1) makes neg all ones.
			neg := (x - 1<<(s-1)) >> 31
			x += neg & (-1<<s + 1)
			b[jpegUnzig[min(zig, jpegBlockSize-1)]&(jpegBlockSize-1)] = int32(int16(x))
		} else {
			if r != 0x0f {
				break
			}
			zig += 0x0f
		}
	}

	// Give back the bytes read beyond decodeBlock's. Without 0xff 0x00
	// pairs each byte is one byte of buf; otherwise walk the pairs.
	if n < nOld || (n-nOld)%8 != 0 {
		return false // Unreachable: decodeBlock never reads further ahead.
	}
	extra := (n - nOld) / 8
	read := int(got/8 - extra) // Bytes decodeBlock would have read.
	if !ff {
		d.bytes.i = i - int(extra)
		if read > 0 {
			d.bytes.nUnreadable = 1
		}
	} else {
		p, last := i0, 0
		for k := 0; k < read; k++ {
			if buf[p] == 0xff {
				p, last = p+2, 2
			} else {
				p, last = p+1, 1
			}
		}
		d.bytes.i = p
		if read > 0 {
			d.bytes.nUnreadable = last
		}
	}
	d.bits.a = uint32(acc >> (n - nOld))
	d.bits.n = int32(nOld)
	d.bits.m = 0
	if nOld > 0 {
		d.bits.m = 1 << (nOld - 1)
	}
	*dc = pred
	return true
}

// jpegReplayCode is the bit count decodeBlock would hold after decoding a
// Huffman code of l bits with nOld bits held: decodeHuffman first makes
// sure of 8 bits (one byte read), and a code longer than that reads one more.
func jpegReplayCode(nOld, l uint) uint {
	if nOld < 8 {
		nOld += 8
	}
	if l > nOld {
		nOld += 8
	}
	return nOld - l
}

// jpegReplayBits is the bit count decodeBlock would hold after receiving s
// extra bits with nOld held: ensureNBits reads a byte at a time until there
// are s (at most 16, so at most two bytes).
func jpegReplayBits(nOld, s uint) uint {
	if nOld < s {
		nOld += 8
	}
	if nOld < s {
		nOld += 8
	}
	return nOld - s
}

// jpegFastFill is decodeBlockFast's refill of the n-bit buffer acc from
// buf[i:j]: four bytes without 0xff (the has-zero-byte test on ^w) at once,
// anything else one byte at a time, undoing byte stuffing, until it holds
// more than 56 bits; it stops early at a marker (0xff not followed by 0x00)
// or at j. It adds the bits it read to got and sets ff when it consumed a
// 0xff 0x00 pair.
func jpegFastFill(buf *[4096]byte, i, j int, acc uint64, n, got uint, ff bool) (uint64, uint, int, uint, bool) {
	if i+4 <= j {
		if w := binary.BigEndian.Uint32(buf[i:]); (^w-0x01010101)&w&0x80808080 == 0 {
			return acc<<32 | uint64(w), n + 32, i + 4, got + 32, ff
		}
	}
	n0 := n
	for n <= 56 && i < j {
		c := buf[i]
		if c != 0xff {
			acc = acc<<8 | uint64(c)
			n += 8
			i++
			continue
		}
		if i+1 >= j || buf[i+1] != 0x00 {
			break
		}
		acc = acc<<8 | 0xff
		n += 8
		i += 2
		ff = true
	}
	return acc, n, i, got + n - n0, ff
}

// refine decodes a successive approximation refinement block, as specified in
// section G.1.2.
func (d *jpegDecoder) refine(b *jpegBlock, h *jpegHuffman, zigStart, zigEnd, delta int32) error {
	// Refining a DC component is trivial.
	if zigStart == 0 {
		if zigEnd != 0 {
			panic("unreachable")
		}
		bit, err := d.decodeBit()
		if err != nil {
			return err
		}
		if bit {
			b[0] |= delta
		}
		return nil
	}

	// Refining AC components is more complicated; see sections G.1.2.2 and G.1.2.3.
	zig := zigStart
	if d.eobRun == 0 {
	loop:
		for ; zig <= zigEnd; zig++ {
			z := int32(0)
			value, err := d.decodeHuffman(h)
			if err != nil {
				return err
			}
			val0 := value >> 4
			val1 := value & 0x0f

			switch val1 {
			case 0:
				if val0 != 0x0f {
					d.eobRun = uint16(1 << val0)
					if val0 != 0 {
						bits, err := d.decodeBits(int32(val0))
						if err != nil {
							return err
						}
						d.eobRun |= uint16(bits)
					}
					break loop
				}
			case 1:
				z = delta
				bit, err := d.decodeBit()
				if err != nil {
					return err
				}
				if !bit {
					z = -z
				}
			default:
				return jpegFormatError("unexpected Huffman code")
			}

			zig, err = d.refineNonZeroes(b, zig, zigEnd, int32(val0), delta)
			if err != nil {
				return err
			}
			if zig > zigEnd {
				return jpegFormatError("too many coefficients")
			}
			if z != 0 {
				b[jpegUnzig[zig]] = z
			}
		}
	}
	if d.eobRun > 0 {
		d.eobRun--
		if _, err := d.refineNonZeroes(b, zig, zigEnd, -1, delta); err != nil {
			return err
		}
	}
	return nil
}

// refineNonZeroes refines non-zero entries of b in zig-zag order. If nz >= 0,
// the first nz zero entries are skipped over.
func (d *jpegDecoder) refineNonZeroes(b *jpegBlock, zig, zigEnd, nz, delta int32) (int32, error) {
	for ; zig <= zigEnd; zig++ {
		u := jpegUnzig[zig]
		if b[u] == 0 {
			if nz == 0 {
				break
			}
			nz--
			continue
		}
		bit, err := d.decodeBit()
		if err != nil {
			return 0, err
		}
		if !bit {
			continue
		}
		if b[u] >= 0 {
			b[u] += delta
		} else {
			b[u] -= delta
		}
	}
	return zig, nil
}

// reconstructProgressiveImage runs the IDCT over the stored coefficients
// of every block that covers image samples.
func (d *jpegDecoder) reconstructProgressiveImage() error {
	var b jpegBlock
	for i := 0; i < d.nComp; i++ {
		if d.progCoeffs[i] == nil {
			continue
		}
		bw, bh := d.compBlocks(i)
		stride := d.mxx * d.comp[i].h
		for by := 0; by < bh; by++ {
			for bx := 0; bx < bw; bx++ {
				for k, c := range &d.progCoeffs[i][by*stride+bx] {
					b[k] = int32(c)
				}
				d.reconstructBlock(&b, bx, by, i)
			}
		}
	}
	return nil
}

// reconstructBlock dequantizes, performs libjpeg's ISLOW inverse DCT and
// stores the block in the component's plane.
func (d *jpegDecoder) reconstructBlock(b *jpegBlock, bx, by, compIndex int) {
	stride := d.strides[compIndex]
	jpegIDCTIslow(b, &d.compQuant[compIndex], d.planes[compIndex][8*(by*stride+bx):], stride)
}

// findRST advances past the next RST restart marker that matches expectedRST.
// Other than I/O errors, it is also an error if we encounter an {0xFF, M}
// two-byte marker sequence where M is not 0x00, 0xFF or the expectedRST.
//
// This is similar to libjpeg's jdmarker.c's next_marker function.
// https://github.com/libjpeg-turbo/libjpeg-turbo/blob/2dfe6c0fe9e18671105e94f7cbf044d4a1d157e6/jdmarker.c#L892-L935
//
// Precondition: d.tmp[:2] holds the next two bytes of JPEG-encoded input
// (input in the d.readFull sense).
func (d *jpegDecoder) findRST(expectedRST uint8) error {
	for {
		// i is the index such that, at the bottom of the loop, we read 2-i
		// bytes into d.tmp[i:2], maintaining the invariant that d.tmp[:2]
		// holds the next two bytes of JPEG-encoded input. It is either 0 or 1,
		// so that each iteration advances by 1 or 2 bytes (or returns).
		i := 0

		if d.tmp[0] == 0xff {
			if d.tmp[1] == expectedRST {
				return nil
			} else if d.tmp[1] == 0xff {
				i = 1
			} else if d.tmp[1] != 0x00 {
				// libjpeg's jdmarker.c's jpeg_resync_to_restart does something
				// fancy here, treating RST markers within two (modulo 8) of
				// expectedRST differently from RST markers that are 'more
				// distant'. Until we see evidence that recovering from such
				// cases is frequent enough to be worth the complexity, we take
				// a simpler approach for now. Any marker that's not 0x00, 0xff
				// or expectedRST is a fatal jpegFormatError.
				return jpegFormatError("bad RST marker")
			}

		} else if d.tmp[1] == 0xff {
			d.tmp[0] = 0xff
			i = 1
		}

		if err := d.readFull(d.tmp[i:2]); err != nil {
			return err
		}
	}
}
