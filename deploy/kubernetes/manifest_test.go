package kubernetes

// Schema-level checks of the Kubernetes manifests in this directory and of
// the GitHub Actions matrix example in ../github-actions: the fields the
// batch/v1 Job API requires and the rules it enforces on them (as the API
// server's validation would reject a Job), plus srbench's own contract for
// shards (docs: /deploy/kubernetes/README.md). No cluster is involved.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// manifestFiles are the Kubernetes manifests checked together (a Job's
// claimName must name a PersistentVolumeClaim defined among them).
var manifestFiles = []string{"srbench-pvc.yaml", "srbench-indexed-job.yaml", "srbench-merge-job.yaml"}

const workflowFile = "../github-actions/srbench-shards.yml"

// doc is one YAML document of a manifest file.
type doc struct {
	file string
	n    int // 0-based position in its file
	m    map[string]any
}

func (d doc) where() string {
	kind, _ := d.m["kind"].(string)
	name, _ := getPath(d.m, "metadata.name")
	return fmt.Sprintf("%s (document %d, %s %v)", d.file, d.n+1, kind, name)
}

// loadDocs reads every YAML document of file; empty documents are skipped.
func loadDocs(t *testing.T, file string) []doc {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var out []doc
	for n := 0; ; n++ {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: document %d: %v", file, n+1, err)
		}
		if m != nil {
			out = append(out, doc{file: file, n: n, m: m})
		}
	}
	return out
}

func loadManifests(t *testing.T) []doc {
	t.Helper()
	var docs []doc
	for _, f := range manifestFiles {
		docs = append(docs, loadDocs(t, f)...)
	}
	return docs
}

// ---- paths into decoded YAML: "spec.template.spec.containers[0].image" ----

type pathStep struct {
	key string
	idx int // >= 0: a list index; the key is then ""
}

func parsePath(p string) []pathStep {
	var steps []pathStep
	for _, part := range strings.Split(p, ".") {
		for part != "" {
			i := strings.IndexByte(part, '[')
			if i < 0 {
				steps = append(steps, pathStep{key: part, idx: -1})
				break
			}
			if i > 0 {
				steps = append(steps, pathStep{key: part[:i], idx: -1})
			}
			j := strings.IndexByte(part, ']')
			n, err := strconv.Atoi(part[i+1 : j])
			if err != nil {
				panic("bad path " + p)
			}
			steps = append(steps, pathStep{idx: n})
			part = part[j+1:]
		}
	}
	return steps
}

func step(v any, s pathStep) (any, bool) {
	if s.idx >= 0 {
		l, ok := v.([]any)
		if !ok || s.idx >= len(l) {
			return nil, false
		}
		return l[s.idx], true
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	x, ok := m[s.key]
	return x, ok
}

func getPath(v any, p string) (any, bool) {
	for _, s := range parsePath(p) {
		var ok bool
		if v, ok = step(v, s); !ok {
			return nil, false
		}
	}
	return v, true
}

// setPath sets (or, with del, deletes) the value at p; its parent must exist.
func setPath(t *testing.T, root any, p string, v any, del bool) {
	t.Helper()
	steps := parsePath(p)
	parent := root
	for _, s := range steps[:len(steps)-1] {
		var ok bool
		if parent, ok = step(parent, s); !ok {
			t.Fatalf("mutation: no %s", p)
		}
	}
	last := steps[len(steps)-1]
	switch x := parent.(type) {
	case map[string]any:
		if del {
			delete(x, last.key)
		} else {
			x[last.key] = v
		}
	case []any:
		if del || last.idx >= len(x) {
			t.Fatalf("mutation: cannot delete or set list element %s", p)
		}
		x[last.idx] = v
	default:
		t.Fatalf("mutation: %s: parent is %T", p, parent)
	}
}

// ---- typed reads ----

// asInt reads an integer field; YAML ints and numeric strings qualify.
func asInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(x))
		return n, err == nil
	}
	return 0, false
}

func asList(v any) []any         { l, _ := v.([]any); return l }
func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }
func asString(v any) string      { s, _ := v.(string); return s }

