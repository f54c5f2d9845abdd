package dataset

import "strings"

// suggest returns the candidate closest to s for a "did you mean" hint, or "" when none
// is close: the single candidate that s is a prefix of, else the one at the smallest
// edit distance when that distance is at most a third of the candidate's length,
// clamped to between 1 and 3 edits.
func suggest(s string, candidates []string) string {
	if s == "" {
		return ""
	}
	var prefixed []string
	for _, c := range candidates {
		if strings.HasPrefix(c, s) {
			prefixed = append(prefixed, c)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0]
	}
	best, bestD := "", -1
	for _, c := range candidates {
		d := levenshtein(s, c)
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	limit := max(1, min(3, len([]rune(best))/3))
	if bestD <= limit {
		return best
	}
	return ""
}

// levenshtein is the edit distance (insertions, deletions, substitutions of runes)
// between a and b.
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
