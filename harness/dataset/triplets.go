package dataset

import (
	"errors"
	"fmt"
	"io"

	"github.com/srbench/srbench/harness/scorer"
)

// TripletStats counts what ReadTriplets made of a dataset's pairs.
type TripletStats struct {
	Pairs    int // pairs read
	Triplets int // pairs with a preferred image, turned into triplets
	Ties     int // pairs labelled a tie: no preferred image, left out
}

// ReadTriplets reads every pair of the dataset spec names (any format Open
// reads, images checked to exist) as training triplets: the prompt, the
// preferred image and the other one, with the pair's weight. Tied pairs
// have no preferred image; they are counted in the stats, never silently
// dropped, and a dataset of only ties is an error. This is how the host
// hands training data to a trainer plugin, which never parses a dataset
// format itself.
func ReadTriplets(spec Spec) ([]scorer.Triplet, TripletStats, error) {
	spec.CheckImages = true
	src, err := Open(spec)
	if err != nil {
		return nil, TripletStats{}, err
	}
	defer src.Close()
	var out []scorer.Triplet
	var st TripletStats
	ref := func(im ImageRef) scorer.ImageRef { return scorer.ImageRef{Path: im.Path, Data: im.Bytes} }
	for {
		p, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, st, err
		}
		st.Pairs++
		t := scorer.Triplet{ID: p.ID, Prompt: p.Prompt, Weight: p.Weight}
		switch p.Label {
		case LabelA:
			t.Preferred, t.Other = ref(p.A), ref(p.B)
		case LabelB:
			t.Preferred, t.Other = ref(p.B), ref(p.A)
		default:
			st.Ties++
			continue
		}
		out = append(out, t)
	}
	st.Triplets = len(out)
	if len(out) == 0 {
		return nil, st, fmt.Errorf("%s: no triplets: %d pairs, %d of them tied (a tie has no preferred image)", spec.Path, st.Pairs, st.Ties)
	}
	return out, st, nil
}
