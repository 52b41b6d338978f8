// The tokenward command, its own module so that library users never get its dependencies.
// No replace directive: go.work joins it to the core in this repository, and before a
// cmd/tokenward/vX.Y.Z tag the require below must name a released core version, so that
// `go install github.com/tokenward/tokenward/cmd/tokenward@latest` resolves.
module github.com/tokenward/tokenward/cmd/tokenward

go 1.26.0

require (
	github.com/chromedp/chromedp v0.23.0
	github.com/cli/browser v1.3.0
	github.com/go-jose/go-jose/v4 v4.1.8
	github.com/hashicorp/go-cleanhttp v0.5.2
	github.com/mdp/qrterminal/v3 v3.2.1
	github.com/spf13/cobra v1.10.2
	github.com/spf13/pflag v1.0.9
	github.com/tokenward/tokenward v0.0.0-00010101000000-000000000000
	golang.org/x/oauth2 v0.37.0
	golang.org/x/term v0.46.0
)

require (
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/danieljoos/wincred v1.2.3 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/godbus/dbus/v5 v5.2.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/zalando/go-keyring v0.2.8 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	rsc.io/qr v0.2.0 // indirect
)