func strList(v any) []string {
	var out []string
	for _, x := range asList(v) {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// ---- problems ----

type problems struct {
	where string
	errs  []string
}

func (p *problems) add(field, format string, args ...any) {
	e := fmt.Sprintf("%s: %s: %s", p.where, field, fmt.Sprintf(format, args...))
	if !slices.Contains(p.errs, e) {
		p.errs = append(p.errs, e)
	}
}

func (p *problems) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return errors.New(strings.Join(p.errs, "\n"))
}

// DNS-1123 label: what Kubernetes requires of a Job's and a container's name
// (a Job's name also becomes its pods' job-name label and, for an Indexed
// Job, the prefix of their hostnames, so a label is the safe rule).
var dns1123Label = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

func checkLabel(p *problems, field string, v any) {
	s, ok := v.(string)
	switch {
	case !ok || s == "":
		p.add(field, "missing (a DNS-1123 label is required)")
	case len(s) > 63 || !dns1123Label.MatchString(s):
		p.add(field, "%q is not a DNS-1123 label (lower-case alphanumerics and '-', at most 63 characters, alphanumeric at both ends)", s)
	}
}

// ---- the manifests ----

// srbench's markers in a container's command line.
const completionIndex = "$(JOB_COMPLETION_INDEX)"

var (
	outFlag      = regexp.MustCompile(`--out[ =]+"?([^\s";]+)`)
	resumeArg    = regexp.MustCompile(`srbench resume\s+"?([^\s";]+)`)
	shardFlag    = regexp.MustCompile(`--shard[ =]+"?([^\s";]+)`)
	mergeInputs  = regexp.MustCompile(`srbench merge\s+(.*?)\s--out`)
	envReference = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)
)

// commandLine is a container's command and args joined by spaces.
func commandLine(c map[string]any) string {
	return strings.Join(append(strList(c["command"]), strList(c["args"])...), " ")
}

// checkManifests checks every document and the links between them.
func checkManifests(docs []doc) error {
	var all []error
	claims := map[string]bool{}
	for _, d := range docs {
		if d.m["kind"] == "PersistentVolumeClaim" {
			if n, ok := getPath(d.m, "metadata.name"); ok {
				claims[asString(n)] = true
			}
		}
	}
	type shardInfo struct {
		outs   []string
		claims []string
	}
	var shards, merges []shardInfo
	for _, d := range docs {
		p := &problems{where: d.where()}
		checkLabel(p, "metadata.name", asMap(d.m["metadata"])["name"])
		switch kind := d.m["kind"]; kind {
		case "PersistentVolumeClaim":
			checkPVC(p, d.m)
		case "Job":
			info := checkJob(p, d.m, claims)
			switch {
			case info.shard:
				shards = append(shards, shardInfo{info.outs, info.claims})
			case info.merge:
				merges = append(merges, shardInfo{info.mergeArgs, info.claims})
			}
		default:
			p.add("kind", "%v: not a kind these checks know (Job, PersistentVolumeClaim)", kind)
		}
		all = append(all, p.err())
	}
	// The merge reads what the shards wrote: srbench merge's inputs must be
	// the shard --out path with the index replaced by a glob, on the same claim.
	p := &problems{where: "manifests"}
	switch {
	case len(shards) == 0:
		p.add("Job", "no Indexed Job running `srbench run --shard-from-env`")
	case len(merges) == 0:
		p.add("Job", "no Job running `srbench merge`")
	default:
		for _, s := range shards {
			for _, out := range s.outs {
				glob := strings.ReplaceAll(out, completionIndex, "*")
				for _, m := range merges {
					if !slices.Contains(m.outs, glob) {
						p.add("srbench merge", "its inputs %q do not include %q, the shards' --out %q with the index as *", m.outs, glob, out)
					}
					if !slices.ContainsFunc(m.claims, func(c string) bool { return slices.Contains(s.claims, c) }) {
						p.add("persistentVolumeClaim.claimName", "the merge Job mounts claims %q, the shard Job %q: they share none", m.claims, s.claims)
					}
				}
			}
		}
	}
	all = append(all, p.err())
	return errors.Join(all...)
}

func checkPVC(p *problems, m map[string]any) {
	if m["apiVersion"] != "v1" {
		p.add("apiVersion", "%v, want v1", m["apiVersion"])
	}
	modes := strList(getOr(m, "spec.accessModes"))
	if !slices.Contains(modes, "ReadWriteMany") {
		p.add("spec.accessModes", "%q: the shard pods may run on different nodes and all write to it, so ReadWriteMany is needed", modes)
	}
	if _, ok := getPath(m, "spec.resources.requests.storage"); !ok {
		p.add("spec.resources.requests.storage", "missing")
	}
}

func getOr(m any, p string) any {
	v, _ := getPath(m, p)
	return v
}

type jobInfo struct {
	shard, merge bool
	outs         []string // a shard Job's --out and resume paths
	mergeArgs    []string // a merge Job's input arguments
	claims       []string
}

