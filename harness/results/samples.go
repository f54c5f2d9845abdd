package results

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// ReadSamples streams the samples.jsonl at path, calling f for each sample in
// file order; blank lines are skipped. An error names the file and line. It
// stops at the first error f returns.
func ReadSamples(path string, f func(Sample) error) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var s Sample
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			return fmt.Errorf("%s: line %d: %w", path, line, err)
		}
		if err := f(s); err != nil {
			return fmt.Errorf("%s: line %d: %w", path, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: line %d: %w", path, line+1, err)
	}
	return nil
}
