package redisadapter

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the adapter's Prometheus series, labelled by namespace.
type Metrics struct {
	published       *prometheus.CounterVec
	received        *prometheus.CounterVec
	dropped         *prometheus.CounterVec
	reconnects      *prometheus.CounterVec
	publishFailures *prometheus.CounterVec
	outboxBytes     *prometheus.GaugeVec
}

// NewMetrics registers the adapter's series on reg; one Metrics serves
// every namespace's adapter.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := newUnregisteredMetrics()
	for _, c := range []prometheus.Collector{m.published, m.received, m.dropped, m.reconnects, m.publishFailures, m.outboxBytes} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func newUnregisteredMetrics() *Metrics {
	nsp := []string{"nsp"}
	return &Metrics{
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatd_redis_adapter_published_total",
			Help: "Messages (broadcasts, requests, answers) published to Redis for other processes.",
		}, nsp),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatd_redis_adapter_received_total",
			Help: "Broadcasts from other processes delivered to this process's sockets.",
		}, nsp),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatd_redis_adapter_dropped_total",
			Help: "Messages not delivered: refused while Redis was unreachable too long (redis_unreachable) or the outbox was full (outbox_full), left unpublished at close (closed), or received malformed (malformed).",
		}, []string{"nsp", "reason"}),
		reconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatd_redis_adapter_reconnects_total",
			Help: "Recoveries after Redis was lost, by connection (publish, subscribe).",
		}, []string{"nsp", "connection"}),
		publishFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatd_redis_adapter_publish_outages_total",
			Help: "Times publishing to Redis started failing (messages are held until it works again).",
		}, nsp),
		outboxBytes: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "chatd_redis_adapter_outbox_bytes",
			Help: "Bytes of messages waiting to be published to Redis.",
		}, nsp),
	}
}

// nspMetrics is Metrics with the namespace label applied.
type nspMetrics struct {
	m               *Metrics
	nsp             string
	published       prometheus.Counter
	received        prometheus.Counter
	publishFailures prometheus.Counter
	outboxBytes     prometheus.Gauge
}

func (m *Metrics) forNsp(nsp string) nspMetrics {
	return nspMetrics{
		m: m, nsp: nsp,
		published:       m.published.WithLabelValues(nsp),
		received:        m.received.WithLabelValues(nsp),
		publishFailures: m.publishFailures.WithLabelValues(nsp),
		outboxBytes:     m.outboxBytes.WithLabelValues(nsp),
	}
}

func (n nspMetrics) dropped(reason string) prometheus.Counter {
	return n.m.dropped.WithLabelValues(n.nsp, reason)
}

func (n nspMetrics) reconnects(connection string) prometheus.Counter {
	return n.m.reconnects.WithLabelValues(n.nsp, connection)
}