func checkJob(p *problems, m map[string]any, claims map[string]bool) jobInfo {
	var info jobInfo
	if m["apiVersion"] != "batch/v1" {
		p.add("apiVersion", "%v, want batch/v1", m["apiVersion"])
	}
	spec := asMap(m["spec"])
	if spec == nil {
		p.add("spec", "missing")
		return info
	}
	pod := asMap(getOr(spec, "template.spec"))
	if pod == nil {
		p.add("spec.template.spec", "missing")
		return info
	}

	// Counts.
	completions, hasCompletions := -1, false
	if v, ok := spec["completions"]; ok {
		n, isInt := asInt(v)
		if !isInt || n < 0 {
			p.add("spec.completions", "%v: want a non-negative integer", v)
		} else {
			completions, hasCompletions = n, true
		}
	}
	if v, ok := spec["parallelism"]; ok {
		n, isInt := asInt(v)
		switch {
		case !isInt || n < 0:
			p.add("spec.parallelism", "%v: want a non-negative integer", v)
		case hasCompletions && n > completions:
			p.add("spec.parallelism", "%d is more than spec.completions (%d): the extra pods would have no index to run", n, completions)
		}
	}
	if v, ok := spec["backoffLimit"]; ok {
		if n, isInt := asInt(v); !isInt || n < 0 {
			p.add("spec.backoffLimit", "%v: want a non-negative integer", v)
		}
	}

	// Restart policy: a Job's pods may not restart Always.
	restart := asString(pod["restartPolicy"])
	if restart != "Never" && restart != "OnFailure" {
		p.add("spec.template.spec.restartPolicy", "%q: a Job requires Never or OnFailure", restart)
	}

	// Completion mode.
	mode := asString(spec["completionMode"])
	switch mode {
	case "", "NonIndexed":
	case "Indexed":
		if !hasCompletions || completions < 1 {
			p.add("spec.completions", "an Indexed Job needs completions set (>= 1): it is the number of indices")
		}
	default:
		p.add("spec.completionMode", "%q: want Indexed or NonIndexed", mode)
	}
	hasPerIndex := false
	if v, ok := spec["backoffLimitPerIndex"]; ok {
		hasPerIndex = true
		if n, isInt := asInt(v); !isInt || n < 0 {
			p.add("spec.backoffLimitPerIndex", "%v: want a non-negative integer", v)
		}
		if mode != "Indexed" {
			p.add("spec.backoffLimitPerIndex", "set, but spec.completionMode is %q: it needs Indexed", mode)
		}
		if restart != "Never" {
			p.add("spec.backoffLimitPerIndex", "set with restartPolicy %q: it needs Never", restart)
		}
	}
	if v, ok := spec["maxFailedIndexes"]; ok {
		n, isInt := asInt(v)
		switch {
		case !hasPerIndex:
			p.add("spec.maxFailedIndexes", "set without spec.backoffLimitPerIndex")
		case !isInt || n < 0 || (hasCompletions && n > completions):
			p.add("spec.maxFailedIndexes", "%v: want 0 to spec.completions (%d)", v, completions)
		}
	}

	// Containers.
	containers := asList(pod["containers"])
	if len(containers) == 0 {
		p.add("spec.template.spec.containers", "empty or missing: a pod needs at least one container")
	}
	names := map[string]bool{}
	for i, c := range containers {
		cm := asMap(c)
		f := fmt.Sprintf("spec.template.spec.containers[%d]", i)
		checkLabel(p, f+".name", cm["name"])
		names[asString(cm["name"])] = true
		if asString(cm["image"]) == "" {
			p.add(f+".image", "missing")
		}
		if len(asList(cm["command"])) == 0 && len(asList(cm["args"])) == 0 {
			p.add(f+".command", "neither command nor args: the pod would run the image's entrypoint, not srbench")
		}
		if r := asMap(getOr(cm, "resources.requests")); r["cpu"] == nil || r["memory"] == nil {
			p.add(f+".resources.requests", "cpu and memory must be set (srbench sizes its ONNX Runtime threads from the CPU quota)")
		}
	}

	// Volumes: every mount names a volume of the pod; claims exist.
	volumes := map[string]bool{}
	for i, v := range asList(pod["volumes"]) {
		vm := asMap(v)
		f := fmt.Sprintf("spec.template.spec.volumes[%d]", i)
		name := asString(vm["name"])
		checkLabel(p, f+".name", name)
		if volumes[name] {
			p.add(f+".name", "%q: a second volume with this name", name)
		}
		volumes[name] = true
		if pvc := asMap(vm["persistentVolumeClaim"]); pvc != nil {
			claim := asString(pvc["claimName"])
			info.claims = append(info.claims, claim)
			if !claims[claim] {
				p.add(f+".persistentVolumeClaim.claimName", "%q: no PersistentVolumeClaim of that name in %v", claim, manifestFiles)
			}
		}
	}
	for i, c := range containers {
		for j, vmnt := range asList(asMap(c)["volumeMounts"]) {
			mm := asMap(vmnt)
			f := fmt.Sprintf("spec.template.spec.containers[%d].volumeMounts[%d]", i, j)
			if name := asString(mm["name"]); !volumes[name] {
				p.add(f+".name", "%q: no volume of that name in spec.template.spec.volumes", name)
			}
			if mp := asString(mm["mountPath"]); !strings.HasPrefix(mp, "/") {
				p.add(f+".mountPath", "%q: want an absolute path", mp)
			}
		}
	}

	// Pod failure policy.
	if pfp := asMap(spec["podFailurePolicy"]); pfp != nil {
		if restart != "Never" {
			p.add("spec.podFailurePolicy", "set with restartPolicy %q: it needs Never", restart)
		}
		for i, r := range asList(pfp["rules"]) {
			rm := asMap(r)
			f := fmt.Sprintf("spec.podFailurePolicy.rules[%d]", i)
			switch a := asString(rm["action"]); a {
			case "FailJob", "Ignore", "Count":
			case "FailIndex":
				if !hasPerIndex {
					p.add(f+".action", "FailIndex needs spec.backoffLimitPerIndex")
				}
			default:
				p.add(f+".action", "%q: want FailJob, FailIndex, Ignore or Count", a)
			}
			codes, conds := asMap(rm["onExitCodes"]), asList(rm["onPodConditions"])
			if (codes != nil) == (len(conds) > 0) {
				p.add(f, "exactly one of onExitCodes and onPodConditions")
			}
			if codes != nil {
				if cn, ok := codes["containerName"]; ok && !names[asString(cn)] {
					p.add(f+".onExitCodes.containerName", "%q: no container of that name", cn)
				}
				op := asString(codes["operator"])
				if op != "In" && op != "NotIn" {
					p.add(f+".onExitCodes.operator", "%q: want In or NotIn", op)
				}
				vals := asList(codes["values"])
				if len(vals) == 0 {
					p.add(f+".onExitCodes.values", "empty")
				}
				for _, v := range vals {
					if n, ok := asInt(v); !ok || (op == "In" && n == 0) {
						p.add(f+".onExitCodes.values", "%v: want non-zero exit codes with In", v)
					}
				}
			}
		}
	}

	// srbench: which Job is this, and does its command keep the shard contract?
	for i, c := range containers {
		cm := asMap(c)
		line := commandLine(cm)
		f := fmt.Sprintf("spec.template.spec.containers[%d]", i)
		switch {
		case strings.Contains(line, "srbench run"):
			info.shard = true
			if mode != "Indexed" {
				p.add("spec.completionMode", "%q: a Job running `srbench run` as shards must be Indexed", mode)
			}
			checkShardCommand(p, f, cm, line, completions, &info)
		case strings.Contains(line, "srbench merge"):
			info.merge = true
			if mode == "Indexed" {
				p.add("spec.completionMode", "Indexed: the merge is one pod, not shards")
			}
			mm := mergeInputs.FindStringSubmatch(line)
			if mm == nil {
				p.add(f+".args", "`srbench merge SHARD_DIR... --out RUN_DIR` expected in %q", line)
				break
			}
			info.mergeArgs = strings.Fields(mm[1])
			outs := outFlag.FindAllStringSubmatch(line, -1)
			for _, in := range info.mergeArgs {
				for _, o := range outs {
					if ok, _ := path.Match(in, o[1]); ok {
						p.add(f+".args", "srbench merge --out %q matches its own input %q", o[1], in)
					}
				}
			}
		}
	}
	return info
}

