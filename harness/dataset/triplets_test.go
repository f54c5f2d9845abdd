package dataset

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/srbench/srbench/harness/scorer"
)

func TestReadTriplets(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.png", "A")
	b := writeFile(t, dir, "b.png", "B")
	tests := []struct {
		name      string
		content   string
		want      []scorer.Triplet
		wantStats TripletStats
		wantErr   string
	}{
		{
			name: "labels a and b, a tie counted",
			content: `{"id":"x","prompt":"p","image_a":"a.png","image_b":"b.png","label":"a","weight":2}
{"id":"y","prompt":"q","image_a":"a.png","image_b":"b.png","label":"b"}
{"id":"z","prompt":"r","image_a":"a.png","image_b":"b.png","label":"tie"}
`,
			want: []scorer.Triplet{
				{ID: "x", Prompt: "p", Preferred: scorer.ImageRef{Path: a}, Other: scorer.ImageRef{Path: b}, Weight: 2},
				{ID: "y", Prompt: "q", Preferred: scorer.ImageRef{Path: b}, Other: scorer.ImageRef{Path: a}, Weight: 1},
			},
			wantStats: TripletStats{Pairs: 3, Triplets: 2, Ties: 1},
		},
		{name: "empty", content: "", wantErr: "no triplets: 0 pairs"},
		{name: "only ties", content: `{"prompt":"p","image_a":"a.png","image_b":"b.png","label":"tie"}` + "\n",
			wantErr: "no triplets: 1 pairs, 1 of them tied", wantStats: TripletStats{Pairs: 1, Ties: 1}},
		{name: "missing image", content: `{"prompt":"p","image_a":"a.png","image_b":"gone.png","label":"a"}` + "\n", wantErr: "gone.png"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, dir, filepath.Base(t.Name())+string(rune('0'+i))+".jsonl", tc.content)
			got, st, err := ReadTriplets(Spec{Format: PairsJSONL, Path: path})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("triplets (-want +got):\n%s", diff)
			}
			if tc.wantErr == "" || tc.wantStats != (TripletStats{}) {
				if st != tc.wantStats {
					t.Errorf("stats %+v, want %+v", st, tc.wantStats)
				}
			}
		})
	}
}
