// Command ims is IMS Login: the server and the operators' commands.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"imslogin/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCommand(os.Stdin, os.Stdout, os.Stderr).ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "ims:", err)
		os.Exit(1)
	}
}

func newRootCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "ims",
		Short:         "IMS Login: sign-in and single sign-on for organisations",
		SilenceUsage:  true,
		SilenceErrors: true,
		// Every command reads its flags from IMS_* variables and the
		// --config file too, the same way.
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return config.ApplyEnvironment(cmd.Flags(), os.Getenv)
		},
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newServeCommand(), newDemoCommand(), newMigrateCommand(), newOrgCommand(), newMemberCommand(), newAuditCommand(),
		newDevCommand(), newTokenCommand(), newKeysCommand(), newPortalCommand(), newConfigCommand(),
		newBackupCommand(), newRestoreCommand(), newLoginServiceCommand())
	return root
}

// newLogger writes structured logs to the command's error stream.
func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lvl slog.Level
	lvl.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lvl}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
