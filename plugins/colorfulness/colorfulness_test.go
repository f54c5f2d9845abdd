package colorfulness_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/srbench/srbench/harness/host"
	"github.com/srbench/srbench/harness/scorer"
	"github.com/srbench/srbench/internal/testmodels"
)

// zipapp returns a pinned copy of the colorfulness zipapp in a temporary
// plugins directory: the one `make build` made ($SRBENCH_PREBUILT/plugins),
// or, without SRBENCH_PREBUILT, one built here from the sources
// (scripts/build-python-plugin.sh), skipping when Debian's python3 lacks the
// packages (`make python` installs them).
func zipapp(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	out := filepath.Join(dir, "colorfulness")
	if bin := os.Getenv(testmodels.PrebuiltEnv); bin != "" {
		b, err := os.ReadFile(filepath.Join(bin, "plugins", "colorfulness"))
		if err != nil {
			t.Fatalf("%s=%s but no zipapp there (make build builds it): %v", testmodels.PrebuiltEnv, bin, err)
		}
		if err := os.WriteFile(out, b, 0o755); err != nil {
			t.Fatal(err)
		}
	} else {
		if err := exec.Command("/usr/bin/python3", "-c", "import grpc, google.protobuf, cryptography, numpy, PIL").Run(); err != nil {
			t.Skipf("the colorfulness zipapp needs /usr/bin/python3 with grpcio, protobuf, cryptography, numpy and Pillow (make python): %v", err)
		}
		root, err := testmodels.ModuleRoot()
		if err != nil {
			t.Fatal(err)
		}
		if b, err := exec.Command(filepath.Join(root, "scripts", "build-python-plugin.sh"), "colorfulness", out).CombinedOutput(); err != nil {
			t.Fatalf("building the zipapp: %v\n%s", err, b)
		}
	}
	if _, err := host.WriteLock(dir); err != nil {
		t.Fatal(err)
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for the host logger's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// hasler is Hasler & Süsstrunk's M computed here from decoded pixels, in
// float64, with two passes: independent of the plugin's integer sums.
func hasler(t *testing.T, data []byte) float64 {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var rg, yb []float64
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			r, g, bl := float64(c.R), float64(c.G), float64(c.B)
			rg = append(rg, r-g)
			yb = append(yb, 0.5*(r+g)-bl)
		}
	}
	mean := func(v []float64) float64 {
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	variance := func(v []float64, m float64) float64 {
		s := 0.0
		for _, x := range v {
			s += (x - m) * (x - m)
		}
		return s / float64(len(v))
	}
	mrg, myb := mean(rg), mean(yb)
	return math.Sqrt(variance(rg, mrg)+variance(yb, myb)) + 0.3*math.Sqrt(mrg*mrg+myb*myb)
}

func encode(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// testImages returns PNG files: random opaque images of a few shapes, a
// gray one (M = 0) and a half-red, half-blue one.
func testImages(t *testing.T) [][]byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 5))
	var out [][]byte
	for _, sz := range []image.Point{{1, 1}, {7, 5}, {64, 48}, {3, 700}} {
		img := image.NewNRGBA(image.Rect(0, 0, sz.X, sz.Y))
		for i := 0; i < len(img.Pix); i += 4 {
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255
		}
		out = append(out, encode(t, img))
	}
	gray := image.NewGray(image.Rect(0, 0, 10, 10))
	for i := range gray.Pix {
		gray.Pix[i] = 90
	}
	out = append(out, encode(t, gray))
	two := image.NewNRGBA(image.Rect(0, 0, 8, 6))
	for y := 0; y < 6; y++ {
		for x := 0; x < 8; x++ {
			c := color.NRGBA{255, 0, 0, 255}
			if y >= 3 {
				c = color.NRGBA{0, 0, 255, 255}
			}
			two.SetNRGBA(x, y, c)
		}
	}
	return append(out, encode(t, two))
}

