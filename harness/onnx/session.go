package onnx

import (
	"cmp"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/srbench/srbench/harness/onnx/graph"
)

// ElementType is a tensor element type; the values are ONNX's
// TensorProto.DataType numbers, shared with the graph package.
type ElementType = graph.DataType

// The element types Tensor can hold.
const (
	Float32 = graph.Float32
	Int64   = graph.Int64
)

// Tensor is a dense row-major tensor exchanged with a Session. Exactly one of
// Float32 and Int64 holds the data; its length is the product of Shape.
type Tensor struct {
	Shape   []int64
	Float32 []float32
	Int64   []int64
}

// Type is the element type implied by the data slice that is set.
func (t Tensor) Type() ElementType {
	switch {
	case t.Float32 != nil && t.Int64 == nil:
		return graph.Float32
	case t.Int64 != nil && t.Float32 == nil:
		return graph.Int64
	}
	return graph.Undefined
}

func (t Tensor) dataLen() int {
	if t.Float32 != nil {
		return len(t.Float32)
	}
	return len(t.Int64)
}

// TensorSpec describes a model input or output: its name, element type and
// shape, with -1 for a dynamic dimension. In an expected signature, -1 means
// any size.
type TensorSpec struct {
	Name  string
	Type  ElementType
	Shape []int64
	// Optional, in an expected signature, lets the model lack this input or
	// output; when present it must match like any other. A caller feeds an
	// optional input only when the model declares it (Session.HasInput).
	// Models read from files never set it.
	Optional bool
}

// String formats the spec as `name float32[?,3,224,224]` (? is dynamic).
func (s TensorSpec) String() string {
	dims := make([]string, len(s.Shape))
	for i, d := range s.Shape {
		if d < 0 {
			dims[i] = "?"
		} else {
			dims[i] = strconv.FormatInt(d, 10)
		}
	}
	str := fmt.Sprintf("%s %s[%s]", s.Name, s.Type, strings.Join(dims, ","))
	if s.Optional {
		str += " (optional)"
	}
	return str
}

// Signature is a model's inputs and outputs.
type Signature struct {
	Inputs, Outputs []TensorSpec
}

func specList(ss []TensorSpec) string {
	if len(ss) == 0 {
		return "(none)"
	}
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.String()
	}
	return strings.Join(parts, ", ")
}

// Execution providers for SessionOptions.ExecutionProvider.
const (
	ProviderCPU  = "cpu"
	ProviderCUDA = "cuda"
)

// SessionOptions configures NewSession. The zero value runs on the CPU
// with one intra-op thread per CPU available to the process
// (DefaultIntraOpThreads) and full graph optimisation.
type SessionOptions struct {
	// IntraOpThreads is the number of threads one operator may use; 0 is
	// DefaultIntraOpThreads.
	IntraOpThreads int
	// InterOpThreads is the number of threads running independent operators
	// in parallel; 0 is ONNX Runtime's default.
	InterOpThreads int
	// ExecutionProvider is "cpu" (or "") or "cuda". CUDA never falls back
	// to the CPU silently: when the library or machine lacks it, NewSession
	// returns a *ProviderError.
	ExecutionProvider string
	// CUDADeviceID selects the GPU for "cuda".
	CUDADeviceID int
}

// ProviderError reports an execution provider that cannot be used.
type ProviderError struct {
	Provider string
	Err      error
}

func (e *ProviderError) Error() string {
	return fmt.Sprintf("onnx: execution provider %q is not available: %v (the srbench ONNX Runtime build is CPU-only; use ExecutionProvider %q, or point ONNXRUNTIME_LIB at a GPU build of ONNX Runtime with its CUDA provider libraries)",
		e.Provider, e.Err, ProviderCPU)
}

func (e *ProviderError) Unwrap() error { return e.Err }

// ModelError reports a model file ONNX Runtime cannot load.
type ModelError struct {
	Path string
	Err  error
}

func (e *ModelError) Error() string {
	return fmt.Sprintf("onnx: model %q: %v", e.Path, e.Err)
}

func (e *ModelError) Unwrap() error { return e.Err }

// SignatureError reports a model whose inputs or outputs differ from what a
// caller expects.
type SignatureError struct {
	Model     string // model file
	Want, Got Signature
	Problems  []string
}

func (e *SignatureError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "onnx: model %q does not have the expected inputs/outputs:", filepath.Base(e.Model))
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p)
	}
	fmt.Fprintf(&b, "\n  expected inputs:  %s", specList(e.Want.Inputs))
	fmt.Fprintf(&b, "\n  found inputs:     %s", specList(e.Got.Inputs))
	fmt.Fprintf(&b, "\n  expected outputs: %s", specList(e.Want.Outputs))
	fmt.Fprintf(&b, "\n  found outputs:    %s", specList(e.Got.Outputs))
	fmt.Fprintf(&b, "\n  (model file %s)", e.Model)
	return b.String()
}

