package worker

import (
	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/ratelimit"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// newLimiter bounds provider calls across every worker process.
func newLimiter(cfg *config.Config, rdb redis.UniversalClient) *ratelimit.Limiter {
	limits := map[string]config.RateLimit{}
	if a := cfg.Providers.Advance; a != nil {
		limits[verification.ProviderAdvance] = a.RateLimit
	}
	if z := cfg.Providers.Zoloz; z != nil {
		limits[verification.ProviderZoloz] = z.RateLimit
	}
	return ratelimit.New(rdb, ratelimit.Options{Limits: limits})
}
