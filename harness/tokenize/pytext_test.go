package tokenize

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// pyRef is testdata/pyref.json, written by testdata/gen_pyref.py.
type pyRef struct {
	Python            string            `json:"python"`
	UnicodeData       string            `json:"unicodedata"`
	IsSpace           []rune            `json:"isspace"`
	Unassigned        [][2]rune         `json:"unassigned"`
	Lower             [][2]any          `json:"lower"`
	LowerContext      [][2]string       `json:"lower_context"`
	HTML5             map[string]string `json:"html5"`
	CharrefExc        [][2]string       `json:"charref_exceptions"`
	Unescape          [][3]string       `json:"unescape"`
	CaseIgnorable     [][2]rune         `json:"case_ignorable"`
	CasedNotIgnorable [][2]rune         `json:"cased_not_ignorable"`

	unassigned []bool
}

var pyRefOnce = sync.OnceValues(func() (*pyRef, error) {
	data, err := os.ReadFile("testdata/pyref.json")
	if err != nil {
		return nil, err
	}
	var r pyRef
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	r.unassigned = bitmap(r.Unassigned)
	return &r, nil
})

func loadPyRef(t *testing.T) *pyRef {
	t.Helper()
	r, err := pyRefOnce()
	if err != nil {
		t.Fatalf("testdata/pyref.json (run testdata/gen_pyref.py): %v", err)
	}
	return r
}

func (r *pyRef) assignedInPython(c rune) bool { return !r.unassigned[c] }

// bitmap expands [lo, hi] ranges into a lookup table over all code points.
func bitmap(rs [][2]rune) []bool {
	m := make([]bool, 0x110000)
	for _, u := range rs {
		for c := u[0]; c <= u[1]; c++ {
			m[c] = true
		}
	}
	return m
}

func (r *pyRef) lowerMap(t *testing.T) map[rune]string {
	m := make(map[rune]string, len(r.Lower))
	for _, e := range r.Lower {
		cp, ok1 := e[0].(float64)
		s, ok2 := e[1].(string)
		if !ok1 || !ok2 {
			t.Fatalf("pyref.json: bad lower entry %v", e)
		}
		m[rune(cp)] = s
	}
	return m
}

func isSurrogate(c rune) bool { return 0xd800 <= c && c <= 0xdfff }

// TestIsPySpace compares isPySpace with Python's str.isspace() on every
// code point, and isWhiteSpace with it minus U+001C..U+001F.
func TestIsPySpace(t *testing.T) {
	t.Parallel()
	r := loadPyRef(t)
	want := map[rune]bool{}
	for _, c := range r.IsSpace {
		want[c] = true
	}
	for c := rune(0); c < 0x110000; c++ {
		if isSurrogate(c) {
			continue
		}
		if got := isPySpace(c); got != want[c] {
			t.Errorf("isPySpace(%U) = %v, Python str.isspace() = %v", c, got, want[c])
		}
		wantWS := want[c] && !(0x1c <= c && c <= 0x1f)
		if got := isWhiteSpace(c); got != wantWS {
			t.Errorf("isWhiteSpace(%U) = %v, want %v", c, got, wantWS)
		}
	}
}

// TestPyLowerSingle compares pyLower and perCharLower with Python's
// str.lower() on every code point Python 3.11 (Unicode 14) knows.
func TestPyLowerSingle(t *testing.T) {
	t.Parallel()
	r := loadPyRef(t)
	m := r.lowerMap(t)
	multi := 0
	for c := rune(0); c < 0x110000; c++ {
		if isSurrogate(c) || !r.assignedInPython(c) {
			continue
		}
		want, ok := m[c]
		if !ok {
			want = string(c)
		}
		if utf8.RuneCountInString(want) > 1 {
			multi++
		}
		if got := pyLower(string(c)); got != want {
			t.Errorf("pyLower(%U) = %+q, Python %+q", c, got, want)
		}
		if got := perCharLower(string(c)); got != want {
			t.Errorf("perCharLower(%U) = %+q, Python %+q", c, got, want)
		}
	}
	if multi != 1 {
		t.Errorf("%d code points lowercase to several characters; perCharLower assumes only U+0130", multi)
	}
}

