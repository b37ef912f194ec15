package redisconn

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// RouteLogs sends go-redis' own messages (pool dial failures and the like),
// which it otherwise prints to stderr, to log at warn level; a nil log
// silences them (the enqueue CLI reports connection errors itself).
//
// go-redis' logger is process-wide: call this once, from main.
func RouteLogs(log *zap.Logger) {
	if log == nil {
		log = zap.NewNop()
	}
	redis.SetLogger(zapPrintf{log.Named("redis")})
	warnLog.Store(log.Named("redis"))
}

type zapPrintf struct{ log *zap.Logger }

func (z zapPrintf) Printf(_ context.Context, format string, v ...any) {
	z.log.Warn(fmt.Sprintf(format, v...))
}
