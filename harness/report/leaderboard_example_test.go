package report_test

import (
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"

	"github.com/srbench/srbench/harness/report"
	"github.com/srbench/srbench/harness/results"
)

// WriteLeaderboard renders the leaderboard.json srbench rank wrote into
// leaderboard.md, a self-contained leaderboard.html and the figures.
func ExampleWriteLeaderboard() {
	dir, err := os.MkdirTemp("", "leaderboard")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	const lb = `{"schema_version": 1, "kind": "leaderboard", "benchmark": {"name": "demo"},
  "judges": [{"name": "clipscore", "kind": "scorer"}],
  "boards": [{"judge": "clipscore",
    "generators": [
      {"generator": "a", "rank": 1, "strength": {"value": 0.4, "ci": [0.1, 0.7]}, "mean": {"value": 0.31, "ci": [0.3, 0.32]}, "rank_prob": [0.9, 0.1], "n_prompts": 10, "n_images": 20},
      {"generator": "b", "rank": 2, "strength": {"value": -0.4, "ci": [-0.7, -0.1]}, "mean": {"value": 0.29, "ci": [0.28, 0.3]}, "rank_prob": [0.1, 0.9], "n_prompts": 10, "n_images": 20}],
    "win_rates": [
      {"generator": "a", "opponent": "b", "rate": {"value": 0.7, "ci": [0.6, 0.8]}, "n_prompts": 10},
      {"generator": "b", "opponent": "a", "rate": {"value": 0.3, "ci": [0.2, 0.4]}, "n_prompts": 10}]}]}`
	if err := os.WriteFile(filepath.Join(dir, results.LeaderboardFile), []byte(lb), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := report.WriteLeaderboard(dir, report.LeaderboardOptions{}); err != nil {
		log.Fatal(err)
	}
	err = fs.WalkDir(os.DirFS(dir), ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			fmt.Println(path)
		}
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// leaderboard.html
	// leaderboard.json
	// leaderboard.md
	// plots/leaderboard-strengths.png
	// plots/leaderboard-strengths.svg
	// plots/leaderboard-winrates-clipscore.png
	// plots/leaderboard-winrates-clipscore.svg
}
