package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"imslogin/internal/audit"
	"imslogin/internal/config"
	"imslogin/internal/lockout"
	"imslogin/internal/metrics"
	"imslogin/internal/mfa/totp"
	"imslogin/internal/server"
	"imslogin/internal/store/sqlstore"
)

func newServeCommand() *cobra.Command {
	cfg := config.Default()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the server (SQLite or PostgreSQL)",
		Long: "Run the server. Every flag can also be set as IMS_<FLAG> in the environment\n" +
			"(for example IMS_DATABASE_URL) or in the file named by --config.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return serve(cmd, cfg, nil)
		},
	}
	cfg.BindFlags(cmd.Flags())
	return cmd
}

// extras gives deployment-specific options (the demo's mailbox) once the
// database is open.
type extras func(db *sqlstore.DB, log *slog.Logger) (server.Options, error)

// serve migrates the database, then runs the server, and workers beside
// it, until interrupted.
func serve(cmd *cobra.Command, cfg config.Config, extra extras, workers ...server.Worker) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if _, err := cfg.SecretKeyPath(); err != nil { // before the database is touched
		return err
	}
	log := newLogger(cmd.ErrOrStderr(), cfg.LogLevel, cfg.LogFormat)
	ctx := cmd.Context()
	started := time.Now()
	db, err := openMigrated(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	p, err := prepare(ctx, cfg, db, log, extra)
	if err != nil {
		db.Close()
		return err
	}
	ready := []any{"addr", p.ln.Addr().String(), "public_url", cfg.PublicURL, "database", db.Dialect(),
		"hash_workers", p.srv.Hasher.Workers(), "startup", time.Since(started).Round(time.Millisecond)}
	first := []server.Worker{housekeeper(db, cfg, log)}
	if p.metrics != nil {
		ready = append(ready, "metrics_addr", p.metricsLn.Addr().String())
		// Started first, so stopped last: it answers while requests drain.
		first = append([]server.Worker{metricsListener(p.metricsLn, p.metrics, log)}, first...)
	}
	log.Info("IMS Login is ready", ready...)
	// From here the lifecycle owns the database: it closes it last.
	return p.srv.Lifecycle(db, append(first, workers...)...).Run(ctx, p.ln)
}

// prepared is a server ready to run, with its listeners.
type prepared struct {
	srv       *server.Server
	ln        net.Listener
	metrics   *metrics.Metrics // nil without --metrics-addr
	metricsLn net.Listener
}

// prepare builds the server on the open database and listens.
func prepare(ctx context.Context, cfg config.Config, db *sqlstore.DB, log *slog.Logger, extra extras) (prepared, error) {
	var p prepared
	secrets, err := prepareSecrets(ctx, cfg, db, log)
	if err != nil {
		return p, err
	}
	var opts server.Options
	if extra != nil {
		if opts, err = extra(db, log); err != nil {
			return p, err
		}
	}
	opts.Secrets = secrets
	if cfg.MetricsAddr != "" {
		p.metrics = metrics.New()
		for name, pool := range db.Pools() {
			p.metrics.WatchDatabasePool(name, pool)
		}
		opts.Metrics = p.metrics
	}
	if p.srv, err = server.New(cfg, db, log, opts); err != nil {
		return p, err
	}
	limitMemory(p.srv.Hasher.Workers(), cfg.Argon2MemoryKiB)
	debug.FreeOSMemory() // start-up garbage (the dummy hash, dictionaries' parsing) goes back to the OS
	if p.ln, err = net.Listen("tcp", cfg.Addr); err != nil {
		return p, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	if cfg.MetricsAddr != "" {
		if p.metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			p.ln.Close()
			return p, fmt.Errorf("listen on %s (metrics-addr): %w", cfg.MetricsAddr, err)
		}
	}
	return p, nil
}

// metricsListener serves /metrics on its own listener until the
// lifecycle stops it.
func metricsListener(ln net.Listener, m *metrics.Metrics, log *slog.Logger) server.Worker {
	return server.Worker{Name: "metrics listener", Run: func(ctx context.Context) {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", m.Handler())
		hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
		stopped := make(chan struct{})
		go func() {
			defer close(stopped)
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			hs.Shutdown(sctx)
		}()
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener", "err", err)
		}
		<-stopped
	}}
}

// prepareSecrets opens the key sealing authenticator-app secrets and seals
// any stored before sealing existed.
func prepareSecrets(ctx context.Context, cfg config.Config, db *sqlstore.DB, log *slog.Logger) (*totp.Secrets, error) {
	secrets, created, err := openSecrets(ctx, cfg, db)
	if err != nil {
		return nil, err
	}
	if created {
		path, _ := cfg.SecretKeyPath()
		log.Warn("created the key that seals authenticator-app secrets: back it up with the database", "path", path)
	}
	if cfg.SecretKeyLost {
		log.Warn("started with --secret-key-lost: authenticator apps sealed with another key do not work; " +
			"their members sign in with another method, or an administrator resets their multi-factor authentication")
	}
	apps, pending, err := sealStoredSecrets(ctx, secrets, db)
	if err != nil {
		return nil, err
	}
	if apps+pending > 0 {
		log.Info("sealed authenticator-app secrets stored in plain text", "apps", apps, "set_ups_in_progress", pending)
	}
	return secrets, nil
}

