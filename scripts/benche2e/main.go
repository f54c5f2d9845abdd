// Command benche2e is `make bench-e2e`: it measures, in one run with
// interleaved rounds, how fast CLIPScore scores images end to end through
// `srbench run` with its default flags, against bare ONNX Runtime (the
// vision tower only, on pixels decoded beforehand) and, when Debian's
// python3-torch is installed, the same architecture in PyTorch eager as a
// researcher would run it (file, PIL, CLIP's transform, model).
//
// The model is a ViT-B/32-shaped CLIP with random weights (`srbench models
// demo --size base`), the data 256 distinct 512×384 JPEGs in 128 pairs over
// a few prompts, built once into the work directory. Each round runs every
// contender at every batch size, in reverse order every other round; the
// table gives each round's images/s, the medians, their ratios and each
// round's own ratio. A run's throughput is counted after its first
// plugin call (which also loads the model; results.json's
// provenance.scoring), bare ORT's after one warm-up batch, PyTorch's after
// its first batch. It also measures the warm rerun (score cache) against
// the first run and the plugin's peak RSS.
//
// Usage (from the repository root, after make build):
//
//	go run ./scripts/benche2e [-rounds 5] [-batches 32,1] [-torch auto|on|off] [-work DIR]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/srbench/srbench/harness/imageproc"
	"github.com/srbench/srbench/harness/onnx"
	"github.com/srbench/srbench/harness/results"
)

var (
	work      = flag.String("work", filepath.Join(os.TempDir(), "srbench-bench-e2e"), "work directory (model, images, runs); kept between invocations")
	rounds    = flag.Int("rounds", 5, "interleaved rounds")
	batchList = flag.String("batches", "32,1", "batch sizes")
	nImages   = flag.Int("images", 256, "distinct images (two per pair)")
	nPrompts  = flag.Int("prompts", 4, "distinct prompts")
	torchMode = flag.String("torch", "auto", "PyTorch eager contender: auto (when python3-torch is installed), on, off")
	python    = flag.String("python", "/usr/bin/python3", "Python with Debian's torch and torchvision")
	srbench   = flag.String("srbench", "bin/srbench", "srbench binary")
	pluginDir = flag.String("plugin-dir", "bin/plugins", "plugin directory")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-e2e:", err)
		os.Exit(1)
	}
}

