// Package report renders benchmark results: the machine they ran on, the
// results table, and docs/benchmarks.md, whose generated sections sit
// between markers so that the hand-written analysis around them survives a
// re-run.
package report

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// Machine describes where the benchmarks ran.
type Machine struct {
	Cores    int
	MemoryGB float64
	CPU      string
	Redis    string
	Go       string
	Commit   string
}

// ReadMachine reads the machine's description; redisVersion comes from
// INFO server. Whatever cannot be read is "unknown".
func ReadMachine(redisVersion string) Machine {
	m := Machine{Cores: runtime.NumCPU(), CPU: "unknown", Redis: redisVersion, Go: runtime.Version(), Commit: "unknown"}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				if kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64); err == nil {
					m.MemoryGB = kb * 1024 / 1e9
				}
			}
		}
		_ = f.Close()
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if out, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
		if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
			m.Commit += " (with uncommitted changes)"
		}
	}
	return m
}
