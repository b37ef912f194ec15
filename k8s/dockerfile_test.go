package k8s_test

import (
	"bufio"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// There is no Docker engine where the tests run, so the image is checked by
// reading the Dockerfile: its build step must be the Makefile's `build`
// recipe, and it must have the shape that keeps images small, cached and
// unprivileged.

// dockerOut is where the Dockerfile's build step writes the binaries: the
// Makefile's BIN.
const dockerOut = "/out"

func TestDockerfileBuildIsTheMakefiles(t *testing.T) {
	t.Parallel()
	mk := readMakefile(t, "../Makefile")
	mk.vars["BIN"] = dockerOut
	var want [][]string
	for _, line := range mk.recipe(t, "build") {
		want = append(want, shellWords(t, mk.expand(line)))
	}
	if len(want) != 2 {
		t.Fatalf("make build runs %d commands, want 2 (worker, enqueue)", len(want))
	}
	build := shellWords(t, mk.expand("$(BUILD)"))
	for _, cmd := range want {
		if !slices.Equal(cmd[:min(len(build), len(cmd))], build) {
			t.Errorf("make build runs %q, which does not start with BUILD %q", cmd, build)
		}
	}

	stages := readDockerfile(t, "../Dockerfile")
	var got [][]string
	for _, in := range stages[0].instructions {
		if in.cmd == "RUN" && strings.Contains(in.args, " build ") {
			got = append(got, splitAnd(shellWords(t, in.args))...)
		}
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("the Dockerfile builds with\n  %q\nbut make build BIN=%s runs\n  %q\nkeep them identical", got, dockerOut, want)
	}
	for _, cmd := range got {
		if !slices.Contains(cmd, "CGO_ENABLED=0") {
			t.Errorf("%q: not CGO_ENABLED=0: the run-time image has no C library", cmd)
		}
	}
}

func TestDockerfileShape(t *testing.T) {
	t.Parallel()
	stages := readDockerfile(t, "../Dockerfile")
	if len(stages) != 2 {
		t.Fatalf("%d stages, want 2 (build, run)", len(stages))
	}
	for _, s := range stages {
		if !pinnedImage(s.image) {
			t.Errorf("FROM %s: not a pinned tag or digest", s.image)
		}
	}

	// Build stage: the Go release of go.mod, modules in their own layer.
	build := stages[0]
	m := regexp.MustCompile(`^golang:(\d+\.\d+)\.(\d+)-bookworm$`).FindStringSubmatch(build.image)
	if m == nil {
		t.Fatalf("build stage FROM %s, want golang:1.N.P-bookworm", build.image)
	}
	goLine := goModVersion(t)
	if !strings.HasPrefix(goLine+".", m[1]+".") {
		t.Errorf("build image Go %s.%s, but go.mod says go %s", m[1], m[2], goLine)
	}
	order := func(match func(instruction) bool) int {
		return slices.IndexFunc(build.instructions, match)
	}
	modFiles := order(func(in instruction) bool { return in.cmd == "COPY" && in.args == "go.mod go.sum ./" })
	download := order(func(in instruction) bool { return in.cmd == "RUN" && in.args == "go mod download" })
	source := order(func(in instruction) bool { return in.cmd == "COPY" && in.args == ". ." })
	compile := order(func(in instruction) bool { return in.cmd == "RUN" && strings.Contains(in.args, "go build") })
	if modFiles < 0 || download < 0 || source < 0 || compile < 0 || !(modFiles < download && download < source && source < compile) {
		t.Errorf("build stage order: COPY go.mod go.sum ./ (%d), RUN go mod download (%d), COPY . . (%d), go build (%d): want them in that order",
			modFiles, download, source, compile)
	}

	// Run stage: distroless, non-root, no shell.
	run := stages[len(stages)-1]
	if run.image != "gcr.io/distroless/static-debian12:nonroot" {
		t.Errorf("run stage FROM %s, want gcr.io/distroless/static-debian12:nonroot", run.image)
	}
	var copied []string
	for _, in := range run.instructions {
		switch in.cmd {
		case "RUN":
			t.Errorf("run stage: RUN %s: the run-time image has no shell", in.args)
		case "USER":
			if in.args != "nonroot:nonroot" && in.args != "nonroot" && in.args != "65532:65532" && in.args != "65532" {
				t.Errorf("USER %s, want nonroot", in.args)
			}
		case "ENTRYPOINT", "CMD":
			if !strings.HasPrefix(in.args, "[") {
				t.Errorf("%s %s: the shell form needs a shell; use the exec form", in.cmd, in.args)
			}
		case "COPY":
			copied = append(copied, strings.Fields(in.args)...)
		case "EXPOSE":
			if want := basePort(t); in.args != want {
				t.Errorf("EXPOSE %s, but k8s/base/config.yaml listens on %s", in.args, want)
			}
		}
	}
	for _, bin := range []string{"worker", "enqueue"} {
		if !slices.Contains(copied, dockerOut+"/"+bin) {
			t.Errorf("the run stage does not copy %s/%s", dockerOut, bin)
		}
	}
	if i := slices.IndexFunc(run.instructions, func(in instruction) bool { return in.cmd == "CMD" }); i < 0 ||
		!strings.Contains(run.instructions[i].args, `"/etc/kycpoller/config.yaml"`) {
		t.Error("CMD does not pass -config /etc/kycpoller/config.yaml, where the manifests mount it")
	}
}

// pinnedImage reports whether an image reference names a tag other than
// latest, or a digest.
func pinnedImage(ref string) bool {
	if strings.Contains(ref, "@sha256:") {
		return true
	}
	name := ref[strings.LastIndex(ref, "/")+1:]
	_, tag, ok := strings.Cut(name, ":")
	return ok && tag != "" && tag != "latest"
}

func goModVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+(?:\.\d+)?)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	return string(m[1])
}

