package worker

import (
	"net/url"

	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/config"
)

// warnPlaintext logs a warning for each provider or webhook URL that is
// plain http to a host other than loopback: provider credentials and
// verification results would cross the network unencrypted. Such URLs are
// accepted (local fakes and sidecar proxies use them) but never silently.
func warnPlaintext(cfg *config.Config, log *zap.Logger) {
	check := func(key, raw, carries string) {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "http" || config.IsLoopback(u.Hostname()) {
			return
		}
		log.Warn("plain http to a remote host: "+carries+" cross the network unencrypted; use https",
			zap.String("config_key", key), zap.String("host", u.Hostname()))
	}
	if a := cfg.Providers.Advance; a != nil {
		check("providers.advance.base_url", a.BaseURL, "the access and secret keys and the results")
	}
	if z := cfg.Providers.Zoloz; z != nil {
		check("providers.zoloz.base_url", z.BaseURL, "signed requests and the results")
	}
	for _, name := range cfg.SinkNames() {
		if s := cfg.Sinks[name]; s.Type == config.SinkTypeWebhook {
			check("sinks."+name+".url", s.URL, "events with personal data")
		}
	}
}
