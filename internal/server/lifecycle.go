package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"

	"imslogin/internal/config"
	"imslogin/internal/mail"
	"imslogin/internal/sms"
)

// Worker is background work that lives as long as the process. Run works
// until its context ends, then finishes what it holds (a last batch, a
// round in progress) and returns.
type Worker struct {
	Name string
	Run  func(ctx context.Context)
}

// Lifecycle owns the process's lifetime: it starts every worker, serves
// HTTP, and on the way out stops everything in an order that loses nothing
// (see Run). Build it with Server.Lifecycle.
type Lifecycle struct {
	server  *Server
	workers []Worker
	db      io.Closer
}

// Lifecycle returns the owner of a process serving s. It runs first
// (stops last) the given workers, such as housekeeping, then the server's
// own: the email, SMS and back-channel logout outboxes and the last-sign-in
// recorder. It closes db once they have all returned.
func (s *Server) Lifecycle(db io.Closer, first ...Worker) *Lifecycle {
	return &Lifecycle{server: s, workers: slices.Concat(first, s.workers()), db: db}
}

// lastSignInInterval is how often members' last sign-in times are written.
const lastSignInInterval = time.Second

// workers are the server's background work, in order of start. The
// last-sign-in recorder comes last, so it stops first: its batch is held
// only in memory, while the outboxes' messages wait in the database.
func (s *Server) workers() []Worker {
	var ws []Worker
	if s.Mail != nil {
		ws = append(ws, Worker{Name: "mail outbox", Run: s.Mail.Run})
	}
	if s.SMS != nil {
		ws = append(ws, Worker{Name: "SMS outbox", Run: s.SMS.Run})
	}
	if s.Logouts != nil {
		ws = append(ws, Worker{Name: "back-channel logout outbox", Run: s.Logouts.Run})
	}
	if s.Cleanup != nil {
		ws = append(ws, Worker{Name: "unlinked profiles clean-up", Run: func(ctx context.Context) { s.Cleanup.Run(ctx, time.Hour) }})
	}
	return append(ws, Worker{Name: "last sign-ins", Run: func(ctx context.Context) {
		s.LastSignIns.Run(ctx, lastSignInInterval)
	}})
}

// Run starts the workers and serves ln until ctx ends (SIGTERM or SIGINT
// in ims serve), then shuts down in order:
//
//  1. stop accepting and let the requests in flight finish, within the
//     shutdown timeout (past it, their connections are closed);
//  2. stop the workers one at a time, the last started first, each
//     waited for while it finishes what it holds: the last-sign-in
//     recorder writes its last batch, the outboxes end their round,
//     housekeeping returns;
//  3. close the database.
//
// If serving fails, steps 2 and 3 follow all the same.
func (l *Lifecycle) Run(ctx context.Context, ln net.Listener) error {
	hs := l.server.httpServer()
	// The workers outlive ctx until the requests in flight have finished:
	// those may still sign members in and queue messages.
	stopWorkers := l.startWorkers(context.WithoutCancel(ctx))
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		err = l.drain(hs, errc)
	}
	stopWorkers()
	if cerr := l.db.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close the database: %w", cerr))
	}
	return err
}

// drain stops accepting and waits for the requests in flight, at most the
// shutdown timeout.
func (l *Lifecycle) drain(hs *http.Server, errc <-chan error) error {
	grace := l.server.cfg.ShutdownTimeout
	l.server.log.Info("shutting down", "grace", grace)
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := hs.Shutdown(ctx); err != nil {
		hs.Close()
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// startWorkers runs each worker with a context of its own and returns a
// func that stops them one at a time, the last started first, waiting for
// each to return.
func (l *Lifecycle) startWorkers(ctx context.Context) (stop func()) {
	type running struct {
		name   string
		cancel context.CancelFunc
		done   chan struct{}
	}
	started := make([]running, len(l.workers))
	for i, w := range l.workers {
		wctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			w.Run(wctx)
		}()
		started[i] = running{w.Name, cancel, done}
	}
	return func() {
		for _, w := range slices.Backward(started) {
			w.cancel()
			<-w.done
			l.server.log.Debug("stopped", "worker", w.name)
		}
	}
}

// headerTimeout is how long a client has to send its request's headers:
// a connection that trickles them in (slowloris) is closed after it.
var headerTimeout = 10 * time.Second

// httpServer serves the handler with timeouts against slow clients.
func (s *Server) httpServer() *http.Server {
	return &http.Server{
		Handler:           s.Handler,
		ReadHeaderTimeout: headerTimeout,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// newMailWorker delivers the email outbox through the configured SMTP
// server; without one, mail waits in the outbox and there is no worker.
func newMailWorker(cfg config.Config, db Database, log *slog.Logger, now func() time.Time) (*mail.Worker, error) {
	if cfg.SMTPURL == "" {
		log.Warn("no SMTP server configured (IMS_SMTP_URL): email is kept in the outbox and not sent")
		return nil, nil
	}
	sender, err := mail.NewSMTP(cfg.SMTPURL, cfg.MailFrom)
	if err != nil {
		return nil, err
	}
	for _, w := range mail.Warnings(cfg.SMTPURL) {
		log.Warn(w)
	}
	return &mail.Worker{Store: db, Sender: sender, Log: log.With("component", "mail"), Now: now}, nil
}

// newSMSWorker delivers the SMS outbox through the configured provider;
// with the development outbox there is no worker.
func newSMSWorker(cfg config.Config, db Database, log *slog.Logger, now func() time.Time) (*sms.Worker, error) {
	provider, err := sms.FromURL(cfg.SMSURL)
	if err != nil {
		return nil, err
	}
	if provider == nil {
		log.Info("text messages stay in the SMS outbox: set IMS_SMS_URL to deliver them")
		return nil, nil
	}
	return &sms.Worker{Store: db, Provider: provider, Log: log, Now: now}, nil
}
