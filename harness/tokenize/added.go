package tokenize

import (
	"strings"
	"unicode/utf8"
)

// normalizer maps text to normalised text; nil is the identity.
type normalizer func(string) string

// addedToken is an entry of tokenizer.json's added_tokens (or a token added
// in code, like ImageReward's [DEC] and [ENC]).
type addedToken struct {
	content        string
	id             int32
	lstrip, rstrip bool
}

// addedVocab splits text on added tokens the way Hugging Face tokenizers'
// AddedVocabulary does: tokens with "normalized": false are found in the
// raw input, the remaining pieces are normalised, and tokens with
// "normalized": true (whose content is normalised too) are found in those.
// Matching is leftmost-longest.
type addedVocab struct {
	raw, norm []addedToken
}

// each calls fn(token, id) for each added token found and fn(segment, -1)
// for each normalised stretch of text between them, in order.
func (a *addedVocab) each(text string, n normalizer, fn func(string, int32)) {
	splitAdded(text, a.raw, func(seg string, id int32) {
		if id >= 0 {
			fn(seg, id)
			return
		}
		if n != nil {
			seg = n(seg)
		}
		splitAdded(seg, a.norm, fn)
	})
}

func splitAdded(s string, toks []addedToken, fn func(string, int32)) {
	if len(toks) == 0 {
		if s != "" {
			fn(s, -1)
		}
		return
	}
	var first [256]bool
	for _, t := range toks {
		first[t.content[0]] = true
	}
	pending := 0
	for i := 0; i < len(s); {
		if !first[s[i]] {
			i++
			continue
		}
		best, bestLen := -1, 0
		for k, t := range toks {
			if len(t.content) > bestLen && strings.HasPrefix(s[i:], t.content) {
				best, bestLen = k, len(t.content)
			}
		}
		if best < 0 {
			i++
			continue
		}
		t := toks[best]
		ms, me := i, i+bestLen
		if t.lstrip {
			for ms > pending {
				r, sz := utf8.DecodeLastRuneInString(s[pending:ms])
				if !isWhiteSpace(r) {
					break
				}
				ms -= sz
			}
		}
		if t.rstrip {
			for me < len(s) {
				r, sz := utf8.DecodeRuneInString(s[me:])
				if !isWhiteSpace(r) {
					break
				}
				me += sz
			}
		}
		if ms > pending {
			fn(s[pending:ms], -1)
		}
		fn(s[ms:me], t.id)
		pending, i = me, me
	}
	if pending < len(s) {
		fn(s[pending:], -1)
	}
}