// checkShardCommand checks one container of the shard Job.
func checkShardCommand(p *problems, f string, c map[string]any, line string, completions int, info *jobInfo) {
	// SRBENCH_SHARD_COUNT == completions (the contract: --shard-from-env
	// reads JOB_COMPLETION_INDEX, which the Job controller sets, and
	// SRBENCH_SHARD_COUNT, which the manifest must).
	var count any
	hasCount := false
	for _, e := range asList(c["env"]) {
		em := asMap(e)
		if em["name"] == "SRBENCH_SHARD_COUNT" {
			count, hasCount = em["value"], true
		}
	}
	if !hasCount {
		p.add(f+".env", "no SRBENCH_SHARD_COUNT: srbench run --shard-from-env needs it beside JOB_COMPLETION_INDEX")
	} else if n, ok := asInt(count); completions >= 0 && (!ok || n != completions) {
		p.add(f+".env SRBENCH_SHARD_COUNT", "%v, but spec.completions is %d: they must be equal", count, completions)
	}

	// Each srbench run line: --shard-from-env (or --shard $(JOB_COMPLETION_INDEX)/N), not both.
	for _, l := range strings.Split(line, "\n") {
		if !strings.Contains(l, "srbench run") {
			continue
		}
		fromEnv := strings.Contains(l, "--shard-from-env")
		explicit := shardFlag.FindStringSubmatch(l)
		switch {
		case fromEnv && explicit != nil:
			p.add(f+".args", "srbench run has both --shard and --shard-from-env (an error)")
		case explicit != nil:
			if want := fmt.Sprintf("%s/%d", completionIndex, completions); explicit[1] != want {
				p.add(f+".args --shard", "%q, want %q", explicit[1], want)
			}
		case !fromEnv:
			p.add(f+".args --shard-from-env", "srbench run without --shard-from-env would score every pair in every pod: %q", strings.TrimSpace(l))
		}
		if !outFlag.MatchString(l) {
			p.add(f+".args --out", "srbench run without --out: the pods would write runs/<name>-<time> in their own file systems")
		}
	}
	// Every run directory a shard names carries its index.
	dirs := outFlag.FindAllStringSubmatch(line, -1)
	dirs = append(dirs, resumeArg.FindAllStringSubmatch(line, -1)...)
	for _, d := range dirs {
		if !strings.Contains(d[1], completionIndex) {
			p.add(f+".args --out", "%q does not use %s: the shards would write one directory", d[1], completionIndex)
		}
		if !slices.Contains(info.outs, d[1]) {
			info.outs = append(info.outs, d[1])
		}
	}
	if len(info.outs) > 1 {
		p.add(f+".args --out", "the shard's run directory is spelled %d ways: %q", len(info.outs), info.outs)
	}
	// $(VAR) references the kubelet would leave unexpanded.
	defined := map[string]bool{"JOB_COMPLETION_INDEX": true}
	for _, e := range asList(c["env"]) {
		defined[asString(asMap(e)["name"])] = true
	}
	for _, r := range envReference.FindAllStringSubmatch(line, -1) {
		if !defined[r[1]] {
			p.add(f+".args", "$(%s) is not a variable of the container: the kubelet would pass it literally", r[1])
		}
	}
}

