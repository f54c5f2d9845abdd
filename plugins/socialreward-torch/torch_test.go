package socialreward_torch_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/srbench/srbench/harness/dualenc"
	"github.com/srbench/srbench/harness/host"
	"github.com/srbench/srbench/harness/modeldir"
	"github.com/srbench/srbench/harness/scorer"
	"github.com/srbench/srbench/internal/testmodels"
)

// python is Debian's interpreter, the one that sees python3-torch.
const python = "/usr/bin/python3"

// maxScoreDiff is how far the exported ONNX directory's scores (ONNX
// Runtime, through dualenc, with Go's tokenizer and image pipeline) may be
// from the trainer's own PyTorch scores (torch, Python tokenizer, Pillow +
// torchvision): float32 arithmetic in a different order, nothing more.
const maxScoreDiff = 1e-4

// requireTorch skips the test when /usr/bin/python3 cannot import torch
// (and only then: anything else the plugin needs, torchvision included,
// failing is a test failure).
func requireTorch(t *testing.T) {
	t.Helper()
	if out, err := exec.Command(python, "-c", "import torch").CombinedOutput(); err != nil {
		t.Skipf("%s cannot import torch, so the PyTorch trainer cannot run (apt-get install python3-torch python3-torchvision): %v\n%s", python, err, out)
	}
}

// runPlugin runs the plugin's command line (python3 plugins/socialreward-torch
// ARGS) and returns its standard output. torch runs on one thread: for a
// model this small, a second one costs more in synchronisation than it
// saves (training takes about 1 s on one thread, several on two when the
// machine is busy).
func runPlugin(t *testing.T, args ...string) []byte {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, append([]string{wd, "--threads", "1"}, args...)...)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1") // no caches in the source tree
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstderr:\n%s", python, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// colours are the synthetic data's concepts: a prompt names one, its
// preferred image is mostly that colour, the other image another colour.
var colours = []struct {
	name string
	rgb  color.RGBA
}{
	{"red", color.RGBA{220, 30, 30, 255}}, {"green", color.RGBA{30, 200, 40, 255}},
	{"blue", color.RGBA{30, 40, 220, 255}}, {"yellow", color.RGBA{230, 220, 30, 255}},
	{"purple", color.RGBA{140, 30, 180, 255}}, {"orange", color.RGBA{240, 140, 20, 255}},
	{"black", color.RGBA{10, 10, 10, 255}}, {"white", color.RGBA{245, 245, 245, 255}},
}

