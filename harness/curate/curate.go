package curate

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
)

// The three splits, in output order.
const (
	SplitTrain      = "train"
	SplitValidation = "validation"
	SplitTest       = "test"
)

// Splits returns the split names in output order.
func Splits() []string { return []string{SplitTrain, SplitValidation, SplitTest} }

// Triplet is one curated preference: for Prompt, the community took up Pos more than Neg.
type Triplet struct {
	PromptID string
	Prompt   string
	Pos, Neg LogRow
	// Strength is the ratio of the controlled rates, positive over negative (the remix
	// ratio). Below 1 only for pairs decided by the creator signal ("promote").
	Strength float64
	Creator  bool   // decided by the creator signal
	Split    string // SplitTrain, SplitValidation or SplitTest
}

// Result is the outcome of Curate.
type Result struct {
	Options  Options   // resolved
	Triplets []Triplet // by split (train, validation, test), then prompt id, positive id, negative id
	Funnel   Funnel
	// ExposureBasis is what rates were divided by: "days", "views" or "none".
	ExposureBasis string
	// FollowerExponent is the b of rate/(1+followers)^b applied by "normalize" (fitted from
	// the log when FollowerExponentFitted); 0 for the other follower controls.
	FollowerExponent       float64
	FollowerExponentFitted bool
	Warnings               []string
}

// minExposureDays floors the exposure used as a rate's denominator (one hour), so that an
// image observed the moment it was posted still has a finite rate.
const minExposureDays = 1.0 / 24

// image is the working state of one log row.
type item struct {
	row   LogRow
	alive bool
	hash  uint64
	logS  float64 // log of the controlled rate
	band  int
}

type promptGroup struct {
	id, prompt string
	imgs       []int // indices into the image slice, by created_at then image_id
}

