package stats

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// ErrNoMLE is returned (wrapped) by [BradleyTerry] when the maximum
// likelihood estimate does not exist: without a prior, the comparison graph
// (an edge i→j when i has a positive win over j) must be strongly connected
// (Hunter 2004, assumption 1), or some strength runs off to ±infinity.
var ErrNoMLE = errors.New("bradley-terry: maximum likelihood estimate does not exist")

// DefaultBTPrior is the prior [Leaderboard] uses when a judge's comparison
// graph is not strongly connected: one pseudo-comparison, a tie, between
// every pair of generators.
const DefaultBTPrior = 1.0

// BradleyTerry fits the Bradley–Terry model P(i beats j) =
// exp(beta_i) / (exp(beta_i) + exp(beta_j)) by maximum likelihood and
// returns the log-strengths beta, normalised to sum to 0.
//
// wins[i][j] >= 0 is the (possibly fractional) number of wins of i over j,
// so i and j met N_ij = wins[i][j] + wins[j][i] times; the diagonal is
// ignored. prior >= 0 adds prior pseudo-comparisons between every pair, each
// a tie (prior/2 wins each way); with prior > 0 the estimate always exists
// and shrinks the strengths towards each other (a maximum a posteriori
// estimate). With prior = 0 and a comparison graph that is not strongly
// connected the result is [ErrNoMLE].
//
// The fit is Hunter's (2004) MM algorithm,
//
//	gamma_i <- W_i / sum_{j != i} N_ij / (gamma_i + gamma_j),  W_i = sum_j wins[i][j],
//
// run until the log-strengths move by less than 1e-10, then polished by
// Newton–Raphson steps on the (concave) log-likelihood until a step is
// below 1e-13, so the result is the MLE to about machine precision. A
// player without any comparison (and prior = 0) makes the graph
// disconnected, hence ErrNoMLE.
func BradleyTerry(wins [][]float64, prior float64) ([]float64, error) {
	n := len(wins)
	if n == 0 {
		return nil, fmt.Errorf("bradley-terry: no players")
	}
	if !(prior >= 0) || math.IsInf(prior, 0) {
		return nil, fmt.Errorf("bradley-terry: prior %v: want a finite number >= 0", prior)
	}
	for i, row := range wins {
		if len(row) != n {
			return nil, fmt.Errorf("bradley-terry: wins[%d] has %d entries, want %d", i, len(row), n)
		}
		for j, v := range row {
			if i != j && (!(v >= 0) || math.IsInf(v, 0)) {
				return nil, fmt.Errorf("bradley-terry: wins[%d][%d] = %v: want a finite number >= 0", i, j, v)
			}
		}
	}
	if n == 1 {
		return []float64{0}, nil
	}
	w := make([][]float64, n)
	for i := range w {
		w[i] = make([]float64, n)
		for j := range w[i] {
			if i != j {
				w[i][j] = wins[i][j] + prior/2
			}
		}
	}
	if !stronglyConnected(w) {
		return nil, fmt.Errorf("bradley-terry: %d players: comparison graph not strongly connected: %w", n, ErrNoMLE)
	}
	return fitBT(w), nil
}

// stronglyConnected reports whether the directed graph with an edge i→j
// whenever w[i][j] > 0 is strongly connected: every node reachable from
// node 0 both forwards and backwards.
func stronglyConnected(w [][]float64) bool {
	n := len(w)
	for _, forward := range []bool{true, false} {
		seen := make([]bool, n)
		seen[0] = true
		stack := []int{0}
		count := 1
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for j := range n {
				e := w[i][j]
				if !forward {
					e = w[j][i]
				}
				if i != j && e > 0 && !seen[j] {
					seen[j] = true
					count++
					stack = append(stack, j)
				}
			}
		}
		if count != n {
			return false
		}
	}
	return true
}