// writeImage writes a 64×48 PNG of colour c with a few random squares.
func writeImage(t *testing.T, path string, c color.RGBA, r *rand.Rand) {
	t.Helper()
	im := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range im.Pix {
		im.Pix[i] = [4]uint8{c.R, c.G, c.B, 255}[i%4]
	}
	for range 6 {
		x, y := r.IntN(64), r.IntN(48)
		sq := color.RGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255}
		for dy := range 7 {
			for dx := range 7 {
				im.SetRGBA(x+dx, y+dy, sq)
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, im); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeData writes n synthetic pairs (pairs-jsonl) into dir as train.jsonl
// (the first nTrain) and validation.jsonl, and returns the pairs.
func writeData(t *testing.T, dir string, n, nTrain int) []map[string]string {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 11))
	var pairs []map[string]string
	for i := range n {
		c := colours[i%len(colours)]
		o := colours[(i%len(colours)+1+r.IntN(len(colours)-1))%len(colours)]
		pref, other := fmt.Sprintf("img%02d_%s.png", i, c.name), fmt.Sprintf("img%02d_not_%s.png", i, c.name)
		writeImage(t, filepath.Join(dir, pref), c.rgb, r)
		writeImage(t, filepath.Join(dir, other), o.rgb, r)
		p := map[string]string{"id": fmt.Sprintf("pair%02d", i), "prompt": "a " + c.name + " picture", "image_a": pref, "image_b": other, "label": "a"}
		if r.IntN(2) == 1 {
			p["image_a"], p["image_b"], p["label"] = other, pref, "b"
		}
		pairs = append(pairs, p)
	}
	for name, part := range map[string][]map[string]string{"train.jsonl": pairs[:nTrain], "validation.jsonl": pairs[nTrain:]} {
		var b bytes.Buffer
		for _, p := range part {
			line, _ := json.Marshal(p)
			b.Write(append(line, '\n'))
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return pairs
}

// trainEvent is one line the plugin's train command prints.
type trainEvent struct {
	Epoch         int     `json:"epoch"`
	Loss          float64 `json:"loss"`
	HasValidation bool    `json:"has_validation"`
	ValAccuracy   float64 `json:"validation_accuracy"`
	Message       string  `json:"message"`
	CheckpointDir string  `json:"checkpoint_dir"`
	MetricsJSON   string  `json:"metrics_json"`
}

// TestTrainedExportScoresLikeTorch trains a small random-weight OpenAI-format
// CLIP with the plugin's command line on CPU, then scores the same
// (prompt, image) items with the trainer's PyTorch model and with the
// exported ONNX directory through harness/dualenc (exactly what the Go
// socialreward plugin computes for a directory without adapters: the cosine
// of the two embeddings), and, when SRBENCH_PREBUILT names `make build`'s
// bin/, through the socialreward plugin binary itself.
func TestTrainedExportScoresLikeTorch(t *testing.T) {
	requireTorch(t)
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	pairs := writeData(t, data, 40, 32)

	base := filepath.Join(tmp, "base")
	runPlugin(t, "init-random", "--out", base, "--seed", "3")
	trained := filepath.Join(tmp, "trained")
	out := runPlugin(t, "train", "--model", base, "--train", filepath.Join(data, "train.jsonl"),
		"--validation", filepath.Join(data, "validation.jsonl"), "--out", trained,
		"--config", `{"lr": 1e-3, "batch_size": 8, "epochs": 4, "seed": 1}`)

	// The events: epoch 0 (before training) to 4, then the final one.
	var events []trainEvent
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e trainEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("train output line %q: %v", sc.Text(), err)
		}
		events = append(events, e)
	}
	if len(events) < 3 {
		t.Fatalf("train printed %d events:\n%s", len(events), out)
	}
	last := events[len(events)-1]
	if last.CheckpointDir != trained || last.MetricsJSON == "" {
		t.Fatalf("last event %+v: want checkpoint_dir %s and metrics", last, trained)
	}
	var metrics struct {
		InitialLoss float64 `json:"initial_train_loss"`
		FinalLoss   float64 `json:"final_train_loss"`
		InitialVal  float64 `json:"initial_val_accuracy"`
		FinalVal    float64 `json:"final_val_accuracy"`
		Steps       int     `json:"steps"`
		History     []struct {
			Epoch     int     `json:"epoch"`
			TrainLoss float64 `json:"train_loss"`
		} `json:"history"`
	}
	if err := json.Unmarshal([]byte(last.MetricsJSON), &metrics); err != nil {
		t.Fatal(err)
	}
	t.Logf("training loss %.4f -> %.4f over %d steps; validation accuracy %.3f -> %.3f",
		metrics.InitialLoss, metrics.FinalLoss, metrics.Steps, metrics.InitialVal, metrics.FinalVal)
	if !(metrics.FinalLoss < metrics.InitialLoss) || metrics.Steps != 16 || len(metrics.History) != 5 {
		t.Errorf("metrics %+v: want a lower final training loss after 16 steps and 5 history rows", metrics)
	}
	for _, name := range []string{"text_model.onnx", "vision_model.onnx", "model.pt", "training.json", "srbench.yaml", "bpe_simple_vocab_16e6.txt.gz"} {
		st, err := os.Stat(filepath.Join(trained, name))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(name, ".onnx") && st.Size() >= 1<<20 {
			t.Errorf("%s is %d bytes, want < 1 MiB for the test-size model", name, st.Size())
		}
	}

	items, itemsFile := writeItems(t, tmp, data, pairs[32:36])

	var torchScores torchOutput
	if err := json.Unmarshal(runPlugin(t, "score", "--model", trained, "--items", itemsFile), &torchScores); err != nil {
		t.Fatal(err)
	}
	want := torchScores.values(t, len(items))

	// The exported directory through dualenc, as the socialreward plugin
	// scores a directory without adapters; its fingerprint is the one the
	// torch plugin computed.
	goScores, fp := dualencScores(t, trained, items)
	if fp != torchScores.Fingerprint {
		t.Errorf("fingerprint: Go %s, the torch plugin %s", fp, torchScores.Fingerprint)
	}
	maxDiff := compare(t, "dualenc", goScores, want)
	t.Logf("%d items: max |ONNX (Go) - torch| = %.3g (dualenc in process)", len(items), maxDiff)

	// The socialreward plugin binary itself, when `make build` made it.
	if os.Getenv(testmodels.PrebuiltEnv) == "" {
		t.Logf("%s not set: the socialreward plugin binary is not launched (make test sets it)", testmodels.PrebuiltEnv)
		return
	}
	bin, err := testmodels.BuildPlugin(t.TempDir(), "socialreward", "./plugins/socialreward")
	if err != nil {
		t.Fatal(err)
	}
	info, err := host.FromPath(bin)
	if err != nil {
		t.Fatal(err)
	}
	h := host.New(host.Options{})
	defer h.Close()
	p, err := h.Launch(context.Background(), info, scorer.Config{ModelDir: trained, BatchSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	res, err := scorer.ScoreItems(context.Background(), p, items)
	if err != nil {
		t.Fatal(err)
	}
	viaPlugin := make([]float64, len(res))
	for i, r := range res {
		if r.Failed() {
			t.Fatalf("socialreward plugin: item %d: %s", i, r.Err)
		}
		viaPlugin[i] = r.Score
	}
	t.Logf("max |socialreward plugin - torch| = %.3g", compare(t, "socialreward plugin", viaPlugin, want))
}

// writeItems writes items.jsonl for the plugin's score command and returns
// the same items for Go: held-out synthetic pairs' images with matching and
// other prompts, and golden photos in other formats (JPEG, palette GIF,
// RGBA PNG; the last passed to Go as bytes).
func writeItems(t *testing.T, tmp, data string, held []map[string]string) ([]scorer.Item, string) {
	t.Helper()
	var items []scorer.Item
	var lines bytes.Buffer
	add := func(prompt, path string) {
		id := fmt.Sprintf("item%d", len(items))
		items = append(items, scorer.Item{ID: id, Prompt: prompt, ImagePath: path})
		line, _ := json.Marshal(map[string]string{"id": id, "prompt": prompt, "image": path})
		lines.Write(append(line, '\n'))
	}
	for _, p := range held {
		add(p["prompt"], filepath.Join(data, p["image_a"]))
		add("a green picture", filepath.Join(data, p["image_b"]))
	}
	for _, g := range []struct{ prompt, file string }{
		{"an astronaut", "astronaut.png"}, {"a cup of coffee", "coffee_q90_420.jpg"},
		{"a red rocket on a launch pad", "rocket_palette.gif"}, {"a cat", "chelsea_rgba.png"},
	} {
		add(g.prompt, testmodels.Shared(t, "golden/images/"+g.file))
	}
	last := &items[len(items)-1]
	b, err := os.ReadFile(last.ImagePath)
	if err != nil {
		t.Fatal(err)
	}
	last.ImagePath, last.ImageBytes = "", b
	path := filepath.Join(tmp, "items.jsonl")
	if err := os.WriteFile(path, lines.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return items, path
}

// dualencScores scores items with the ONNX model directory dir through
// harness/dualenc, exactly as the socialreward plugin does for a directory
// without adapters (the cosine of the two embeddings), and returns the
// scores and the directory's fingerprint.
func dualencScores(t *testing.T, dir string, items []scorer.Item) ([]float64, string) {
	t.Helper()
	enc, err := dualenc.Open(scorer.Config{ModelDir: dir, BatchSize: 4, IntraOpThreads: 1},
		dualenc.Spec{Kind: "socialreward", DefaultPipeline: "openai"})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	if !enc.Split() {
		t.Errorf("%s is not read as split text/vision models", dir)
	}
	emb, err := enc.Embed(context.Background(), items, "")
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, len(items))
	for i := range items {
		if emb.Err[i] != "" {
			t.Fatalf("dualenc: item %d: %s", i, emb.Err[i])
		}
		out[i] = dualenc.Cosine(emb.Text[i], emb.Image[i])
	}
	return out, enc.Dir.Fingerprint
}

// torchOutput is what the plugin's score command prints.
type torchOutput struct {
	Fingerprint string `json:"fingerprint"`
	Scores      []struct {
		ID    string  `json:"id"`
		Score float64 `json:"score"`
		Error string  `json:"error"`
	} `json:"scores"`
}

// values returns the n scores, failing the test on a missing or failed one.
func (o torchOutput) values(t *testing.T, n int) []float64 {
	t.Helper()
	if len(o.Scores) != n {
		t.Fatalf("torch scored %d items, want %d", len(o.Scores), n)
	}
	out := make([]float64, n)
	for i, s := range o.Scores {
		if s.Error != "" {
			t.Fatalf("torch: item %d: %s", i, s.Error)
		}
		out[i] = s.Score
	}
	return out
}

// compare checks got against the torch scores want item by item and returns
// the largest absolute difference.
func compare(t *testing.T, name string, got, want []float64) float64 {
	t.Helper()
	worst := 0.0
	for i := range got {
		d := math.Abs(got[i] - want[i])
		worst = max(worst, d)
		if !(d <= maxScoreDiff) {
			t.Errorf("%s: item %d: %.8f, torch %.8f (|diff| %.3g > %g)", name, i, got[i], want[i], d, maxScoreDiff)
		}
	}
	return worst
}

// pluginBinary returns the plugin's zipapp in a directory of its own,
// pinned (plugins.lock): copied from $SRBENCH_PREBUILT/plugins when `make
// build` made it, else packed with scripts/build-python-plugin.sh as `make
// build` does.
func pluginBinary(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	out := filepath.Join(dir, "socialreward-torch")
	if pre := os.Getenv(testmodels.PrebuiltEnv); pre != "" {
		if b, err := os.ReadFile(filepath.Join(pre, "plugins", "socialreward-torch")); err == nil {
			if err := os.WriteFile(out, b, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := os.Stat(out); err != nil {
		root, err := testmodels.ModuleRoot()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(filepath.Join(root, "scripts", "build-python-plugin.sh"), "socialreward-torch", out)
		cmd.Env = append(os.Environ(), "PYTHON="+python)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build-python-plugin.sh: %v\n%s", err, b)
		}
	}
	if _, err := host.WriteLock(dir); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPluginThroughHost launches the plugin (the zipapp `make build` packs)
// through srbench's host: Describe, Score with a per-item failure, training
// through the streaming Train RPC, and the trained directory scored by the
// plugin itself (relaunched on it) and by dualenc, within 1e-4.
func TestPluginThroughHost(t *testing.T) {
	requireTorch(t)
	ctx := context.Background()
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	pairs := writeData(t, data, 24, 16)
	base := filepath.Join(tmp, "base")
	runPlugin(t, "init-random", "--out", base, "--seed", "5")

	info, err := host.FromPath(pluginBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	h := host.New(host.Options{})
	defer h.Close()
	p, err := h.Launch(ctx, info, scorer.Config{ModelDir: base, IntraOpThreads: 1, BatchSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	d, err := p.Describe(ctx, scorer.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	fp, err := modeldir.Fingerprint(base)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "socialreward-torch" || d.Kind != "socialreward" || d.Variant != "torch-blocks" || d.Fingerprint != fp ||
		!slices.Contains(d.Capabilities, scorer.CapabilityTrain) || d.Provider != "cpu" {
		t.Errorf("Describe = %+v, want socialreward-torch/socialreward/torch-blocks, fingerprint %s, train capability", d, fp)
	}
	res, err := scorer.ScoreItems(ctx, p, []scorer.Item{
		{ID: "ok", Prompt: pairs[0]["prompt"], ImagePath: filepath.Join(data, pairs[0]["image_a"])},
		{ID: "bad", Prompt: "x", ImageBytes: []byte("not an image")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Failed() || !res[1].Failed() {
		t.Errorf("Score = %+v, want the first item scored and the second failed", res)
	}

	// Training through the host's Train RPC.
	triplets := func(ps []map[string]string) []scorer.Triplet {
		var out []scorer.Triplet
		for _, q := range ps {
			pref, other := q["image_a"], q["image_b"]
			if q["label"] == "b" {
				pref, other = other, pref
			}
			out = append(out, scorer.Triplet{ID: q["id"], Prompt: q["prompt"],
				Preferred: scorer.ImageRef{Path: filepath.Join(data, pref)}, Other: scorer.ImageRef{Path: filepath.Join(data, other)}})
		}
		return out
	}
	trained := filepath.Join(tmp, "trained")
	var events []scorer.TrainEvent
	err = p.Train(ctx, scorer.TrainRequest{Config: `{"lr": 1e-3, "batch_size": 8, "epochs": 3, "seed": 2}`, OutDir: trained,
		Train: triplets(pairs[:16]), Validation: triplets(pairs[16:])}, func(e scorer.TrainEvent) error {
		events = append(events, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	last := events[len(events)-1]
	var m struct {
		InitialLoss float64 `json:"initial_train_loss"`
		FinalLoss   float64 `json:"final_train_loss"`
	}
	if err := json.Unmarshal([]byte(last.Metrics), &m); err != nil {
		t.Fatalf("metrics %q: %v", last.Metrics, err)
	}
	if last.CheckpointDir != trained || last.Step != 6 || !last.HasValidation || !(m.FinalLoss < m.InitialLoss) {
		t.Errorf("last event %+v (metrics %+v): want checkpoint %s after 6 steps, validation, a lower loss", last, m, trained)
	}
	t.Logf("through the host: %d events, training loss %.4f -> %.4f", len(events), m.InitialLoss, m.FinalLoss)

	// The trained directory: the plugin relaunched on it, and dualenc.
	items, _ := writeItems(t, tmp, data, pairs[16:20])
	p2, err := h.Launch(ctx, info, scorer.Config{ModelDir: trained, IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	res, err = scorer.ScoreItems(ctx, p2, items)
	if err != nil {
		t.Fatal(err)
	}
	viaTorch := make([]float64, len(res))
	for i, r := range res {
		if r.Failed() {
			t.Fatalf("torch plugin: item %d: %s", i, r.Err)
		}
		viaTorch[i] = r.Score
	}
	goScores, _ := dualencScores(t, trained, items)
	t.Logf("max |ONNX (Go) - torch plugin| = %.3g over %d items", compare(t, "dualenc vs torch plugin", goScores, viaTorch), len(items))
}