// ErrClosed is returned by Run on a closed Session.
var ErrClosed = errors.New("onnx: session is closed")

// Session is a loaded model. Run may be called from several goroutines at
// once (ONNX Runtime sessions are thread-safe for inference); Close waits
// for running calls to finish, and is safe to call more than once.
type Session struct {
	path string
	sig  Signature

	mu     sync.RWMutex
	s      *ort.DynamicAdvancedSession // nil once closed
	inIdx  map[string]int
	outIdx map[string]int
}

// NewSession loads the ONNX model at modelPath.
func (r *Runtime) NewSession(modelPath string, opts SessionOptions) (*Session, error) {
	if r == nil {
		return nil, errors.New("onnx: NewSession on a nil *Runtime; call onnx.Init first")
	}
	if ok, why := isFile(modelPath); !ok {
		return nil, &ModelError{Path: modelPath, Err: errors.New(why)}
	}
	// The signature is read from the file (seeking over the weights); the
	// bindings could only report it by loading the model a second time.
	sig, err := readModelSignature(modelPath)
	if err != nil {
		return nil, &ModelError{Path: modelPath, Err: fmt.Errorf("not an ONNX model: %w", err)}
	}
	so, err := newSessionOptions(opts)
	if err != nil {
		return nil, err
	}
	defer so.Destroy()
	names := func(ss []TensorSpec) []string {
		out := make([]string, len(ss))
		for i, s := range ss {
			out[i] = s.Name
		}
		return out
	}
	ds, err := ort.NewDynamicAdvancedSession(modelPath, names(sig.Inputs), names(sig.Outputs), so)
	if err != nil {
		if p := strings.ToLower(opts.ExecutionProvider); p != "" && p != ProviderCPU {
			return nil, &ProviderError{Provider: opts.ExecutionProvider, Err: err}
		}
		return nil, &ModelError{Path: modelPath, Err: fmt.Errorf("ONNX Runtime cannot load it: %w", err)}
	}
	s := &Session{path: modelPath, sig: sig, s: ds, inIdx: map[string]int{}, outIdx: map[string]int{}}
	for i, in := range sig.Inputs {
		s.inIdx[in.Name] = i
	}
	for i, out := range sig.Outputs {
		s.outIdx[out.Name] = i
	}
	return s, nil
}

func newSessionOptions(opts SessionOptions) (*ort.SessionOptions, error) {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("onnx: session options: %w", err)
	}
	fail := func(what string, err error) (*ort.SessionOptions, error) {
		so.Destroy()
		return nil, fmt.Errorf("onnx: session options: %s: %w", what, err)
	}
	if opts.IntraOpThreads < 0 || opts.InterOpThreads < 0 {
		return fail("threads", fmt.Errorf("IntraOpThreads %d, InterOpThreads %d: want >= 0 (0 = default)", opts.IntraOpThreads, opts.InterOpThreads))
	}
	if err := so.SetIntraOpNumThreads(opts.IntraOpThreadCount()); err != nil {
		return fail("IntraOpThreads", err)
	}
	if opts.InterOpThreads > 0 {
		if err := so.SetInterOpNumThreads(opts.InterOpThreads); err != nil {
			return fail("InterOpThreads", err)
		}
	}
	switch p := strings.ToLower(opts.ExecutionProvider); p {
	case "", ProviderCPU:
	case ProviderCUDA:
		cuda, err := ort.NewCUDAProviderOptions()
		if err != nil {
			so.Destroy()
			return nil, &ProviderError{Provider: opts.ExecutionProvider, Err: err}
		}
		defer cuda.Destroy()
		if err := cuda.Update(map[string]string{"device_id": strconv.Itoa(opts.CUDADeviceID)}); err != nil {
			so.Destroy()
			return nil, &ProviderError{Provider: opts.ExecutionProvider, Err: err}
		}
		if err := so.AppendExecutionProviderCUDA(cuda); err != nil {
			so.Destroy()
			return nil, &ProviderError{Provider: opts.ExecutionProvider, Err: err}
		}
	default:
		return fail("ExecutionProvider", fmt.Errorf("unknown provider %q (want %q or %q)", opts.ExecutionProvider, ProviderCPU, ProviderCUDA))
	}
	return so, nil
}

// DefaultIntraOpThreads is the intra-op thread count of a session whose
// options leave it 0: the CPUs available to this process, which is Go's
// default GOMAXPROCS (the smaller of the CPU affinity mask and the cgroup
// CPU quota, rounded up; the GOMAXPROCS environment variable overrides
// it). ONNX Runtime's own default, its count of the machine's physical
// cores, ignores the quota and the affinity, and on the 2-vCPU virtual
// machines srbench is developed on it is 1: half the throughput
// (docs/performance.md).
func DefaultIntraOpThreads() int { return max(runtime.GOMAXPROCS(0), 1) }