// fitBT fits a strongly connected win matrix: MM, then Newton polishing.
func fitBT(w [][]float64) []float64 {
	n := len(w)
	tot := make([]float64, n)
	for i := range n {
		for j := range n {
			if i != j {
				tot[i] += w[i][j]
			}
		}
	}
	gamma := make([]float64, n)
	for i := range gamma {
		gamma[i] = 1
	}
	beta := make([]float64, n)
	next := make([]float64, n)
	for it := 0; it < 100000; it++ {
		for i := range n {
			var d float64
			for j := range n {
				if nij := w[i][j] + w[j][i]; i != j && nij > 0 {
					d += nij / (gamma[i] + gamma[j])
				}
			}
			next[i] = tot[i] / d
		}
		// Normalise to geometric mean 1 (sum of logs 0).
		var s float64
		for i := range next {
			next[i] = math.Log(next[i])
			s += next[i]
		}
		s /= float64(n)
		var move float64
		for i := range next {
			next[i] -= s
			move = math.Max(move, math.Abs(next[i]-beta[i]))
			beta[i] = next[i]
			gamma[i] = math.Exp(beta[i])
		}
		if move < 1e-10 {
			break
		}
	}
	return newtonBT(w, beta)
}

// btLogLik is the Bradley–Terry log-likelihood of beta.
func btLogLik(w [][]float64, beta []float64) float64 {
	var ll float64
	for i := range w {
		for j := range w {
			if i != j && w[i][j] > 0 {
				d := beta[i] - beta[j]
				// log sigmoid(d), stable.
				ll += w[i][j] * -(math.Max(-d, 0) + math.Log1p(math.Exp(-math.Abs(d))))
			}
		}
	}
	return ll
}

// newtonBT polishes beta by Newton–Raphson steps on the log-likelihood
// under sum(beta) = 0: the negative Hessian plus the all-ones matrix is
// positive definite for a connected graph, and its solution against the
// gradient (which sums to 0) is the constrained Newton step. A step that
// lowers the likelihood is halved; if the solve fails, the MM estimate
// stands.
func newtonBT(w [][]float64, beta []float64) []float64 {
	n := len(w)
	h := mat.NewSymDense(n, nil)
	g := mat.NewVecDense(n, nil)
	var step mat.VecDense
	var chol mat.Cholesky
	cur := btLogLik(w, beta)
	trial := make([]float64, n)
	for it := 0; it < 50; it++ {
		for i := range n {
			g.SetVec(i, 0)
			for j := i; j < n; j++ {
				h.SetSym(i, j, 1)
			}
		}
		for i := range n {
			for j := i + 1; j < n; j++ {
				nij := w[i][j] + w[j][i]
				if nij == 0 {
					continue
				}
				p := 1 / (1 + math.Exp(beta[j]-beta[i])) // P(i beats j)
				gi := w[i][j] - nij*p
				g.SetVec(i, g.AtVec(i)+gi)
				g.SetVec(j, g.AtVec(j)-gi)
				v := nij * p * (1 - p)
				h.SetSym(i, i, h.At(i, i)+v)
				h.SetSym(j, j, h.At(j, j)+v)
				h.SetSym(i, j, h.At(i, j)-v)
			}
		}
		if !chol.Factorize(h) {
			return beta
		}
		if err := chol.SolveVecTo(&step, g); err != nil {
			return beta
		}
		size := 0.0
		for t := 1.0; t > 1e-6; t /= 2 {
			var s float64
			for i := range n {
				trial[i] = beta[i] + t*step.AtVec(i)
				s += trial[i]
			}
			s /= float64(n)
			for i := range trial {
				trial[i] -= s
			}
			if ll := btLogLik(w, trial); ll >= cur || math.Abs(ll-cur) <= 1e-15*math.Abs(cur) {
				cur = ll
				size = 0
				for i := range n {
					size = math.Max(size, math.Abs(trial[i]-beta[i]))
				}
				copy(beta, trial)
				break
			}
		}
		if size < 1e-13 {
			break
		}
	}
	return beta
}
