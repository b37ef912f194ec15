// Package logging builds the zap logger from configuration: JSON for
// production (level, time, caller, message and snake_case fields), or a
// readable console format for local runs and the demo.
package logging

import (
	"fmt"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kycpoller/kycpoller/internal/config"
)

// New returns a logger for cfg.
func New(cfg config.Log) (*zap.Logger, error) {
	level, err := zapcore.ParseLevel(cfg.Level)
	if err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	var zc zap.Config
	switch cfg.Format {
	case "console":
		zc = zap.NewDevelopmentConfig()
		zc.EncoderConfig.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
		zc.DisableStacktrace = true
	case "json", "":
		zc = zap.NewProductionConfig()
		zc.EncoderConfig.TimeKey = "time"
		zc.EncoderConfig.EncodeTime = zapcore.RFC3339NanoTimeEncoder
		zc.Sampling = nil
	default:
		return nil, fmt.Errorf("log.format: unknown format %q (want json or console)", cfg.Format)
	}
	zc.Level = zap.NewAtomicLevelAt(level)
	zc.Development = false
	return zc.Build()
}