// IntraOpThreadCount is the intra-op thread count a session with these
// options runs with: IntraOpThreads, or DefaultIntraOpThreads when 0.
func (o SessionOptions) IntraOpThreadCount() int {
	return cmp.Or(o.IntraOpThreads, DefaultIntraOpThreads())
}

// Path is the model file.
func (s *Session) Path() string { return s.path }

// Signature returns the model's inputs and outputs (dynamic dimensions are
// -1), in the model's order.
func (s *Session) Signature() Signature {
	c := Signature{Inputs: slices.Clone(s.sig.Inputs), Outputs: slices.Clone(s.sig.Outputs)}
	for i := range c.Inputs {
		c.Inputs[i].Shape = slices.Clone(c.Inputs[i].Shape)
	}
	for i := range c.Outputs {
		c.Outputs[i].Shape = slices.Clone(c.Outputs[i].Shape)
	}
	return c
}

// Inputs returns the model's inputs.
func (s *Session) Inputs() []TensorSpec { return s.Signature().Inputs }

// Outputs returns the model's outputs.
func (s *Session) Outputs() []TensorSpec { return s.Signature().Outputs }

// HasInput reports whether the model declares an input called name, for
// callers that feed an Optional input only to models that take it.
func (s *Session) HasInput(name string) bool {
	_, ok := s.inIdx[name]
	return ok
}

// CheckSignature compares the model with what a caller expects. Every
// expected input and output must exist (unless it is Optional) with the same
// element type and rank;
// an expected dimension of -1 matches any size, and a fixed one matches the
// same size or a dynamic model dimension. The model must not have inputs
// that are not expected (the caller could not feed them); extra outputs are
// fine. A mismatch is a *SignatureError listing expected and found specs.
func (s *Session) CheckSignature(want Signature) error {
	return checkSignature(s.path, want, s.sig)
}

func checkSignature(model string, want, got Signature) error {
	var problems []string
	compare := func(kind string, w TensorSpec, have []TensorSpec) {
		i := slices.IndexFunc(have, func(g TensorSpec) bool { return g.Name == w.Name })
		if i < 0 {
			if !w.Optional {
				problems = append(problems, fmt.Sprintf("%s %q is missing", kind, w.Name))
			}
			return
		}
		g := have[i]
		if g.Type != w.Type {
			problems = append(problems, fmt.Sprintf("%s %q has element type %s, want %s", kind, w.Name, g.Type, w.Type))
		}
		if len(g.Shape) != len(w.Shape) {
			problems = append(problems, fmt.Sprintf("%s %q has rank %d (%s), want rank %d (%s)", kind, w.Name, len(g.Shape), g, len(w.Shape), w))
			return
		}
		for d := range w.Shape {
			if w.Shape[d] >= 0 && g.Shape[d] >= 0 && w.Shape[d] != g.Shape[d] {
				problems = append(problems, fmt.Sprintf("%s %q dimension %d is %d, want %d", kind, w.Name, d, g.Shape[d], w.Shape[d]))
			}
		}
	}
	for _, w := range want.Inputs {
		compare("input", w, got.Inputs)
	}
	for _, g := range got.Inputs {
		if !slices.ContainsFunc(want.Inputs, func(w TensorSpec) bool { return w.Name == g.Name }) {
			problems = append(problems, fmt.Sprintf("input %q (%s) is not expected", g.Name, g))
		}
	}
	for _, w := range want.Outputs {
		compare("output", w, got.Outputs)
	}
	if len(problems) == 0 {
		return nil
	}
	return &SignatureError{Model: model, Want: want, Got: got, Problems: problems}
}