// Curate turns engagement-log rows into preference triplets under the controls of opts
// (see the package documentation for each control, in funnel order). It reads the image
// files (relative to opts.ImageRoot) to hash them, and fails on malformed rows.
func Curate(rows []LogRow, opts Options) (Result, error) {
	o, err := opts.Resolve()
	if err != nil {
		return Result{}, err
	}
	imgs, err := checkRows(rows)
	if err != nil {
		return Result{}, err
	}
	res := Result{Options: o}
	groups := groupByPrompt(imgs)
	c := &counter{imgs: imgs, groups: groups}
	f := &res.Funnel

	imgsIn, pairsIn := c.count()
	f.Stages = append(f.Stages, Stage{Name: "input", Control: "pairs within one prompt (always)", ImagesIn: imgsIn, PairsIn: pairsIn,
		Note: fmt.Sprintf("%d prompts", len(groups))})

	// Images: readable (and hashed when de-duplicating).
	msgs := readImages(imgs, o.ImageRoot, o.DedupHamming >= 0, o.ImageHash)
	c.imageStage(f, "image_unreadable", "(always)", func(i int) string { return msgs[i] })

	switch o.Exposure {
	case ExposurePerView:
		res.ExposureBasis = "views"
		c.imageStage(f, "no_views", "exposure=per_view", func(i int) string {
			if !imgs[i].row.HasViews {
				return fmt.Sprintf("%s: image %q has no views", imgs[i].row.where(), imgs[i].row.ImageID)
			}
			return ""
		})
	case ExposureAuto:
		res.ExposureBasis = "views"
		for i := range imgs {
			if imgs[i].alive && !imgs[i].row.HasViews {
				res.ExposureBasis = "days"
				break
			}
		}
	case ExposurePerDay:
		res.ExposureBasis = "days"
	default:
		res.ExposureBasis = "none"
	}

	if o.MinExposureDays > 0 {
		c.imageStage(f, "min_exposure", fmt.Sprintf("min_exposure_days=%g", o.MinExposureDays), func(i int) string {
			if d := imgs[i].row.ExposureDays(); d < o.MinExposureDays {
				return fmt.Sprintf("%s: image %q exposed %.3g days", imgs[i].row.where(), imgs[i].row.ImageID, d)
			}
			return ""
		})
	}

	if o.DedupHamming >= 0 {
		dup := nearDuplicates(imgs, groups, o.DedupHamming)
		c.imageStage(f, "near_duplicates", fmt.Sprintf("dedup_hamming=%d", o.DedupHamming), func(i int) string { return dup[i] })
	}

	// Rates and the follower control.
	for i := range imgs {
		im := &imgs[i]
		if !im.alive {
			continue
		}
		e := 1.0
		switch res.ExposureBasis {
		case "days":
			e = max(im.row.ExposureDays(), minExposureDays)
		case "views":
			e = max(float64(im.row.Views), 1)
		}
		im.logS = math.Log(float64(im.row.Remixes)+o.Smoothing) - math.Log(e)
		if o.Smoothing == 0 && im.row.Remixes == 0 {
			im.logS = math.Inf(-1)
		}
	}
	switch o.FollowerControl {
	case FollowersNormalize:
		b := o.FollowerExponent
		if b == 0 {
			var ok bool
			b, ok = fitFollowerExponent(imgs, groups)
			res.FollowerExponentFitted = true
			if !ok {
				res.Warnings = append(res.Warnings, "follower_control=normalize: cannot fit the follower exponent (no prompt has images of authors with different follower counts); using 0")
			}
		}
		res.FollowerExponent = b
		for i := range imgs {
			imgs[i].logS -= b * math.Log1p(float64(imgs[i].row.AuthorFollowers))
		}
	case FollowersBands:
		for i := range imgs {
			imgs[i].band = int(math.Floor(math.Log10(1+float64(imgs[i].row.AuthorFollowers)) / o.FollowerBandWidth))
		}
	}

	// Pairs.
	ps := newPairStages(o)
	var kept [][]Triplet // per group
	for _, g := range groups {
		var alive []int
		for _, i := range g.imgs {
			if imgs[i].alive {
				alive = append(alive, i)
			}
		}
		var ts []Triplet
		for a := 0; a < len(alive); a++ {
			for b := a + 1; b < len(alive); b++ {
				if t, ok := ps.judge(&imgs[alive[a]], &imgs[alive[b]], o); ok {
					t.PromptID, t.Prompt = g.id, g.prompt
					ts = append(ts, t)
				}
			}
		}
		kept = append(kept, ts)
	}
	imgsNow, _ := c.count()
	ps.appendTo(f, imgsNow)

	// The per-prompt cap.
	capIn, capRemoved := 0, 0
	for k, g := range groups {
		ts := kept[k]
		capIn += len(ts)
		if o.MaxPairsPerPrompt >= 0 && len(ts) > o.MaxPairsPerPrompt {
			if o.CapOrder == CapStrongest {
				slices.SortStableFunc(ts, func(x, y Triplet) int { return cmp.Compare(y.Strength, x.Strength) })
			} else {
				rng := rand.New(rand.NewPCG(o.Seed, hashString("cap:"+g.id)))
				rng.Shuffle(len(ts), func(i, j int) { ts[i], ts[j] = ts[j], ts[i] })
			}
			capRemoved += len(ts) - o.MaxPairsPerPrompt
			ts = ts[:o.MaxPairsPerPrompt]
		}
		slices.SortFunc(ts, compareTriplets)
		kept[k] = ts
	}
	capControl := "max_pairs_per_prompt=none"
	if o.MaxPairsPerPrompt >= 0 {
		capControl = fmt.Sprintf("max_pairs_per_prompt=%d (%s)", o.MaxPairsPerPrompt, o.CapOrder)
	}
	f.Stages = append(f.Stages, Stage{Name: "per_prompt_cap", Control: capControl, ImagesIn: imgsNow, PairsIn: capIn, PairsRemoved: capRemoved})

	// The split, by prompt.
	var withPairs []int
	for k := range groups {
		if len(kept[k]) > 0 {
			withPairs = append(withPairs, k)
		}
	}
	splitOf := splitPrompts(len(withPairs), o)
	bySplit := map[string][]Triplet{}
	f.Splits = []SplitCount{{Name: SplitTrain}, {Name: SplitValidation}, {Name: SplitTest}}
	for n, k := range withPairs {
		s := splitOf[n]
		for i := range kept[k] {
			kept[k][i].Split = Splits()[s]
		}
		bySplit[Splits()[s]] = append(bySplit[Splits()[s]], kept[k]...)
		f.Splits[s].Prompts++
		f.Splits[s].Triplets += len(kept[k])
	}
	for _, s := range Splits() {
		res.Triplets = append(res.Triplets, bySplit[s]...)
	}
	f.Triplets = len(res.Triplets)
	f.Images, _ = c.count()
	return res, nil
}

