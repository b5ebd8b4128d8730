package server

import (
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetricsCountRequestsByRouteTemplate(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	metrics, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	e := newAPIEnv(t, func(_ *Config, d *Deps) { d.Metrics = metrics })
	for _, target := range []string{"/api/tenants/demo", "/api/tenants/nope", "/api/no-such-route/123"} {
		e.do(apiReq{method: http.MethodGet, target: target})
	}
	tests := []struct {
		route, status string
		want          float64
	}{
		{"/api/tenants/:slug", "200", 1},
		{"/api/tenants/:slug", "404", 1},
		{"unmatched", "404", 1}, // the raw path never becomes a label
	}
	for _, tt := range tests {
		got := testutil.ToFloat64(metrics.requests.WithLabelValues(http.MethodGet, tt.route, tt.status))
		if got != tt.want {
			t.Errorf("requests{GET,%s,%s} = %v, want %v", tt.route, tt.status, got, tt.want)
		}
	}
	if n := testutil.CollectAndCount(metrics.duration); n != 2 {
		t.Errorf("duration series = %d, want 2 (one per method and route template)", n)
	}
}
