package storetest

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"imslogin/internal/store"
)

func testMFAPolicy(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	p, err := s.MFAPolicy(ctx, o.ID)
	if err != nil || !reflect.DeepEqual(p, store.DefaultMFAPolicy()) {
		t.Fatalf("unset policy: got %+v, %v; want the default", p, err)
	}
	want := store.MFAPolicy{Required: true, Methods: []string{"sms", "totp"}, TrustedDeviceDuration: 7 * 24 * time.Hour}
	for range 2 { // the second write updates the row the first created
		if err := s.SetMFAPolicy(ctx, o.ID, want); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.MFAPolicy(ctx, o.ID); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, %v; want %+v", got, err, want)
	}
	m := NewMember(t, s, o.ID, "ana@acme.test")
	if got, factors, err := s.MemberMFA(ctx, o.ID, m.ID); err != nil || !reflect.DeepEqual(got, want) || len(factors) != 0 {
		t.Errorf("joined read, no factors: %+v %v %v", got, factors, err)
	}
}

func newFactor(t *testing.T, s store.Store, m store.Member, method, name string) store.MFAFactor {
	t.Helper()
	f := store.MFAFactor{OrgID: m.OrgID, MemberID: m.ID, Method: method, Name: name, Secret: []byte("secret-" + name), CreatedAt: now}
	if err := s.CreateMFAFactor(context.Background(), &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func testMFAFactors(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	m := NewMember(t, s, o.ID, "ana@acme.test")
	app := newFactor(t, s, m, "totp", "Phone")
	key := newFactor(t, s, m, "webauthn", "Blue key")
	newFactor(t, s, m, "backup", "")
	newFactor(t, s, m, "backup", "")
	list, err := s.MemberMFAFactors(ctx, o.ID, m.ID)
	if err != nil || len(list) != 4 || !reflect.DeepEqual(list[0], app) || list[1].Name != "Blue key" {
		t.Fatalf("list: %+v, %v", list, err)
	}
	if err := s.AdvanceMFAFactor(ctx, o.ID, m.ID, app.ID, 100, now); err != nil {
		t.Fatalf("advance: %v", err)
	}
	if err := s.AdvanceMFAFactor(ctx, o.ID, m.ID, app.ID, 100, now); !errors.Is(err, store.ErrConflict) {
		t.Errorf("same counter again: got %v, want ErrConflict", err)
	}
	if err := s.AdvanceMFAFactor(ctx, o.ID, m.ID, app.ID, 99, now); !errors.Is(err, store.ErrConflict) {
		t.Errorf("older counter: got %v, want ErrConflict", err)
	}
	if err := s.AdvanceMFAFactor(ctx, o.ID, m.ID, 999999, 200, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown factor: got %v, want ErrNotFound", err)
	}
	p, joined, err := s.MemberMFA(ctx, o.ID, m.ID)
	if err != nil || !reflect.DeepEqual(p, store.DefaultMFAPolicy()) || len(joined) != 4 || joined[0].Counter != 100 ||
		!reflect.DeepEqual(joined[0].Secret, app.Secret) || joined[2].Method != "backup" {
		t.Errorf("policy and factors in one read: %+v %+v, %v", p, joined, err)
	}
	if n, err := s.DeleteMemberMFAFactors(ctx, o.ID, m.ID, "backup"); err != nil || n != 2 {
		t.Errorf("delete backup codes: %d, %v", n, err)
	}
	if err := s.DeleteMFAFactor(ctx, o.ID, m.ID, key.ID); err != nil {
		t.Fatal(err)
	}
	list, _ = s.MemberMFAFactors(ctx, o.ID, m.ID)
	if len(list) != 1 || list[0].Counter != 100 || !list[0].LastUsedAt.Equal(now) {
		t.Errorf("after deletes: %+v", list)
	}
	if n, err := s.DeleteMemberMFAFactors(ctx, o.ID, m.ID, ""); err != nil || n != 1 {
		t.Errorf("delete all: %d, %v", n, err)
	}
}

// testMFAFactorReplayRace: of many concurrent uses of one code, one wins.
func testMFAFactorReplayRace(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	m := NewMember(t, s, o.ID, "ana@acme.test")
	f := newFactor(t, s, m, "totp", "Phone")
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.AdvanceMFAFactor(ctx, o.ID, m.ID, f.ID, 5, now)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else if !errors.Is(err, store.ErrConflict) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d uses of one code succeeded, want 1", wins)
	}
}

func testLastMFAMethod(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	m := NewMember(t, s, o.ID, "ana@acme.test")
	if last, err := s.LastMFAMethod(ctx, o.ID, m.ID); last != "" || err != nil {
		t.Errorf("last method unset: %q, %v", last, err)
	}
	s.SetLastMFAMethod(ctx, o.ID, m.ID, "totp")
	if err := s.SetLastMFAMethod(ctx, o.ID, m.ID, "sms"); err != nil {
		t.Fatal(err)
	}
	if last, _ := s.LastMFAMethod(ctx, o.ID, m.ID); last != "sms" {
		t.Errorf("last method: %q", last)
	}
}

func testTrustedDevices(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	ana := NewMember(t, s, o.ID, "ana@acme.test")
	bo := NewMember(t, s, o.ID, "bo@acme.test")
	d := store.TrustedDevice{TokenHash: tokenHash("device"), OrgID: o.ID, MemberID: ana.ID, UserAgent: "Firefox",
		CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(30 * 24 * time.Hour)}
	if err := s.CreateTrustedDevice(ctx, &d); err != nil {
		t.Fatal(err)
	}
	if got, err := s.TrustedDevice(ctx, o.ID, ana.ID, tokenHash("device")); err != nil || !reflect.DeepEqual(got, d) {
		t.Errorf("by token: %+v, %v", got, err)
	}
	if _, err := s.TrustedDevice(ctx, o.ID, bo.ID, tokenHash("device")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another member's device: %v, want ErrNotFound", err)
	}
	if err := s.DeleteTrustedDevice(ctx, o.ID, bo.ID, d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting another member's device: %v", err)
	}
	d2 := d
	d2.TokenHash = tokenHash("device 2")
	s.CreateTrustedDevice(ctx, &d2)
	if list, err := s.MemberTrustedDevices(ctx, o.ID, ana.ID); err != nil || len(list) != 2 {
		t.Errorf("list: %d, %v", len(list), err)
	}
	if err := s.DeleteTrustedDevice(ctx, o.ID, ana.ID, d.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteMemberTrustedDevices(ctx, o.ID, ana.ID); n != 1 || err != nil {
		t.Errorf("forget all: %d, %v", n, err)
	}
}

// testMFAIsolation: nothing of one organisation's MFA reaches another's.
func testMFAIsolation(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := NewOrganisation(t, s, "Acme"), NewOrganisation(t, s, "Bolt")
	ma := NewMember(t, s, a.ID, "ana@acme.test")
	f := newFactor(t, s, ma, "totp", "Phone")
	s.SetMFAPolicy(ctx, a.ID, store.MFAPolicy{Required: true, Methods: []string{"totp"}})
	s.SetLastMFAMethod(ctx, a.ID, ma.ID, "totp")
	d := store.TrustedDevice{TokenHash: tokenHash("d"), OrgID: a.ID, MemberID: ma.ID, CreatedAt: now, LastUsedAt: now, ExpiresAt: now}
	s.CreateTrustedDevice(ctx, &d)

	if p, _ := s.MFAPolicy(ctx, b.ID); p.Required {
		t.Error("policy crossed organisations")
	}
	if list, _ := s.MemberMFAFactors(ctx, b.ID, ma.ID); len(list) != 0 {
		t.Error("factors listed under another organisation")
	}
	if p, list, err := s.MemberMFA(ctx, b.ID, ma.ID); err != nil || p.Required || len(list) != 0 {
		t.Errorf("joined read under another organisation: %+v %v %v", p, list, err)
	}
	if p, list, err := s.MemberMFA(ctx, a.ID, ma.ID); err != nil || !p.Required || len(list) != 1 {
		t.Errorf("joined read of the organisation's own policy and factor: %+v %v %v", p, list, err)
	}
	if err := s.AdvanceMFAFactor(ctx, b.ID, ma.ID, f.ID, 9, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("advance under another organisation: %v", err)
	}
	if err := s.DeleteMFAFactor(ctx, b.ID, ma.ID, f.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete under another organisation: %v", err)
	}
	if n, _ := s.DeleteMemberMFAFactors(ctx, b.ID, ma.ID, ""); n != 0 {
		t.Error("bulk delete crossed organisations")
	}
	if last, _ := s.LastMFAMethod(ctx, b.ID, ma.ID); last != "" {
		t.Errorf("last method read under another organisation: %q", last)
	}
	if _, err := s.TrustedDevice(ctx, b.ID, ma.ID, tokenHash("d")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("device under another organisation: %v", err)
	}
	if n, _ := s.DeleteMemberTrustedDevices(ctx, b.ID, ma.ID); n != 0 {
		t.Error("forget-all crossed organisations")
	}
	if list, _ := s.MemberMFAFactors(ctx, a.ID, ma.ID); len(list) != 1 {
		t.Error("the organisation's own factor is gone")
	}
}

func testSMSOutbox(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	m := store.SMSMessage{OrgID: o.ID, To: "+919812345678", Body: "Your code is 123456", NextAttemptAt: now, CreatedAt: now}
	if err := s.EnqueueSMS(ctx, &m); err != nil {
		t.Fatal(err)
	}
	got, err := s.ClaimSMS(ctx, "w1", now, time.Minute, 10)
	if err != nil || len(got) != 1 || got[0].Body != m.Body {
		t.Fatalf("claim: %+v, %v", got, err)
	}
	if again, _ := s.ClaimSMS(ctx, "w2", now, time.Minute, 10); len(again) != 0 {
		t.Error("a claimed message was claimed twice")
	}
	retry := store.MailOutcome{Status: store.MailPending, At: now, NextAttemptAt: now.Add(time.Minute), Error: "503"}
	if err := s.RecordSMSOutcome(ctx, m.ID, "w1", retry); err != nil {
		t.Fatal(err)
	}
	got, _ = s.ClaimSMS(ctx, "w3", now.Add(time.Minute), time.Minute, 10)
	if len(got) != 1 || got[0].Attempts != 1 || got[0].LastError != "503" {
		t.Fatalf("retry: %+v", got)
	}
	if err := s.RecordSMSOutcome(ctx, m.ID, "w3", store.MailOutcome{Status: store.MailSent, At: now}); err != nil {
		t.Fatal(err)
	}
	list, _ := s.RecentSMS(ctx, 10)
	if len(list) != 1 || list[0].Status != store.MailSent || list[0].Body != "" {
		t.Errorf("after delivery: %+v (the code must not be kept)", list)
	}
}

func testSessionAMR(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	m := NewMember(t, s, o.ID, "ana@acme.test")
	sess := store.Session{TokenHash: tokenHash("amr"), OrgID: o.ID, MemberID: m.ID, CreatedAt: now, LastSeenAt: now,
		AuthTime: now, ExpiresAt: now.Add(time.Hour), AMR: []string{"pwd", "otp", "mfa"}}
	if err := s.CreateSession(ctx, &sess); err != nil {
		t.Fatal(err)
	}
	si, err := s.SignedInByTokenHash(ctx, tokenHash("amr"))
	if err != nil || !reflect.DeepEqual(si.Session.AMR, sess.AMR) {
		t.Errorf("amr: %v, %v", si.Session.AMR, err)
	}
	f := store.SigninFlow{TokenHash: tokenHash("flow"), OrgID: o.ID, MemberID: m.ID, Step: "mfa", CreatedAt: now,
		ExpiresAt: now.Add(time.Hour), AMR: []string{"pwd"}, SessionID: 42}
	if err := s.CreateSigninFlow(ctx, &f); err != nil {
		t.Fatal(err)
	}
	f.AMR, f.MFAMethod = []string{"pwd", "sms"}, "sms"
	if err := s.UpdateSigninFlow(ctx, &f); err != nil {
		t.Fatal(err)
	}
	got, err := s.SigninFlowByTokenHash(ctx, f.TokenHash)
	if err != nil || !reflect.DeepEqual(got.AMR, f.AMR) || got.MFAMethod != "sms" || got.SessionID != 42 {
		t.Errorf("flow: %+v, %v", got, err)
	}
}
