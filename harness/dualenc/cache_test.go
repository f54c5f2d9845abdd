package dualenc

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// bits returns the float32 bit patterns of vecs (nil rows stay nil), so
// vectors compare exactly, NaN payloads and signed zeros included.
func bits(vecs [][]float32) [][]uint32 {
	out := make([][]uint32, len(vecs))
	for i, v := range vecs {
		if v == nil {
			continue
		}
		out[i] = make([]uint32, len(v))
		for j, x := range v {
			out[i][j] = math.Float32bits(x)
		}
	}
	return out
}

// TestEmbeddingCache: vectors round-trip bit for bit (through a reopen of
// the database), keys are per identity, unknown keys and nil vectors miss,
// and a second Put replaces.
func TestEmbeddingCache(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "embeddings.sqlite") // the directory is created
	c, err := OpenEmbeddingCache(path)
	if err != nil {
		t.Fatal(err)
	}
	vecs := [][]float32{
		{1.0 / 3, -0.5, float32(math.Pi), 1e-38},
		{float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32, math.MaxFloat32, float32(math.Inf(-1))},
		{math.Float32frombits(0x7fc00001)}, // a NaN with a payload
		nil,                                // skipped by Put
	}
	keys := []string{"t:aa", "i:bb", "i:cc", "t:dd"}
	if err := c.Put("id1", keys, vecs); err != nil {
		t.Fatal(err)
	}
	if err := c.Put("id2", keys[:1], [][]float32{{7, 8}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c, err = OpenEmbeddingCache(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	tests := []struct {
		name     string
		identity string
		keys     []string
		want     [][]float32
	}{
		{"round trip", "id1", keys, vecs},
		{"other identity", "id2", keys, [][]float32{{7, 8}, nil, nil, nil}},
		{"unknown identity", "id3", keys[:2], [][]float32{nil, nil}},
		{"unknown keys", "id1", []string{"t:zz", "i:aa", "aa"}, [][]float32{nil, nil, nil}},
		{"repeated and reordered", "id1", []string{"i:cc", "t:aa", "t:aa"}, [][]float32{vecs[2], vecs[0], vecs[0]}},
		{"no keys", "id1", nil, [][]float32{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.Get(tc.identity, tc.keys)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(bits(tc.want), bits(got)); diff != "" {
				t.Errorf("Get (-want +got bits):\n%s", diff)
			}
		})
	}

	t.Run("put replaces", func(t *testing.T) {
		if err := c.Put("id1", []string{"t:aa"}, [][]float32{{4, 5, 6}}); err != nil {
			t.Fatal(err)
		}
		got, err := c.Get("id1", []string{"t:aa", "i:bb"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(bits([][]float32{{4, 5, 6}, vecs[1]}), bits(got)); diff != "" {
			t.Errorf("Get after a second Put (-want +got bits):\n%s", diff)
		}
	})
}
