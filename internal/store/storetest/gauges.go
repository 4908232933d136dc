package storetest

import (
	"context"
	"testing"
	"time"

	"imslogin/internal/store"
)

// GaugeStore is a store with the operator's totals and the logout outbox.
type GaugeStore interface {
	LogoutStore
	store.Gauges
}

// RunGauges checks the totals metrics read: what waits in each outbox, from
// every organisation, and the live sessions.
func RunGauges(t *testing.T, newStore func(t *testing.T) GaugeStore) {
	t.Run("OutboxBacklogs", func(t *testing.T) { testOutboxBacklogs(t, newStore(t)) })
	t.Run("LiveSessions", func(t *testing.T) { testLiveSessions(t, newStore(t)) })
}

func testOutboxBacklogs(t *testing.T, s GaugeStore) {
	ctx := context.Background()
	got, err := s.OutboxBacklogs(ctx)
	if err != nil || len(got) != 3 || got[0] != (store.OutboxBacklog{Outbox: "mail"}) ||
		got[1] != (store.OutboxBacklog{Outbox: "sms"}) || got[2] != (store.OutboxBacklog{Outbox: "logout"}) {
		t.Fatalf("empty outboxes: %+v, %v", got, err)
	}
	a, b := NewOrganisation(t, s, "Alpha"), NewOrganisation(t, s, "Beta")
	sent := newMail(t, s, a.ID, "sent@alpha.test", now.Add(-time.Hour))
	claimed, _ := s.ClaimMail(ctx, "w", now, time.Minute, 1)
	if len(claimed) != 1 || claimed[0].ID != sent.ID {
		t.Fatalf("claimed %+v", claimed)
	}
	if err := s.RecordMailOutcome(ctx, sent.ID, "w", store.MailOutcome{Status: store.MailSent, At: now}); err != nil {
		t.Fatal(err)
	}
	newMail(t, s, a.ID, "a@alpha.test", now.Add(-10*time.Minute))
	newMail(t, s, b.ID, "b@beta.test", now.Add(-time.Minute))
	if err := s.EnqueueSMS(ctx, &store.SMSMessage{OrgID: b.ID, To: "+15550100", Body: "code", NextAttemptAt: now,
		CreatedAt: now.Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	newLogout(t, s, a.ID, "portal", now.Add(-2*time.Minute))
	got, err = s.OutboxBacklogs(ctx)
	want := []store.OutboxBacklog{{Outbox: "mail", Pending: 2, Oldest: now.Add(-10 * time.Minute)},
		{Outbox: "sms", Pending: 1, Oldest: now.Add(-time.Second)}, {Outbox: "logout", Pending: 1, Oldest: now.Add(-2 * time.Minute)}}
	if err != nil || len(got) != 3 {
		t.Fatalf("got %+v, %v", got, err)
	}
	for i := range want {
		if got[i].Outbox != want[i].Outbox || got[i].Pending != want[i].Pending || !got[i].Oldest.Equal(want[i].Oldest) {
			t.Errorf("got %+v, want %+v (sent messages do not wait; every organisation's do)", got[i], want[i])
		}
	}
}

func testLiveSessions(t *testing.T, s GaugeStore) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Alpha")
	m := NewMember(t, s, o.ID, "ana@alpha.test")
	for i, expires := range []time.Time{now.Add(-time.Minute), now.Add(time.Minute), now.Add(time.Hour)} {
		sess := store.Session{TokenHash: tokenHash(string(rune('a' + i))), OrgID: o.ID, MemberID: m.ID, CreatedAt: now.Add(-2 * time.Minute),
			LastSeenAt: now, AuthTime: now, ExpiresAt: expires}
		if err := s.CreateSession(ctx, &sess); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.LiveSessions(ctx, now); n != 2 || err != nil {
		t.Errorf("live sessions: %d, %v; want 2 (the expired one is not counted)", n, err)
	}
}
