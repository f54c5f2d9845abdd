package tokenize

import (
	"fmt"
	"strings"
	"sync"
)

// bytesToUnicode is CLIP's (and GPT-2's) table of 256 printable characters
// standing for the bytes: order[i] is the byte with vocabulary index i and
// char[b] the character of byte b.
func bytesToUnicode() (order [256]byte, char [256]rune) {
	n := 0
	for b := 0; b < 256; b++ {
		if ('!' <= b && b <= '~') || (0xa1 <= b && b <= 0xac) || (0xae <= b && b <= 0xff) {
			order[n] = byte(b)
			char[b] = rune(b)
			n++
		}
	}
	extra := 0
	for b := 0; b < 256; b++ {
		if ('!' <= b && b <= '~') || (0xa1 <= b && b <= 0xac) || (0xae <= b && b <= 0xff) {
			continue
		}
		order[n] = byte(b)
		char[b] = rune(256 + extra)
		n++
		extra++
	}
	return order, char
}

const (
	// bpeCacheSize bounds the per-tokenizer cache of encoded pieces
	// (Hugging Face's default capacity).
	bpeCacheSize = 10000
	// bpeCacheMaxPiece is the longest piece (bytes) worth caching.
	bpeCacheMaxPiece = 256
	// bpeNaiveMax is the symbol count up to which the quadratic merge loop
	// is used; longer pieces use the heap.
	bpeNaiveMax = 48
)

// bpeModel is a byte-level BPE model with an end-of-word suffix on the
// last symbol of each piece. It is immutable after construction except for
// its cache, which is guarded.
type bpeModel struct {
	tokens  []string         // id -> token ("" for unused ids)
	ids     map[string]int32 // token -> id
	merges  map[uint64]uint64
	byteID  [256]int32 // symbol of byte b, -1 if not in the vocabulary
	byteEOW [256]int32 // symbol of byte b with the suffix
	unk     int32      // -1: no unknown token

	mu    sync.RWMutex
	cache map[string][]int32
}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// newBPEModel builds a model from the vocabulary and the ranked merges
// (merges[r] is the pair of rank r). Like Python's dict, a later duplicate
// wins. Merges whose parts or result are not in the vocabulary can never
// apply and are skipped.
func newBPEModel(vocab map[string]int32, merges [][2]string, suffix, unk string) (*bpeModel, error) {
	m := &bpeModel{ids: vocab, merges: make(map[uint64]uint64, len(merges)), unk: -1,
		cache: make(map[string][]int32)}
	maxID := int32(-1)
	for _, id := range vocab {
		if id < 0 {
			return nil, fmt.Errorf("negative token id %d", id)
		}
		maxID = max(maxID, id)
	}
	m.tokens = make([]string, maxID+1)
	for tok, id := range vocab {
		m.tokens[id] = tok
	}
	for r, mg := range merges {
		a, okA := vocab[mg[0]]
		b, okB := vocab[mg[1]]
		c, okC := vocab[mg[0]+mg[1]]
		if !okA || !okB || !okC {
			continue
		}
		m.merges[pairKey(a, b)] = uint64(r)<<32 | uint64(uint32(c))
	}
	_, char := bytesToUnicode()
	for b := 0; b < 256; b++ {
		m.byteID[b], m.byteEOW[b] = -1, -1
		if id, ok := vocab[string(char[b])]; ok {
			m.byteID[b] = id
		}
		if id, ok := vocab[string(char[b])+suffix]; ok {
			m.byteEOW[b] = id
		}
	}
	if unk != "" {
		id, ok := vocab[unk]
		if !ok {
			return nil, fmt.Errorf("unk_token %q is not in the vocabulary", unk)
		}
		m.unk = id
	}
	for b := 0; b < 256; b++ {
		if (m.byteID[b] < 0 || m.byteEOW[b] < 0) && m.unk < 0 {
			return nil, fmt.Errorf("byte 0x%02x has no symbol in the vocabulary and there is no unk_token", b)
		}
	}
	return m, nil
}