func run() error {
	var batches []int
	for _, f := range strings.Split(*batchList, ",") {
		b, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || b < 1 {
			return fmt.Errorf("-batches: %q is not a batch size", f)
		}
		batches = append(batches, b)
	}
	useTorch, err := torchAvailable()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*work, 0o755); err != nil {
		return err
	}
	models := filepath.Join(*work, "models")
	model := filepath.Join(models, "clipscore")
	if _, err := os.Stat(filepath.Join(model, "vision_model.onnx")); err != nil {
		fmt.Fprintln(os.Stderr, "building the ViT-B/32-shaped model (once) ...")
		if out, err := exec.Command(*srbench, "models", "demo", "--size", "base", "--scorers", "clipscore", "--out", models).CombinedOutput(); err != nil {
			return fmt.Errorf("srbench models demo: %v\n%s", err, out)
		}
	}
	pairs, images, err := writeData(filepath.Join(*work, "data"))
	if err != nil {
		return err
	}
	bare, err := newBare(model, images, false)
	if err != nil {
		return err
	}
	defer bare.close()
	plan, err := newBare(model, images, true)
	if err != nil {
		return err
	}
	defer plan.close()
	fmt.Printf("bench-e2e: %d images (512x384 JPEG) in %d pairs over %d prompts, ViT-B/32-shaped CLIP (random weights), %d rounds\n",
		len(images), len(images)/2, *nPrompts, *rounds)
	fmt.Printf("machine: %s, %d CPUs available, ONNX Runtime %s; bare ORT: one run, %d intra-op threads; the plugin's plan: %d single-threaded runs; load average %s\n",
		cpuModel(), runtime.GOMAXPROCS(0), bare.version, onnx.DefaultIntraOpThreads(), plan.plan.Runs(), loadAverage())

	type key struct {
		who   string
		batch int
	}
	got := map[key][]float64{}
	var rss []int64
	for r := 1; r <= *rounds; r++ {
		for _, b := range batches {
			// The contenders take turns in opposite orders in odd and even
			// rounds, so that a machine getting slower or faster over a run
			// favours none of them.
			order := []string{"bare", "plan", "srbench", "torch"}
			if r%2 == 0 {
				slices.Reverse(order)
			}
			for _, who := range order {
				var v float64
				var err error
				switch who {
				case "bare":
					v, err = bare.throughput(b)
				case "plan":
					v, err = plan.throughput(b)
				case "srbench":
					var peak int64
					v, peak, err = e2e(models, pairs, b, filepath.Join(*work, "runs", fmt.Sprintf("r%d-b%d", r, b)))
					if err == nil && b == 32 {
						rss = append(rss, peak)
					}
				case "torch":
					if !useTorch {
						continue
					}
					v, err = torch(pairs, b, r == 1)
				}
				if err != nil {
					return err
				}
				got[key{who, b}] = append(got[key{who, b}], v)
			}
			fmt.Fprintf(os.Stderr, "round %d, batch %d done\n", r, b)
		}
	}
	who := []string{"bare", "plan", "srbench"}
	names := map[string]string{
		"bare":    "bare ORT, vision only, pixels pre-decoded",
		"plan":    "bare ORT as the plugin plans its runs",
		"srbench": "srbench run, end to end, default flags",
		"torch":   "PyTorch eager, file -> PIL -> transform -> model",
	}
	if useTorch {
		who = append(who, "torch")
	}
	fmt.Printf("\nimages/s (rounds; median)\n")
	for _, b := range batches {
		for _, w := range who {
			vs := got[key{w, b}]
			fmt.Printf("  batch %2d  %-50s %s; median %.1f\n", b, names[w], fmtList(vs), median(vs))
		}
	}
	// The targets (#19): >= 0.9x bare ORT at batch 32, >= 0.8x at
	// batch 1, >= 1.5x PyTorch eager at both.
	targetBare := map[int]float64{32: 0.9, 1: 0.8}
	verdict := func(ratio, target float64) string {
		if target == 0 {
			return ""
		}
		if ratio >= target {
			return fmt.Sprintf(" (target >= %.1f: met)", target)
		}
		return fmt.Sprintf(" (target >= %.1f: NOT met)", target)
	}
	fmt.Printf("\nratios of medians\n")
	for _, b := range batches {
		s := median(got[key{"srbench", b}])
		r := s / median(got[key{"bare", b}])
		// Each round's own ratio (its contenders ran minutes apart at
		// most) shows how far the machine's noise moves the figure.
		var paired []float64
		for i, v := range got[key{"srbench", b}] {
			paired = append(paired, v/got[key{"bare", b}][i])
		}
		fmt.Printf("  batch %2d  srbench / bare ORT = %.2f%s [rounds: %s]", b, r, verdict(r, targetBare[b]), fmtList(paired))
		if useTorch {
			r := s / median(got[key{"torch", b}])
			fmt.Printf("; srbench / PyTorch = %.2f%s", r, verdict(r, 1.5))
		}
		// Against the model run as the plugin runs it, what remains is
		// srbench's own cost: files, decoding, gRPC.
		fmt.Printf("; srbench / bare ORT as planned = %.2f", s/median(got[key{"plan", b}]))
		fmt.Println()
	}
	if len(rss) > 0 {
		fmt.Printf("\nplugin peak RSS at batch 32: %s MiB\n", fmtMiB(rss))
	}
	first, warm, err := warmRerun(models, pairs)
	if err != nil {
		return err
	}
	speedup := first / median(warm)
	fmt.Printf("warm rerun (score cache): first run %.2f s, cached reruns %s s; median speed-up %.0fx%s\n",
		first, fmtList(warm), speedup, verdict(speedup, 40))
	return nil
}

// torchAvailable reports whether the PyTorch contender runs.
func torchAvailable() (bool, error) {
	switch *torchMode {
	case "off":
		return false, nil
	case "on", "auto":
		err := exec.Command(*python, "-c", "import torch, torchvision").Run()
		if err != nil && *torchMode == "on" {
			return false, fmt.Errorf("-torch on: %s cannot import torch and torchvision (make bench-e2e TORCH=1 installs them): %v", *python, err)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench-e2e: no PyTorch contender (%s cannot import torch, torchvision; make bench-e2e TORCH=1 installs them)\n", *python)
		}
		return err == nil, nil
	}
	return false, fmt.Errorf("-torch %q: want auto, on or off", *torchMode)
}

