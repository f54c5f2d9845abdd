package curate_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/srbench/srbench/harness/curate"
	"github.com/srbench/srbench/harness/simworld"
)

// trueShare is the share of training triplets whose positive truly has the higher appeal.
func trueShare(t *testing.T, res curate.Result, truth map[string]simworld.Truth) float64 {
	t.Helper()
	good, n := 0, 0
	for _, tr := range res.Triplets {
		if tr.Split != curate.SplitTrain {
			continue
		}
		n++
		if truth[tr.Pos.ImageID].Appeal > truth[tr.Neg.ImageID].Appeal {
			good++
		}
	}
	if n < 500 {
		t.Fatalf("only %d training triplets", n)
	}
	return float64(good) / float64(n)
}

// curateWorld curates a simulated world without writing its PNGs: the images' hashes
// come from the simulator (the same values DecodeHash gives for the written files; see
// simworld's tests).
func curateWorld(t *testing.T, w simworld.World, o curate.Options) curate.Result {
	t.Helper()
	o.ImageRoot = filepath.FromSlash("/simulated")
	o.ImageHash = w.ImageHasher(o.ImageRoot)
	o.Seed = w.Options.Seed
	res, err := curate.Curate(w.LogRows(), o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestControlsAgainstGroundTruth: on simulated communities whose remix counts are
// confounded by exposure time, follower reach and prompt popularity, the debiased
// controls pick the truly more appealing image at least 10 points more often than raw
// counts, and more often the higher the minimum remix ratio.
func TestControlsAgainstGroundTruth(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			w, err := simworld.Simulate(simworld.Options{Seed: seed, Prompts: 200})
			if err != nil {
				t.Fatal(err)
			}
			truth := w.TruthByID()
			raw := trueShare(t, curateWorld(t, w, curate.Options{Preset: curate.PresetRaw}), truth)
			deb := trueShare(t, curateWorld(t, w, curate.Options{}), truth)
			t.Logf("raw %.3f, debiased %.3f", raw, deb)
			if deb-raw < 0.10 {
				t.Errorf("debiased %.3f is not 10 points above raw %.3f", deb, raw)
			}
			prev := 0.0
			for _, r := range []float64{1.25, 2, 5} {
				s := trueShare(t, curateWorld(t, w, curate.Options{MinRatio: r}), truth)
				t.Logf("min_ratio %g: %.3f", r, s)
				if s <= prev {
					t.Errorf("min_ratio %g: share %.3f does not rise above %.3f", r, s, prev)
				}
				prev = s
			}
		})
	}
}

// TestControlsWithViews: with views in the log, the debiased preset rates per view.
func TestControlsWithViews(t *testing.T) {
	w, err := simworld.Simulate(simworld.Options{Seed: 4, Prompts: 200, Views: true})
	if err != nil {
		t.Fatal(err)
	}
	truth := w.TruthByID()
	rawRes := curateWorld(t, w, curate.Options{Preset: curate.PresetRaw})
	debRes := curateWorld(t, w, curate.Options{})
	raw, deb := trueShare(t, rawRes, truth), trueShare(t, debRes, truth)
	t.Logf("views: raw %.3f, debiased %.3f", raw, deb)
	if debRes.ExposureBasis != "views" || deb-raw < 0.10 {
		t.Errorf("basis %q, debiased %.3f vs raw %.3f", debRes.ExposureBasis, deb, raw)
	}
}

// TestNoPromptLeaksAcrossSplits checks the split of a simulated world.
func TestNoPromptLeaksAcrossSplits(t *testing.T) {
	w, err := simworld.Simulate(simworld.Options{Seed: 5, Prompts: 100})
	if err != nil {
		t.Fatal(err)
	}
	res := curateWorld(t, w, curate.Options{})
	splitOf := map[string]map[string]bool{}
	for _, tr := range res.Triplets {
		if splitOf[tr.PromptID] == nil {
			splitOf[tr.PromptID] = map[string]bool{}
		}
		splitOf[tr.PromptID][tr.Split] = true
	}
	counts := map[string]int{}
	for p, s := range splitOf {
		if len(s) != 1 {
			t.Errorf("prompt %s is in %d splits: %v", p, len(s), s)
		}
		for k := range s {
			counts[k]++
		}
	}
	if counts[curate.SplitTest] == 0 || counts[curate.SplitValidation] == 0 || counts[curate.SplitTrain] < 4*counts[curate.SplitTest] {
		t.Errorf("prompts per split: %v", counts)
	}
}