// appendPiece appends the ids of one pre-tokenized piece (raw UTF-8 bytes).
func (m *bpeModel) appendPiece(dst []int32, piece string) []int32 {
	if len(piece) == 0 {
		return dst
	}
	cacheable := len(piece) <= bpeCacheMaxPiece
	if cacheable {
		m.mu.RLock()
		ids, ok := m.cache[piece]
		m.mu.RUnlock()
		if ok {
			return append(dst, ids...)
		}
	}
	w := make([]int32, len(piece))
	for i := 0; i < len(piece); i++ {
		id := m.byteID[piece[i]]
		if i == len(piece)-1 {
			id = m.byteEOW[piece[i]]
		}
		if id < 0 {
			id = m.unk
		}
		w[i] = id
	}
	if len(w) <= bpeNaiveMax {
		w = m.mergeNaive(w)
	} else {
		w = m.mergeHeap(w)
	}
	if cacheable {
		m.mu.Lock()
		if len(m.cache) < bpeCacheSize {
			// Clone the key: piece points into the whole normalised text.
			m.cache[strings.Clone(piece)] = w
		}
		m.mu.Unlock()
	}
	return append(dst, w...)
}

// mergeNaive is simple_tokenizer.bpe: repeatedly take the pair of lowest
// rank and merge all its occurrences from left to right.
func (m *bpeModel) mergeNaive(w []int32) []int32 {
	for len(w) > 1 {
		best := uint64(1<<64 - 1)
		var a, b int32
		for i := 0; i+1 < len(w); i++ {
			if v, ok := m.merges[pairKey(w[i], w[i+1])]; ok && v < best {
				best, a, b = v, w[i], w[i+1]
			}
		}
		if best == 1<<64-1 {
			break
		}
		merged := int32(uint32(best))
		out := w[:0]
		for i := 0; i < len(w); {
			if i+1 < len(w) && w[i] == a && w[i+1] == b {
				out = append(out, merged)
				i += 2
				continue
			}
			out = append(out, w[i])
			i++
		}
		w = out
	}
	return w
}

// mergeHeap gives the same result as mergeNaive in O(n log n): the pairs
// sit in a heap ordered by (rank, position) and all pairs of the lowest
// rank are merged as one batch from left to right. A merge creates pairs
// of other ranks only (their strings are longer), so a batch is exactly
// the set of occurrences mergeNaive merges in one round.
func (m *bpeModel) mergeHeap(w []int32) []int32 {
	n := len(w)
	next := make([]int32, n)
	prev := make([]int32, n)
	for i := range n {
		next[i] = int32(i + 1)
		prev[i] = int32(i - 1)
	}
	next[n-1] = -1
	h := pairHeap{}
	push := func(p int32) {
		q := next[p]
		if p < 0 || q < 0 {
			return
		}
		if v, ok := m.merges[pairKey(w[p], w[q])]; ok {
			h.push(pairEntry{rank: uint32(v >> 32), pos: p, a: w[p], b: w[q], merged: int32(uint32(v))})
		}
	}
	for i := 0; i+1 < n; i++ {
		push(int32(i))
	}
	for len(h) > 0 {
		rank := h[0].rank
		for len(h) > 0 && h[0].rank == rank {
			e := h.pop()
			p := e.pos
			q := next[p]
			if w[p] != e.a || q < 0 || w[q] != e.b {
				continue // stale: one side was merged already
			}
			w[p] = e.merged
			w[q] = -1
			next[p] = next[q]
			if next[q] >= 0 {
				prev[next[q]] = p
			}
			if prev[p] >= 0 {
				push(prev[p])
			}
			push(p)
		}
	}
	out := w[:0]
	for i := int32(0); i >= 0; i = next[i] {
		out = append(out, w[i])
	}
	return out
}

type pairEntry struct {
	rank         uint32
	pos          int32
	a, b, merged int32
}

// pairHeap is a binary min-heap on (rank, pos).
type pairHeap []pairEntry

func (h pairEntry) less(o pairEntry) bool {
	return h.rank < o.rank || (h.rank == o.rank && h.pos < o.pos)
}

func (h *pairHeap) push(e pairEntry) {
	*h = append(*h, e)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s[i].less(s[p]) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *pairHeap) pop() pairEntry {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(s) && s[l].less(s[m]) {
			m = l
		}
		if r < len(s) && s[r].less(s[m]) {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}