// TestCaseProperties compares isCaseIgnorable and isCased with the
// properties Python's final-sigma rule sees (read back through lower() by
// gen_pyref.py) on every code point Python knows. The cased flag of a
// case-ignorable character never matters to the rule and is not compared.
func TestCaseProperties(t *testing.T) {
	t.Parallel()
	r := loadPyRef(t)
	ignorable, cased := bitmap(r.CaseIgnorable), bitmap(r.CasedNotIgnorable)
	for c := rune(0); c < 0x110000; c++ {
		if isSurrogate(c) || !r.assignedInPython(c) {
			continue
		}
		ign := ignorable[c]
		if got := isCaseIgnorable(c); got != ign {
			t.Errorf("isCaseIgnorable(%U) = %v, Python %v", c, got, ign)
		}
		if ign {
			continue
		}
		if got, want := isCased(c), cased[c]; got != want {
			t.Errorf("isCased(%U) = %v, Python %v", c, got, want)
		}
	}
}

// TestPyLowerContext checks the context-dependent final sigma against
// Python on strings mixing capital sigma with cased, case-ignorable and
// uncased characters.
func TestPyLowerContext(t *testing.T) {
	t.Parallel()
	r := loadPyRef(t)
	if len(r.LowerContext) < 100 {
		t.Fatalf("pyref.json: only %d lower_context cases", len(r.LowerContext))
	}
	finals := 0
	for _, c := range r.LowerContext {
		if got := pyLower(c[0]); got != c[1] {
			t.Errorf("pyLower(%+q) = %+q, Python %+q", c[0], got, c[1])
		}
		if strings.Contains(c[1], "ς") {
			finals++
		}
	}
	if finals == 0 {
		t.Error("no case produced a final sigma; the fixture does not test the context rule")
	}
}

// TestHTML5Table checks that every name of Python's html.entities.html5
// (with and without ';') unescapes to Python's value.
func TestHTML5Table(t *testing.T) {
	t.Parallel()
	r := loadPyRef(t)
	if len(r.HTML5) != 2231 {
		t.Fatalf("pyref.json: %d entities, want 2231", len(r.HTML5))
	}
	for name, want := range r.HTML5 {
		if got := pyUnescape("&" + name); got != want {
			t.Errorf("pyUnescape(%q) = %+q, Python %+q", "&"+name, got, want)
		}
	}
}

// TestNumericCharrefs checks &#N; and &#xN; for every code point: Python's
// exceptions (invalid code points removed, Windows-1252 remapping,
// surrogates and out-of-range values as U+FFFD) come from the fixture, all
// other numbers must give chr(N).
func TestNumericCharrefs(t *testing.T) {
	t.Parallel()
	r := loadPyRef(t)
	exc := map[string]string{}
	for _, e := range r.CharrefExc {
		exc[e[0]] = e[1]
	}
	if len(exc) < 1000 {
		t.Fatalf("pyref.json: only %d charref exceptions", len(exc))
	}
	// The bulk loop calls charref directly (pyUnescape only adds the
	// scan for '&', exercised below and in TestPyUnescapeSoup).
	for c := rune(0); c < 0x110000; c++ {
		for _, form := range []string{"&#" + strconv.FormatInt(int64(c), 10) + ";", "&#x" + strconv.FormatInt(int64(c), 16) + ";"} {
			want, ok := exc[form]
			if !ok {
				want = string(c)
			}
			if got, n := charref(form[1:]); got != want || n != len(form)-1 {
				t.Errorf("charref(%q) = %+q, %d; Python %+q, %d", form[1:], got, n, want, len(form)-1)
			}
		}
	}
	for form, want := range exc {
		if got := pyUnescape(form); got != want {
			t.Errorf("pyUnescape(%q) = %+q, Python %+q", form, got, want)
		}
	}
}

