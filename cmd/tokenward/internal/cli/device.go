package cli

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/mdp/qrterminal/v3"
	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
)

// spinnerFrames are the frames of the polling spinner.
var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// deviceLogin runs the device authorization grant (RFC 8628): it shows
// the user code, the verification URI and a QR code, then polls the
// token endpoint (honouring slow_down) with a spinner and a countdown
// when stdout is a terminal.
func (a *App) deviceLogin(ctx context.Context, conf *client.Config, o loginOptions) (*oauth2.Token, error) {
	da, err := conf.DeviceAuth(ctx)
	if err != nil {
		return nil, at("the device authorization endpoint", "--device-auth-url", conf.Endpoint.DeviceAuthURL, err)
	}
	tty := isTerminal(a.Out)
	fmt.Fprintf(a.Out, "To sign in, open %s and enter the code:\n\n    %s\n\n", safe(da.VerificationURI), safe(da.UserCode))
	link := da.VerificationURIComplete
	if link == "" {
		link = da.VerificationURI
	} else {
		fmt.Fprintf(a.Out, "Or open %s\n\n", safe(link))
	}
	if tty {
		fmt.Fprintln(a.Out, "Or scan this QR code with your phone:")
		qrterminal.GenerateWithConfig(link, qrterminal.Config{
			Level: qrterminal.L, Writer: a.Out, HalfBlocks: true, QuietZone: 2,
			BlackChar: qrterminal.BLACK_BLACK, WhiteBlackChar: qrterminal.WHITE_BLACK,
			WhiteChar: qrterminal.WHITE_WHITE, BlackWhiteChar: qrterminal.BLACK_WHITE,
		})
		fmt.Fprintln(a.Out)
	}
	if !o.noBrowser && tty && a.OpenBrowser != nil && checkSecureURL("verification URI", link) == nil {
		a.OpenBrowser(link)
	}

	expiry := da.Expiry
	if expiry.IsZero() {
		expiry = a.now().Add(10 * time.Minute) // the RFC's suggested lifetime, for display only
	}
	pollCtx, cancel := context.WithTimeout(ctx, min(o.timeout, time.Until(expiry)+5*time.Second))
	defer cancel()

	var stop func(ok bool)
	if tty {
		stop = startSpinner(a.Out, expiry)
	} else {
		fmt.Fprintf(a.Out, "Waiting for approval (the code expires at %s)…\n", expiry.Local().Format(time.TimeOnly))
		stop = func(bool) {}
	}
	tok, err := conf.DeviceAccessToken(pollCtx, da)
	stop(err == nil)
	if err != nil && pollCtx.Err() != nil && ctx.Err() == nil {
		if time.Now().After(expiry) {
			return nil, client.ErrDeviceCodeExpired
		}
		return nil, errLoginTimeout
	}
	return tok, err
}

// startSpinner draws a spinner with a countdown to expiry on w until the
// returned stop is called.
func startSpinner(w io.Writer, expiry time.Time) (stop func(ok bool)) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(120 * time.Millisecond)
		defer t.Stop()
		for i := 0; ; i++ {
			left := max(time.Until(expiry).Round(time.Second), 0)
			fmt.Fprintf(w, "\r\033[K%s Waiting for approval… code expires in %d:%02d",
				spinnerFrames[i%len(spinnerFrames)], int(left.Minutes()), int(left.Seconds())%60)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	var once sync.Once
	return func(ok bool) {
		once.Do(func() {
			close(done)
			wg.Wait()
			if ok {
				fmt.Fprint(w, "\r\033[K✓ Approved.\n")
			} else {
				fmt.Fprint(w, "\r\033[K✗ Not approved.\n")
			}
		})
	}
}
