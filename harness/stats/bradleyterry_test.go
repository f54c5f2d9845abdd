package stats

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestBradleyTerryHandDerived(t *testing.T) {
	tests := []struct {
		name string
		wins [][]float64
		want []float64
	}{
		// Two players: the MLE solves W_ab/N = sigmoid(beta_a - beta_b),
		// so beta_a - beta_b = log(W_ab/W_ba) = log 3 and the sum is 0.
		{"two players 3:1", [][]float64{{0, 3}, {1, 0}}, []float64{math.Log(3) / 2, -math.Log(3) / 2}},
		{"two players fractional", [][]float64{{0, 2.5}, {0.5, 0}}, []float64{math.Log(5) / 2, -math.Log(5) / 2}},
		// A symmetric 3-cycle: every player has the same record.
		{"3-cycle", [][]float64{{0, 2, 1}, {1, 0, 2}, {2, 1, 0}}, []float64{0, 0, 0}},
		{"one player", [][]float64{{0}}, []float64{0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := BradleyTerry(tc.wins, 0)
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				if math.Abs(got[i]-tc.want[i]) > 1e-10 {
					t.Errorf("beta = %v, want %v", got, tc.want)
					break
				}
			}
		})
	}
}

// TestBradleyTerryReference compares with testdata/leaderboard/bt_reference.json,
// written by bt_reference.py: Newton–Raphson in numpy, an independent fit.
func TestBradleyTerryReference(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "leaderboard", "bt_reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases map[string]struct {
		Wins  [][]float64 `json:"wins"`
		Prior float64     `json:"prior"`
		Beta  []float64   `json:"beta"`
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 3 {
		t.Fatalf("%d reference cases, want 3", len(cases))
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := BradleyTerry(c.Wins, c.Prior)
			if err != nil {
				t.Fatal(err)
			}
			for i := range c.Beta {
				if math.Abs(got[i]-c.Beta[i]) > 1e-8 {
					t.Errorf("beta[%d] = %.12f, want %.12f (numpy Newton)", i, got[i], c.Beta[i])
				}
			}
		})
	}
}

func TestBradleyTerryNoMLE(t *testing.T) {
	// Player 0 never loses: its MLE strength is +infinity.
	wins := [][]float64{{0, 2, 1}, {0, 0, 1}, {0, 2, 0}}
	if _, err := BradleyTerry(wins, 0); !errors.Is(err, ErrNoMLE) {
		t.Fatalf("prior 0: err = %v, want ErrNoMLE", err)
	}
	beta, err := BradleyTerry(wins, 1)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, b := range beta {
		if math.IsNaN(b) || math.IsInf(b, 0) {
			t.Fatalf("beta = %v, want finite", beta)
		}
		sum += b
	}
	if math.Abs(sum) > 1e-12 || !(beta[0] > beta[1] && beta[0] > beta[2]) {
		t.Errorf("beta = %v, want sum 0 and player 0 strongest", beta)
	}
	// With the prior the fit is the MLE of the augmented matrix (a tie is
	// half a win each way): player 0 vs the rest has 2+1+0.5+0.5 wins of 5.
	// Check the score equations: sum_j N_ij p_ij = W_i.
	aug := [][]float64{{0, 2.5, 1.5}, {0.5, 0, 1.5}, {0.5, 2.5, 0}}
	for i := range aug {
		var exp, obs float64
		for j := range aug {
			if i != j {
				exp += (aug[i][j] + aug[j][i]) / (1 + math.Exp(beta[j]-beta[i]))
				obs += aug[i][j]
			}
		}
		if math.Abs(exp-obs) > 1e-9 {
			t.Errorf("player %d: expected wins %v, observed %v", i, exp, obs)
		}
	}
}

func TestBradleyTerryErrors(t *testing.T) {
	tests := []struct {
		name  string
		wins  [][]float64
		prior float64
	}{
		{"empty", nil, 0},
		{"ragged", [][]float64{{0, 1}, {1}}, 0},
		{"negative", [][]float64{{0, -1}, {1, 0}}, 0},
		{"nan", [][]float64{{0, math.NaN()}, {1, 0}}, 0},
		{"negative prior", [][]float64{{0, 1}, {1, 0}}, -1},
		{"no comparisons", [][]float64{{0, 0}, {0, 0}}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := BradleyTerry(tc.wins, tc.prior); err == nil {
				t.Error("no error")
			}
		})
	}
}
