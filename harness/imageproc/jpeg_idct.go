package imageproc

// libjpeg's "ISLOW" inverse DCT (jidctint.c, jpeg_idct_islow; libjpeg-turbo
// 2.1.5's default DCT method, whose SIMD versions are bit-exact with this C
// code): the Loeffler–Ligtenberg–Moschytz algorithm in 13-bit fixed point,
// columns first with PASS1_BITS = 2 extra bits, then rows, each output
// descaled with rounding and passed through libjpeg's range-limit table.

const (
	jpegConstBits = 13
	jpegPass1Bits = 2

	jpegFix0_298631336 = 2446  // FIX(0.298631336)
	jpegFix0_390180644 = 3196  // FIX(0.390180644)
	jpegFix0_541196100 = 4433  // FIX(0.541196100)
	jpegFix0_765366865 = 6270  // FIX(0.765366865)
	jpegFix0_899976223 = 7373  // FIX(0.899976223)
	jpegFix1_175875602 = 9633  // FIX(1.175875602)
	jpegFix1_501321110 = 12299 // FIX(1.501321110)
	jpegFix1_847759065 = 15137 // FIX(1.847759065)
	jpegFix1_961570560 = 16069 // FIX(1.961570560)
	jpegFix2_053119869 = 16819 // FIX(2.053119869)
	jpegFix2_562915447 = 20995 // FIX(2.562915447)
	jpegFix3_072711026 = 25172 // FIX(3.072711026)
)

// jpegRangeLimit is libjpeg's post-IDCT range-limit table
// (prepare_range_limit_table) indexed by x & 1023, where x is the descaled
// IDCT output before the +128 level shift: x in [-128, 127] maps to x+128,
// [128, 511] to 255, [-512, -129] to 0, and larger magnitudes wrap as in
// libjpeg.
var jpegRangeLimit = func() (t [1024]uint8) {
	for i := range t {
		switch {
		case i < 128:
			t[i] = uint8(i + 128)
		case i < 512:
			t[i] = 255
		case i < 896:
			t[i] = 0
		default:
			t[i] = uint8(i - 896)
		}
	}
	return t
}()

// jpegDescale is libjpeg's DESCALE: a right shift by n with rounding.
func jpegDescale(x int64, n uint) int64 { return (x + 1<<(n-1)) >> n }

