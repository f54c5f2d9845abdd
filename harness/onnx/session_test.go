package onnx_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/srbench/srbench/harness/onnx"
	"github.com/srbench/srbench/harness/onnx/blipmodel"
	"github.com/srbench/srbench/harness/onnx/clipmodel"
	"github.com/srbench/srbench/harness/onnx/graph"
)

func runtimeOrFatal(t testing.TB) *onnx.Runtime {
	t.Helper()
	rt, err := onnx.Init(onnx.Options{})
	if err != nil {
		t.Fatalf("these tests need ONNX Runtime: %v", err)
	}
	return rt
}

// tinyModels writes the Tiny CLIP files into a temporary directory.
func tinyModels(t testing.TB) string {
	t.Helper()
	w, err := clipmodel.NewWeights(clipmodel.Tiny())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := w.WriteDir(dir, clipmodel.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// affineModel writes y = x*2 + 1 with x float32 [batch, 3].
func affineModel(t testing.TB) string {
	t.Helper()
	g := graph.New("affine")
	x := g.Input("x", graph.Float32, graph.Sym("batch"), graph.Fixed(3))
	y := g.Node(graph.NodeSpec{Op: "Add", Inputs: []string{g.Op("Mul", []string{x, g.ScalarFloat32(2)}), g.ScalarFloat32(1)}, Outputs: []string{"y"}})
	g.Output(y[0], graph.Float32, graph.Sym("batch"), graph.Fixed(3))
	p := filepath.Join(t.TempDir(), "affine.onnx")
	if err := g.WriteFile(p, graph.ModelOptions{}); err != nil {
		t.Fatal(err)
	}
	return p
}

// affineSession opens affineModel with one intra-op thread; it is closed
// when the test ends (closing it earlier is allowed).
func affineSession(t testing.TB) *onnx.Session {
	t.Helper()
	s, err := runtimeOrFatal(t).NewSession(affineModel(t), onnx.SessionOptions{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// unknownOp returns a well-formed model using an operator that does not
// exist.
func unknownOp(t *testing.T) []byte {
	g := graph.New("bad")
	x := g.Input("x", graph.Float32, graph.Fixed(1))
	g.Output(g.Op("NoSuchOp", []string{x}), graph.Float32, graph.Fixed(1))
	b, err := g.Marshal(graph.ModelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestInit(t *testing.T) {
	rt := runtimeOrFatal(t)
	again, err := onnx.Init(onnx.Options{})
	if err != nil || again != rt {
		t.Fatalf("second Init = %p, %v; want the same runtime %p", again, err, rt)
	}
	if !strings.HasPrefix(rt.Version(), "1.") {
		t.Errorf("Version() = %q", rt.Version())
	}
	if _, err := os.Stat(rt.LibraryPath()); err != nil {
		t.Errorf("LibraryPath() %q: %v", rt.LibraryPath(), err)
	}
	// The same library through ONNXRUNTIME_LIB is the same runtime.
	same, err := onnx.Init(onnx.Options{Getenv: func(k string) string {
		if k == onnx.EnvLibrary {
			return rt.LibraryPath()
		}
		return ""
	}})
	if err != nil || same != rt {
		t.Errorf("Init with ONNXRUNTIME_LIB=%s = %p, %v; want %p", rt.LibraryPath(), same, err, rt)
	}
	// Another file cannot replace the loaded library.
	other := filepath.Join(t.TempDir(), "libonnxruntime.so.1")
	if err := os.WriteFile(other, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = onnx.Init(onnx.Options{LibraryPath: other})
	var ae *onnx.AlreadyInitializedError
	if !errors.As(err, &ae) || ae.Loaded != rt.LibraryPath() || ae.Requested != other {
		t.Errorf("Init with another library = %v; want an *AlreadyInitializedError", err)
	}
}

func TestInitMissingLibrary(t *testing.T) {
	empty := t.TempDir()
	_, err := onnx.Init(onnx.Options{
		Getenv:     func(k string) string { return map[string]string{"SRBENCH_CACHE": empty}[k] },
		SystemDirs: []string{empty},
	})
	var nf *onnx.NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("Init = %v; want a *NotFoundError", err)
	}
	for _, want := range []string{empty, "make setup", "ONNXRUNTIME_LIB"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}

func TestNewSessionBadModel(t *testing.T) {
	rt := runtimeOrFatal(t)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good, err := os.ReadFile(affineModel(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		want       []string
	}{
		{"text file", write("notes.onnx", []byte("this is not a protobuf\n")), []string{"notes.onnx", "not an ONNX model"}},
		{"empty file", write("empty.onnx", nil), []string{"empty.onnx", "not an ONNX model: no ir_version and graph fields"}},
		{"truncated model", write("truncated.onnx", good[:len(good)/2]), []string{"truncated.onnx", "not an ONNX model: ModelProto.graph (7) at byte", "runs past the end of the ModelProto"}},
		{"unknown operator", write("unknown-op.onnx", unknownOp(t)), []string{"unknown-op.onnx", "ONNX Runtime cannot load it", "NoSuchOp"}},
		{"missing file", filepath.Join(dir, "absent.onnx"), []string{"absent.onnx", "no such file"}},
		{"directory", dir, []string{dir, "is a directory"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := rt.NewSession(tc.path, onnx.SessionOptions{})
			if err == nil {
				s.Close()
				t.Fatal("NewSession succeeded")
			}
			var me *onnx.ModelError
			if !errors.As(err, &me) || me.Path != tc.path {
				t.Errorf("error %v; want a *ModelError for %s", err, tc.path)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestExecutionProvider(t *testing.T) {
	rt := runtimeOrFatal(t)
	p := affineModel(t)
	t.Run("cuda without a GPU", func(t *testing.T) {
		s, err := rt.NewSession(p, onnx.SessionOptions{ExecutionProvider: "cuda"})
		if err == nil {
			// A GPU build on a GPU machine: nothing to check here.
			s.Close()
			t.Skip("CUDA is available on this machine")
		}
		var pe *onnx.ProviderError
		if !errors.As(err, &pe) || pe.Provider != "cuda" {
			t.Fatalf("error %v; want a *ProviderError for cuda", err)
		}
		for _, w := range []string{`execution provider "cuda" is not available`, `use ExecutionProvider "cpu"`} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error does not contain %q:\n%v", w, err)
			}
		}
	})
	t.Run("cuda without a GPU, checked before loading", func(t *testing.T) {
		err := rt.CheckSessionOptions(onnx.SessionOptions{ExecutionProvider: "cuda"})
		if err == nil {
			t.Skip("CUDA is available on this machine")
		}
		var pe *onnx.ProviderError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), `execution provider "cuda" is not available`) {
			t.Fatalf("error %v; want a *ProviderError for cuda", err)
		}
	})
	t.Run("options checked before loading", func(t *testing.T) {
		for _, tc := range []struct {
			opts onnx.SessionOptions
			want string
		}{
			{onnx.SessionOptions{ExecutionProvider: "tpu"}, `unknown provider "tpu"`},
			{onnx.SessionOptions{IntraOpThreads: -1}, "want >= 0"},
			{onnx.SessionOptions{ExecutionProvider: "CPU", IntraOpThreads: 2}, ""},
		} {
			err := rt.CheckSessionOptions(tc.opts)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("CheckSessionOptions(%+v) = %v, want %q", tc.opts, err, tc.want)
			}
		}
	})
	t.Run("unknown provider", func(t *testing.T) {
		_, err := rt.NewSession(p, onnx.SessionOptions{ExecutionProvider: "tpu"})
		if err == nil || !strings.Contains(err.Error(), `unknown provider "tpu"`) {
			t.Errorf("error %v; want unknown provider", err)
		}
	})
	t.Run("negative threads", func(t *testing.T) {
		_, err := rt.NewSession(p, onnx.SessionOptions{IntraOpThreads: -1})
		if err == nil || !strings.Contains(err.Error(), "want >= 0") {
			t.Errorf("error %v; want a thread-count error", err)
		}
	})
	t.Run("explicit cpu and threads", func(t *testing.T) {
		s, err := rt.NewSession(p, onnx.SessionOptions{ExecutionProvider: "CPU", IntraOpThreads: 2, InterOpThreads: 1})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	})
}

func TestCheckSignature(t *testing.T) {
	rt := runtimeOrFatal(t)
	dir := tinyModels(t)
	open := func(file string) *onnx.Session {
		s, err := rt.NewSession(filepath.Join(dir, file), onnx.SessionOptions{IntraOpThreads: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	text, vision := open(clipmodel.TextModelFile), open(clipmodel.VisionModelFile)

	wantText := onnx.Signature{
		Inputs: []onnx.TensorSpec{
			{Name: "input_ids", Type: onnx.Int64, Shape: []int64{-1, -1}},
			{Name: "attention_mask", Type: onnx.Int64, Shape: []int64{-1, -1}},
		},
		Outputs: []onnx.TensorSpec{{Name: "text_embeds", Type: onnx.Float32, Shape: []int64{-1, 32}}},
	}
	if diff := cmp.Diff(wantText, text.Signature()); diff != "" {
		t.Errorf("text_model.onnx signature (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		name     string
		s        *onnx.Session
		want     onnx.Signature
		problems []string
	}{
		{name: "text model is not the combined model", s: text, want: onnx.CLIPSignature(224), problems: []string{
			`input "pixel_values" is missing`,
			`output "logits_per_image" is missing`,
			`output "logits_per_text" is missing`,
			`output "image_embeds" is missing`,
		}},
		{name: "wrong type and unexpected input", s: text, want: onnx.Signature{
			Inputs:  []onnx.TensorSpec{{Name: "input_ids", Type: graph.Int32, Shape: []int64{-1, -1}}},
			Outputs: []onnx.TensorSpec{{Name: "text_embeds", Type: onnx.Float32, Shape: []int64{-1, 512}}},
		}, problems: []string{
			`input "input_ids" has element type int64, want int32`,
			`input "attention_mask" (attention_mask int64[?,?]) is not expected`,
			`output "text_embeds" dimension 1 is 32, want 512`,
		}},
		{name: "wrong image size and rank", s: vision, want: onnx.Signature{
			Inputs:  []onnx.TensorSpec{{Name: "pixel_values", Type: onnx.Float32, Shape: []int64{-1, 3, 336, 336}}},
			Outputs: []onnx.TensorSpec{{Name: "image_embeds", Type: onnx.Float32, Shape: []int64{-1}}},
		}, problems: []string{
			`input "pixel_values" dimension 2 is 224, want 336`,
			`input "pixel_values" dimension 3 is 224, want 336`,
			`output "image_embeds" has rank 2 (image_embeds float32[?,32]), want rank 1 (image_embeds float32[?])`,
		}},
	} {
		// The same check on a loaded session and, without loading, on the file.
		for _, how := range []struct {
			name  string
			check func() error
		}{
			{"session", func() error { return tc.s.CheckSignature(tc.want) }},
			{"file", func() error { return onnx.CheckModelFile(tc.s.Path(), tc.want) }},
		} {
			t.Run(tc.name+"/"+how.name, func(t *testing.T) {
				err := how.check()
				var se *onnx.SignatureError
				if !errors.As(err, &se) {
					t.Fatalf("check = %v; want a *SignatureError", err)
				}
				if diff := cmp.Diff(tc.problems, se.Problems); diff != "" {
					t.Errorf("problems (-want +got):\n%s", diff)
				}
				msg := err.Error()
				for _, w := range []string{filepath.Base(tc.s.Path()), "expected inputs:", "found inputs:", "expected outputs:", "found outputs:"} {
					if !strings.Contains(msg, w) {
						t.Errorf("message does not contain %q:\n%s", w, msg)
					}
				}
			})
		}
	}
	if err := vision.CheckSignature(onnx.CLIPVisionSignature(224)); err != nil {
		t.Errorf("vision model against the CLIP vision signature: %v", err)
	}
	if err := onnx.CheckModelFile(vision.Path(), onnx.CLIPVisionSignature(224)); err != nil {
		t.Errorf("vision model file against the CLIP vision signature: %v", err)
	}
	var me *onnx.ModelError
	if err := onnx.CheckModelFile(filepath.Join(dir, "missing.onnx"), onnx.CLIPVisionSignature(224)); !errors.As(err, &me) {
		t.Errorf("missing file: %v, want a *ModelError", err)
	}
}

// TestCheckSignatureOptionalMask (issue #13): attention_mask is Optional in the CLIP
// signatures, so exports with it and without it (torch.onnx.export of an
// OpenAI-format CLIP) pass, split and combined; present, it must still match; a
// signature that requires it (ImageReward's BLIP) still refuses a model without it.
func TestCheckSignatureOptionalMask(t *testing.T) {
	rt := runtimeOrFatal(t)
	w, err := clipmodel.NewWeights(clipmodel.Tiny())
	if err != nil {
		t.Fatal(err)
	}
	withDir, sansDir := t.TempDir(), t.TempDir()
	if _, err := w.WriteDir(withDir, clipmodel.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteDir(sansDir, clipmodel.WriteOptions{GraphOptions: clipmodel.GraphOptions{NoAttentionMask: true}}); err != nil {
		t.Fatal(err)
	}
	// attention_mask of the wrong element type.
	g := graph.New("bad_mask")
	ids := g.Input("input_ids", graph.Int64, graph.Sym("b"), graph.Sym("s"))
	g.Input("attention_mask", graph.Float32, graph.Sym("b"), graph.Sym("s"))
	g.Node(graph.NodeSpec{Op: "Cast", Inputs: []string{ids}, Outputs: []string{"text_embeds"}, Attrs: []graph.Attr{graph.AttrInt("to", int64(graph.Float32))}})
	g.Output("text_embeds", graph.Float32, graph.Sym("b"), graph.Sym("s"))
	badMask := filepath.Join(t.TempDir(), "text_model.onnx")
	if err := g.WriteFile(badMask, graph.ModelOptions{}); err != nil {
		t.Fatal(err)
	}
	required := onnx.CLIPTextSignature()
	for i := range required.Inputs {
		required.Inputs[i].Optional = false
	}
	tests := []struct {
		name     string
		path     string
		want     onnx.Signature
		hasMask  bool
		problems []string // nil: the check passes
	}{
		{"split text with mask", filepath.Join(withDir, clipmodel.TextModelFile), onnx.CLIPTextSignature(), true, nil},
		{"split text without mask", filepath.Join(sansDir, clipmodel.TextModelFile), onnx.CLIPTextSignature(), false, nil},
		{"combined with mask", filepath.Join(withDir, clipmodel.ModelFile), onnx.CLIPSignature(224), true, nil},
		{"combined without mask", filepath.Join(sansDir, clipmodel.ModelFile), onnx.CLIPSignature(224), false, nil},
		{"vision (never has a mask)", filepath.Join(sansDir, clipmodel.VisionModelFile), onnx.CLIPVisionSignature(224), false, nil},
		{"mask of the wrong type", badMask, onnx.CLIPTextSignature(), true, []string{`input "attention_mask" has element type float32, want int64`}},
		{"mask required", filepath.Join(sansDir, clipmodel.TextModelFile), required, false, []string{`input "attention_mask" is missing`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := rt.NewSession(tc.path, onnx.SessionOptions{IntraOpThreads: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got := s.HasInput("attention_mask"); got != tc.hasMask {
				t.Errorf("HasInput(attention_mask) = %v, want %v", got, tc.hasMask)
			}
			for how, err := range map[string]error{"session": s.CheckSignature(tc.want), "file": onnx.CheckModelFile(tc.path, tc.want)} {
				if tc.problems == nil {
					if err != nil {
						t.Errorf("%s check: %v", how, err)
					}
					continue
				}
				var se *onnx.SignatureError
				if !errors.As(err, &se) {
					t.Fatalf("%s check = %v; want a *SignatureError", how, err)
				}
				if diff := cmp.Diff(tc.problems, se.Problems); diff != "" {
					t.Errorf("%s check: problems (-want +got):\n%s", how, diff)
				}
			}
		})
	}
	if got := onnx.CLIPTextSignature().Inputs[1].String(); got != "attention_mask int64[?,?] (optional)" {
		t.Errorf("optional spec prints as %q", got)
	}
	for _, in := range blipmodel.Signature(224).Inputs {
		if in.Optional {
			t.Errorf("ImageReward's input %s is optional; BLIP's text encoder reads its mask", in)
		}
	}
}

func TestRunValidation(t *testing.T) {
	s := affineSession(t)
	x := func(shape []int64, data []float32) map[string]onnx.Tensor {
		return map[string]onnx.Tensor{"x": {Shape: shape, Float32: data}}
	}
	for _, tc := range []struct {
		name string
		in   map[string]onnx.Tensor
		want string
	}{
		{"missing input", map[string]onnx.Tensor{}, `missing input x float32[?,3]`},
		{"unknown input", map[string]onnx.Tensor{"x": {Shape: []int64{1, 3}, Float32: make([]float32, 3)}, "z": {}}, `unknown input "z"; the model takes x float32[?,3]`},
		{"wrong type", map[string]onnx.Tensor{"x": {Shape: []int64{1, 3}, Int64: make([]int64, 3)}}, `input "x": element type int64, want float32`},
		{"no data", map[string]onnx.Tensor{"x": {Shape: []int64{1, 3}}}, `exactly one of Tensor.Float32 and Tensor.Int64`},
		{"wrong rank", x([]int64{3}, make([]float32, 3)), `shape [3] has rank 1, want rank 2`},
		{"wrong fixed dim", x([]int64{1, 4}, make([]float32, 4)), `dimension 1 is 4, want 3`},
		{"zero batch", x([]int64{0, 3}, []float32{}), `dimension 0 is 0, want >= 1`},
		{"short data", x([]int64{2, 3}, make([]float32, 5)), `shape [2 3] needs 6 elements, data has 5`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Run(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `model "affine.onnx"`) {
				t.Errorf("Run error %v; want one naming the model and containing %q", err, tc.want)
			}
		})
	}
}

func TestRunConcurrentAndClose(t *testing.T) {
	s := affineSession(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				v := float32(g*100 + i)
				out, err := s.Run(map[string]onnx.Tensor{"x": {Shape: []int64{1, 3}, Float32: []float32{v, -v, 0.5}}})
				if err != nil {
					errs <- err
					return
				}
				want := []float32{2*v + 1, -2*v + 1, 2}
				if diff := cmp.Diff(want, out["y"].Float32); diff != "" {
					errs <- errors.New("y (-want +got):\n" + diff)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.Run(map[string]onnx.Tensor{"x": {Shape: []int64{1, 3}, Float32: make([]float32, 3)}}); !errors.Is(err, onnx.ErrClosed) {
		t.Errorf("Run after Close = %v; want ErrClosed", err)
	}
}

// threadsChild, set in a child test process, makes TestDefaultIntraOpThreads
// report DefaultIntraOpThreads and how many OS threads one session with the
// zero SessionOptions adds, then exit.
const threadsChild = "SRBENCH_TEST_THREADS_CHILD"

func osThreads(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if n, ok := strings.CutPrefix(line, "Threads:"); ok {
			v, err := strconv.Atoi(strings.TrimSpace(n))
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	t.Fatal("no Threads: line in /proc/self/status")
	return 0
}

// TestDefaultIntraOpThreads: a session's default intra-op thread count is
// the CPUs the process may use, read from its CPU affinity (set here with
// taskset in a child process) or GOMAXPROCS; ONNX Runtime's pool then has
// that many threads (the caller's thread and n-1 workers, which the child
// counts in /proc/self/status).
func TestDefaultIntraOpThreads(t *testing.T) {
	if os.Getenv(threadsChild) != "" {
		rt := runtimeOrFatal(t)
		path := affineModel(t)
		// A first session starts ONNX Runtime's global threads, if any.
		s0, err := rt.NewSession(path, onnx.SessionOptions{IntraOpThreads: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer s0.Close()
		before := osThreads(t)
		s, err := rt.NewSession(path, onnx.SessionOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		fmt.Printf("default=%d added=%d\n", onnx.DefaultIntraOpThreads(), osThreads(t)-before)
		return
	}
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		t.Skip("taskset (util-linux) is not installed: cannot set a CPU affinity")
	}
	if runtime.NumCPU() < 2 {
		t.Skip("needs 2 CPUs")
	}
	tests := []struct {
		name string
		cpus string // taskset's CPU list
		env  string // GOMAXPROCS
		want int
	}{
		{"affinity one CPU", "0", "", 1},
		{"affinity two CPUs", "0,1", "", 2},
		{"GOMAXPROCS overrides", "0,1", "1", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(taskset, "-c", tc.cpus, os.Args[0], "-test.run=^TestDefaultIntraOpThreads$", "-test.count=1")
			cmd.Env = append(os.Environ(), threadsChild+"=1")
			if tc.env != "" {
				cmd.Env = append(cmd.Env, "GOMAXPROCS="+tc.env)
			}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			want := fmt.Sprintf("default=%d added=%d", tc.want, tc.want-1)
			if !strings.Contains(string(out), want) {
				t.Errorf("child printed %q, want %q", out, want)
			}
		})
	}
}