func TestManifests(t *testing.T) {
	docs := loadManifests(t)
	if len(docs) < 3 {
		t.Fatalf("%d documents in %v, want a claim and two Jobs at least", len(docs), manifestFiles)
	}
	if err := checkManifests(docs); err != nil {
		t.Fatal(err)
	}
}

// TestManifestsRejectMutations mutates one field of a copy of the manifests
// and expects the check to fail, naming the field.
func TestManifestsRejectMutations(t *testing.T) {
	const (
		shards = "srbench-demo-social-shards"
		merge  = "srbench-demo-social-merge"
		pvc    = "srbench-data"
		c0     = "spec.template.spec.containers[0]"
	)
	set := func(p string, v any) func(*testing.T, map[string]any) {
		return func(t *testing.T, m map[string]any) { setPath(t, m, p, v, false) }
	}
	del := func(p string) func(*testing.T, map[string]any) {
		return func(t *testing.T, m map[string]any) { setPath(t, m, p, nil, true) }
	}
	// editArgs rewrites the shell script of the first container.
	editArgs := func(old, new string) func(*testing.T, map[string]any) {
		return func(t *testing.T, m map[string]any) {
			s := asString(getOr(m, c0+".args[0]"))
			if !strings.Contains(s, old) {
				t.Fatalf("mutation: %q not in the args", old)
			}
			setPath(t, m, c0+".args[0]", strings.ReplaceAll(s, old, new), false)
		}
	}
	cases := []struct {
		name   string
		doc    string // metadata.name of the document mutated
		mutate func(*testing.T, map[string]any)
		want   string // in the error
	}{
		{"apiVersion", shards, set("apiVersion", "batch/v1beta1"), "apiVersion"},
		{"kind", shards, set("kind", "Jobs"), "kind"},
		{"name not a label", shards, set("metadata.name", "srbench_Shards"), "metadata.name"},
		{"name too long", merge, set("metadata.name", strings.Repeat("a", 64)), "metadata.name"},
		{"no containers", shards, set("spec.template.spec.containers", []any{}), "spec.template.spec.containers"},
		{"no image", shards, del(c0 + ".image"), c0 + ".image"},
		{"no container name", merge, del(c0 + ".name"), c0 + ".name"},
		{"no command", merge, func(t *testing.T, m map[string]any) {
			setPath(t, m, c0+".command", nil, true)
			setPath(t, m, c0+".args", nil, true)
		}, c0 + ".command"},
		{"restartPolicy Always", merge, set("spec.template.spec.restartPolicy", "Always"), "spec.template.spec.restartPolicy"},
		{"restartPolicy missing", shards, del("spec.template.spec.restartPolicy"), "spec.template.spec.restartPolicy"},
		{"not Indexed", shards, del("spec.completionMode"), "spec.completionMode"},
		{"unknown completionMode", shards, set("spec.completionMode", "indexed"), "spec.completionMode"},
		{"merge Indexed", merge, set("spec.completionMode", "Indexed"), "spec.completionMode"},
		{"no completions", shards, del("spec.completions"), "spec.completions"},
		{"completions vs shard count", shards, set("spec.completions", 5), "SRBENCH_SHARD_COUNT"},
		{"shard count vs completions", shards, set(c0+".env[0].value", "3"), "SRBENCH_SHARD_COUNT"},
		{"no shard count", shards, set(c0+".env[0].name", "SRBENCH_SHARDS"), "SRBENCH_SHARD_COUNT"},
		{"parallelism", shards, set("spec.parallelism", 8), "spec.parallelism"},
		{"backoffLimit", merge, set("spec.backoffLimit", -1), "spec.backoffLimit"},
		{"backoffLimitPerIndex with OnFailure", shards, set("spec.template.spec.restartPolicy", "OnFailure"), "spec.backoffLimitPerIndex"},
		{"maxFailedIndexes", shards, set("spec.maxFailedIndexes", 9), "spec.maxFailedIndexes"},
		{"maxFailedIndexes without per index", merge, set("spec.maxFailedIndexes", 0), "spec.maxFailedIndexes"},
		{"FailIndex exit code 0", shards, set("spec.podFailurePolicy.rules[0].onExitCodes.values", []any{0, 2}), "spec.podFailurePolicy.rules[0].onExitCodes.values"},
		{"FailIndex unknown container", shards, set("spec.podFailurePolicy.rules[0].onExitCodes.containerName", "main"), "onExitCodes.containerName"},
		{"FailIndex without per index", shards, del("spec.backoffLimitPerIndex"), "spec.podFailurePolicy.rules[0].action"},
		{"out without index", shards, editArgs("--out /data/runs/demo-social/shard-$(JOB_COMPLETION_INDEX)", "--out /data/runs/demo-social/shard-0"), "--out"},
		{"resume without index", shards, editArgs("resume /data/runs/demo-social/shard-$(JOB_COMPLETION_INDEX)", "resume /data/runs/demo-social/shard"), "--out"},
		{"no --shard-from-env", shards, editArgs(" --shard-from-env", ""), "--shard-from-env"},
		{"--shard and --shard-from-env", shards, editArgs("--shard-from-env", "--shard-from-env --shard $(JOB_COMPLETION_INDEX)/4"), "--shard"},
		{"explicit --shard wrong count", shards, editArgs("--shard-from-env", "--shard $(JOB_COMPLETION_INDEX)/5"), "--shard"},
		{"undefined variable", shards, editArgs("$(JOB_COMPLETION_INDEX)", "$(JOB_INDEX)"), "$(JOB_INDEX)"},
		{"mount of no volume", shards, set(c0+".volumeMounts[0].name", "dta"), c0 + ".volumeMounts[0].name"},
		{"no volumes", merge, del("spec.template.spec.volumes"), c0 + ".volumeMounts[0].name"},
		{"relative mountPath", merge, set(c0+".volumeMounts[0].mountPath", "data"), "mountPath"},
		{"claim of no PVC", shards, set("spec.template.spec.volumes[0].persistentVolumeClaim.claimName", "srbench"), "claimName"},
		{"no requests", shards, del(c0 + ".resources.requests"), c0 + ".resources.requests"},
		{"merge reads elsewhere", merge, set(c0+".args[0]", "srbench merge /data/runs/other/shard-* --out /data/runs/demo-social/merged"), "srbench merge"},
		{"merge out among inputs", merge, set(c0+".args[0]", "srbench merge /data/runs/demo-social/shard-* --out /data/runs/demo-social/shard-merged"), "matches its own input"},
		{"PVC ReadWriteOnce", pvc, set("spec.accessModes", []any{"ReadWriteOnce"}), "spec.accessModes"},
		{"PVC size", pvc, del("spec.resources.requests.storage"), "spec.resources.requests.storage"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			docs := loadManifests(t)
			found := false
			for _, d := range docs {
				if getOr(d.m, "metadata.name") == tc.doc {
					tc.mutate(t, d.m)
					found = true
				}
			}
			if !found {
				t.Fatalf("no document named %q", tc.doc)
			}
			err := checkManifests(docs)
			if err == nil {
				t.Fatalf("accepted; want an error naming %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error does not name %q:\n%v", tc.want, err)
			}
		})
	}
}

