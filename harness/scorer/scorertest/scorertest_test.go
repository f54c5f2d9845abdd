package scorertest

import (
	"context"
	"testing"

	"github.com/srbench/srbench/harness/scorer"
)

// The jitter option adds a value in [0, 1) that depends on the seed, the
// prompt and the image, the same every time.
func TestJitter(t *testing.T) {
	ctx := context.Background()
	items := []scorer.Item{
		{ID: "1", Prompt: "red cube", ImageBytes: make([]byte, 1234), ImagePath: "a.png"},
		{ID: "2", Prompt: "red cube", ImageBytes: make([]byte, 1234), ImagePath: "b.png"},
	}
	score := func(opts map[string]string) []scorer.Result {
		t.Helper()
		sc, err := New(ctx, scorer.Config{Options: opts})
		if err != nil {
			t.Fatal(err)
		}
		res, err := scorer.ScoreItems(ctx, sc, items)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	plain := score(nil)
	cases := []struct{ name, seed string }{{"seed x", "x"}, {"seed y", "y"}, {"empty seed", ""}}
	seen := map[float64]string{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := score(map[string]string{"jitter": c.seed})
			for i, r := range got {
				j := r.Score - plain[i].Score
				if !(j >= 0 && j < 1) {
					t.Errorf("item %d: jitter %v, want in [0, 1)", i, j)
				}
				if prev, dup := seen[j]; dup {
					t.Errorf("item %d: jitter %v equals that of %s", i, j, prev)
				}
				seen[j] = c.name
				if again := score(map[string]string{"jitter": c.seed})[i].Score; again != r.Score {
					t.Errorf("item %d: %v then %v, want deterministic", i, r.Score, again)
				}
			}
		})
	}
}
