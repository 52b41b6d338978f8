package client

import (
	"context"
	"errors"
	"github.com/tokenward/tokenward/internal/clock"
	"sync"
	"testing"
	"time"

	"github.com/tokenward/tokenward/internal/testlog"
	"github.com/tokenward/tokenward/oauth2test"
	"golang.org/x/oauth2"
)

// fakeClock records the device flow's waits instead of sleeping; each
// Now moves it forward by tick.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	tick  time.Duration
	waits []time.Duration
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(f.tick)
	return f.now
}

func (f *fakeClock) AfterFunc(d time.Duration, fn func()) clock.Timer {
	f.mu.Lock()
	f.waits = append(f.waits, d)
	f.mu.Unlock()
	fn()
	return stopped{}
}

type stopped struct{}

func (stopped) Stop() bool { return false }

func TestDeviceAccessTokenPolling(t *testing.T) {
	tests := []struct {
		name      string
		answers   []string // token endpoint answers in order (all 400 unless a token)
		interval  int
		wantWaits []time.Duration
		wantCode  string // final RetrieveError code, "" for success
	}{
		{"pending then token", []string{`{"error":"authorization_pending"}`, `{"error":"authorization_pending"}`, okToken}, 2,
			[]time.Duration{2 * time.Second, 2 * time.Second, 2 * time.Second}, ""},
		{"slow_down adds five seconds", []string{`{"error":"slow_down"}`, `{"error":"slow_down"}`, okToken}, 1,
			[]time.Duration{time.Second, 6 * time.Second, 11 * time.Second}, ""},
		{"default interval five seconds", []string{okToken}, 0, []time.Duration{5 * time.Second}, ""},
		{"access_denied ends", []string{`{"error":"authorization_pending"}`, `{"error":"access_denied"}`}, 1,
			[]time.Duration{time.Second, time.Second}, "access_denied"},
		{"expired_token ends", []string{`{"error":"expired_token"}`}, 1, []time.Duration{time.Second}, "expired_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &fakeClock{now: time.Now()}
			srv := oauth2test.NewServer(t, nil)
			for _, a := range tt.answers {
				status := 400
				if a == okToken {
					status = 200
				}
				srv.QueueFault(oauth2test.Fault{Status: status, Body: a, ContentType: "application/json"})
			}
			c := &Config{ClientID: "id", ClientSecret: "sec", Endpoint: oauth2.Endpoint{TokenURL: srv.TokenURL(), AuthStyle: oauth2.AuthStyleInHeader}, clock: clk}
			da := &oauth2.DeviceAuthResponse{DeviceCode: "dc-secret", UserCode: "ABCD-EFGH", Interval: int64(tt.interval), Expiry: time.Now().Add(time.Hour)}
			tok, err := c.DeviceAccessToken(context.Background(), da)
			if tt.wantCode == "" {
				if err != nil || tok.AccessToken != "AT" {
					t.Fatalf("got %v, %v; want token AT", tok, err)
				}
			} else {
				var re *oauth2.RetrieveError
				if !errors.As(err, &re) || re.ErrorCode != tt.wantCode {
					t.Fatalf("got %v; want %s", err, tt.wantCode)
				}
				testlog.NoSecrets(t, "text", err.Error(), "dc-secret")
			}
			if len(clk.waits) != len(tt.wantWaits) {
				t.Fatalf("waits = %v; want %v", clk.waits, tt.wantWaits)
			}
			for i := range tt.wantWaits {
				if (clk.waits)[i] != tt.wantWaits[i] {
					t.Errorf("wait %d = %v; want %v", i, (clk.waits)[i], tt.wantWaits[i])
				}
			}
			if p := srv.LastTokenRequest().Params; p["grant_type"] != deviceGrantType || p["device_code"] != "dc-secret" {
				t.Errorf("poll params = %v; want the device_code grant", p)
			}
		})
	}
}

func TestDeviceAccessTokenLocalExpiry(t *testing.T) {
	srv := oauth2test.NewServer(t, nil)
	for range 10 {
		srv.QueueFault(oauth2test.Fault{Error: "authorization_pending"})
	}
	start := time.Now()
	c := &Config{ClientID: "id", Endpoint: oauth2.Endpoint{TokenURL: srv.TokenURL()}, clock: &fakeClock{now: start, tick: 30 * time.Second}}
	da := &oauth2.DeviceAuthResponse{DeviceCode: "dc", Interval: 1, Expiry: start.Add(100 * time.Second)}
	if _, err := c.DeviceAccessToken(context.Background(), da); !errors.Is(err, ErrDeviceCodeExpired) {
		t.Fatalf("got %v; want ErrDeviceCodeExpired", err)
	}
	if got := srv.TokenRequests(); got != 3 {
		t.Errorf("polls = %d; want 3 before the code expired", got)
	}
}

func TestDeviceAuthRequest(t *testing.T) {
	rec := newRecorder(t, func(int32, *seen) (int, string) {
		return 200, `{"device_code":"DC","user_code":"ABCD-EFGH","verification_uri":"https://idp/device","expires_in":600}`
	})
	c := &Config{ClientID: "app", ClientSecret: "app-secret", Scopes: []string{"openid"}, Endpoint: oauth2.Endpoint{DeviceAuthURL: rec.srv.URL, AuthStyle: oauth2.AuthStyleInHeader}}
	da, err := c.DeviceAuth(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if da.DeviceCode != "DC" || da.UserCode != "ABCD-EFGH" || da.Expiry.IsZero() {
		t.Errorf("got %+v; want the parsed response", da)
	}
	if s := rec.last.Load(); s.basicUser != "app" || s.basicPass != "app-secret" || s.params["scope"] != "openid" {
		t.Errorf("device request = %+v; want Basic client authentication and scope", s)
	}
	bad := newRecorder(t, func(int32, *seen) (int, string) { return 200, `{"user_code":"X"}` })
	c.Endpoint.DeviceAuthURL = bad.srv.URL
	var rerr *ResponseError
	if _, err := c.DeviceAuth(context.Background()); !errors.As(err, &rerr) {
		t.Errorf("incomplete response: got %v; want *ResponseError", err)
	}
}
