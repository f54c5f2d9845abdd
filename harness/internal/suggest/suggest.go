// Package suggest finds the closest name for "did you mean" messages.
package suggest

import (
	"strings"
	"unicode/utf8"
)

// Closest returns the option closest to name by Levenshtein distance
// (case-insensitive, on runes), for "did you mean" messages. It returns ""
// when options is empty or no option is close: the distance must be at most
// max(2, len(name)/3) runes. A name that is a prefix of exactly one option
// suggests that option whatever the distance. Ties go to the earlier option.
func Closest(name string, options []string) string {
	lname := strings.ToLower(name)
	var prefixed []string
	for _, o := range options {
		if lname != "" && strings.HasPrefix(strings.ToLower(o), lname) {
			prefixed = append(prefixed, o)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0]
	}
	limit := max(2, utf8.RuneCountInString(name)/3)
	best, bestDist := "", limit+1
	for _, o := range options {
		if d := levenshtein(lname, strings.ToLower(o)); d < bestDist {
			best, bestDist = o, d
		}
	}
	return best
}

// levenshtein returns the edit distance (insertions, deletions and
// substitutions of one rune, each costing 1) between a and b.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