func compareTriplets(x, y Triplet) int {
	if c := cmp.Compare(x.PromptID, y.PromptID); c != 0 {
		return c
	}
	if c := cmp.Compare(x.Pos.ImageID, y.Pos.ImageID); c != 0 {
		return c
	}
	return cmp.Compare(x.Neg.ImageID, y.Neg.ImageID)
}

// splitPrompts assigns each of n prompts (in prompt-id order) a split index: a seeded
// shuffle, then the first round(n·train) to train, the next round(n·(train+val)) − that to
// validation, the rest to test.
func splitPrompts(n int, o Options) []int {
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	rng := rand.New(rand.NewPCG(o.Seed, hashString("split")))
	rng.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
	nTrain := int(math.Round(float64(n) * o.TrainFrac))
	nTrainVal := int(math.Round(float64(n) * (o.TrainFrac + o.ValidationFrac)))
	if o.TestFrac == 0 {
		nTrainVal = n
	}
	out := make([]int, n)
	for pos, idx := range perm {
		switch {
		case pos < nTrain:
			out[idx] = 0
		case pos < nTrainVal:
			out[idx] = 1
		default:
			out[idx] = 2
		}
	}
	return out
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func (r LogRow) where() string {
	if r.Source != "" {
		return r.Source
	}
	return "(in memory)"
}

// checkRows validates rows built in memory (rows from a LogReader already are) and
// fills default prompt ids.
func checkRows(rows []LogRow) ([]item, error) {
	imgs := make([]item, len(rows))
	seen := make(map[string]int, len(rows))
	prompts := map[string]string{}
	for i, r := range rows {
		where := r.Source
		if where == "" {
			where = fmt.Sprintf("row %d", i)
		}
		bad := func(field, format string, a ...any) error {
			return fmt.Errorf("curate: %s: field %q: %s", where, field, fmt.Sprintf(format, a...))
		}
		switch {
		case r.ImageID == "":
			return nil, bad("image_id", "is empty (want a unique id)")
		case r.Prompt == "":
			return nil, bad("prompt", "is empty")
		case r.AuthorFollowers < 0:
			return nil, bad("author_followers", "is %d (want an integer >= 0)", r.AuthorFollowers)
		case r.Remixes < 0:
			return nil, bad("remixes", "is %d (want an integer >= 0)", r.Remixes)
		case r.HasViews && r.Views < 0:
			return nil, bad("views", "is %d (want an integer >= 0)", r.Views)
		case r.HasCreatorRemixes && r.CreatorRemixes < 0:
			return nil, bad("creator_remixes", "is %d (want an integer >= 0)", r.CreatorRemixes)
		case r.ObservedAt.Before(r.CreatedAt):
			return nil, bad("observed_at", "is before created_at (want observed_at >= created_at)")
		}
		if msg := checkImagePath(r.ImagePath); msg != "" || r.ImagePath == "" {
			if msg == "" {
				msg = "is empty"
			}
			return nil, bad("image_path", "%s", msg)
		}
		if j, dup := seen[r.ImageID]; dup {
			return nil, bad("image_id", "%q already used by row %d (want unique ids)", r.ImageID, j)
		}
		seen[r.ImageID] = i
		if r.PromptID == "" {
			r.PromptID = PromptHash(r.Prompt)
		}
		if t, ok := prompts[r.PromptID]; ok && t != r.Prompt {
			return nil, bad("prompt", "prompt_id %q has two texts: %q and %q", r.PromptID, t, r.Prompt)
		}
		prompts[r.PromptID] = r.Prompt
		imgs[i] = item{row: r, alive: true}
	}
	return imgs, nil
}

// groupByPrompt groups image indices by prompt id (sorted), each by created_at, then id.
func groupByPrompt(imgs []item) []promptGroup {
	idx := map[string]int{}
	var groups []promptGroup
	for i, im := range imgs {
		k, ok := idx[im.row.PromptID]
		if !ok {
			k = len(groups)
			idx[im.row.PromptID] = k
			groups = append(groups, promptGroup{id: im.row.PromptID, prompt: im.row.Prompt})
		}
		groups[k].imgs = append(groups[k].imgs, i)
	}
	slices.SortFunc(groups, func(a, b promptGroup) int { return cmp.Compare(a.id, b.id) })
	for _, g := range groups {
		slices.SortFunc(g.imgs, func(a, b int) int {
			if c := imgs[a].row.CreatedAt.Compare(imgs[b].row.CreatedAt); c != 0 {
				return c
			}
			return cmp.Compare(imgs[a].row.ImageID, imgs[b].row.ImageID)
		})
	}
	return groups
}

// readImages checks every image file (hashing it with hasher when hash is set, else
// checking that it is a regular file) and returns, per image, "" or why it is unusable.
func readImages(imgs []item, root string, hash bool, hasher func(string) (uint64, error)) []string {
	if hash && hasher == nil {
		hasher = DecodeHash
	}
	msgs := make([]string, len(imgs))
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				im := &imgs[i]
				path := filepath.Join(root, filepath.FromSlash(im.row.ImagePath))
				var err error
				if hash {
					im.hash, err = hasher(path)
				} else {
					var fi os.FileInfo
					if fi, err = os.Stat(path); err == nil && !fi.Mode().IsRegular() {
						err = fmt.Errorf("%q is not a regular file", path)
					}
				}
				if err != nil {
					msgs[i] = fmt.Sprintf("%s: field \"image_path\": image %q unusable: %v", im.row.where(), im.row.ImagePath, err)
				}
			}
		}()
	}
	for i := range imgs {
		work <- i
	}
	close(work)
	wg.Wait()
	return msgs
}

