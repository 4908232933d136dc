// Command ims-bench drives sign-ins, session checks and Team Members pages
// against a running IMS Login server and measures them. It is a binary of
// its own so that the server, ims, carries no load generator.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"imslogin/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCommand(os.Stdout, os.Stderr).ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "ims-bench:", err)
		os.Exit(1)
	}
}

func newRootCommand(stdout, stderr io.Writer) *cobra.Command {
	root := newBenchCommand()
	root.SilenceUsage, root.SilenceErrors = true, true
	// Its flags are read from IMS_* variables too, as every ims command's
	// are (IMS_ARGON2_MEMORY_KIB for --argon2-memory-kib, for example).
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		return config.ApplyEnvironment(cmd.Flags(), os.Getenv)
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	return root
}
