package host_test

import (
	"context"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/srbench/srbench/harness/host"
	"github.com/srbench/srbench/harness/scorer"
)

// TestLastStop: Plugin.LastStop tells a plugin that exits on go-plugin's
// shutdown request from one that had to be SIGKILLed (here: stopped with
// SIGSTOP, so it cannot answer).
func TestLastStop(t *testing.T) {
	tests := []struct {
		name         string
		stop         bool // SIGSTOP the plugin before killing it
		wantGraceful bool
		wantExit     string
		wantTimedOut bool
		wantLeft     bool // the plugin itself is left for the SIGKILL
	}{
		{name: "exits on its own", wantGraceful: true, wantExit: "exit status 0"},
		{name: "stopped, so SIGKILLed", stop: true, wantTimedOut: true, wantLeft: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info, err := host.Find(pluginDir, "trivial")
			if err != nil {
				t.Fatal(err)
			}
			h := host.New(host.Options{KillGrace: 500 * time.Millisecond})
			defer h.Close()
			p, err := h.Launch(context.Background(), info, scorer.Config{})
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := p.LastStop(); ok {
				t.Fatal("LastStop reports a stop before any")
			}
			pid := p.Pid()
			if tc.stop {
				syscall.Kill(pid, syscall.SIGSTOP)
				defer syscall.Kill(pid, syscall.SIGKILL)
				waitStopped(t, pid)
			}
			p.Kill()
			st, ok := p.LastStop()
			if !ok {
				t.Fatal("no LastStop after Kill")
			}
			var wantLeft []int
			if tc.wantLeft {
				wantLeft = []int{pid}
			}
			if st.Pid != pid || st.Graceful != tc.wantGraceful || st.TimedOut != tc.wantTimedOut ||
				!strings.HasPrefix(st.Exit, tc.wantExit) || !slices.Equal(st.Leftover, wantLeft) {
				t.Errorf("LastStop = %+v, want pid %d, graceful %v, timed out %v, exit %q, left %v",
					st, pid, tc.wantGraceful, tc.wantTimedOut, tc.wantExit, wantLeft)
			}
			if !waitDead(pid, 5*time.Second) {
				t.Errorf("plugin %d still alive", pid)
			}
		})
	}
}