// TestZipappThroughHost launches the colorfulness zipapp through the real
// host (go-plugin, AutoMTLS, checksum pin) and checks Describe, the scores
// against the formula computed here, a per-item error for an undecodable
// image, a clean shutdown and an empty warning log.
func TestZipappThroughHost(t *testing.T) {
	bin := zipapp(t)
	info, err := host.FromPath(bin)
	if err != nil {
		t.Fatal(err)
	}
	if info.Pin == "" {
		t.Fatal("the zipapp is not pinned")
	}
	var log syncBuffer
	h := host.New(host.Options{Logger: hclog.New(&hclog.LoggerOptions{Name: "srbench", Output: &log, Level: hclog.Debug})})
	defer h.Close()
	modelDir := t.TempDir()
	ctx := context.Background()
	p, err := h.Launch(ctx, info, scorer.Config{ModelDir: modelDir})
	if err != nil {
		t.Fatalf("launch: %v\nhost log:\n%s", err, log.String())
	}
	pid := p.Pid()

	d, err := p.Describe(ctx, scorer.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "colorfulness" || d.Kind != "colorfulness" || d.Variant != "hasler-susstrunk-2003" ||
		d.Fingerprint != "none" || d.ProtocolVersion != scorer.ProtocolVersion || d.ModelDir != modelDir ||
		d.Provider != "cpu" || len(d.Capabilities) != 1 || d.Capabilities[0] != scorer.CapabilityScore ||
		!strings.Contains(d.Formula, "prompt-independent") || !strings.HasPrefix(d.Runtime, "python 3.") {
		t.Errorf("Describe = %+v", d)
	}

	imgs := testImages(t)
	onDisk := filepath.Join(t.TempDir(), "on-disk.png")
	if err := os.WriteFile(onDisk, imgs[2], 0o644); err != nil {
		t.Fatal(err)
	}
	var items []scorer.Item
	var want []float64
	for i, b := range imgs {
		items = append(items, scorer.Item{ID: string(rune('a' + i)), Prompt: "a colourful painting", ImageBytes: b})
		want = append(want, hasler(t, b))
	}
	items = append(items, scorer.Item{ID: "disk", Prompt: "p", ImagePath: onDisk})
	want = append(want, hasler(t, imgs[2]))
	bad := len(items)
	items = append(items, scorer.Item{ID: "bad", Prompt: "p", ImageBytes: []byte("this is not an image")})

	res, err := scorer.ScoreItems(ctx, p, items)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(items) {
		t.Fatalf("%d results for %d items", len(res), len(items))
	}
	for i, w := range want {
		if res[i].Failed() || math.Abs(res[i].Score-w) > 1e-9*math.Max(1, math.Abs(w)) {
			t.Errorf("item %s: %+v, want %.12f", items[i].ID, res[i], w)
		}
	}
	if w := 63.75 * (math.Sqrt(13) + 0.3*math.Sqrt(5)); math.Abs(want[len(imgs)-1]-w) > 1e-9*w {
		t.Errorf("the two-colour image's reference M = %v, by hand %v", want[len(imgs)-1], w)
	}
	if want[len(imgs)-2] != 0 || res[len(imgs)-2].Score != 0 {
		t.Errorf("gray image: M = %v (reference %v), want 0", res[len(imgs)-2].Score, want[len(imgs)-2])
	}
	if !res[bad].Failed() || !strings.Contains(res[bad].Err, "decode image") {
		t.Errorf("undecodable item: %+v, want a per-item decode error", res[bad])
	}

	h.Close()
	for _, line := range strings.Split(log.String(), "\n") {
		for _, bad := range []string{"failed to exit gracefully", "killed", "[WARN]", "[ERROR]"} {
			if strings.Contains(line, bad) {
				t.Errorf("host log line contains %q: %s", bad, line)
			}
		}
	}
	if !strings.Contains(log.String(), "plugin process exited") {
		t.Errorf("the host did not see the plugin exit; log:\n%s", log.String())
	}
	if pid <= 0 {
		t.Fatalf("plugin pid %d", pid)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := syscall.Kill(pid, 0)
		if errors.Is(err, syscall.ESRCH) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("plugin process %d still exists after Close (kill(pid, 0) = %v)", pid, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
