package curate

import (
	"fmt"
	"strings"
)

// Stage is one control of the curation funnel and what it removed. Image stages remove
// images, and with them candidate pairs (every pair of two live images of one prompt);
// pair stages remove pairs only.
type Stage struct {
	Name          string   `json:"name"`
	Control       string   `json:"control"` // the option (and value) behind the stage
	ImagesIn      int      `json:"images_in"`
	ImagesRemoved int      `json:"images_removed"`
	PairsIn       int      `json:"pairs_in"`
	PairsRemoved  int      `json:"pairs_removed"`
	Note          string   `json:"note,omitempty"`
	Examples      []string `json:"examples,omitempty"` // the first few removals, naming file:line
}

// SplitCount is the size of one split.
type SplitCount struct {
	Name     string `json:"name"`
	Prompts  int    `json:"prompts"`
	Triplets int    `json:"triplets"`
}

// Funnel records how the controls, in order, narrowed the log down to the triplets.
type Funnel struct {
	// Read holds the log reader's counters (Run only): rows read, malformed rows skipped
	// (lenient mode) and unknown fields.
	Read     *ReadStats   `json:"read,omitempty"`
	Stages   []Stage      `json:"stages"`
	Splits   []SplitCount `json:"splits"`
	Images   int          `json:"images"`   // images left after the image stages
	Triplets int          `json:"triplets"` // triplets written, all splits
}

// String renders the funnel as a plain-text table.
func (f Funnel) String() string {
	var sb strings.Builder
	if f.Read != nil {
		fmt.Fprintf(&sb, "log: %d rows read, %d kept, %d malformed skipped\n", f.Read.Rows, f.Read.Kept, f.Read.Skipped)
		for _, w := range f.Read.Warnings() {
			fmt.Fprintf(&sb, "  warning: %s\n", w)
		}
	}
	w := len("stage")
	for _, s := range f.Stages {
		w = max(w, len(s.Name))
	}
	fmt.Fprintf(&sb, "%-*s %8s %8s %9s %9s  %s\n", w, "stage", "images", "-images", "pairs", "-pairs", "control")
	for _, s := range f.Stages {
		fmt.Fprintf(&sb, "%-*s %8d %8d %9d %9d  %s\n", w, s.Name, s.ImagesIn, s.ImagesRemoved, s.PairsIn, s.PairsRemoved, s.Control)
	}
	for _, s := range f.Stages {
		if s.Note != "" {
			fmt.Fprintf(&sb, "note %s: %s\n", s.Name, s.Note)
		}
	}
	var parts []string
	for _, s := range f.Splits {
		parts = append(parts, fmt.Sprintf("%s %d prompts / %d triplets", s.Name, s.Prompts, s.Triplets))
	}
	fmt.Fprintf(&sb, "kept %d images, %d triplets: %s\n", f.Images, f.Triplets, strings.Join(parts, ", "))
	return sb.String()
}