// limitMemory sets a soft limit on the Go heap of the hashing pool's memory
// plus 64 MiB, unless the operator set GOMEMLIMIT, so a burst of requests,
// or hashes of old parameters that need their own memory, make the
// collector run sooner instead of letting the heap double. (On Linux the
// pool's memory is mapped outside the heap, which leaves the rest more
// room.)
func limitMemory(workers int, argon2KiB uint32) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(int64(workers)*int64(argon2KiB)*1024 + 64<<20)
}

// openMigrated opens the database and brings its schema up to date.
func openMigrated(ctx context.Context, databaseURL string) (*sqlstore.DB, error) {
	db, err := sqlstore.Open(ctx, databaseURL)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func newMigrateCommand() *cobra.Command {
	databaseURL := config.Default().DatabaseURL
	var check bool
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Bring the database schema up to date and exit",
		Long: "Bring the database schema up to date and exit. A database a newer ims has migrated is\n" +
			"refused, as ims serve refuses it: run the newer ims. With --check, list the pending\n" +
			"migrations and change nothing; the exit status is 0 only when the schema is current.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if check {
				return checkMigrations(cmd, databaseURL)
			}
			db, err := sqlstore.Open(cmd.Context(), databaseURL)
			if err != nil {
				return err
			}
			defer db.Close()
			applied, err := db.Migrate(cmd.Context())
			if err != nil {
				return err
			}
			v, _ := db.Version(cmd.Context())
			if len(applied) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "The %s database is up to date (schema version %d).\n", db.Dialect(), v)
				return nil
			}
			for _, name := range applied {
				fmt.Fprintf(cmd.OutOrStdout(), "applied %s\n", name)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "The %s database is at schema version %d.\n", db.Dialect(), v)
			return nil
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "list the pending migrations and change nothing; exit non-zero if any are pending")
	addDatabaseFlag(cmd, &databaseURL)
	return cmd
}

// addDatabaseFlag gives operator commands the same --database-url as serve.
func addDatabaseFlag(cmd *cobra.Command, databaseURL *string) {
	cmd.Flags().StringVar(databaseURL, "database-url", *databaseURL, "database: sqlite:PATH or postgres://… (env IMS_DATABASE_URL)")
	cmd.Flags().String(config.ConfigFileFlag, "", "file of IMS_NAME=value lines")
}

// addArgon2Flags lets a command that hashes a password use the server's
// cost (IMS_ARGON2_* in the environment work too), so the hash it stores
// needs no upgrade at the member's first sign-in.
func addArgon2Flags(cmd *cobra.Command, cfg *config.Config) {
	f := cmd.Flags()
	f.Uint32Var(&cfg.Argon2MemoryKiB, "argon2-memory-kib", cfg.Argon2MemoryKiB, "argon2id memory per hash, KiB, as the server's")
	f.Uint32Var(&cfg.Argon2Time, "argon2-time", cfg.Argon2Time, "argon2id passes, as the server's")
	f.Uint8Var(&cfg.Argon2Threads, "argon2-threads", cfg.Argon2Threads, "argon2id lanes, as the server's")
}

// housekeeper is housekeeping every hour, for the lifecycle to run.
func housekeeper(db *sqlstore.DB, cfg config.Config, log *slog.Logger) server.Worker {
	return server.Worker{Name: "housekeeping", Run: func(ctx context.Context) {
		housekeeping(ctx, db, cfg, log, time.Hour)
	}}
}

// housekeeping prunes audit entries and finished outbox messages (email,
// text, back-channel logout) past their retention periods, stale failed
// sign-in counts, and expired sessions, sign-in flows, authorization
// requests, tokens and records of the portals sessions signed in to, now and then every interval until ctx ends. Every node may
// run it: each prune is one idempotent DELETE.
func housekeeping(ctx context.Context, db *sqlstore.DB, cfg config.Config, log *slog.Logger, every time.Duration) {
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		now := time.Now()
		if n, err := audit.Prune(ctx, db, now, cfg.AuditRetention); err != nil {
			log.Warn("prune audit log", "err", err)
		} else if n > 0 {
			log.Info("pruned audit log", "entries", n, "retention", cfg.AuditRetention)
		}
		if _, err := db.PruneSigninLockouts(ctx, now.Add(-lockout.Forget)); err != nil {
			log.Warn("prune failed sign-in counts", "err", err)
		}
		if _, _, err := db.PruneExpired(ctx, now); err != nil {
			log.Warn("prune expired sessions", "err", err)
		}
		if _, err := db.PruneGrants(ctx, now); err != nil {
			log.Warn("prune expired authorization requests and tokens", "err", err)
		}
		if cfg.MailRetention > 0 {
			pruneOutboxes(ctx, db, now.Add(-cfg.MailRetention), log)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// pruneOutboxes deletes email, text and back-channel logout messages sent
// or failed before before, and records of sessions that have ended.
func pruneOutboxes(ctx context.Context, db *sqlstore.DB, before time.Time, log *slog.Logger) {
	mail, err := db.PruneMail(ctx, before)
	if err != nil {
		log.Warn("prune mail outbox", "err", err)
	}
	sms, err := db.PruneSMS(ctx, before)
	if err != nil {
		log.Warn("prune text message outbox", "err", err)
	}
	logouts, err := db.PruneLogouts(ctx, before)
	if err != nil {
		log.Warn("prune back-channel logout outbox", "err", err)
	}
	if mail+sms+logouts > 0 {
		log.Info("pruned outboxes", "email", mail, "text_messages", sms, "logouts", logouts, "before", before)
	}
}
