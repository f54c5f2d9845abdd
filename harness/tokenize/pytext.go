package tokenize

import (
	"html"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file reproduces the few Python string operations that OpenAI's
// simple_tokenizer applies to a prompt, with Python's exact semantics.

// isWhiteSpace is the Unicode White_Space property: what `\s` matches in
// the `regex` module that simple_tokenizer imports, and in the Oniguruma
// patterns of Hugging Face tokenizers.
func isWhiteSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || ('\t' <= r && r <= '\r')
	}
	return unicode.Is(unicode.White_Space, r)
}

// isPySpace is Python's str.isspace for one character: White_Space plus
// U+001C..U+001F (bidirectional class B or S).
func isPySpace(r rune) bool {
	return isWhiteSpace(r) || (0x1c <= r && r <= 0x1f)
}

// pyStrip is Python's str.strip() without arguments.
func pyStrip(s string) string {
	return strings.TrimFunc(s, isPySpace)
}

// collapseWhiteSpace replaces every run of White_Space by one space, like
// re.sub(r'\s+', ' ', s) with the regex module.
func collapseWhiteSpace(s string) string { return replaceWhiteSpaceRuns(s, " ") }

// replaceWhiteSpaceRuns replaces every run of White_Space by repl.
func replaceWhiteSpaceRuns(s, repl string) string {
	var b strings.Builder
	b.Grow(len(s))
	inRun := false
	for _, r := range s {
		if isWhiteSpace(r) {
			if !inRun {
				b.WriteString(repl)
			}
			inRun = true
			continue
		}
		inRun = false
		b.WriteRune(r)
	}
	return b.String()
}

