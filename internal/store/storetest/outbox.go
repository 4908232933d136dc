package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"imslogin/internal/store"
)

func newMail(t testing.TB, s store.Store, orgID int64, to string, at time.Time) store.MailMessage {
	t.Helper()
	m := store.MailMessage{OrgID: orgID, MessageID: fmt.Sprintf("id-%d-%s-%d", orgID, to, at.UnixNano()), Kind: "invitation",
		To: to, Subject: "Hello", Text: "text " + to, HTML: "<p>html</p>", NextAttemptAt: at, CreatedAt: at}
	if err := s.EnqueueMail(context.Background(), &m); err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	return m
}

func testOutbox(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	first := newMail(t, s, o.ID, "a@acme.test", now)
	later := newMail(t, s, o.ID, "b@acme.test", now.Add(time.Hour)) // not due yet
	got, err := s.ClaimMail(ctx, "w1", now, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != first.ID || got[0].Text != "text a@acme.test" || got[0].Claim != "w1" {
		t.Fatalf("claimed %+v, want only the due message", got)
	}
	if again, _ := s.ClaimMail(ctx, "w2", now.Add(30*time.Second), time.Minute, 10); len(again) != 0 {
		t.Errorf("a claimed message was claimed again within its lease: %+v", again)
	}
	retry := store.MailOutcome{Status: store.MailPending, At: now, NextAttemptAt: now.Add(time.Minute), Error: "421 try later"}
	if err := s.RecordMailOutcome(ctx, first.ID, "w2", retry); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("outcome under another claim: got %v, want ErrNotFound", err)
	}
	if err := s.RecordMailOutcome(ctx, first.ID, "w1", retry); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ClaimMail(ctx, "w3", now.Add(59*time.Second), time.Minute, 10); len(got) != 0 {
		t.Errorf("claimed before its retry time: %+v", got)
	}
	got, _ = s.ClaimMail(ctx, "w4", now.Add(2*time.Hour), time.Minute, 10)
	if len(got) != 2 || got[0].ID != first.ID || got[0].Attempts != 1 || got[0].LastError != "421 try later" {
		t.Fatalf("after the retry time: %+v", got)
	}
	sentAt := now.Add(2 * time.Hour)
	if err := s.RecordMailOutcome(ctx, first.ID, "w4", store.MailOutcome{Status: store.MailSent, At: sentAt}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordMailOutcome(ctx, later.ID, "w4", store.MailOutcome{Status: store.MailFailed, At: sentAt, Error: "550 no such user"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ClaimMail(ctx, "w5", now.Add(48*time.Hour), time.Minute, 10); len(got) != 0 {
		t.Errorf("sent or failed messages claimed again: %+v", got)
	}
	list, err := s.OrganisationMail(ctx, o.ID, 10)
	if err != nil || len(list) != 2 {
		t.Fatalf("organisation mail: %v, %v", list, err)
	}
	failed, sent := list[0], list[1] // newest first
	if sent.Status != store.MailSent || !sent.SentAt.Equal(sentAt) || sent.Text != "" || sent.HTML != "" {
		t.Errorf("sent message: %+v (a delivered message keeps no body)", sent)
	}
	if failed.Status != store.MailFailed || failed.LastError != "550 no such user" || failed.Text == "" {
		t.Errorf("failed message: %+v (stays visible with its error)", failed)
	}
	dup := store.MailMessage{OrgID: o.ID, MessageID: first.MessageID, Kind: "x", To: "x@acme.test", NextAttemptAt: now, CreatedAt: now}
	if err := s.EnqueueMail(ctx, &dup); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate Message-ID: got %v, want ErrConflict", err)
	}
}

// testOutboxClaimsAreExclusive has many workers claim at once: every
// message is claimed by exactly one.
func testOutboxClaimsAreExclusive(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	const messages, workers = 200, 8
	for i := range messages {
		newMail(t, s, o.ID, fmt.Sprintf("m%d@acme.test", i), now)
	}
	claimsAreExclusive(t, messages, workers, func(claimer string) ([]int64, error) {
		got, err := s.ClaimMail(ctx, claimer, now, time.Hour, 7)
		ids := make([]int64, len(got))
		for i, m := range got {
			ids[i] = m.ID
		}
		return ids, err
	})
}

func testOutboxIsolation(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := NewOrganisation(t, s, "Alpha"), NewOrganisation(t, s, "Beta")
	newMail(t, s, a.ID, "a@alpha.test", now)
	if list, err := s.OrganisationMail(ctx, b.ID, 10); err != nil || len(list) != 0 {
		t.Errorf("Beta reads Alpha's mail: %+v, %v", list, err)
	}
	if list, _ := s.OrganisationMail(ctx, a.ID, 10); len(list) != 1 || list[0].OrgID != a.ID {
		t.Errorf("Alpha's mail: %+v", list)
	}
}

// testOutboxRetention prunes finished messages older than the cut-off, in
// every organisation, and keeps pending ones however old.
func testOutboxRetention(t *testing.T, s store.Store) {
	ctx := context.Background()
	acme, beta := NewOrganisation(t, s, "Acme"), NewOrganisation(t, s, "Beta")
	old, recent, cutoff := now, now.Add(48*time.Hour), now.Add(24*time.Hour)
	finish := func(to string, at time.Time, status store.MailStatus, org int64) {
		newMail(t, s, org, to, at)
		claimed, err := s.ClaimMail(ctx, "w-"+to, at, time.Minute, 1)
		if err != nil || len(claimed) != 1 {
			t.Fatalf("claim %s: %v %v", to, claimed, err)
		}
		if err := s.RecordMailOutcome(ctx, claimed[0].ID, "w-"+to, store.MailOutcome{Status: status, At: at}); err != nil {
			t.Fatal(err)
		}
	}
	finish("old-sent@acme.test", old, store.MailSent, acme.ID)
	finish("old-failed@beta.test", old, store.MailFailed, beta.ID)
	finish("recent-sent@acme.test", recent, store.MailSent, acme.ID)
	newMail(t, s, acme.ID, "old-pending@acme.test", old.Add(time.Hour)) // still waiting for a mail server
	n, err := s.PruneMail(ctx, cutoff)
	if err != nil || n != 2 {
		t.Fatalf("pruned %d mail, %v; want the 2 old finished messages", n, err)
	}
	var left []string
	for _, m := range append(mustMail(t, s, acme.ID), mustMail(t, s, beta.ID)...) {
		left = append(left, m.To)
	}
	if fmt.Sprint(left) != "[old-pending@acme.test recent-sent@acme.test]" {
		t.Errorf("left after pruning: %v", left)
	}

	for i, at := range []time.Time{old, recent} {
		m := store.SMSMessage{OrgID: acme.ID, To: "+919812345678", Body: "code", NextAttemptAt: at, CreatedAt: at}
		if err := s.EnqueueSMS(ctx, &m); err != nil {
			t.Fatal(err)
		}
		claim := fmt.Sprintf("sms-%d", i)
		if got, err := s.ClaimSMS(ctx, claim, at, time.Minute, 1); err != nil || len(got) != 1 {
			t.Fatalf("claim sms: %v %v", got, err)
		}
		if err := s.RecordSMSOutcome(ctx, m.ID, claim, store.MailOutcome{Status: store.MailSent, At: at}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.PruneSMS(ctx, cutoff); err != nil || n != 1 {
		t.Errorf("pruned %d text messages, %v; want the old one", n, err)
	}
	if list, _ := s.RecentSMS(ctx, 10); len(list) != 1 || !list[0].CreatedAt.Equal(recent) {
		t.Errorf("text messages left: %+v", list)
	}
}

func mustMail(t *testing.T, s store.Store, orgID int64) []store.MailMessage {
	t.Helper()
	list, err := s.OrganisationMail(context.Background(), orgID, 10)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// claimsAreExclusive has workers claim at once through claim (the IDs it
// claimed) until nothing is left: every one of messages is claimed by
// exactly one worker.
func claimsAreExclusive(t *testing.T, messages, workers int, claim func(claimer string) ([]int64, error)) {
	t.Helper()
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			claimer := fmt.Sprintf("w%d", w)
			for {
				got, err := claim(claimer)
				if err != nil {
					t.Errorf("claim: %v", err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, id := range got {
					if other, dup := seen[id]; dup {
						t.Errorf("message %d claimed by %s and %s", id, other, claimer)
					}
					seen[id] = claimer
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != messages {
		t.Errorf("%d messages claimed, want %d", len(seen), messages)
	}
}
