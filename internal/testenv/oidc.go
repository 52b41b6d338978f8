package testenv

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// EnvIssuer names an oidc-provider that is already running (http://127.0.0.1:<port>): when it
// is set, [OIDCProvider] uses it instead of starting one.
const EnvIssuer = "OIDC_ISSUER"

// oidcDir is the directory of the oidc-provider fixture (server.mjs), relative to the
// repository root.
const oidcDir = "testdata/oidc-provider"

// oidcStartTimeout bounds how long node may take to print its issuer.
const oidcStartTimeout = 30 * time.Second

// The oidc-provider shared by this test binary: started by the first call to [OIDCProvider]
// when [Run] runs the tests, stopped when they end. Package-level because it is shared by every
// test of the binary; it is guarded by its once.
var oidc struct {
	once sync.Once
	p    *oidcProcess
	err  error
}

// OIDCProvider returns the issuer URL (http://127.0.0.1:<port>, no trailing slash) of a running
// oidc-provider (testdata/oidc-provider/server.mjs). It is $OIDC_ISSUER when that is set;
// otherwise node is started on a free loopback port, once per test binary when the package's
// TestMain calls [Main] (or [Run]), else for tb alone (stopped when tb ends). Its discovery
// document must answer within 2 s and name the issuer. When node or the fixture's node_modules
// (npm ci, which scripts/test.sh runs) are missing, or $OIDC_ISSUER does not answer, the test
// fails under CI and is skipped otherwise; a provider that is installed but does not start
// fails it everywhere.
func OIDCProvider(tb testing.TB) string {
	tb.Helper()
	iss := strings.TrimRight(os.Getenv(EnvIssuer), "/")
	if iss == "" {
		var err error
		if iss, err = startedIssuer(tb); errors.Is(err, errNoNode) {
			unavailable(tb, "oidc-provider: "+err.Error())
			return ""
		} else if err != nil {
			tb.Fatalf("testenv: oidc-provider: %v", err)
			return ""
		}
	}
	if err := checkDiscovery(iss, 2*time.Second); err != nil {
		unavailable(tb, fmt.Sprintf("oidc-provider at %s is not usable: %v", iss, err))
		return ""
	}
	return iss
}

// startedIssuer starts the shared provider (or one for tb) and returns its issuer.
func startedIssuer(tb testing.TB) (string, error) {
	oidc.once.Do(func() {
		if !atEnd(func() { oidc.p.stop() }) {
			return // no Run to stop a shared one
		}
		oidc.p, oidc.err = startOIDC()
		if oidc.err != nil {
			oidc.p = &oidcProcess{} // nothing to stop
		}
	})
	if oidc.p != nil {
		return oidc.p.issuer, oidc.err
	}
	p, err := startOIDC()
	if err != nil {
		return "", err
	}
	tb.Cleanup(p.stop)
	return p.issuer, nil
}

// oidcProcess is a running node server.mjs.
type oidcProcess struct {
	issuer string
	cmd    *exec.Cmd
	stdin  io.Closer // closing it ends the server (EXIT_WITH_STDIN)
}

// errNoNode marks a machine without node or without the fixture's dependencies.
var errNoNode = errors.New("node or the fixture's node_modules not found")

// startOIDC starts node server.mjs with PORT=0 and reads the issuer it prints. The server also
// exits when its stdin closes, so it dies with a test binary that is killed.
func startOIDC() (*oidcProcess, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNoNode, err)
	}
	dir, err := fixtureDir()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "oidc-provider")); err != nil {
		return nil, fmt.Errorf("%w: run npm ci in %s (scripts/test.sh does)", errNoNode, dir)
	}
	cmd := exec.Command(node, "server.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PORT=0", "MTLS_PORT=0", "EXIT_WITH_STDIN=1")
	cmd.Stderr = os.Stderr // server_error logs
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting node: %v", err)
	}
	p := &oidcProcess{cmd: cmd, stdin: stdin}
	// node prints one line on stdout (warnings and errors go to stderr), so the reader ends
	// after it: no goroutine outlives the start (goleak checks run while the server does).
	issuer := make(chan string, 1)
	go func() { // ends at the issuer line or when node closes stdout
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "oidc-provider listening on "); ok {
				iss, _, _ := strings.Cut(rest, " ")
				issuer <- iss
				return
			}
		}
		issuer <- ""
	}()
	select {
	case p.issuer = <-issuer:
		if p.issuer == "" {
			err := cmd.Wait()
			return nil, fmt.Errorf("node server.mjs exited before listening: %v", err)
		}
		return p, nil
	case <-time.After(oidcStartTimeout):
		p.stop()
		return nil, fmt.Errorf("node server.mjs printed no issuer within %v", oidcStartTimeout)
	}
}

// stop ends the server and waits until it has exited (killing it after 5 s).
func (p *oidcProcess) stop() {
	if p.cmd == nil {
		return
	}
	p.stdin.Close()
	p.cmd.Process.Signal(syscall.SIGTERM)
	kill := time.AfterFunc(5*time.Second, func() { p.cmd.Process.Kill() })
	p.cmd.Wait()
	kill.Stop()
}

// fixtureDir finds testdata/oidc-provider in the working directory or one of its parents (the
// tests of a package run in its directory, nested modules included).
func fixtureDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		d := filepath.Join(dir, oidcDir)
		if _, err := os.Stat(filepath.Join(d, "server.mjs")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s/server.mjs not found above the working directory", oidcDir)
		}
		dir = parent
	}
}

// checkDiscovery fetches the discovery document of iss and checks its issuer field.
func checkDiscovery(iss string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, iss+PathDiscovery, nil)
	if err != nil {
		return err
	}
	tr := &http.Transport{Proxy: nil, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d", req.URL, resp.StatusCode)
	}
	var doc struct {
		Issuer string `json:"issuer"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc); err != nil {
		return fmt.Errorf("GET %s: bad discovery document: %v", req.URL, err)
	}
	if doc.Issuer != iss {
		return fmt.Errorf("discovery names issuer %q, want %q", doc.Issuer, iss)
	}
	return nil
}
