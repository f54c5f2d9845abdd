package plotstyle

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"gonum.org/v1/plot"
)

// labels returns the labelled ticks as value → label, and the number of
// unlabelled ones.
func labels(ticks []plot.Tick) (map[float64]string, int) {
	m := map[float64]string{}
	minor := 0
	for _, t := range ticks {
		if t.Label == "" {
			minor++
			continue
		}
		m[t.Value] = t.Label
	}
	return m, minor
}

func TestLogTicks(t *testing.T) {
	for _, tt := range []struct {
		name   string
		lo, hi float64
		want   map[float64]string
		minor  int
	}{
		{"triplets", 20, 3000, map[float64]string{20: "20", 50: "50", 100: "100", 200: "200", 500: "500", 1000: "1000", 2000: "2000"}, 13},
		{"fractions", 0.008, 1.2, map[float64]string{0.01: "0.01", 0.02: "0.02", 0.05: "0.05", 0.1: "0.1", 0.2: "0.2", 0.5: "0.5", 1: "1"}, 14},
		{"many decades", 1, 1e6, map[float64]string{1: "1", 10: "10", 100: "100", 1000: "1000", 1e4: "10000", 1e5: "100000", 1e6: "1000000"}, 48},
		{"within a decade", 3, 4.5, map[float64]string{3: "3", 4: "4"}, 0},
		{"no mark inside", 2.1, 2.9, map[float64]string{2.1: "2.1", 2.9: "2.9"}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, minor := labels(LogTicks{}.Ticks(tt.lo, tt.hi))
			if d := cmp.Diff(tt.want, got); d != "" || minor != tt.minor {
				t.Errorf("labels (-want +got):\n%s\nunlabelled %d, want %d", d, minor, tt.minor)
			}
		})
	}
	if ticks := (LogTicks{}).Ticks(0, 10); ticks != nil {
		t.Errorf("ticks for a range starting at 0: %v, want none", ticks)
	}
}

func TestLinearTicks(t *testing.T) {
	got, minor := labels(LinearTicks{Step: 10, LabelEvery: 2, Max: 100}.Ticks(-0.0001, 118))
	want := map[float64]string{0: "0", 20: "20", 40: "40", 60: "60", 80: "80", 100: "100"}
	if d := cmp.Diff(want, got); d != "" || minor != 5 {
		t.Errorf("labels (-want +got):\n%s\nunlabelled %d, want 5", d, minor)
	}
	got, minor = labels(LinearTicks{Step: 10}.Ticks(44, 100))
	want = map[float64]string{50: "50", 60: "60", 70: "70", 80: "80", 90: "90", 100: "100"}
	if d := cmp.Diff(want, got); d != "" || minor != 0 {
		t.Errorf("labels (-want +got):\n%s\nunlabelled %d, want 0", d, minor)
	}
}

// TestViridis: the palette passes through matplotlib's stops and gets
// lighter monotonically, so the heat maps read in grayscale (up to the
// rounding of a channel to 8 bits between two neighbouring colours).
func TestViridis(t *testing.T) {
	stops := Viridis(17).Colors()
	first, last := stops[0], stops[16]
	if r, g, b, _ := first.RGBA(); r>>8 != 0x44 || g>>8 != 0x01 || b>>8 != 0x54 {
		t.Errorf("first colour %v, want #440154", first)
	}
	if r, g, b, _ := last.RGBA(); r>>8 != 0xfd || g>>8 != 0xe7 || b>>8 != 0x25 {
		t.Errorf("last colour %v, want #fde725", last)
	}
	prev := -1.0
	for i, c := range Viridis(256).Colors() {
		l := Luminance(c)
		if l < prev-0.001 {
			t.Fatalf("colour %d (%v) is darker than colour %d", i, c, i-1)
		}
		prev = l
	}
}

// TestScaleMatchesHeatMap: a colour bar shows every value in the colour
// plotter.HeatMap gives it.
func TestScaleMatchesHeatMap(t *testing.T) {
	pal := Viridis(256)
	s := &Scale{Colors: pal.Colors(), Lo: -12, Hi: 12}
	for _, v := range []float64{-12, -11.3, -0.04, 0, 3.2, 7.9, 11.99, 12} {
		got, err := s.At(v)
		if err != nil {
			t.Fatal(err)
		}
		// plotter.HeatMap: pal[int((v-Min)*(len(pal)-1)/(Max-Min)+0.5)]
		want := pal.Colors()[int((v-s.Lo)*255/(s.Hi-s.Lo)+0.5)]
		if got != want {
			t.Errorf("At(%v) = %v, heat map colour %v", v, got, want)
		}
	}
	if _, err := s.At(12.5); err == nil {
		t.Error("At(12.5) above the scale: no error")
	}
}
