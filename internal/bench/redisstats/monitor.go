package redisstats

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"
)

// Counts are the commands a Monitor saw, by name.
type Counts struct {
	// Client are the commands clients sent (EVALSHA, MULTI, HSET, ...).
	Client map[string]int64
	// Script are the commands Lua scripts ran.
	Script map[string]int64
}

// PerUnit formats the client-issued and script-run commands divided by
// units, most frequent first: "evalsha 3.0, hset 1.0 | lua: hget 2.0".
func (c Counts) PerUnit(units int) string {
	return perUnit(c.Client, units) + " | scripts: " + perUnit(c.Script, units)
}

func perUnit(m map[string]int64, units int) string {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		if m[names[i]] != m[names[j]] {
			return m[names[i]] > m[names[j]]
		}
		return names[i] < names[j]
	})
	parts := make([]string, 0, len(names))
	for _, name := range names {
		if v := float64(m[name]) / float64(units); v >= 0.05 {
			parts = append(parts, fmt.Sprintf("%s %.1f", name, v))
		}
	}
	return strings.Join(parts, ", ")
}

// Total returns the number of client-issued and script-run commands.
func (c Counts) Total() (client, script int64) {
	for _, n := range c.Client {
		client += n
	}
	for _, n := range c.Script {
		script += n
	}
	return client, script
}

// Monitor counts the commands a Redis server executes through MONITOR,
// telling the commands clients sent from the ones Lua scripts ran. MONITOR
// slows the server down: use it for counting, never while timing.
type Monitor struct {
	conn net.Conn
	done chan struct{}

	mu     sync.Mutex
	counts Counts
	err    error
}

// StartMonitor connects to addr and starts counting.
func StartMonitor(addr string) (*Monitor, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("monitor: connect %s: %w", addr, err)
	}
	if _, err := conn.Write([]byte("MONITOR\r\n")); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("monitor: %w", err)
	}
	r := bufio.NewReaderSize(conn, 1<<20)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	first, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(first, "+OK") {
		_ = conn.Close()
		return nil, fmt.Errorf("monitor: unexpected answer %q: %v", strings.TrimSpace(first), err)
	}
	_ = conn.SetReadDeadline(time.Time{})
	m := &Monitor{conn: conn, done: make(chan struct{}), counts: Counts{Client: map[string]int64{}, Script: map[string]int64{}}}
	go m.read(r)
	return m, nil
}

func (m *Monitor) read(r *bufio.Reader) {
	defer close(m.done)
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// An oversized line: count it from its start, skip the rest.
			m.add(line)
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = r.ReadSlice('\n')
			}
			continue
		}
		if err != nil {
			m.mu.Lock()
			if !errors.Is(err, net.ErrClosed) {
				m.err = err
			}
			m.mu.Unlock()
			return
		}
		m.add(line)
	}
}

func (m *Monitor) add(line []byte) {
	source, name, ok := ParseMonitorLine(line)
	if !ok || observerCommands[name] {
		return
	}
	m.mu.Lock()
	if source == "lua" {
		m.counts.Script[name]++
	} else {
		m.counts.Client[name]++
	}
	m.mu.Unlock()
}

// ParseMonitorLine splits one MONITOR line,
// `+1700000000.123456 [0 127.0.0.1:5555] "evalsha" "..."`, into the
// command's source ("lua" for a script, else the client's address) and its
// lower-case name.
func ParseMonitorLine(line []byte) (source, name string, ok bool) {
	open := bytes.IndexByte(line, '[')
	end := bytes.IndexByte(line, ']')
	if open < 0 || end < open {
		return "", "", false
	}
	_, src, found := strings.Cut(string(line[open+1:end]), " ")
	if !found {
		return "", "", false
	}
	rest := line[end+1:]
	q := bytes.IndexByte(rest, '"')
	if q < 0 {
		return "", "", false
	}
	rest = rest[q+1:]
	q = bytes.IndexByte(rest, '"')
	if q < 0 {
		return "", "", false
	}
	return src, strings.ToLower(string(rest[:q])), true
}

// Stop ends monitoring and returns what was counted. Give the server a
// moment after the last command of interest before calling it: MONITOR
// output is asynchronous.
func (m *Monitor) Stop() (Counts, error) {
	_ = m.conn.Close()
	<-m.done
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts, m.err
}
