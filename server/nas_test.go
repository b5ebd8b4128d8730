package server

import (
	"strings"
	"testing"
)

func TestValidateNas(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	tenant := `{"valid":true,"tenant":{"id":"` + seedTenantID + `","name":"Demo Space","slug":"demo","metadata":null,"logoUrl":null,` +
		`"address":"Via Roma 1, Milano","createdAt":"2025-01-01T10:00:00.000Z","updatedAt":"2025-01-01T10:00:00.000Z",` +
		`"latitude":45.4642,"longitude":9.19,"menuEnabled":true,"feedbackEnabled":true,"staffEnabled":true,"menuUrl":null}}`
	xff := func(v string) map[string]string { return map[string]string{"X-Forwarded-For": v} }
	const local = "127.0.0.1:5000"
	tests := []struct {
		name   string
		req    apiReq
		status int
		body   string
	}{
		{"A7 by nasId", apiReq{method: "POST", target: "/api/tenants/validate-nas", body: `{"nasId":"nas-demo-1","bssid":null}`}, 201, tenant},
		{"A7 by bssid", apiReq{method: "POST", target: "/api/tenants/validate-nas", body: `{"nasId":null,"bssid":"aa:bb:cc:dd:ee:ff"}`}, 201, tenant},
		{"A7 nasId wins over a wrong bssid", apiReq{method: "POST", target: "/api/tenants/validate-nas", body: `{"nasId":"nas-demo-1","bssid":"00:00:00:00:00:00"}`}, 201, tenant},
		{"A7 publicIp from a trusted proxy", apiReq{method: "POST", target: "/api/tenants/validate-nas", body: `{"publicIp":"203.0.113.10"}`, remote: local}, 201, tenant},
		{"A7 publicIp claimed by a client is ignored", apiReq{method: "POST", target: "/api/tenants/validate-nas", body: `{"publicIp":"203.0.113.10"}`}, 201, `{"valid":false}`},
		{"A7 X-Forwarded-For via a trusted proxy", apiReq{method: "POST", target: "/api/tenants/validate-nas", body: `{"nasId":null,"bssid":null}`,
			remote: local, headers: xff("198.51.100.1, 203.0.113.10")}, 201, tenant},
		{"A7 forged X-Forwarded-For is ignored", apiReq{method: "POST", target: "/api/tenants/validate-nas", body: `{}`,
			headers: xff("203.0.113.10")}, 201, `{"valid":false}`},
		{"A7 the peer itself", apiReq{method: "POST", target: "/api/tenants/validate-nas", body: `{}`, remote: "203.0.113.10:1234"}, 201, tenant},
		{"A7 no match", apiReq{method: "POST", target: "/api/tenants/validate-nas", body: `{"nasId":"nas-unknown","bssid":"00:00:00:00:00:00"}`}, 201, `{"valid":false}`},
		{"A7 empty object", apiReq{method: "POST", target: "/api/tenants/validate-nas", body: `{}`}, 201, `{"valid":false}`},
		{"A7 no body", apiReq{method: "POST", target: "/api/tenants/validate-nas"}, 201, `{"valid":false}`},
		{"A7 empty strings are no criteria", apiReq{method: "POST", target: "/api/tenants/validate-nas", body: `{"nasId":"","bssid":""}`}, 201, `{"valid":false}`},
		{"A7 malformed JSON", apiReq{method: "POST", target: "/api/tenants/validate-nas", body: `{"nasId":`}, 400,
			`{"message":"Invalid JSON body","error":"Bad Request","statusCode":400}`},
		{"A7 wrong type", apiReq{method: "POST", target: "/api/tenants/validate-nas", body: `{"nasId":42}`}, 400,
			`{"message":"Invalid request body","error":"Bad Request","statusCode":400}`},
		{"A7 oversize body", apiReq{method: "POST", target: "/api/tenants/validate-nas", body: `{"nasId":"` + strings.Repeat("x", 1<<20) + `"}`}, 413,
			`{"message":"request entity too large","error":"Payload Too Large","statusCode":413}`},
		{"A8 by nasId", apiReq{method: "GET", target: "/api/tenants/validate-nas?nasId=nas-demo-1"}, 200, tenant},
		{"A8 by bssid", apiReq{method: "GET", target: "/api/tenants/validate-nas?bssid=aa:bb:cc:dd:ee:ff"}, 200, tenant},
		{"A8 nothing", apiReq{method: "GET", target: "/api/tenants/validate-nas"}, 200, `{"valid":false}`},
		{"A8 trailing slash", apiReq{method: "GET", target: "/api/tenants/validate-nas/?nasId=nas-demo-1"}, 200, tenant},
		{"B10 by nas_id", apiReq{method: "POST", target: "/api/validate-nas", body: `{"nas_id":"nas-demo-1","bssid":null}`}, 200, `{"valid":true,"tenantSlug":"demo"}`},
		{"B10 no match", apiReq{method: "POST", target: "/api/validate-nas", body: `{"nas_id":"x"}`}, 200, `{"valid":false,"tenantSlug":null}`},
		{"B10 malformed JSON", apiReq{method: "POST", target: "/api/validate-nas", body: `nope`}, 400, `{"error":"Invalid JSON body"}`},
		{"B10 wrong type", apiReq{method: "POST", target: "/api/validate-nas", body: `{"bssid":[1]}`}, 400, `{"error":"Invalid request body"}`},
		{"B11 by bssid", apiReq{method: "GET", target: "/api/validate-nas?bssid=aa:bb:cc:dd:ee:ff"}, 200, `{"valid":true,"tenantSlug":"demo"}`},
		{"B11 by client IP", apiReq{method: "GET", target: "/api/validate-nas", remote: local, headers: xff("203.0.113.10")}, 200, `{"valid":true,"tenantSlug":"demo"}`},
		{"B11 no match", apiReq{method: "GET", target: "/api/validate-nas?nas_id=zzz"}, 200, `{"valid":false,"tenantSlug":null}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(tc.req)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %.300s", w.Code, tc.status, w.Body)
			}
			assertJSON(t, w.Body.Bytes(), tc.body)
		})
	}
}
