package report_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/srbench/srbench/harness/report"
	"github.com/srbench/srbench/harness/results"
)

// A gallery path in leaderboard.json that names a FIFO (or a device) gets
// the placeholder instead of hanging the report on open.
func TestLeaderboardGalleryRefusesFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.png")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	lb := `{"schema_version": 1, "kind": "leaderboard", "benchmark": {"name": "fifo"},
  "judges": [{"name": "s", "kind": "scorer"}],
  "boards": [{"judge": "s", "generators": [{"generator": "a", "rank": 1, "rank_prob": [1]}]}],
  "extremes": [{"judge": "s", "generator": "a", "best": [{"image": "pipe.png", "path": "` + fifo + `", "prompt": "p", "score": 1}]}]}`
	if err := os.WriteFile(filepath.Join(dir, results.LeaderboardFile), []byte(lb), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- report.WriteLeaderboard(dir, report.LeaderboardOptions{}) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("WriteLeaderboard blocked on a FIFO")
	}
	md, err := os.ReadFile(filepath.Join(dir, report.LeaderboardMarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "image not shown") || !strings.Contains(string(md), "not a regular file") {
		t.Errorf("leaderboard.md lacks the placeholder naming the FIFO:\n%s", md)
	}
}