// TestPyUnescapeSoup compares one and two rounds of unescaping with Python
// on seeded random mixtures of entity fragments.
func TestPyUnescapeSoup(t *testing.T) {
	t.Parallel()
	r := loadPyRef(t)
	if len(r.Unescape) < 1000 {
		t.Fatalf("pyref.json: only %d unescape cases", len(r.Unescape))
	}
	for _, c := range r.Unescape {
		if got := pyUnescape(c[0]); got != c[1] {
			t.Errorf("pyUnescape(%+q) = %+q, Python %+q", c[0], got, c[1])
		}
		if got := pyUnescape(pyUnescape(c[0])); got != c[2] {
			t.Errorf("pyUnescape twice (%+q) = %+q, Python %+q", c[0], got, c[2])
		}
	}
}

// TestPyTextTable has textbook cases for the Python primitives.
func TestPyTextTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		f    func(string) string
		in   string
		want string
	}{
		{"strip keeps inner", pyStrip, " \t a b \n", "a b"},
		{"strip FS GS RS US", pyStrip, "\x1c\x1d a \x1e\x1f", "a"},
		{"strip NBSP and ideographic", pyStrip, "\u00a0\u3000a\u2029", "a"},
		{"strip keeps ZWSP", pyStrip, "\u200ba", "\u200ba"},
		{"collapse", collapseWhiteSpace, "a \t\n b\u00a0\u2028c", "a b c"},
		{"collapse keeps FS", collapseWhiteSpace, "a\x1cb", "a\x1cb"},
		{"lower dotted I", pyLower, "İ", "i\u0307"},
		{"lower final sigma", pyLower, "ΟΔΟΣ", "οδος"},
		{"lower medial sigma", pyLower, "ΣΑΣΑ", "σασα"},
		{"lower lone sigma", pyLower, "Σ", "σ"},
		{"lower sigma before apostrophe letter", pyLower, "ΑΣ'Α", "ασ'α"},
		{"per-char lower no final sigma", perCharLower, "ΟΔΟΣ", "οδοσ"},
		{"per-char lower dotted I", perCharLower, "İ", "i\u0307"},
		{"unescape amp", pyUnescape, "Tom &amp; Jerry", "Tom & Jerry"},
		{"unescape once only", pyUnescape, "&amp;lt;", "&lt;"},
		{"unescape legacy without semicolon", pyUnescape, "&copy 2024 &ampx", "© 2024 &x"},
		{"unescape longest legacy prefix", pyUnescape, "&notit;", "¬it;"},
		{"unescape full name wins", pyUnescape, "&notin;", "∉"},
		{"unescape unknown", pyUnescape, "&foo; AT&T", "&foo; AT&T"},
		{"unescape two code points", pyUnescape, "&NotEqualTilde;", "≂̸"},
		{"unescape decimal without semicolon", pyUnescape, "&#65&#66;", "AB"},
		{"unescape short decimal at end", pyUnescape, "a&#9", "a\t"},
		{"unescape hex", pyUnescape, "&#x1F600;&#X41", "😀A"},
		{"unescape no hex digits", pyUnescape, "&#x;&#;", "&#x;&#;"},
		{"unescape NUL", pyUnescape, "&#0;", "\ufffd"},
		{"unescape control removed", pyUnescape, "a&#1;b&#x7f;c", "abc"},
		{"unescape noncharacter removed", pyUnescape, "&#xFFFE;&#xFDD0;", ""},
		{"unescape Windows-1252", pyUnescape, "&#128;&#x92;&#x81;", "€’\u0081"},
		{"unescape surrogate", pyUnescape, "&#xD800;", "\ufffd"},
		{"unescape too large", pyUnescape, "&#1114112;&#99999999999999999999;", "\ufffd\ufffd"},
		{"unescape CR", pyUnescape, "&#13;", "\r"},
		{"unescape name stops at 32 chars", pyUnescape, "&" + strings.Repeat("a", 40) + ";", "&" + strings.Repeat("a", 40) + ";"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f(tt.in); got != tt.want {
				t.Errorf("got %+q, want %+q", got, tt.want)
			}
		})
	}
}