// writeData writes the images and the pairs file once (deterministic).
func writeData(dir string) (pairs string, images []string, err error) {
	if err := os.MkdirAll(filepath.Join(dir, "images"), 0o755); err != nil {
		return "", nil, err
	}
	prompts := []string{"a red fox in a snowy forest", "a lighthouse on a cliff at dusk, oil painting",
		"a bowl of ramen, studio photo", "an astronaut riding a horse", "a cabin by a lake", "a city street in the rain"}
	var lines []string
	for i := 0; i < *nImages; i++ {
		p := filepath.Join(dir, "images", fmt.Sprintf("img%03d.jpg", i))
		images = append(images, p)
		if _, err := os.Stat(p); err != nil {
			if err := writeJPEG(p, i); err != nil {
				return "", nil, err
			}
		}
		if i%2 == 1 {
			label := []string{"a", "b"}[(i/2)%2]
			b, _ := json.Marshal(map[string]string{"id": fmt.Sprintf("pair%03d", i/2), "prompt": prompts[(i/2)%min(*nPrompts, len(prompts))],
				"image_a": fmt.Sprintf("images/img%03d.jpg", i-1), "image_b": fmt.Sprintf("images/img%03d.jpg", i), "label": label})
			lines = append(lines, string(b))
		}
	}
	pairs = filepath.Join(dir, "pairs.jsonl")
	return pairs, images, os.WriteFile(pairs, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}

// writeJPEG writes a 512×384 image with smooth structure and noise, so
// that its JPEG is of ordinary size and decode cost.
func writeJPEG(path string, seed int) error {
	r := rand.New(rand.NewPCG(uint64(seed), 7))
	im := image.NewRGBA(image.Rect(0, 0, 512, 384))
	fx, fy := 0.01+0.04*r.Float64(), 0.01+0.04*r.Float64()
	for y := 0; y < 384; y++ {
		for x := 0; x < 512; x++ {
			v := 127 + 100*math.Sin(fx*float64(x)+fy*float64(y)+float64(seed))
			im.Set(x, y, color.RGBA{uint8(v), uint8(255 - v), uint8(int(v)*x/512 + r.IntN(24)), 255})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := jpeg.Encode(f, im, &jpeg.Options{Quality: 90}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// bareORT is the vision tower alone on pixels decoded beforehand: one run
// of the whole batch with one intra-op thread per CPU (the bare
// ORT), or, with plan set, the plugin's own plan (onnx.PlanRuns: one
// single-threaded run per CPU, the batch split between them).
type bareORT struct {
	sess    *onnx.Session
	plan    *onnx.Parallel
	pixels  [][]float32
	version string
}

func newBare(model string, images []string, plan bool) (*bareORT, error) {
	rt, err := onnx.Init(onnx.Options{})
	if err != nil {
		return nil, err
	}
	so := onnx.SessionOptions{IntraOpThreads: onnx.DefaultIntraOpThreads()}
	par := onnx.NewParallel(1)
	if plan {
		so, par = onnx.PlanRuns(onnx.SessionOptions{})
	}
	sess, err := rt.NewSession(filepath.Join(model, "vision_model.onnx"), so)
	if err != nil {
		return nil, err
	}
	pipe, err := imageproc.NewPipeline("openai")
	if err != nil {
		return nil, err
	}
	b := &bareORT{sess: sess, plan: par, version: rt.Version()}
	for _, p := range images {
		px, _, err := imageproc.PreprocessFile(p, pipe, imageproc.DecodeOptions{})
		if err != nil {
			return nil, err
		}
		b.pixels = append(b.pixels, px)
	}
	_, err = b.runBatch(0, min(32, len(images))) // warm-up
	return b, err
}

func (b *bareORT) runBatch(lo, hi int) (time.Duration, error) {
	in := b.batch(lo, hi)
	t0 := time.Now()
	_, err := b.plan.Run(b.sess, in)
	return time.Since(t0), err
}

// batch lays out images lo..hi-1 as one input tensor.
func (b *bareORT) batch(lo, hi int) map[string]onnx.Tensor {
	px := make([]float32, 0, (hi-lo)*len(b.pixels[0]))
	for _, p := range b.pixels[lo:hi] {
		px = append(px, p...)
	}
	return map[string]onnx.Tensor{"pixel_values": {Shape: []int64{int64(hi - lo), 3, 224, 224}, Float32: px}}
}

// throughput runs every image once in batches of size n: images/s. One
// run at a time, it times the runs alone. The plugin's plan times the
// whole pass with as many batches in flight as it has runs, as srbench
// keeps calls in flight (a batch of one cannot be split).
func (b *bareORT) throughput(n int) (float64, error) {
	if b.plan.Runs() == 1 {
		var total time.Duration
		for lo := 0; lo < len(b.pixels); lo += n {
			d, err := b.runBatch(lo, min(lo+n, len(b.pixels)))
			if err != nil {
				return 0, err
			}
			total += d
		}
		return float64(len(b.pixels)) / total.Seconds(), nil
	}
	var ins []map[string]onnx.Tensor
	for lo := 0; lo < len(b.pixels); lo += n {
		ins = append(ins, b.batch(lo, min(lo+n, len(b.pixels))))
	}
	next := make(chan map[string]onnx.Tensor)
	errs := make(chan error, b.plan.Runs())
	var wg sync.WaitGroup
	t0 := time.Now()
	for range b.plan.Runs() {
		wg.Go(func() {
			for in := range next {
				if _, err := b.plan.Run(b.sess, in); err != nil {
					select { // keep the first; go on draining next
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for _, in := range ins {
		next <- in
	}
	close(next)
	wg.Wait()
	d := time.Since(t0)
	select {
	case err := <-errs:
		return 0, err
	default:
	}
	return float64(len(b.pixels)) / d.Seconds(), nil
}

func (b *bareORT) close() { b.sess.Close() }

// e2e runs srbench with its defaults (no cache, so every image is scored)
// and returns images/s after the first plugin call and the plugin's peak RSS.
func e2e(models, pairs string, batch int, out string) (float64, int64, error) {
	os.RemoveAll(out)
	cmd := exec.Command(*srbench, "run", "--format", "pairs-jsonl", "--dataset", pairs, "--scorers", "clipscore",
		"--models", models, "--plugin-dir", *pluginDir, "--batch-size", strconv.Itoa(batch), "--no-cache", "--no-progress", "--out", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		return 0, 0, fmt.Errorf("srbench run: %v\n%s", err, b)
	}
	res, err := results.ReadResults(filepath.Join(out, "results.json"))
	if err != nil {
		return 0, 0, err
	}
	t, ok := res.Provenance.Scoring["clipscore"]
	if !ok || t.SteadyItemsPerSecond() == 0 {
		return 0, 0, fmt.Errorf("%s: no scoring time for clipscore in provenance.scoring", out)
	}
	return t.SteadyItemsPerSecond(), res.Provenance.PluginPeakRSS["clipscore"], nil
}

// torch runs the PyTorch eager script: images/s after its first batch
// (printing its settings once).
func torch(pairs string, batch int, show bool) (float64, error) {
	out, err := exec.Command(*python, "scripts/bench_e2e_torch.py", "--pairs", pairs, "--batch", strconv.Itoa(batch)).Output()
	if err != nil {
		return 0, fmt.Errorf("bench_e2e_torch.py: %v", err)
	}
	var r struct {
		ImagesPerS float64 `json:"images_per_s"`
		Threads    int     `json:"threads"`
		Torch      string  `json:"torch"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return 0, fmt.Errorf("bench_e2e_torch.py printed %q: %v", out, err)
	}
	if show && batch == 32 {
		fmt.Printf("PyTorch %s with its defaults: %d intra-op thread(s) (torch.get_num_threads), BLAS threads as the BLAS chooses\n", r.Torch, r.Threads)
	}
	return r.ImagesPerS, nil
}

// warmRerun times a first run into an empty score cache and three reruns
// served from it (wall time of the whole command, start-up included).
func warmRerun(models, pairs string) (float64, []float64, error) {
	cache := filepath.Join(*work, "cache")
	os.RemoveAll(cache)
	var times []float64
	for i := range 4 {
		out := filepath.Join(*work, "runs", fmt.Sprintf("warm%d", i))
		os.RemoveAll(out)
		t0 := time.Now()
		cmd := exec.Command(*srbench, "run", "--format", "pairs-jsonl", "--dataset", pairs, "--scorers", "clipscore",
			"--models", models, "--plugin-dir", *pluginDir, "--cache", cache, "--no-progress", "--out", out)
		if b, err := cmd.CombinedOutput(); err != nil {
			return 0, nil, fmt.Errorf("srbench run: %v\n%s", err, b)
		}
		times = append(times, time.Since(t0).Seconds())
	}
	return times[0], times[1:], nil
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fmtList(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(parts, ", ")
}

func fmtMiB(v []int64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.0f", float64(x)/(1<<20))
	}
	return strings.Join(parts, ", ")
}
