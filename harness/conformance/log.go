package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// logSink collects the host's log (hclog JSON lines) for the no-warnings
// rule.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

// lines returns every logged line as "[LEVEL] module: message key=value".
func (s *logSink) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, l := range strings.Split(s.buf.String(), "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, formatLogLine(l))
		}
	}
	return out
}

// formatLogLine renders one hclog JSON line; a line that is not JSON is
// returned as it is.
func formatLogLine(line string) string {
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		return line
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] %v: %v", strings.ToUpper(fmt.Sprint(m["@level"])), m["@module"], m["@message"])
	var keys []string
	for k := range m {
		if !strings.HasPrefix(k, "@") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%v", k, m[k])
	}
	return b.String()
}
