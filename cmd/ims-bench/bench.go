package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"imslogin/cmd/ims-bench/internal/loadgen"
	"imslogin/internal/benchseed"
	"imslogin/internal/config"
	"imslogin/internal/store"
)

func newBenchCommand() *cobra.Command {
	cfg := config.Default()
	o := loadgen.Options{BaseURL: "http://127.0.0.1:8080", Organisation: benchseed.Organisation, Password: benchseed.Password,
		Members: 1000, Warmup: 2 * time.Second, Duration: 20 * time.Second,
		Portal: loadgen.Portal{ClientID: benchseed.PortalClientID, ClientSecret: benchseed.PortalSecret, RedirectURI: benchseed.PortalRedirectURI}}
	var scenarios, levels, jsonPath string
	var hashSeconds time.Duration
	var cores, windows int
	cmd := &cobra.Command{
		Use:   "ims-bench",
		Short: "Drive sign-ins, session checks and single sign-on against a running server and measure them",
		Long: "Drive the real HTTP flows against a running server (seed it first with `ims dev seed`).\n" +
			"For each scenario and concurrency it prints throughput, latency percentiles, errors by status,\n" +
			"and, with --pid, the server's CPU and peak memory. Around and between the measured windows of\n" +
			"each sign-in run it measures this machine's raw argon2id rate with the server's parameters,\n" +
			"with the server idle, and prints sign-in throughput ÷ that rate.\n" +
			"The single sign-on scenarios act as the portal `ims dev seed --portal` registers: code (one\n" +
			"authorization code flow with PKCE of a signed-in member, token exchange included), refresh\n" +
			"(offline_access refresh tokens rotated), userinfo, introspect and client-credentials.",
		Example: "  ims-bench --pid $(pgrep -f 'ims serve') --scenario signin,session --concurrency 2,4,16,64",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			var jsonOut io.Writer = io.Discard
			if jsonPath != "" {
				f, err := os.Create(jsonPath)
				if err != nil {
					return err
				}
				defer f.Close()
				jsonOut = f
			}
			concurrencies, err := parseLevels(levels)
			if err != nil {
				return err
			}
			if o.Portal.URLName == "" {
				o.Portal.URLName = store.URLNameOf(o.Organisation)
			}
			if windows < 1 {
				return errors.New("--windows: want 1 or more")
			}
			p := loadgen.HashParams{MemoryKiB: cfg.Argon2MemoryKiB, Time: cfg.Argon2Time, Threads: cfg.Argon2Threads}
			if hashSeconds > 0 {
				fmt.Fprintf(out, "raw argon2id rate (m=%d KiB, t=%d, p=%d) measured on %d cores for %s before, between and after the %d windows of each sign-in run (the row uses their mean)\n\n",
					p.MemoryKiB, p.Time, p.Threads, cores, hashSeconds, windows)
			}
			loadgen.WriteTableHeader(out)
			next := 0 // each run signs in with the members after the last run's
			for _, scenario := range strings.Split(scenarios, ",") {
				for _, c := range concurrencies {
					run := o
					run.Scenario, run.Concurrency, run.FirstMember = strings.TrimSpace(scenario), c, next
					// The raw rate is measured with the server idle before,
					// between and after the run's measured windows, and the run
					// is compared with their mean: this machine's speed drifts
					// by up to a tenth within a minute.
					var raw []float64
					measureRaw := func(ctx context.Context) { raw = append(raw, loadgen.RawHashRate(ctx, p, cores, hashSeconds)) }
					if loadgen.IsSignIn(run.Scenario) && hashSeconds > 0 {
						run.Windows, run.Between = windows, measureRaw
						measureRaw(cmd.Context())
					}
					r, err := loadgen.Run(cmd.Context(), run)
					if err != nil {
						return err
					}
					next = r.NextMember
					if len(raw) > 0 {
						measureRaw(cmd.Context())
						r.HashRate, r.HashRates = mean(raw), raw
						r.ShareOfLimit = r.PerSecond / r.HashRate
					}
					loadgen.WriteTableRow(out, r)
					if err := loadgen.WriteJSONLine(jsonOut, r); err != nil {
						return err
					}
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.BaseURL, "url", o.BaseURL, "the server's base URL")
	f.StringVar(&o.Organisation, "org", o.Organisation, "organisation seeded with `ims dev seed`")
	f.StringVar(&o.Password, "password", o.Password, "the seeded members' password")
	f.IntVar(&o.Members, "members", o.Members, "how many seeded members to sign in as, in turn")
	f.StringVar(&scenarios, "scenario", "signin,session", "comma-separated: signin, signin-totp (members seeded with --totp), session, members (seeded with --admin);\n"+
		"code, refresh, userinfo, introspect, client-credentials (seeded with --portal)")
	f.StringVar(&o.Portal.URLName, "url-name", "", "the organisation's URL name, for single sign-on (default: derived from --org)")
	f.StringVar(&o.Portal.ClientID, "client-id", o.Portal.ClientID, "the portal's client ID, for single sign-on")
	f.StringVar(&o.Portal.ClientSecret, "client-secret", o.Portal.ClientSecret, "the portal's client secret")
	f.StringVar(&o.Portal.RedirectURI, "redirect-uri", o.Portal.RedirectURI, "the portal's redirect URI (never followed)")
	f.StringVar(&levels, "concurrency", "1,2,4,16,64", "comma-separated numbers of concurrent clients")
	f.DurationVar(&o.Warmup, "warmup", o.Warmup, "unmeasured time before each run")
	f.DurationVar(&o.Duration, "duration", o.Duration, "measured time of each run")
	f.IntVar(&o.ServerPID, "pid", 0, "the server's process ID, for its CPU and peak memory")
	f.StringVar(&jsonPath, "json", "", "also write each result as a JSON line to this file")
	f.DurationVar(&hashSeconds, "hash-seconds", time.Second, "how long each measurement of the raw argon2id rate lasts (0 skips them)")
	f.IntVar(&windows, "windows", 10, "measured windows of each sign-in run, with the raw argon2id rate measured between them")
	f.IntVar(&cores, "cores", runtime.NumCPU(), "cores the server hashes on")
	f.Uint32Var(&cfg.Argon2MemoryKiB, "argon2-memory-kib", cfg.Argon2MemoryKiB, "the server's argon2id memory, KiB")
	f.Uint32Var(&cfg.Argon2Time, "argon2-time", cfg.Argon2Time, "the server's argon2id passes")
	f.Uint8Var(&cfg.Argon2Threads, "argon2-threads", cfg.Argon2Threads, "the server's argon2id lanes")
	return cmd
}

func mean(xs []float64) float64 {
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

func parseLevels(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 || n > 10000 {
			return nil, errors.New("--concurrency: want numbers from 1 to 10000, comma-separated")
		}
		out = append(out, n)
	}
	return out, nil
}
