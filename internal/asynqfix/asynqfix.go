// Package asynqfix works around a bug of the asynq release kycpoller pins
// (v0.26.0): Inspector.GetQueueInfo, behind the dashboard's queue page and
// every task list, and behind asynq's queue metrics, estimates a queue's
// memory with a Lua script that runs MEMORY USAGE on sampled task keys and
// adds up the answers. A task id still listed after its key is gone (a
// completed task whose retention ran out, until asynq's janitor removes the
// id) makes MEMORY USAGE answer nil, and the script fails with "attempt to
// perform arithmetic on local 'bytes' (a boolean value)": the whole call
// fails, not just the estimate.
//
// The fix is on asynq's master (pull request #1092) but in no release.
// Hook rewrites calls of that one script, recognised by its SHA-1, into a
// corrected copy that skips missing keys; every other command passes
// through untouched. Remove this package once asynq is upgraded to a release
// with the fix: TestUpstreamScriptStillBroken then fails.
package asynqfix

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"strings"

	"github.com/redis/go-redis/v9"
)

// BrokenMemoryUsageSHA is the SHA-1 of asynq v0.26.0's memory-usage script
// (internal/rdb/inspect.go, memoryUsageCmd).
const BrokenMemoryUsageSHA = "0c80fc1868e3aae205155ae2017ce995a3a7cec0"

// memoryUsageScript is asynq's memory estimate with every MEMORY USAGE
// answer checked before use and averages taken over the keys that exist.
// Keys and arguments are asynq's:
// KEYS[1..2] active and pending lists, KEYS[3..6] scheduled, retry,
// archived and completed sets, KEYS[7] the groups set; ARGV[1] the task key
// prefix, ARGV[2] the sample size per list or set, ARGV[3] the group sample
// size, ARGV[4] the group key prefix.
const memoryUsageScript = `
local sample_size = tonumber(ARGV[2])
if sample_size <= 0 then
    return redis.error_reply("sample size must be a positive number")
end
local function sample(ids)
    local total, found = 0, 0
    for _, id in ipairs(ids) do
        local bytes = redis.call("MEMORY", "USAGE", ARGV[1] .. id)
        if bytes then
            total = total + bytes
            found = found + 1
        end
    end
    return total, found
end
local memusg = 0
for i=1,6 do
    local ids, n
    if i <= 2 then
        ids = redis.call("LRANGE", KEYS[i], 0, sample_size - 1)
        n = redis.call("LLEN", KEYS[i])
    else
        ids = redis.call("ZRANGE", KEYS[i], 0, sample_size - 1)
        n = redis.call("ZCARD", KEYS[i])
    end
    local total, found = sample(ids)
    if found > 0 then
        memusg = memusg + (total / found) * n
    end
    local m = redis.call("MEMORY", "USAGE", KEYS[i])
    if m then
        memusg = memusg + m
    end
end
local groups = redis.call("SMEMBERS", KEYS[7])
local agg_count, agg_total, agg_found = 0, 0, 0
for i, gname in ipairs(groups) do
    local group_key = ARGV[4] .. gname
    agg_count = agg_count + redis.call("ZCARD", group_key)
    if i <= tonumber(ARGV[3]) then
        local total, found = sample(redis.call("ZRANGE", group_key, 0, sample_size - 1))
        agg_total = agg_total + total
        agg_found = agg_found + found
    end
end
if agg_found > 0 then
    memusg = memusg + (agg_total / agg_found) * agg_count
end
return math.floor(memusg)
`

var memoryUsageSHA = func() string {
	sum := sha1.Sum([]byte(memoryUsageScript))
	return hex.EncodeToString(sum[:])
}()

// Hook is a go-redis hook that runs the corrected script in place of the
// broken one. Add it to every client an asynq Inspector uses:
// client.AddHook(asynqfix.Hook{}).
type Hook struct{}

var _ redis.Hook = Hook{}

// DialHook passes through.
func (Hook) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessPipelineHook passes through: asynq runs the script on its own.
func (Hook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// ProcessHook replaces EVALSHA of the broken script.
func (Hook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		args := cmd.Args()
		c, ok := cmd.(*redis.Cmd)
		if !ok || len(args) < 3 || !isEvalSHA(args[0]) || args[1] != BrokenMemoryUsageSHA {
			return next(ctx, cmd)
		}
		rest := args[2:]
		fixed := redis.NewCmd(ctx, append([]any{"evalsha", memoryUsageSHA}, rest...)...)
		err := next(ctx, fixed)
		if err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
			fixed = redis.NewCmd(ctx, append([]any{"eval", memoryUsageScript}, rest...)...)
			err = next(ctx, fixed)
		}
		c.SetVal(fixed.Val())
		c.SetErr(fixed.Err())
		return err
	}
}

func isEvalSHA(a any) bool {
	s, ok := a.(string)
	return ok && strings.EqualFold(s, "evalsha")
}
