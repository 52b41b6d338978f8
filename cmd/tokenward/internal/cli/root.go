package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// Main runs the tokenward command with the process's arguments and
// streams and returns its exit code.
func Main() int {
	ctx, stop := signalContext()
	defer stop()
	app := &App{IO: IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}}
	return app.Run(ctx, os.Args[1:])
}

// signalContext returns a context cancelled with errInterrupted on
// SIGINT or SIGTERM.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		if _, ok := <-ch; ok {
			cancel(errInterrupted)
		}
	}()
	return ctx, func() { signal.Stop(ch); close(ch); cancel(nil) }
}

// Run runs the command line args and returns the exit code. Failures are
// printed to a.Err as one line: "tokenward: <what>: <what to do>".
func (a *App) Run(ctx context.Context, args []string) int {
	root := a.newRootCommand()
	root.SetArgs(args)
	root.SetIn(a.In)
	root.SetOut(a.Out)
	root.SetErr(a.Err)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var e *Error
	if !errors.As(err, &e) {
		if cause := context.Cause(ctx); cause != nil && errors.Is(cause, errInterrupted) {
			err = cause
		}
		name := a.resolved
		if name == "" {
			name = a.profileName
		}
		e = Classify(name, err)
		if e.Code == ExitGeneric && isUsage(err) {
			e = usageError("%s", oneLine(suggestion(err.Error()), 300))
		}
	}
	fmt.Fprintf(a.Err, "tokenward: %s\n", safe(e.Error()))
	return e.Code
}

// suggestion rewrites cobra's multi-line "Did you mean this?" block as
// one clause: unknown command "tokne" for "tokenward": did you mean "token"?
func suggestion(msg string) string {
	first, rest, ok := strings.Cut(msg, "\n\nDid you mean this?\n")
	if !ok {
		return msg
	}
	var names []string
	for _, n := range strings.Fields(rest) {
		names = append(names, strconv.Quote(n))
	}
	if len(names) == 0 {
		return first
	}
	return first + ": did you mean " + strings.Join(names, " or ") + "?"
}

// isUsage reports whether err is one of cobra's command-line errors.
func isUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument",
		"invalid argument", "accepts ", "requires at least", "requires at most", "required flag", "if any flags in the group"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// newRootCommand builds the command tree.
func (a *App) newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "tokenward",
		Short: "Get OAuth 2.0 tokens for the APIs you work with",
		Long: `tokenward gets OAuth 2.0 access tokens for the APIs you work with, keeps them
fresh, and stores them (and client secrets) in the OS keychain.

Profiles in the config file ('tokenward config path') name the authorization
server, the client and the grant. Start with 'tokenward profile add'.`,
		Example: `  tokenward profile add acme --preset cognito --domain acme.auth.us-west-2.amazoncognito.com \
      --client-id abc123 --client-secret-stdin < secret.txt
  tokenward token -p acme
  tokenward curl -p acme https://api.example.com/v1/things
  tokenward login -p github --device`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			if f := cmd.Flags().Lookup("profile"); f != nil && !f.Changed {
				if v := os.Getenv("TOKENWARD_PROFILE"); v != "" {
					a.profileName = v
				}
			}
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError("%s", err.Error()) })
	root.PersistentFlags().StringVarP(&a.profileName, "profile", "p", "", "profile to use (default: $TOKENWARD_PROFILE, the default profile, or the only one)")
	root.PersistentFlags().BoolVarP(&a.verbose, "verbose", "v", false, "log HTTP exchanges (with their durations) to stderr, secrets redacted")
	root.PersistentFlags().StringVar(&a.storeFlags.kind, "store", "", "where secrets and tokens live: keychain or file (default: $"+EnvStore+", else keychain)")
	root.PersistentFlags().StringVar(&a.storeFlags.keyFile, "key-file", "", "file store: file holding the base64 AES-256 sealing key (default $"+EnvKeyFile+")")
	root.PersistentFlags().StringVar(&a.storeFlags.keyEnv, "key-env", "", "file store: environment variable holding the sealing key (default $"+EnvKeyEnv+")")
	root.SetUsageTemplate(root.UsageTemplate() + "\n" + exitCodesHelp + "\n")
	root.AddCommand(
		a.newTokenCommand(),
		a.newHeaderCommand(),
		a.newLoginCommand(),
		a.newLogoutCommand(),
		a.newStatusCommand(),
		a.newCurlCommand(),
		a.newIntrospectCommand(),
		a.newRegisterCommand(),
		a.newProfileCommand(),
		a.newConfigCommand(),
	)
	return root
}

// newConfigCommand builds 'tokenward config'.
func (a *App) newConfigCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Inspect the config file"}
	cmd.AddCommand(&cobra.Command{
		Use:   "path",
		Short: "Print the config file's path",
		Long:  "Print the config file's path: $" + EnvConfig + " when set, else tokenward/config.json in the user's config directory.",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			p, err := ConfigPath()
			if err != nil {
				return err
			}
			fmt.Fprintln(a.Out, p)
			return nil
		},
	})
	return cmd
}