// nearDuplicates marks, within each prompt, every image whose hash is within maxDist of
// an earlier-posted image that is kept.
func nearDuplicates(imgs []item, groups []promptGroup, maxDist int) []string {
	msgs := make([]string, len(imgs))
	for _, g := range groups {
		var keep []int
		for _, i := range g.imgs {
			if !imgs[i].alive {
				continue
			}
			dup := false
			for _, k := range keep {
				if d := Hamming(imgs[i].hash, imgs[k].hash); d <= maxDist {
					msgs[i] = fmt.Sprintf("%s: image %q is a near-duplicate of %q (Hamming distance %d)", imgs[i].row.where(), imgs[i].row.ImageID, imgs[k].row.ImageID, d)
					dup = true
					break
				}
			}
			if !dup {
				keep = append(keep, i)
			}
		}
	}
	return msgs
}

// fitFollowerExponent is the within-prompt least-squares slope of the log rate on
// log(1+followers), clamped to [0, 2]; false when no prompt has follower variation.
func fitFollowerExponent(imgs []item, groups []promptGroup) (float64, bool) {
	var sxy, sxx float64
	for _, g := range groups {
		var xs, ys []float64
		for _, i := range g.imgs {
			if imgs[i].alive && !math.IsInf(imgs[i].logS, 0) {
				xs = append(xs, math.Log1p(float64(imgs[i].row.AuthorFollowers)))
				ys = append(ys, imgs[i].logS)
			}
		}
		if len(xs) < 2 {
			continue
		}
		var mx, my float64
		for k := range xs {
			mx += xs[k]
			my += ys[k]
		}
		mx /= float64(len(xs))
		my /= float64(len(xs))
		for k := range xs {
			sxy += (xs[k] - mx) * (ys[k] - my)
			sxx += (xs[k] - mx) * (xs[k] - mx)
		}
	}
	if sxx < 1e-12 {
		return 0, false
	}
	return min(max(sxy/sxx, 0), 2), true
}

// counter counts live images and candidate pairs (all pairs of live images of a prompt).
type counter struct {
	imgs   []item
	groups []promptGroup
}

func (c *counter) count() (imgs, pairs int) {
	for _, g := range c.groups {
		n := 0
		for _, i := range g.imgs {
			if c.imgs[i].alive {
				n++
			}
		}
		imgs += n
		pairs += n * (n - 1) / 2
	}
	return imgs, pairs
}

// imageStage drops every live image for which why returns a message, and records the stage.
func (c *counter) imageStage(f *Funnel, name, control string, why func(i int) string) {
	imgsIn, pairsIn := c.count()
	st := Stage{Name: name, Control: control, ImagesIn: imgsIn, PairsIn: pairsIn}
	for _, g := range c.groups {
		for _, i := range g.imgs {
			if !c.imgs[i].alive {
				continue
			}
			if msg := why(i); msg != "" {
				c.imgs[i].alive = false
				if len(st.Examples) < MaxExamples {
					st.Examples = append(st.Examples, msg)
				}
			}
		}
	}
	imgsOut, pairsOut := c.count()
	st.ImagesRemoved, st.PairsRemoved = imgsIn-imgsOut, pairsIn-pairsOut
	f.Stages = append(f.Stages, st)
}