// basePort is the port of http.addr in the base configuration.
func basePort(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("base/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		HTTP struct {
			Addr string `yaml:"addr"`
		} `yaml:"http"`
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	_, port, _ := strings.Cut(c.HTTP.Addr, ":")
	if _, err := strconv.Atoi(port); err != nil {
		t.Fatalf("base/config.yaml: http.addr %q has no port", c.HTTP.Addr)
	}
	return port
}

type instruction struct {
	cmd, args string
}

type stage struct {
	image        string
	instructions []instruction
}

// readDockerfile splits a Dockerfile into stages of instructions, with
// continuation lines joined and comments dropped.
func readDockerfile(t *testing.T, path string) []stage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stages []stage
	var logical string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || (line == "" && logical == "") {
			continue
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			logical += cont + " "
			continue
		}
		logical += line
		cmd, args, _ := strings.Cut(strings.TrimSpace(logical), " ")
		logical = ""
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.Join(strings.Fields(args), " ")}
		if in.cmd == "FROM" {
			image, _, _ := strings.Cut(in.args, " ")
			stages = append(stages, stage{image: image})
			continue
		}
		if len(stages) == 0 {
			t.Fatalf("%s: %s before FROM", path, in.cmd)
		}
		stages[len(stages)-1].instructions = append(stages[len(stages)-1].instructions, in)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(stages) == 0 {
		t.Fatalf("%s: no FROM", path)
	}
	return stages
}

// makefile is the part of a Makefile this test reads: simple variable
// assignments and recipes.
type makefile struct {
	vars  map[string]string
	lines []string
}

var makeAssign = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)\s*(\?=|:=|=)\s*(.*)$`)

func readMakefile(t *testing.T, path string) *makefile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mk := &makefile{vars: map[string]string{}, lines: strings.Split(string(b), "\n")}
	for _, line := range mk.lines {
		if m := makeAssign.FindStringSubmatch(line); m != nil {
			value, _, _ := strings.Cut(m[3], "#")
			mk.vars[m[1]] = strings.TrimSpace(value)
		}
	}
	return mk
}

// recipe returns the command lines of target.
func (mk *makefile) recipe(t *testing.T, target string) []string {
	t.Helper()
	var cmds []string
	in := false
	for _, line := range mk.lines {
		switch {
		case strings.HasPrefix(line, target+":"):
			in = true
		case in && strings.HasPrefix(line, "\t"):
			cmds = append(cmds, strings.TrimLeft(strings.TrimSpace(line), "@-"))
		case in:
			return cmds
		}
	}
	if !in {
		t.Fatalf("Makefile has no target %s", target)
	}
	return cmds
}

var makeRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// expand replaces $(VAR) references, recursively, as make would.
func (mk *makefile) expand(s string) string {
	for range 10 {
		next := makeRef.ReplaceAllStringFunc(s, func(ref string) string {
			return mk.vars[makeRef.FindStringSubmatch(ref)[1]]
		})
		if next == s {
			break
		}
		s = next
	}
	return strings.ReplaceAll(s, "$$", "$")
}

// shellWords splits a command line as a POSIX shell would for the simple
// commands used here: blanks separate words, quotes group them.
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		t.Fatalf("unterminated quote in %q", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// splitAnd splits a word list at && into commands.
func splitAnd(words []string) [][]string {
	var cmds [][]string
	var cur []string
	for _, w := range words {
		if w == "&&" {
			cmds = append(cmds, cur)
			cur = nil
			continue
		}
		cur = append(cur, w)
	}
	return append(cmds, cur)
}
