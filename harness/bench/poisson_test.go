package bench_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/srbench/srbench/harness/bench"
	"github.com/srbench/srbench/harness/results"
	"github.com/srbench/srbench/harness/stats"
)

// poissonSamples makes prompts prompts of 1 to 4 pairs scored by three
// correlated scorers; "flaky" fails on about 3% of the pairs.
func poissonSamples(prompts int) []sample {
	rng := rand.New(rand.NewPCG(11, 11))
	var ss []sample
	for g := range prompts {
		skill := 1 / (1 + math.Exp(-(0.6 + rng.NormFloat64())))
		for range 1 + rng.IntN(4) {
			label := "a"
			if rng.IntN(2) == 0 {
				label = "b"
			}
			sc := map[string][2]float64{}
			for k, n := range []string{"good", "fair", "flaky"} {
				x := rng.Float64() - (1-skill)*float64(k+1)/3
				if label == "b" {
					x = -x
				}
				sc[n] = [2]float64{x, 0}
			}
			s := sample{prompt: fmt.Sprintf("p%d", g), label: label, scores: sc}
			if rng.Float64() < 0.03 {
				s.errs = map[string]string{"flaky": "image b: decode: truncated"}
			}
			ss = append(ss, s)
		}
	}
	return ss
}

// TestAnalyzePoissonBootstrap: above the prompt threshold Analyze records
// the Poisson bootstrap and its intervals agree with the multinomial ones
// within Monte Carlo error. With B = 1000 an interval end's MC standard
// error is about 0.085σ (σ the bootstrap SE), so two independent estimates
// differ by about 0.12σ: the ends must agree within 0.5σ, and the SEs
// (relative MC error about 2.2% each) within 13%. Every other number is the
// same up to rounding (the Poisson path visits the prompts sorted by key,
// which changes the order of sums), except the cross-fitted calibration's
// reliability bins and ECE: its prompt folds hash the prompt key rather than
// the id, so the ECE need only be close.
func TestAnalyzePoissonBootstrap(t *testing.T) {
	names := []string{"good", "fair", "flaky"}
	ss := poissonSamples(3000)
	for _, tc := range []struct {
		policy string
	}{{"srbench"}, {"hpsv2"}} {
		t.Run(tc.policy, func(t *testing.T) {
			pol, err := stats.ParsePolicy(tc.policy)
			if err != nil {
				t.Fatal(err)
			}
			run := func(from int) *results.Results {
				dir, res := writeSamples(t, names, ss)
				if err := bench.Analyze(dir, res, bench.AnalyzeOptions{Policy: pol, PolicyName: tc.policy, PolicySet: true, PoissonFrom: from}); err != nil {
					t.Fatal(err)
				}
				return res
			}
			m, p := run(0), run(1000)
			if m.Bootstrap.Method != "" || p.Bootstrap.Method != results.CIPoissonBootstrap {
				t.Fatalf("bootstrap method %q and %q, want \"\" and %q", m.Bootstrap.Method, p.Bootstrap.Method, results.CIPoissonBootstrap)
			}
			for _, c := range []struct {
				res  *results.Results
				want bool
			}{{m, false}, {p, true}} {
				var out strings.Builder
				bench.PrintTable(&out, c.res)
				if got := strings.Contains(out.String(), "intervals: Poisson(1) bootstrap over prompts"); got != c.want {
					t.Errorf("terminal table names the Poisson bootstrap: %v, want %v:\n%s", got, c.want, out.String())
				}
			}
			for i := range m.Scorers {
				ms, ps := m.Scorers[i], p.Scorers[i]
				if ms.CIMethod != results.CIBootstrap || ps.CIMethod != results.CIPoissonBootstrap {
					t.Errorf("%s: methods %q, %q", ms.Name, ms.CIMethod, ps.CIMethod)
				}
				sigma := ms.BootstrapSE
				for e := range 2 {
					if d := math.Abs(ps.CI95[e] - ms.CI95[e]); d > 0.5*sigma {
						t.Errorf("%s: interval %v, multinomial %v: end %d differs by %.2fσ", ms.Name, *ps.CI95, *ms.CI95, e, d/sigma)
					}
				}
				if r := ps.BootstrapSE / sigma; r < 0.87 || r > 1.13 {
					t.Errorf("%s: SE %v, multinomial %v", ms.Name, ps.BootstrapSE, sigma)
				}
				ps.CI95, ps.CIMethod, ps.BootstrapSE = ms.CI95, ms.CIMethod, ms.BootstrapSE
				if d := math.Abs(ps.Calibration.ECE - ms.Calibration.ECE); d > 0.005 {
					t.Errorf("%s: ECE %v, multinomial run %v", ms.Name, ps.Calibration.ECE, ms.Calibration.ECE)
				}
				mcal, pcal := *ms.Calibration, *ps.Calibration
				mcal.Bins, pcal.Bins, pcal.ECE = nil, nil, mcal.ECE
				ms.Calibration, ps.Calibration = &mcal, &pcal
				if diff := approxDiff(t, ms, ps, 1e-12); diff != "" {
					t.Errorf("%s: other fields differ: %s", ms.Name, diff)
				}
			}
			for k := range m.Comparisons {
				mc, pc := m.Comparisons[k], p.Comparisons[k]
				if mc.CIMethod != results.CIBootstrap || pc.CIMethod != results.CIPoissonBootstrap {
					t.Errorf("%s vs %s: methods %q, %q", mc.A, mc.B, mc.CIMethod, pc.CIMethod)
				}
				sigma := (mc.CI95[1] - mc.CI95[0]) / (2 * 1.96) // the replicates' SE is not recorded
				for e := range 2 {
					if d := math.Abs(pc.CI95[e] - mc.CI95[e]); d > 0.5*sigma {
						t.Errorf("%s vs %s: interval %v, multinomial %v: end %d differs by %.2fσ", mc.A, mc.B, pc.CI95, mc.CI95, e, d/sigma)
					}
				}
				pc.CI95, pc.CIMethod, pc.Note, mc.Note = mc.CI95, mc.CIMethod, "", ""
				if diff := approxDiff(t, mc, pc, 1e-12); diff != "" {
					t.Errorf("comparison %s vs %s: other fields differ: %s", mc.A, mc.B, diff)
				}
			}
		})
	}
}

