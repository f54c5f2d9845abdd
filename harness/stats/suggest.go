package stats

import "github.com/srbench/srbench/harness/internal/suggest"

// Suggest returns the option closest to name by Levenshtein distance
// (case-insensitive, on runes), for "did you mean" messages; "" when none is
// close (distance at most max(2, len(name)/3) runes, or name is a prefix of
// exactly one option).
func Suggest(name string, options []string) string { return suggest.Closest(name, options) }
