package procstat

import (
	"os"
	"testing"
	"time"
)

func TestParseStatus(t *testing.T) {
	m, err := ParseStatus("Name:\tworker\nVmHWM:\t   30720 kB\nVmRSS:\t   20480 kB\nThreads:\t9\n")
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS != 20480<<10 || m.Peak != 30720<<10 {
		t.Errorf("got %+v", m)
	}
	if _, err := ParseStatus("Name:\tworker\n"); err == nil {
		t.Error("no error without VmRSS")
	}
}

func TestParseStat(t *testing.T) {
	// A command name with spaces and parentheses, utime 250 and stime 50
	// ticks.
	line := "1234 (my (odd) cmd) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 100 1000 200"
	d, err := ParseStat(line)
	if err != nil {
		t.Fatal(err)
	}
	if d != 3*time.Second {
		t.Errorf("got %s, want 3s", d)
	}
}

func TestReadSelf(t *testing.T) {
	if _, err := ReadMemory(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadCPU(os.Getpid()); err != nil {
		t.Fatal(err)
	}
}
