package main

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"chatd/store/storetest"
)

// The Redis adapter's series are served by the process's /metrics (issue
// #14), beside the socket series, when chatd runs with REDIS_URL.
func TestMetricsShowTheRedisAdapter(t *testing.T) {
	redis := storetest.RedisOptions(t)
	metricsAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t)))
	serveForTestEnv(t, map[string]string{
		"REDIS_URL":    "redis://" + redis.Addr + "/" + strconv.Itoa(redis.DB),
		"REDIS_PREFIX": "metrics-test-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		"METRICS_ADDR": metricsAddr,
	})
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, series := range []string{
		`chatd_redis_adapter_published_total{nsp="/"}`,
		`chatd_redis_adapter_received_total{nsp="/"}`,
		`chatd_redis_adapter_outbox_bytes{nsp="/"}`,
		`chatd_socket_connections `,
	} {
		if !strings.Contains(string(body), series) {
			t.Errorf("/metrics lacks %s", series)
		}
	}
}