// pairStages judges candidate pairs, counting removals per stage.
type pairStages struct {
	names    []string
	controls []string
	removed  []int
	active   []bool
	total    int
	promoted int
	promote  bool
}

const (
	stBands = iota
	stCreator
	stTies
	stCounts
	stRatio
	nPairStages
)

func newPairStages(o Options) *pairStages {
	ps := &pairStages{names: make([]string, nPairStages), controls: make([]string, nPairStages),
		removed: make([]int, nPairStages), active: []bool{o.FollowerControl == FollowersBands, o.CreatorSignal != CreatorOff, true, true, true}}
	ps.names[stBands], ps.controls[stBands] = "follower_bands", fmt.Sprintf("follower_control=bands (width %g decades)", o.FollowerBandWidth)
	ps.names[stCreator], ps.controls[stCreator] = "creator_signal", fmt.Sprintf("creator_signal=%s (min %d)", o.CreatorSignal, o.CreatorMinRemixes)
	ps.names[stTies], ps.controls[stTies] = "ties", "(always)"
	ps.names[stCounts], ps.controls[stCounts] = "min_counts", fmt.Sprintf("min_pos_remixes=%s min_neg_remixes=%s", optInt(o.MinPosRemixes), optInt(o.MinNegRemixes))
	ps.names[stRatio], ps.controls[stRatio] = "min_ratio", fmt.Sprintf("min_ratio=%g", o.MinRatio)
	ps.promote = o.CreatorSignal == CreatorPromote
	return ps
}

func optInt(v int) string {
	if v < 0 {
		return "none"
	}
	return fmt.Sprint(v)
}

func creatorMarked(r LogRow, o Options) bool {
	return r.HasCreatorRemixes && r.CreatorRemixes >= int64(o.CreatorMinRemixes)
}

// judge runs one candidate pair through the pair stages; ok when it survives.
func (ps *pairStages) judge(x, y *item, o Options) (Triplet, bool) {
	ps.total++
	drop := func(st int) (Triplet, bool) { ps.removed[st]++; return Triplet{}, false }
	if o.FollowerControl == FollowersBands && x.band != y.band {
		return drop(stBands)
	}
	d := x.logS - y.logS
	tie := math.Abs(d) <= 1e-12 || (math.IsInf(x.logS, -1) && math.IsInf(y.logS, -1))
	pos, neg := x, y
	if d < 0 {
		pos, neg = y, x
	}
	cx, cy := creatorMarked(x.row, o), creatorMarked(y.row, o)
	decided := false
	switch o.CreatorSignal {
	case CreatorPromote:
		if cx != cy {
			decided = true
			if cy {
				pos, neg = y, x
			} else {
				pos, neg = x, y
			}
		}
	case CreatorVeto:
		if !tie && creatorMarked(neg.row, o) && !creatorMarked(pos.row, o) {
			return drop(stCreator)
		}
	}
	ratio := math.Exp(pos.logS - neg.logS)
	if decided {
		ps.promoted++
	} else {
		if tie {
			return drop(stTies)
		}
		if (o.MinPosRemixes >= 0 && pos.row.Remixes < int64(o.MinPosRemixes)) || (o.MinNegRemixes >= 0 && neg.row.Remixes < int64(o.MinNegRemixes)) {
			return drop(stCounts)
		}
		if ratio < o.MinRatio*(1-1e-12) {
			return drop(stRatio)
		}
	}
	return Triplet{Pos: pos.row, Neg: neg.row, Strength: ratio, Creator: decided}, true
}

// appendTo records the pair stages that are active under the options.
func (ps *pairStages) appendTo(f *Funnel, imgs int) {
	in := ps.total
	for st := 0; st < nPairStages; st++ {
		if !ps.active[st] {
			continue
		}
		s := Stage{Name: ps.names[st], Control: ps.controls[st], ImagesIn: imgs, PairsIn: in, PairsRemoved: ps.removed[st]}
		if st == stCreator && ps.promote {
			s.Note = fmt.Sprintf("%d pairs decided by top-creator remixes (exempt from ties, min_counts, min_ratio)", ps.promoted)
		}
		f.Stages = append(f.Stages, s)
		in -= ps.removed[st]
	}
}