// Run runs the model on inputs, which must name every model input and
// nothing else, and returns every model output by name. Inputs are checked
// (element type, rank, fixed dimensions, data length) before ONNX Runtime
// sees them.
func (s *Session) Run(inputs map[string]Tensor) (map[string]Tensor, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.s == nil {
		return nil, ErrClosed
	}
	model := filepath.Base(s.path)
	for name := range inputs {
		if _, ok := s.inIdx[name]; !ok {
			return nil, fmt.Errorf("onnx: model %q: unknown input %q; the model takes %s", model, name, specList(s.sig.Inputs))
		}
	}
	values := make([]ort.Value, len(s.sig.Inputs))
	defer func() {
		for _, v := range values {
			if v != nil {
				v.Destroy()
			}
		}
	}()
	for i, spec := range s.sig.Inputs {
		t, ok := inputs[spec.Name]
		if !ok {
			return nil, fmt.Errorf("onnx: model %q: missing input %s; the model takes %s", model, spec, specList(s.sig.Inputs))
		}
		if err := checkInput(spec, t); err != nil {
			return nil, fmt.Errorf("onnx: model %q: input %q: %w", model, spec.Name, err)
		}
		v, err := toValue(t)
		if err != nil {
			return nil, fmt.Errorf("onnx: model %q: input %q: %w", model, spec.Name, err)
		}
		values[i] = v
	}
	outs := make([]ort.Value, len(s.sig.Outputs))
	defer func() {
		for _, v := range outs {
			if v != nil {
				v.Destroy()
			}
		}
	}()
	err := s.s.Run(values, outs)
	runtime.KeepAlive(inputs)
	if err != nil {
		return nil, fmt.Errorf("onnx: model %q: %w", model, err)
	}
	res := make(map[string]Tensor, len(outs))
	for i, v := range outs {
		t, err := fromValue(v)
		if err != nil {
			return nil, fmt.Errorf("onnx: model %q: output %q: %w", model, s.sig.Outputs[i].Name, err)
		}
		res[s.sig.Outputs[i].Name] = t
	}
	return res, nil
}

func checkInput(spec TensorSpec, t Tensor) error {
	typ := t.Type()
	if typ == graph.Undefined {
		return errors.New("exactly one of Tensor.Float32 and Tensor.Int64 must be set")
	}
	if typ != spec.Type {
		return fmt.Errorf("element type %s, want %s (%s)", typ, spec.Type, spec)
	}
	if len(t.Shape) != len(spec.Shape) {
		return fmt.Errorf("shape %v has rank %d, want rank %d (%s)", t.Shape, len(t.Shape), len(spec.Shape), spec)
	}
	n := int64(1)
	for d, size := range t.Shape {
		if size <= 0 {
			return fmt.Errorf("shape %v: dimension %d is %d, want >= 1", t.Shape, d, size)
		}
		if spec.Shape[d] >= 0 && spec.Shape[d] != size {
			return fmt.Errorf("shape %v: dimension %d is %d, want %d (%s)", t.Shape, d, size, spec.Shape[d], spec)
		}
		n *= size
	}
	if int64(t.dataLen()) != n {
		return fmt.Errorf("shape %v needs %d elements, data has %d", t.Shape, n, t.dataLen())
	}
	return nil
}

func toValue(t Tensor) (ort.Value, error) {
	shape := ort.NewShape(t.Shape...)
	if t.Float32 != nil {
		return ort.NewTensor(shape, t.Float32)
	}
	return ort.NewTensor(shape, t.Int64)
}

func fromValue(v ort.Value) (Tensor, error) {
	switch x := v.(type) {
	case *ort.Tensor[float32]:
		return Tensor{Shape: slices.Clone([]int64(x.GetShape())), Float32: x.GetData()}, nil
	case *ort.Tensor[int64]:
		return Tensor{Shape: slices.Clone([]int64(x.GetShape())), Int64: x.GetData()}, nil
	case nil:
		return Tensor{}, errors.New("no value")
	}
	return Tensor{}, fmt.Errorf("element type %s is not supported (Tensor holds float32 or int64)", ElementType(v.DataType()))
}

// Close releases the session. It waits for running Run calls, and later
// calls are no-ops.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.s == nil {
		return nil
	}
	err := s.s.Destroy()
	s.s = nil
	if err != nil {
		return fmt.Errorf("onnx: close %q: %w", s.path, err)
	}
	return nil
}

// CheckModelFile checks, without loading the model into ONNX Runtime, that
// path is an ONNX file declaring the signature want (the same check and
// errors as Session.CheckSignature, read from the file's graph; weights are
// skipped) and that every external data file it names is present beside it
// and long enough. Scorers call it when configured and create their sessions on
// first use, so a run served entirely from the score cache never pays for
// loading a model, and a wrong model still fails at once.
func CheckModelFile(path string, want Signature) error {
	if ok, why := isFile(path); !ok {
		return &ModelError{Path: path, Err: errors.New(why)}
	}
	sig, ext, err := readModelFile(path)
	if err != nil {
		return &ModelError{Path: path, Err: fmt.Errorf("not an ONNX model: %w", err)}
	}
	if err := checkExternalData(path, ext); err != nil {
		return &ModelError{Path: path, Err: err}
	}
	return checkSignature(path, want, sig)
}

// CheckSessionOptions checks opts as NewSession would (thread counts, the
// execution provider's availability) without loading a model, for scorers
// that create their sessions on first use: an unavailable provider still
// fails when the scorer is configured.
func (r *Runtime) CheckSessionOptions(opts SessionOptions) error {
	if r == nil {
		return errors.New("onnx: CheckSessionOptions on a nil *Runtime; call onnx.Init first")
	}
	so, err := newSessionOptions(opts)
	if err != nil {
		return err
	}
	return so.Destroy()
}
