package config

import (
	"cmp"
	"time"
)

// Defaults for every optional key.
const (
	DefaultRedisAddr                = "127.0.0.1:6379"
	DefaultAdvanceBaseURL           = "https://api.advance.ai"
	DefaultZolozBaseURL             = "https://sg-production-api.zoloz.com"
	DefaultReturnImageType          = "URL"
	DefaultProviderTimeout          = 30 * time.Second
	DefaultTokenPeriod              = time.Hour
	DefaultMaxResponseBytes         = 8 << 20
	DefaultInitialInterval          = 5 * time.Second
	DefaultMaxInterval              = 5 * time.Minute
	DefaultMultiplier               = 1.4
	DefaultJitter                   = 0.2
	DefaultMaxAge                   = 2 * time.Hour
	DefaultErrorInitialInterval     = 2 * time.Second
	DefaultAttemptTimeout           = 2 * time.Minute
	DefaultSinkTimeout              = 15 * time.Second
	DefaultConcurrency              = 50
	DefaultShutdownTimeout          = 25 * time.Second
	DefaultPollQueue                = "kyc_poll"
	DefaultDeliveryQueue            = "kyc_delivery"
	DefaultPollWeight               = 1
	DefaultDeliveryWeight           = 2
	DefaultRetention                = 24 * time.Hour
	DefaultDelayedTaskCheckInterval = time.Second
	DefaultTaskCheckInterval        = time.Second
	DefaultEventRetention           = 7 * 24 * time.Hour
	DefaultHTTPAddr                 = ":8080"
	DefaultLogLevel                 = "info"
	DefaultLogFormat                = "json"
)

// DefaultRetrySchedule is the webhook retry schedule of the Standard Webhooks
// convention (after the immediate first attempt), each delay jittered.
var DefaultRetrySchedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute,
	2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// ApplyDefaults fills every unset optional key. Keys whose zero value is
// meaningful (polling.first_delay, redis.db) are left alone.
func (c *Config) ApplyDefaults() {
	c.Redis.applyDefaults()
	if a := c.Providers.Advance; a != nil {
		a.BaseURL = cmp.Or(a.BaseURL, DefaultAdvanceBaseURL)
		a.ReturnImageType = cmp.Or(a.ReturnImageType, DefaultReturnImageType)
		a.Timeout = cmp.Or(a.Timeout, DefaultProviderTimeout)
		a.TokenPeriod = cmp.Or(a.TokenPeriod, DefaultTokenPeriod)
		a.MaxResponseBytes = cmp.Or(a.MaxResponseBytes, DefaultMaxResponseBytes)
	}
	if z := c.Providers.Zoloz; z != nil {
		z.BaseURL = cmp.Or(z.BaseURL, DefaultZolozBaseURL)
		z.IsReturnImage = cmp.Or(z.IsReturnImage, "N")
		z.ReturnFiveCategorySpoofResult = cmp.Or(z.ReturnFiveCategorySpoofResult, "N")
		z.Timeout = cmp.Or(z.Timeout, DefaultProviderTimeout)
		z.MaxResponseBytes = cmp.Or(z.MaxResponseBytes, DefaultMaxResponseBytes)
		if z.VerifyResponseSignature == nil {
			yes := true
			z.VerifyResponseSignature = &yes
		}
	}
	p := &c.Polling
	p.InitialInterval = cmp.Or(p.InitialInterval, DefaultInitialInterval)
	p.MaxInterval = cmp.Or(p.MaxInterval, DefaultMaxInterval)
	p.Multiplier = cmp.Or(p.Multiplier, DefaultMultiplier)
	p.MaxAge = cmp.Or(p.MaxAge, DefaultMaxAge)
	p.ErrorInitialInterval = cmp.Or(p.ErrorInitialInterval, DefaultErrorInitialInterval)
	p.AttemptTimeout = cmp.Or(p.AttemptTimeout, DefaultAttemptTimeout)
	for name, s := range c.Sinks {
		if s.Type != SinkTypeFanout {
			s.Timeout = cmp.Or(s.Timeout, DefaultSinkTimeout)
			if s.RetrySchedule == nil {
				s.RetrySchedule = append([]time.Duration(nil), DefaultRetrySchedule...)
			}
			s.Format = cmp.Or(s.Format, FormatDefault)
			if s.IncludeResult == nil {
				yes := true
				s.IncludeResult = &yes
			}
		}
		if s.Type == SinkTypeRedisStream && s.Redis != nil {
			s.Redis.applyDefaults()
		}
		c.Sinks[name] = s
	}
	if c.DefaultSink == "" && len(c.Sinks) == 1 {
		for name := range c.Sinks {
			c.DefaultSink = name
		}
	}
	w := &c.Worker
	w.Concurrency = cmp.Or(w.Concurrency, DefaultConcurrency)
	w.ShutdownTimeout = cmp.Or(w.ShutdownTimeout, DefaultShutdownTimeout)
	w.Queues.Poll.Name = cmp.Or(w.Queues.Poll.Name, DefaultPollQueue)
	w.Queues.Poll.Weight = cmp.Or(w.Queues.Poll.Weight, DefaultPollWeight)
	w.Queues.Delivery.Name = cmp.Or(w.Queues.Delivery.Name, DefaultDeliveryQueue)
	w.Queues.Delivery.Weight = cmp.Or(w.Queues.Delivery.Weight, DefaultDeliveryWeight)
	w.Retention = cmp.Or(w.Retention, DefaultRetention)
	w.DelayedTaskCheckInterval = cmp.Or(w.DelayedTaskCheckInterval, DefaultDelayedTaskCheckInterval)
	w.TaskCheckInterval = cmp.Or(w.TaskCheckInterval, DefaultTaskCheckInterval)
	c.Events.Retention = cmp.Or(c.Events.Retention, DefaultEventRetention)
	c.HTTP.Addr = cmp.Or(c.HTTP.Addr, DefaultHTTPAddr)
	c.applyAPIDefaults()
	c.applyDashboardDefaults()
	c.Log.Level = cmp.Or(c.Log.Level, DefaultLogLevel)
	c.Log.Format = cmp.Or(c.Log.Format, DefaultLogFormat)
}