// isASCII reports whether s has only 7-bit bytes.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// asciiLower lowercases A-Z only.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// pyLower is Python's str.lower(): each character's full lowercase mapping
// (as perCharLower) except capital sigma, which becomes final sigma 'ς'
// when it ends a word. Python's rule (unicodeobject.c, handle_capital_sigma)
// skips case-ignorable characters backwards and forwards and then asks
// whether the character reached is cased. Characters that are both (U+0345,
// modifier letters such as U+02B0) are skipped, so Python differs from the
// Unicode regular expression for Final_Sigma, and from
// golang.org/x/text/cases, on such text.
func pyLower(s string) string {
	if isASCII(s) {
		return asciiLower(s)
	}
	if !strings.ContainsRune(s, 'Σ') {
		return perCharLower(s)
	}
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s) + 2)
	for i, r := range rs {
		switch r {
		case 'Σ':
			if finalSigma(rs, i) {
				b.WriteRune('ς')
			} else {
				b.WriteRune('σ')
			}
		case 0x130:
			b.WriteString("i\u0307")
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

func finalSigma(rs []rune, i int) bool {
	j := i - 1
	for j >= 0 && isCaseIgnorable(rs[j]) {
		j--
	}
	if j < 0 || !isCased(rs[j]) {
		return false
	}
	j = i + 1
	for j < len(rs) && isCaseIgnorable(rs[j]) {
		j++
	}
	return j == len(rs) || !isCased(rs[j])
}

// isCased is the Unicode Cased property: Lowercase, Uppercase or Lt.
func isCased(r rune) bool {
	return unicode.In(r, unicode.Ll, unicode.Lu, unicode.Lt, unicode.Other_Lowercase, unicode.Other_Uppercase)
}

// isCaseIgnorable is the Unicode Case_Ignorable property: Mn, Me, Cf, Lm,
// Sk, and Word_Break MidLetter, MidNumLet or Single_Quote.
func isCaseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', 0xb7, 0x387, 0x55f, 0x5f4, 0x2018, 0x2019, 0x2024, 0x2027,
		0xfe13, 0xfe52, 0xfe55, 0xff07, 0xff0e, 0xff1a:
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}

// perCharLower lowercases each character on its own with its full mapping,
// as Rust's char::to_lowercase does in Hugging Face tokenizers' Lowercase
// normalizer: no final-sigma context. U+0130 is the only character whose
// unconditional full lowercase mapping is longer than one character.
func perCharLower(s string) string {
	if isASCII(s) {
		return asciiLower(s)
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	for _, r := range s {
		if r == 0x130 {
			b.WriteString("i\u0307")
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// pyUnescape is Python's html.unescape (Python 3.4+): the references
// matched by the pattern
//
//	&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)
//
// are replaced; named references use the HTML5 table, including the legacy
// names that are valid without ';' and the longest-prefix rule for them.
func pyUnescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for {
		j := strings.IndexByte(s, '&')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:j])
		s = s[j+1:]
		rep, n := charref(s)
		if n == 0 {
			b.WriteByte('&')
			continue
		}
		b.WriteString(rep)
		s = s[n:]
	}
}

// charref matches one reference at the start of t (the text after '&') and
// returns its replacement and the number of bytes it spans; n == 0 means
// no match.
func charref(t string) (rep string, n int) {
	if t == "" {
		return "", 0
	}
	if t[0] == '#' {
		hex := false
		i := 1
		if i < len(t) && isDigit(t[i]) {
			// decimal, tried first by the pattern
		} else if i+1 < len(t) && (t[i] == 'x' || t[i] == 'X') && isHexDigit(t[i+1]) {
			hex = true
			i++
		} else {
			return "", 0
		}
		start := i
		for i < len(t) && (isDigit(t[i]) || (hex && isHexDigit(t[i]))) {
			i++
		}
		num := parseSaturating(t[start:i], hex)
		if i < len(t) && t[i] == ';' {
			i++
		}
		return numericRef(num), i
	}
	// Named: 1..32 characters outside "\t\n\f <&#;", then an optional ';'.
	i, count := 0, 0
	for i < len(t) && count < 32 {
		r, sz := utf8.DecodeRuneInString(t[i:])
		if r == '\t' || r == '\n' || r == '\f' || r == ' ' || r == '<' || r == '&' || r == '#' || r == ';' {
			break
		}
		i += sz
		count++
	}
	if count == 0 {
		return "", 0
	}
	if i < len(t) && t[i] == ';' {
		i++
	}
	// Python looks the whole name up in html.entities.html5, then the
	// longest prefix of at least two characters. Go's html package has the
	// same HTML5 table and, given exactly this name, the same exact-then-
	// longest-legacy-prefix rule (legacy names are at most six characters,
	// all alphanumeric). The equality of both tables is checked in tests;
	// Go leaves out the two entities whose value is longer than their name.
	switch t[:i] {
	case "nLt;":
		return "\u226a\u20d2", i
	case "nGt;":
		return "\u226b\u20d2", i
	}
	return html.UnescapeString("&" + t[:i]), i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func hexValue(c byte) int {
	switch {
	case isDigit(c):
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return 0
}

func isHexDigit(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

// parseSaturating parses digits, saturating above U+10FFFF (Python's int
// is unbounded; every value beyond the range gives U+FFFD).
func parseSaturating(digits string, hex bool) int {
	base := 10
	if hex {
		base = 16
	}
	v := 0
	for i := 0; i < len(digits); i++ {
		v = v*base + hexValue(digits[i])
		if v > 0x10ffff {
			return 0x110000
		}
	}
	return v
}

// numericRef is html._replace_charref for a number.
func numericRef(num int) string {
	switch {
	case num == 0:
		return "\ufffd"
	case num == 0x0d:
		return "\r"
	case 0x80 <= num && num <= 0x9f:
		// Python's _invalid_charrefs maps these as Windows-1252 (undefined
		// bytes map to themselves), like Go's replacement table.
		return html.UnescapeString("&#" + strconv.Itoa(num) + ";")
	case 0xd800 <= num && num <= 0xdfff, num > 0x10ffff:
		return "\ufffd"
	case invalidCodepoint(num):
		return ""
	}
	return string(rune(num))
}

// invalidCodepoint is Python's html._invalid_codepoints: C0 controls other
// than tab, LF, FF and CR, DEL and C1 controls, and the noncharacters.
func invalidCodepoint(n int) bool {
	switch {
	case 0x01 <= n && n <= 0x08, n == 0x0b, 0x0e <= n && n <= 0x1f, 0x7f <= n && n <= 0x9f:
		return true
	case 0xfdd0 <= n && n <= 0xfdef:
		return true
	case n&0xfffe == 0xfffe && n <= 0x10ffff:
		return true
	}
	return false
}