// approxDiff describes where the JSON forms of a and b differ, numbers
// compared within tol (absolute or relative); "" when they agree.
func approxDiff(t *testing.T, a, b any, tol float64) string {
	t.Helper()
	var x, y any
	for _, c := range []struct {
		v   any
		out *any
	}{{a, &x}, {b, &y}} {
		j, err := json.Marshal(c.v)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(j, c.out); err != nil {
			t.Fatal(err)
		}
	}
	var walk func(path string, x, y any) string
	walk = func(path string, x, y any) string {
		switch xv := x.(type) {
		case float64:
			yv, ok := y.(float64)
			if !ok || math.Abs(xv-yv) > tol*math.Max(1, math.Abs(xv)) {
				return fmt.Sprintf("%s: %v vs %v", path, x, y)
			}
		case map[string]any:
			yv, ok := y.(map[string]any)
			if !ok || len(xv) != len(yv) {
				return fmt.Sprintf("%s: %v vs %v", path, x, y)
			}
			for k := range xv {
				if d := walk(path+"."+k, xv[k], yv[k]); d != "" {
					return d
				}
			}
		case []any:
			yv, ok := y.([]any)
			if !ok || len(xv) != len(yv) {
				return fmt.Sprintf("%s: %v vs %v", path, x, y)
			}
			for i := range xv {
				if d := walk(fmt.Sprintf("%s[%d]", path, i), xv[i], yv[i]); d != "" {
					return d
				}
			}
		default:
			if x != y {
				return fmt.Sprintf("%s: %v vs %v", path, x, y)
			}
		}
		return ""
	}
	return walk("", x, y)
}

// TestAnalyzePoissonDeterministic: the Poisson bootstrap's results.json is
// the same with 1 and 2 cores.
func TestAnalyzePoissonDeterministic(t *testing.T) {
	names := []string{"good", "fair", "flaky"}
	ss := poissonSamples(10000) // more than one block of prompts
	var want []byte
	for _, procs := range []int{1, 2} {
		old := runtime.GOMAXPROCS(procs)
		dir, res := writeSamples(t, names, ss)
		err := bench.Analyze(dir, res, bench.AnalyzeOptions{PoissonFrom: 1})
		runtime.GOMAXPROCS(old)
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		if want == nil {
			want = got
		} else if string(got) != string(want) {
			t.Errorf("GOMAXPROCS %d: results differ from GOMAXPROCS 1", procs)
		}
	}
}