// ---- the GitHub Actions matrix ----

var (
	ghaShard = regexp.MustCompile(`--shard[ =]+(\S+)`)
	ghaExpr  = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)
)

// norm writes "${{ x }}" expressions without spaces, so that they stay one
// word and lines compare as text.
func norm(s string) string { return ghaExpr.ReplaceAllString(s, "${{$1}}") }

const (
	matrixIndex = "${{matrix.index}}"
	envCountRef = "${{env.SHARD_COUNT}}"
)

func stepsRun(job map[string]any) []string {
	var out []string
	for _, s := range asList(job["steps"]) {
		if r := asString(asMap(s)["run"]); r != "" {
			out = append(out, norm(r))
		}
	}
	return out
}

// checkWorkflow checks that the matrix job runs srbench run --shard I/N for
// I = matrix.index over exactly 0..N-1, with N from one place (env
// SHARD_COUNT), that each shard uploads its own directory, and that the
// merge job waits for them and merges that directory's shards.
func checkWorkflow(wf map[string]any) error {
	p := &problems{where: workflowFile}
	envCount := func(env any) (int, bool, bool) {
		v, ok := asMap(env)["SHARD_COUNT"]
		if !ok {
			return 0, false, false
		}
		n, isInt := asInt(v)
		return n, true, isInt && n >= 1
	}
	count, hasCount, valid := envCount(wf["env"])
	if !hasCount {
		p.add("env.SHARD_COUNT", "missing: the shard count N is set once, at the top")
	} else if !valid {
		p.add("env.SHARD_COUNT", "%v: want a positive integer", asMap(wf["env"])["SHARD_COUNT"])
	}
	jobs := asMap(wf["jobs"])
	var shardJob, outGlob string
	names := make([]string, 0, len(jobs))
	for n := range jobs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		job := asMap(jobs[name])
		f := "jobs." + name
		for _, run := range stepsRun(job) {
			if !strings.Contains(run, "srbench run") {
				continue
			}
			shardJob = name
			if asMap(job["env"])["SHARD_COUNT"] != nil {
				p.add(f+".env.SHARD_COUNT", "set again in the job: N is set once, in the workflow's env")
			}
			if ff, ok := getPath(job, "strategy.fail-fast"); !ok || ff != false {
				p.add(f+".strategy.fail-fast", "%v: want false, so that one failed shard does not cancel the others", ff)
			}
			idx := asList(getOr(job, "strategy.matrix.index"))
			seen := map[int]bool{}
			for _, v := range idx {
				n, ok := asInt(v)
				switch {
				case !ok:
					p.add(f+".strategy.matrix.index", "%v: not an integer", v)
				case n < 0 || (valid && n >= count):
					p.add(f+".strategy.matrix.index", "%d is outside 0..%d (env.SHARD_COUNT = %d)", n, count-1, count)
				case seen[n]:
					p.add(f+".strategy.matrix.index", "%d appears twice: that shard would be scored twice and the merge would refuse it", n)
				}
				seen[n] = true
			}
			for i := 0; valid && i < count; i++ {
				if !seen[i] {
					p.add(f+".strategy.matrix.index", "no shard %d of %d: the merge would miss its pairs", i, count)
				}
			}
			m := ghaShard.FindStringSubmatch(run)
			want := matrixIndex + "/" + envCountRef
			switch {
			case m == nil:
				p.add(f+" srbench run --shard", "missing: every matrix job would score every pair")
			case m[1] != want:
				p.add(f+" srbench run --shard", "%q, want %q (the index from the matrix, the count from env.SHARD_COUNT)", m[1], want)
			}
			out := outFlag.FindStringSubmatch(run)
			if out == nil || !strings.Contains(out[1], matrixIndex) {
				p.add(f+" srbench run --out", "%v: each shard needs its own run directory, named with %s", out, matrixIndex)
				continue
			}
			outGlob = strings.ReplaceAll(out[1], matrixIndex, "*")
			uploaded := false
			for _, s := range asList(job["steps"]) {
				sm := asMap(s)
				if strings.HasPrefix(asString(sm["uses"]), "actions/upload-artifact") &&
					norm(asString(getOr(sm, "with.path"))) == out[1] {
					uploaded = true
					if n := norm(asString(getOr(sm, "with.name"))); !strings.Contains(n, matrixIndex) {
						p.add(f+" upload-artifact name", "%q: one name for every shard, so they would overwrite each other", n)
					}
				}
			}
			if !uploaded {
				p.add(f+" upload-artifact", "no step uploads %s", out[1])
			}
		}
	}
	if shardJob == "" {
		p.add("jobs", "no job runs srbench run --shard")
		return p.err()
	}
	if outGlob == "" {
		return p.err() // the merge cannot be matched to the shards' directories
	}
	merged := false
	for _, name := range names {
		job := asMap(jobs[name])
		for _, run := range stepsRun(job) {
			if !strings.Contains(run, "srbench merge") {
				continue
			}
			merged = true
			f := "jobs." + name
			needs := strList(job["needs"])
			if s := asString(job["needs"]); s != "" {
				needs = []string{s}
			}
			if !slices.Contains(needs, shardJob) {
				p.add(f+".needs", "%q does not include %q: the merge could start before the shards finish", needs, shardJob)
			}
			m := mergeInputs.FindStringSubmatch(run)
			if m == nil || !slices.Contains(strings.Fields(m[1]), outGlob) {
				p.add(f+" srbench merge", "its inputs do not include %q, the shard jobs' --out with the index as *", outGlob)
			}
			downloads := false
			for _, s := range asList(job["steps"]) {
				sm := asMap(s)
				if strings.HasPrefix(asString(sm["uses"]), "actions/download-artifact") &&
					asString(getOr(sm, "with.pattern")) != "" &&
					filepath.Clean(asString(getOr(sm, "with.path"))) == path.Dir(outGlob) {
					downloads = true
				}
			}
			if !downloads {
				p.add(f+" download-artifact", "no step downloads the shard artifacts into %s", path.Dir(outGlob))
			}
		}
	}
	if !merged {
		p.add("jobs", "no job runs srbench merge")
	}
	return p.err()
}