// jpegIDCTIslow dequantises the coefficients in (natural order) with the
// quantisation table q and writes the 8x8 output samples to dst (row stride
// stride).
func jpegIDCTIslow(in *jpegBlock, q *jpegBlock, dst []byte, stride int) {
	var ws [64]int32
	_ = dst[7*stride+7]

	// Pass 1: columns, results scaled up by sqrt(8) and 2^PASS1_BITS.
	for c := 0; c < 8; c++ {
		if in[8+c]|in[16+c]|in[24+c]|in[32+c]|in[40+c]|in[48+c]|in[56+c] == 0 {
			dc := int32(int64(in[c]) * int64(q[c]) << jpegPass1Bits)
			for r := 0; r < 8; r++ {
				ws[8*r+c] = dc
			}
			continue
		}
		// Even part.
		z2 := int64(in[16+c]) * int64(q[16+c])
		z3 := int64(in[48+c]) * int64(q[48+c])
		z1 := (z2 + z3) * jpegFix0_541196100
		tmp2 := z1 + z3*-jpegFix1_847759065
		tmp3 := z1 + z2*jpegFix0_765366865

		z2 = int64(in[c]) * int64(q[c])
		z3 = int64(in[32+c]) * int64(q[32+c])
		tmp0 := (z2 + z3) << jpegConstBits
		tmp1 := (z2 - z3) << jpegConstBits

		tmp10 := tmp0 + tmp3
		tmp13 := tmp0 - tmp3
		tmp11 := tmp1 + tmp2
		tmp12 := tmp1 - tmp2

		// Odd part.
		tmp0 = int64(in[56+c]) * int64(q[56+c])
		tmp1 = int64(in[40+c]) * int64(q[40+c])
		tmp2 = int64(in[24+c]) * int64(q[24+c])
		tmp3 = int64(in[8+c]) * int64(q[8+c])

		z1 = tmp0 + tmp3
		z2 = tmp1 + tmp2
		z3 = tmp0 + tmp2
		z4 := tmp1 + tmp3
		z5 := (z3 + z4) * jpegFix1_175875602

		tmp0 *= jpegFix0_298631336
		tmp1 *= jpegFix2_053119869
		tmp2 *= jpegFix3_072711026
		tmp3 *= jpegFix1_501321110
		z1 *= -jpegFix0_899976223
		z2 *= -jpegFix2_562915447
		z3 *= -jpegFix1_961570560
		z4 *= -jpegFix0_390180644

		z3 += z5
		z4 += z5

		tmp0 += z1 + z3
		tmp1 += z2 + z4
		tmp2 += z2 + z3
		tmp3 += z1 + z4

		const s = jpegConstBits - jpegPass1Bits
		ws[0*8+c] = int32(jpegDescale(tmp10+tmp3, s))
		ws[7*8+c] = int32(jpegDescale(tmp10-tmp3, s))
		ws[1*8+c] = int32(jpegDescale(tmp11+tmp2, s))
		ws[6*8+c] = int32(jpegDescale(tmp11-tmp2, s))
		ws[2*8+c] = int32(jpegDescale(tmp12+tmp1, s))
		ws[5*8+c] = int32(jpegDescale(tmp12-tmp1, s))
		ws[3*8+c] = int32(jpegDescale(tmp13+tmp0, s))
		ws[4*8+c] = int32(jpegDescale(tmp13-tmp0, s))
	}

	// Pass 2: rows, descaled by 8 and 2^PASS1_BITS.
	for r := 0; r < 8; r++ {
		w := ws[8*r : 8*r+8 : 8*r+8]
		out := dst[r*stride : r*stride+8 : r*stride+8]
		if w[1]|w[2]|w[3]|w[4]|w[5]|w[6]|w[7] == 0 {
			v := jpegRangeLimit[jpegDescale(int64(w[0]), jpegPass1Bits+3)&1023]
			for i := range out {
				out[i] = v
			}
			continue
		}
		// Even part.
		z2 := int64(w[2])
		z3 := int64(w[6])
		z1 := (z2 + z3) * jpegFix0_541196100
		tmp2 := z1 + z3*-jpegFix1_847759065
		tmp3 := z1 + z2*jpegFix0_765366865

		tmp0 := (int64(w[0]) + int64(w[4])) << jpegConstBits
		tmp1 := (int64(w[0]) - int64(w[4])) << jpegConstBits

		tmp10 := tmp0 + tmp3
		tmp13 := tmp0 - tmp3
		tmp11 := tmp1 + tmp2
		tmp12 := tmp1 - tmp2

		// Odd part.
		tmp0 = int64(w[7])
		tmp1 = int64(w[5])
		tmp2 = int64(w[3])
		tmp3 = int64(w[1])

		z1 = tmp0 + tmp3
		z2 = tmp1 + tmp2
		z3 = tmp0 + tmp2
		z4 := tmp1 + tmp3
		z5 := (z3 + z4) * jpegFix1_175875602

		tmp0 *= jpegFix0_298631336
		tmp1 *= jpegFix2_053119869
		tmp2 *= jpegFix3_072711026
		tmp3 *= jpegFix1_501321110
		z1 *= -jpegFix0_899976223
		z2 *= -jpegFix2_562915447
		z3 *= -jpegFix1_961570560
		z4 *= -jpegFix0_390180644

		z3 += z5
		z4 += z5

		tmp0 += z1 + z3
		tmp1 += z2 + z4
		tmp2 += z2 + z3
		tmp3 += z1 + z4

		const s = jpegConstBits + jpegPass1Bits + 3
		out[0] = jpegRangeLimit[jpegDescale(tmp10+tmp3, s)&1023]
		out[7] = jpegRangeLimit[jpegDescale(tmp10-tmp3, s)&1023]
		out[1] = jpegRangeLimit[jpegDescale(tmp11+tmp2, s)&1023]
		out[6] = jpegRangeLimit[jpegDescale(tmp11-tmp2, s)&1023]
		out[2] = jpegRangeLimit[jpegDescale(tmp12+tmp1, s)&1023]
		out[5] = jpegRangeLimit[jpegDescale(tmp12-tmp1, s)&1023]
		out[3] = jpegRangeLimit[jpegDescale(tmp13+tmp0, s)&1023]
		out[4] = jpegRangeLimit[jpegDescale(tmp13-tmp0, s)&1023]
	}
}
