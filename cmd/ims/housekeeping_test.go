package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"imslogin/internal/config"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore/sqltest"
)

// TestHousekeepingPrunesTheOutbox runs one housekeeping round on a database
// with a month-old sent email and a pending one of the same age: the sent
// one is gone, the pending one still waits for delivery.
func TestHousekeepingPrunesTheOutbox(t *testing.T) {
	ctx := context.Background()
	url := newDatabase(t)
	db := sqltest.Open(t, url)
	org, _ := db.OrganisationByName(ctx, "Acme")
	old := time.Now().Add(-31 * 24 * time.Hour)
	for _, id := range []string{"sent", "pending"} {
		m := store.MailMessage{OrgID: org.ID, MessageID: id, Kind: "invitation", To: id + "@acme.test", Subject: "Hi",
			Text: "link", HTML: "link", NextAttemptAt: time.Now().Add(time.Hour), CreatedAt: old}
		if err := db.EnqueueMail(ctx, &m); err != nil {
			t.Fatal(err)
		}
		if id == "sent" {
			claimed, _ := db.ClaimMail(ctx, "w", time.Now().Add(2*time.Hour), time.Minute, 1)
			if len(claimed) != 1 {
				t.Fatalf("claimed %v", claimed)
			}
			db.RecordMailOutcome(ctx, claimed[0].ID, "w", store.MailOutcome{Status: store.MailSent, At: old})
		}
	}
	roundCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		housekeeping(roundCtx, db, config.Default(), slog.New(slog.NewTextHandler(io.Discard, nil)), time.Hour)
		close(done)
	}()
	var list []store.MailMessage
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if list, err = db.OrganisationMail(ctx, org.ID, 10); err != nil || len(list) == 1 {
			break
		}
	}
	stop()
	<-done
	if err != nil || len(list) != 1 || list[0].To != "pending@acme.test" {
		t.Errorf("outbox after housekeeping: %+v, %v; want only the pending message", list, err)
	}
}
