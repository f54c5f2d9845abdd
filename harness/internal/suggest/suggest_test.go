package suggest

import "testing"

func TestClosest(t *testing.T) {
	opts := []string{"socialreward", "pickscore", "imagereward", "hpsv2", "tiecal"}
	tests := []struct{ in, want string }{
		{"pickscor", "pickscore"},
		{"PickScore", "pickscore"},
		{"hpsv3", "hpsv2"},
		{"tie-cal", "tiecal"},
		{"social", "socialreward"},       // unique prefix
		{"soshalreward", "socialreward"}, // 2 substitutions
		{"clipscore", ""},
		{"", ""},
		{"x", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := Closest(tc.in, opts); got != tc.want {
				t.Errorf("Closest(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	if got := Closest("abc", nil); got != "" {
		t.Errorf("no options: %q", got)
	}
}

func TestLevenshtein(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"flaw", "lawn", 2},
		{"hlaf", "half", 2}, {"ünïcode", "unicode", 2}, {"same", "same", 0},
		{"café", "cafe", 1}, {"intention", "execution", 5}, {"abc", "", 3},
	}
	for _, tc := range tests {
		if got := levenshtein(tc.a, tc.b); got != tc.want {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := levenshtein(tc.b, tc.a); got != tc.want {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", tc.b, tc.a, got, tc.want)
		}
	}
}
