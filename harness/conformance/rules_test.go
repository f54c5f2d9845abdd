package conformance

import (
	"os"
	"strings"
	"testing"

	"github.com/srbench/srbench/harness/scorer"
)

func TestCheckDescription(t *testing.T) {
	good := scorer.Description{Name: "x", Version: "1", Kind: "k", Fingerprint: "none",
		ProtocolVersion: scorer.ProtocolVersion, Capabilities: []string{"score"}}
	hex64 := strings.Repeat("0123456789abcdef", 4)
	tests := []struct {
		name   string
		change func(*scorer.Description)
		want   []string // substrings of the problems, in order; none = valid
	}{
		{"none fingerprint", func(*scorer.Description) {}, nil},
		{"sha256 fingerprint", func(d *scorer.Description) { d.Fingerprint = "sha256:" + hex64 }, nil},
		{"train too", func(d *scorer.Description) { d.Capabilities = []string{"score", "train"} }, nil},
		{"empty fingerprint", func(d *scorer.Description) { d.Fingerprint = "" }, []string{`fingerprint is ""`}},
		{"None", func(d *scorer.Description) { d.Fingerprint = "None" }, []string{`fingerprint is "None"`}},
		{"short hex", func(d *scorer.Description) { d.Fingerprint = "sha256:abc" }, []string{`fingerprint is "sha256:abc"`}},
		{"upper hex", func(d *scorer.Description) { d.Fingerprint = "sha256:" + strings.ToUpper(hex64) }, []string{"lowercase"}},
		{"bare hex", func(d *scorer.Description) { d.Fingerprint = hex64 }, []string{"want \"sha256:\""}},
		{"no name or kind", func(d *scorer.Description) { d.Name, d.Kind = "", " " }, []string{"name is empty", "kind is empty"}},
		{"no version", func(d *scorer.Description) { d.Version = "" }, []string{"version is empty"}},
		{"protocol", func(d *scorer.Description) { d.ProtocolVersion = 2 }, []string{"protocol_version is 2: want 1"}},
		{"no score capability", func(d *scorer.Description) { d.Capabilities = []string{"train"} }, []string{`lack "score"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := good
			tc.change(&d)
			got := checkDescription(d)
			if len(got) != len(tc.want) {
				t.Fatalf("problems %q, want %d matching %q", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %q lacks %q", got[i], w)
				}
			}
		})
	}
}

func TestWithin(t *testing.T) {
	tests := []struct {
		a, b float64
		want bool
	}{
		{1, 1, true},
		{0, 1e-5, true},         // absolute near zero
		{0, 1.1e-5, false},      //
		{1000, 1000.01, true},   // relative for large scores
		{1000, 1000.011, false}, //
		{-3, -3.00002, true},
		{-3, -3.00004, false},
	}
	for _, tc := range tests {
		if got := within(tc.a, tc.b); got != tc.want {
			t.Errorf("within(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestPermuted(t *testing.T) {
	items := []scorer.Item{{ID: "x"}, {ID: "y"}, {ID: "z"}}
	want := []scorer.Result{{Score: 1}, {Score: 2}, {Score: 3}}
	tests := []struct {
		name   string
		got    []scorer.Result
		ok     bool
		substr []string
	}{
		{"reversed", []scorer.Result{{Score: 3}, {Score: 2}, {Score: 1}}, true,
			[]string{"reverse order", "position 0 (item x) got 3, the score of item z (at position 2), not its own 1", "position 2 (item z) got 1"}},
		{"rotated", []scorer.Result{{Score: 2}, {Score: 3}, {Score: 1}}, true,
			[]string{"position 0 (item x) got 2, the score of item y (at position 1)"}},
		{"not a permutation", []scorer.Result{{Score: 1}, {Score: 2.5}, {Score: 3}}, false, nil},
		{"an error", []scorer.Result{{Score: 1}, {Err: "boom"}, {Score: 3}}, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg, ok := permuted(items, want, tc.got)
			if ok != tc.ok {
				t.Fatalf("ok = %v (%q), want %v", ok, msg, tc.ok)
			}
			for _, s := range tc.substr {
				if !strings.Contains(msg, s) {
					t.Errorf("%q lacks %q", msg, s)
				}
			}
		})
	}
}

func TestDerangementMovesEveryIndex(t *testing.T) {
	for _, n := range []int{2, 3, 8, 32} {
		p := derangement(n)
		seen := make([]bool, n)
		for i, v := range p {
			if v == i || seen[v] {
				t.Fatalf("derangement(%d) = %v", n, p)
			}
			seen[v] = true
		}
	}
}

func TestFormatLogLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"@level":"warn","@message":"plugin failed to exit gracefully","@module":"srbench.x","@timestamp":"t"}`,
			"[WARN] srbench.x: plugin failed to exit gracefully"},
		{`{"@level":"error","@message":"plugin process exited","@module":"srbench.x","error":"signal: killed","id":7}`,
			"[ERROR] srbench.x: plugin process exited error=signal: killed id=7"},
		{"not json", "not json"},
	}
	for _, tc := range tests {
		if got := formatLogLine(tc.in); got != tc.want {
			t.Errorf("formatLogLine(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestCorpus: the kit's inputs are distinct (images and prompts), cover
// PNG and JPEG, paths and bytes, and are the same on every run.
func TestCorpus(t *testing.T) {
	a, err := newCorpus(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, err := newCorpus(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	all := func(c *corpus) []scorer.Item {
		out := append(append(append(append([]scorer.Item{}, c.batch...), c.order...), c.good...), c.path...)
		for _, bs := range c.batches {
			out = append(out, bs...)
		}
		return out
	}
	ia, ib := all(a), all(b)
	if len(ia) != batchItems+orderItems+goodItems+2+3+4+5+6 {
		t.Fatalf("%d items", len(ia))
	}
	prompts, ids := map[string]bool{}, map[string]bool{}
	images := map[string]bool{}
	var png, jpg, paths, bytesN int
	for i, it := range ia {
		if prompts[it.Prompt] || ids[it.ID] {
			t.Errorf("item %s: prompt %q or id repeated", it.ID, it.Prompt)
		}
		prompts[it.Prompt], ids[it.ID] = true, true
		data := it.ImageBytes
		if it.ImagePath != "" {
			paths++
			if data, err = os.ReadFile(it.ImagePath); err != nil {
				t.Fatal(err)
			}
		} else {
			bytesN++
		}
		if images[string(data)] {
			t.Errorf("item %s: image repeated", it.ID)
		}
		images[string(data)] = true
		switch {
		case strings.HasPrefix(string(data), "\x89PNG"):
			png++
		case strings.HasPrefix(string(data), "\xff\xd8"):
			jpg++
		}
		if ib[i].ID != it.ID || ib[i].Prompt != it.Prompt {
			t.Errorf("item %d differs between runs: %s %q vs %s %q", i, it.ID, it.Prompt, ib[i].ID, ib[i].Prompt)
		}
	}
	if png == 0 || jpg == 0 || paths == 0 || bytesN == 0 || png+jpg != len(ia) {
		t.Errorf("%d PNG, %d JPEG, %d paths, %d bytes of %d items", png, jpg, paths, bytesN, len(ia))
	}
}
