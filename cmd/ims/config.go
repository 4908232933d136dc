package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"imslogin/internal/config"
	"imslogin/internal/mail"
	"imslogin/internal/secretbox"
)

func newConfigCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check or print the configuration ims serve would run with",
		// The subcommands read the environment and file themselves, so
		// that a bad value is reported with every other problem.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
	}
	cmd.AddCommand(newConfigCheckCommand(), newConfigShowCommand())
	return cmd
}

func newConfigCheckCommand() *cobra.Command {
	cfg := config.Default()
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Validate flags, environment and config file together; list every problem",
		Long: "Validate the configuration ims serve would run with, from the same flags, IMS_* environment\n" +
			"and --config file, and the files it names (secret key, *_FILE secrets, password blocklist).\n" +
			"Every problem is listed; the exit status is non-zero if there is any. It does not connect\n" +
			"to the database or the mail server.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			problems := checkConfig(cmd.Flags(), &cfg)
			out := cmd.OutOrStdout()
			if len(problems) == 0 {
				for _, w := range configWarnings(cfg) {
					fmt.Fprintln(out, "warning:", w)
				}
				fmt.Fprintln(out, "The configuration is valid.")
				return nil
			}
			for _, p := range problems {
				fmt.Fprintln(out, "-", p)
			}
			return fmt.Errorf("the configuration is not valid: %s", plural(int64(len(problems)), "problem"))
		},
	}
	cfg.BindFlags(cmd.Flags())
	return cmd
}

// configWarnings are settings that work but deserve a second look.
func configWarnings(cfg config.Config) []string {
	warnings := mail.Warnings(cfg.SMTPURL)
	if host, _, err := net.SplitHostPort(cfg.MetricsAddr); err == nil && (host == "" || net.ParseIP(host).IsUnspecified()) {
		warnings = append(warnings, fmt.Sprintf("metrics-addr %s listens on every interface: "+
			"let only Prometheus reach that port (a firewall, or the pod network)", cfg.MetricsAddr))
	}
	return warnings
}

// checkConfig reads the environment and file into cfg and returns every
// problem with them.
func checkConfig(flags *pflag.FlagSet, cfg *config.Config) []error {
	problems := flatten(config.ApplyEnvironment(flags, os.Getenv))
	problems = append(problems, flatten(cfg.Validate())...)
	if err := checkKeyFile(*cfg); err != nil {
		problems = append(problems, err)
	}
	if cfg.PasswordBlocklist != "" {
		if _, err := os.Stat(cfg.PasswordBlocklist); err != nil {
			problems = append(problems, fmt.Errorf("password-blocklist: %w", err))
		}
	}
	return problems
}

// checkKeyFile reports a key file that is required and missing, or that
// is not a key. A missing key beside a SQLite database is made at start.
func checkKeyFile(cfg config.Config) error {
	path, err := cfg.SecretKeyPath()
	if err != nil {
		return err
	}
	_, err = secretbox.LoadKey(path)
	if errors.Is(err, fs.ErrNotExist) && cfg.SQLite() {
		return nil
	}
	if err != nil {
		return fmt.Errorf("secret-key-file %s: %w", path, err)
	}
	return nil
}

// flatten lists the errors errors.Join put together.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var list []error
	for _, e := range joined.Unwrap() {
		list = append(list, flatten(e)...)
	}
	return list
}

func newConfigShowCommand() *cobra.Command {
	cfg := config.Default()
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Print the effective configuration as IMS_NAME=value lines, secrets masked",
		Long: "Print the configuration ims serve would run with, after flags, IMS_* environment and the\n" +
			"--config file, as lines a --config file could hold. Passwords and secrets in the database,\n" +
			"SMTP and SMS URLs are shown as xxxxx.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			err := config.ApplyEnvironment(cmd.Flags(), os.Getenv)
			out := cmd.OutOrStdout()
			cmd.Flags().VisitAll(func(f *pflag.Flag) {
				if f.Name != config.ConfigFileFlag && f.Name != "help" {
					fmt.Fprintf(out, "%s=%s\n", config.EnvName(f.Name), config.Masked(f.Name, f.Value.String()))
				}
			})
			if path, kerr := cfg.SecretKeyPath(); kerr == nil && cfg.SecretKeyFile == "" {
				fmt.Fprintf(out, "# the secret key file is %s, beside the SQLite database\n", path)
			}
			return err
		},
	}
	cfg.BindFlags(cmd.Flags())
	return cmd
}
