package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"imslogin/internal/store"
)

// WatchStore exposes what the database holds for operators: each outbox's
// waiting messages and the age of its oldest, and the live sessions. They
// are read at each scrape, within timeout; a failed read is logged and
// leaves those series out of that scrape.
func (m *Metrics) WatchStore(s store.Gauges, now func() time.Time, timeout time.Duration, log *slog.Logger) {
	m.reg.MustRegister(&storeCollector{store: s, now: now, timeout: timeout, log: log})
}

var (
	outboxPendingDesc = prometheus.NewDesc("ims_outbox_pending",
		"Messages waiting in an outbox (mail, sms, logout: back-channel logouts), across organisations.", []string{"outbox"}, nil)
	outboxOldestDesc = prometheus.NewDesc("ims_outbox_oldest_pending_age_seconds",
		"Age of the oldest message waiting in an outbox (0 when none waits).", []string{"outbox"}, nil)
	sessionsDesc = prometheus.NewDesc("ims_sessions", "Sessions not past their absolute expiry, across organisations.", nil, nil)
)

type storeCollector struct {
	store   store.Gauges
	now     func() time.Time
	timeout time.Duration
	log     *slog.Logger
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxPendingDesc
	ch <- outboxOldestDesc
	ch <- sessionsDesc
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	now := c.now()
	backlogs, err := c.store.OutboxBacklogs(ctx)
	if err != nil {
		c.log.Warn("metrics: read the outboxes", "err", err)
	}
	for _, b := range backlogs {
		ch <- prometheus.MustNewConstMetric(outboxPendingDesc, prometheus.GaugeValue, float64(b.Pending), b.Outbox)
		age := 0.0
		if !b.Oldest.IsZero() {
			age = max(0, now.Sub(b.Oldest).Seconds())
		}
		ch <- prometheus.MustNewConstMetric(outboxOldestDesc, prometheus.GaugeValue, age, b.Outbox)
	}
	n, err := c.store.LiveSessions(ctx, now)
	if err != nil {
		c.log.Warn("metrics: count the sessions", "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(sessionsDesc, prometheus.GaugeValue, float64(n))
}
