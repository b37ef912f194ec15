// Package redisstats reads what a benchmark needs from a Redis server's INFO
// output: per-command call counts, the total command count, memory in use
// and the server version.
//
// Redis 7.0 counts a command run by a Lua script (redis.call) both in its
// own cmdstat_<name> line and in total_commands_processed, next to the
// EVALSHA that ran the script. Counts taken from INFO are therefore "all
// commands, script-internal included"; Monitor tells the commands clients
// sent apart from the ones scripts ran.
package redisstats

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Snapshot is one reading of INFO.
type Snapshot struct {
	At time.Time
	// Calls is the call count per command name (cmdstat_<name>, lower
	// case; subcommands as "config|resetstat").
	Calls map[string]int64
	// TotalCommands is total_commands_processed.
	TotalCommands int64
	// UsedMemory is used_memory, in bytes.
	UsedMemory int64
	// Version is redis_version.
	Version string
	// PID is the server's process_id.
	PID int
}

// Take reads INFO server, memory, stats and commandstats.
func Take(ctx context.Context, rdb redis.UniversalClient) (Snapshot, error) {
	text, err := rdb.Info(ctx, "server", "memory", "stats", "commandstats").Result()
	if err != nil {
		return Snapshot{}, fmt.Errorf("redis info: %w", err)
	}
	s, err := Parse(text)
	if err != nil {
		return Snapshot{}, err
	}
	s.At = time.Now()
	return s, nil
}

// Parse reads the fields of Snapshot from INFO output. Sections that are
// absent leave their fields zero; a malformed cmdstat line is an error.
func Parse(info string) (Snapshot, error) {
	s := Snapshot{Calls: map[string]int64{}}
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		var err error
		switch {
		case strings.HasPrefix(key, "cmdstat_"):
			var n int64
			n, err = parseCalls(val)
			s.Calls[strings.TrimPrefix(key, "cmdstat_")] = n
		case key == "total_commands_processed":
			s.TotalCommands, err = strconv.ParseInt(val, 10, 64)
		case key == "used_memory":
			s.UsedMemory, err = strconv.ParseInt(val, 10, 64)
		case key == "redis_version":
			s.Version = val
		case key == "process_id":
			s.PID, err = strconv.Atoi(val)
		}
		if err != nil {
			return Snapshot{}, fmt.Errorf("parse redis info line %q: %w", key, err)
		}
	}
	return s, nil
}

// parseCalls reads calls=N from "calls=N,usec=...,...".
func parseCalls(v string) (int64, error) {
	for _, f := range strings.Split(v, ",") {
		if n, ok := strings.CutPrefix(f, "calls="); ok {
			return strconv.ParseInt(n, 10, 64)
		}
	}
	return 0, fmt.Errorf("no calls= field")
}

// Delta is what happened between two snapshots.
type Delta struct {
	Elapsed time.Duration
	// Calls per command, script-internal included.
	Calls map[string]int64
	// Memory is the change of used_memory, in bytes.
	Memory int64
}

// Observer commands are the ones a benchmark itself sends to read the
// server; Delta.Total leaves them out.
var observerCommands = map[string]bool{"info": true, "config|resetstat": true, "monitor": true, "ping": true}

// Sub returns what happened from earlier to s.
func (s Snapshot) Sub(earlier Snapshot) Delta {
	d := Delta{Elapsed: s.At.Sub(earlier.At), Calls: map[string]int64{}, Memory: s.UsedMemory - earlier.UsedMemory}
	for name, n := range s.Calls {
		if diff := n - earlier.Calls[name]; diff != 0 {
			d.Calls[name] = diff
		}
	}
	return d
}

// Total is the number of commands in the delta, script-internal included,
// without the observer's own (INFO, PING, MONITOR).
func (d Delta) Total() int64 {
	var n int64
	for name, c := range d.Calls {
		if !observerCommands[name] {
			n += c
		}
	}
	return n
}