func loadWorkflow(t *testing.T) map[string]any {
	t.Helper()
	docs := loadDocs(t, workflowFile)
	if len(docs) != 1 {
		t.Fatalf("%s: %d YAML documents, want 1", workflowFile, len(docs))
	}
	return docs[0].m
}

func TestWorkflowMatrix(t *testing.T) {
	if err := checkWorkflow(loadWorkflow(t)); err != nil {
		t.Fatal(err)
	}
}

func TestWorkflowMatrixRejectsMutations(t *testing.T) {
	const runStep = "jobs.shard.steps[3].run"
	cases := []struct {
		name  string
		path  string
		value any
		del   bool
		want  string
	}{
		{"index missing", "jobs.shard.strategy.matrix.index", []any{0, 1, 3}, false, "no shard 2 of 4"},
		{"index duplicated", "jobs.shard.strategy.matrix.index", []any{0, 1, 2, 2, 3}, false, "2 appears twice"},
		{"index 1-based", "jobs.shard.strategy.matrix.index", []any{1, 2, 3, 4}, false, "4 is outside 0..3"},
		{"count changed", "env.SHARD_COUNT", 5, false, "no shard 4 of 5"},
		{"count missing", "env.SHARD_COUNT", nil, true, "env.SHARD_COUNT"},
		{"count again in the job", "jobs.shard.env", map[string]any{"SHARD_COUNT": 4}, false, "jobs.shard.env.SHARD_COUNT"},
		{"fail-fast", "jobs.shard.strategy.fail-fast", true, false, "fail-fast"},
		{"literal shard", runStep, "bin/srbench run demo-social --shard 0/4 --out runs/demo-social/shard-${{ matrix.index }}", false, "--shard"},
		{"literal count", runStep, "bin/srbench run demo-social --shard ${{ matrix.index }}/4 --out runs/demo-social/shard-${{ matrix.index }}", false, "--shard"},
		{"no shard", runStep, "bin/srbench run demo-social --out runs/demo-social/shard-${{ matrix.index }}", false, "--shard"},
		{"one out", runStep, "bin/srbench run demo-social --shard ${{ matrix.index }}/${{ env.SHARD_COUNT }} --out runs/demo-social", false, "--out"},
		{"artifact name", "jobs.shard.steps[4].with.name", "shard", false, "upload-artifact name"},
		{"merge needs", "jobs.merge.needs", "prepare", false, "jobs.merge.needs"},
		{"merge inputs", "jobs.merge.steps[3].run", "tar -xzf srbench-inputs.tgz\nbin/srbench merge runs/x/shard-* --out runs/demo-social/merged\n", false, "srbench merge"},
		{"merge download", "jobs.merge.steps[2].with.path", "runs", false, "download-artifact"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wf := loadWorkflow(t)
			setPath(t, wf, tc.path, tc.value, tc.del)
			err := checkWorkflow(wf)
			if err == nil {
				t.Fatalf("accepted; want an error naming %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error does not name %q:\n%v", tc.want, err)
			}
		})
	}
}
