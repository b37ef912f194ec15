package worker_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
	"github.com/kycpoller/kycpoller/internal/sandbox"
)

// The API on its own listener (api.addr) enqueues a reference that is then
// polled, delivered and reported delivered; http.addr does not serve it.
func TestAPIOnItsOwnListener(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{})
	const token = "api-token-0123456789"
	addr, err := sandbox.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	e.cfg.API = config.API{Addr: addr, Tokens: []config.Secret{token}}
	e.startWorker(t, e.cfg)
	api := "http://" + addr
	waitListening(t, "http://"+e.cfg.HTTP.Addr)

	e.sb.Advance.Register("api-1", advancefake.Script{ReadyAfter: 200 * time.Millisecond, Outcome: advancefake.OutcomePass})
	call := func(method, url, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	if code, _ := call("POST", "http://"+e.cfg.HTTP.Addr+"/v1/verifications", `{"provider":"advance","id":"api-1"}`); code != http.StatusNotFound {
		t.Errorf("http.addr serves the API (%d) although api.addr is set", code)
	}
	if code, m := call("POST", api+"/v1/verifications", `{"provider":"advance","id":"api-1"}`); code != http.StatusAccepted || m["state"] != "queued" {
		t.Fatalf("enqueue: %d %v", code, m)
	}
	waitDelivered(t, e, 1, 20*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, m := call("GET", api+"/v1/verifications/advance/api-1", "")
		if code == http.StatusOK && m["state"] == "delivered" && m["final_status"] == "PASS" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status: %d %v, want delivered PASS", code, m)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
