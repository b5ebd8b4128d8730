package main

import (
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"chatd/server"
)

// newMetrics registers chatd's series on reg: the Go runtime and process
// series, the HTTP series, a gauge of connected sockets, a count of slow
// consumers dropped, a count of the sockets NATIVE_ID_FALLBACK bound and the
// socket limits per client IP (admissionMetrics); the gateway registered the
// Redis adapter's before. reg is served on its own listener (METRICS_ADDR),
// never on the public ports.
func newMetrics(reg *prometheus.Registry, sockets socketStats, nativeFallbacks func() int64, admission *server.SocketAdmission) (*server.Metrics, error) {
	httpMetrics, err := server.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "chatd_socket_connections",
			Help: "Socket.IO sockets connected to this process.",
		}, func() float64 { return float64(sockets.Connections()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "chatd_socket_slow_consumers_total",
			Help: "Socket.IO connections dropped because they did not read what was sent to them in time.",
		}, func() float64 { return float64(sockets.SlowConsumers()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "chatd_socket_native_id_fallback_total",
			Help: "Sockets bound to a registered user without a credential by NATIVE_ID_FALLBACK=member (member rights only).",
		}, func() float64 { return float64(nativeFallbacks()) }),
	} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, c := range admissionMetrics(admission) {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return httpMetrics, nil
}

// admissionMetrics are the series of the socket limits per client IP: the
// handshakes refused, by reason (server.RefusedRate, RefusedCap,
// RefusedClients), and the sessions and clients the limiter counts now.
func admissionMetrics(a *server.SocketAdmission) []prometheus.Collector {
	var out []prometheus.Collector
	for _, reason := range []string{server.RefusedRate, server.RefusedCap, server.RefusedClients} {
		out = append(out, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "chatd_socket_handshakes_refused_total",
			Help:        "Socket handshakes refused with HTTP 429 by the limits per client IP, by reason: rate (SOCKET_HANDSHAKE_RATE), cap (SOCKET_MAX_PER_IP), clients (the limiter's table of clients is full of clients with open sockets).",
			ConstLabels: prometheus.Labels{"reason": reason},
		}, func() float64 { return float64(a.Refused(reason)) }))
	}
	return append(out,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "chatd_socket_limited_sessions",
			Help: "Engine.IO sessions counted against their client IP's SOCKET_MAX_PER_IP (clients in SOCKET_LIMIT_EXEMPT are not counted).",
		}, func() float64 { return float64(a.Open()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "chatd_socket_limited_clients",
			Help: "Client IPs (IPv6: /64 blocks) the socket limiter remembers.",
		}, func() float64 { return float64(a.Clients()) }))
}

// socketStats is what the socket series read from the gateway.
type socketStats interface {
	Connections() int64
	SlowConsumers() int64
}

// metricsHandler serves the registry at /metrics and the Go profiles at
// /debug/pprof/ (the listener is private: an operator's, never a client's).
func metricsHandler(reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
