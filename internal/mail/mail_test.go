package mail_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"imslogin/internal/mail"
	"imslogin/internal/mail/mailtest"
	"imslogin/internal/outbox"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
	"imslogin/internal/store/storetest"
)

// clock is a test clock moved by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newClock() *clock { return &clock{t: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)} }

func newSender(t testing.TB, srv *mailtest.Server) *mail.SMTP {
	t.Helper()
	s, err := mail.NewSMTP(srv.URL, "IMS Login <login@ims.example>", mail.WithTLSConfig(srv.ClientTLS))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func enqueue(t testing.TB, s store.Store, orgID int64, to string, at time.Time) {
	t.Helper()
	err := s.InTx(context.Background(), func(ctx context.Context) error {
		return mail.Enqueue(ctx, s, mail.Message{OrgID: orgID, To: to, Kind: mail.PasswordReset, At: at,
			Data: mail.Data{Organisation: "Acme", Name: "Ana <b>Lima</b>", Link: "https://login.acme.example/reset-password?token=abc&x=1", ValidFor: "1 hour"}})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestEveryKindRenders(t *testing.T) {
	for _, kind := range mail.Kinds() {
		subject, text, html, err := mail.Render(kind, mail.Data{Organisation: "Acme & Co", Name: "Ana <Lima>",
			Link: "https://login.acme.example/x?token=t", ValidFor: "1 hour", Extra: map[string]string{"how": "reset"}})
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if subject == "" || strings.Contains(subject, "\n") || !strings.Contains(text, "Ana <Lima>") {
			t.Errorf("%s: subject %q, text %q", kind, subject, text)
		}
		if strings.Contains(html, "Ana <Lima>") || !strings.Contains(html, "Ana &lt;Lima&gt;") {
			t.Errorf("%s: the HTML body does not escape the name", kind)
		}
	}
	if _, _, _, err := mail.Render("no-such-kind", mail.Data{}); err == nil {
		t.Error("unknown kind rendered")
	}
}

func TestEnqueueRejectsBadMessagesAndWritesNothing(t *testing.T) {
	db := sqltest.NewSQLite(t)
	o := storetest.NewOrganisation(t, db, "Acme")
	ctx := context.Background()
	for _, m := range []mail.Message{
		{OrgID: o.ID, To: "a@acme.test", Kind: "no-such-kind"},
		{OrgID: o.ID, To: "a@acme.test\r\nBcc: x@evil.example", Kind: mail.PasswordChanged},
		{OrgID: o.ID, To: "", Kind: mail.PasswordChanged},
	} {
		err := db.InTx(ctx, func(ctx context.Context) error { return mail.Enqueue(ctx, db, m) })
		if err == nil {
			t.Errorf("enqueued %+v", m)
		}
	}
	if list, _ := db.OrganisationMail(ctx, o.ID, 10); len(list) != 0 {
		t.Errorf("outbox holds %d messages after rejected ones", len(list))
	}
}

func TestDeliversMultipartMessageWithMessageID(t *testing.T) {
	srv := mailtest.Start(t)
	db := sqltest.NewSQLite(t)
	o := storetest.NewOrganisation(t, db, "Acme")
	clk := newClock()
	enqueue(t, db, o.ID, "ana@acme.test", clk.Now())
	w := &mail.Worker{Store: db, Sender: newSender(t, srv), Now: clk.Now}
	r, err := w.RunOnce(context.Background())
	if err != nil || r.Sent != 1 {
		t.Fatalf("round %+v, %v", r, err)
	}
	got := srv.To("ana@acme.test")
	if len(got) != 1 {
		t.Fatalf("received %d messages, want 1", len(got))
	}
	m := got[0]
	if m.Subject != "Reset your IMS Login password for Acme" || m.From != "login@ims.example" {
		t.Errorf("subject %q from %q", m.Subject, m.From)
	}
	if !strings.HasSuffix(m.MessageID, "@ims.example>") || !strings.HasPrefix(m.MessageID, "<") {
		t.Errorf("Message-ID %q", m.MessageID)
	}
	link := "https://login.acme.example/reset-password?token=abc&x=1"
	if !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, `href="https://login.acme.example/reset-password?token=abc&amp;x=1"`) {
		t.Errorf("link missing:\ntext %s\nhtml %s", m.Text, m.HTML)
	}
	list, _ := db.OrganisationMail(context.Background(), o.ID, 1)
	if list[0].Status != store.MailSent || list[0].Text != "" {
		t.Errorf("outbox row after delivery: %+v", list[0])
	}
}

// TestOutageDelaysMailAndLosesNone queues 200 messages while the mail
// server is down; when it is back, each arrives exactly once.
func TestOutageDelaysMailAndLosesNone(t *testing.T) {
	srv := mailtest.Start(t)
	srv.Stop()
	db := sqltest.NewSQLite(t)
	o := storetest.NewOrganisation(t, db, "Acme")
	clk := newClock()
	const n = 200
	for i := range n {
		enqueue(t, db, o.ID, recipient(i), clk.Now())
	}
	w := &mail.Worker{Store: db, Sender: newSender(t, srv), Now: clk.Now}
	ctx := context.Background()
	retrying := drain(t, w).Retrying
	if retrying != n || len(srv.Messages()) != 0 {
		t.Fatalf("during the outage: %d retrying, %d received; want %d and 0", retrying, len(srv.Messages()), n)
	}
	clk.Add(10 * time.Second)
	if r, _ := w.RunOnce(ctx); r != (mail.Round{}) {
		t.Errorf("retried before the backoff elapsed: %+v", r)
	}
	srv.Restart()
	clk.Add(time.Minute)
	if sent := drain(t, w).Sent; sent != n {
		t.Errorf("after the outage %d sent, want %d", sent, n)
	}
	assertOnce(t, srv.Messages(), n)
}

// drain runs rounds until one finds nothing due.
func drain(t *testing.T, w *mail.Worker) mail.Round {
	t.Helper()
	var total mail.Round
	for range 1000 {
		r, err := w.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if r == (mail.Round{}) {
			return total
		}
		total.Sent += r.Sent
		total.Retrying += r.Retrying
		total.Failed += r.Failed
	}
	t.Fatal("the outbox never drained")
	return total
}

func recipient(i int) string {
	return "member" + strings.Repeat("x", i%3) + "-" + itoa(i) + "@acme.test"
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func assertOnce(t *testing.T, got []mailtest.Message, want int) {
	t.Helper()
	seen := map[string]int{}
	for _, m := range got {
		seen[m.MessageID]++
	}
	if len(got) != want || len(seen) != want {
		t.Errorf("received %d messages with %d distinct Message-IDs, want %d of each", len(got), len(seen), want)
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("message %s arrived %d times", id, n)
		}
	}
}

func TestRetriesWithBackoffThenKeepsTheMessageAsFailed(t *testing.T) {
	srv := mailtest.Start(t)
	srv.Reject = func(rcpt string) bool { return strings.HasPrefix(rcpt, "gone@") }
	db := sqltest.NewSQLite(t)
	o := storetest.NewOrganisation(t, db, "Acme")
	clk := newClock()
	enqueue(t, db, o.ID, "gone@acme.test", clk.Now())
	w := &mail.Worker{Store: db, Sender: newSender(t, srv), Now: clk.Now, Policy: outbox.Policy{MaxAttempts: 4, FirstRetry: time.Minute}}
	ctx := context.Background()
	var waits []time.Duration
	for attempt := 1; attempt <= 4; attempt++ {
		r, err := w.RunOnce(ctx)
		if err != nil || r.Sent != 0 {
			t.Fatalf("attempt %d: %+v, %v", attempt, r, err)
		}
		list, _ := db.OrganisationMail(ctx, o.ID, 1)
		if attempt < 4 {
			waits = append(waits, list[0].NextAttemptAt.Sub(clk.Now()))
			clk.Add(list[0].NextAttemptAt.Sub(clk.Now()))
			continue
		}
		if list[0].Status != store.MailFailed || list[0].Attempts != 4 || !strings.Contains(list[0].LastError, "550") {
			t.Errorf("after the last attempt: %+v", list[0])
		}
	}
	if want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute}; !equal(waits, want) {
		t.Errorf("waits between attempts %v, want %v", waits, want)
	}
	clk.Add(24 * time.Hour)
	if r, _ := w.RunOnce(ctx); r != (mail.Round{}) {
		t.Errorf("a failed message was tried again: %+v", r)
	}
}

func equal(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestTwoNodesDeliverEachMessageOnce runs two workers, each with its own
// connection pool as two nodes would have, on one PostgreSQL database.
func TestTwoNodesDeliverEachMessageOnce(t *testing.T) {
	url := sqltest.NewPostgresDatabase(t)
	ctx := context.Background()
	var nodes []*sqlstore.DB
	for range 2 {
		db, err := sqlstore.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, db)
	}
	o := storetest.NewOrganisation(t, nodes[0], "Acme")
	clk := newClock()
	const n = 500
	for i := range n {
		enqueue(t, nodes[0], o.ID, recipient(i), clk.Now())
	}
	srv := mailtest.Start(t)
	var wg sync.WaitGroup
	sent := make([]int, len(nodes))
	for i, db := range nodes {
		w := &mail.Worker{Store: db, Sender: newSender(t, srv), Now: clk.Now, Policy: outbox.Policy{Batch: 25}} // newSender may t.Fatal: not in the goroutine
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				r, err := w.RunOnce(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if r == (mail.Round{}) {
					return
				}
				sent[i] += r.Sent
			}
		}()
	}
	wg.Wait()
	if sent[0]+sent[1] != n || sent[0] == 0 || sent[1] == 0 {
		t.Errorf("nodes sent %v, want %d between them, both taking part", sent, n)
	}
	assertOnce(t, srv.Messages(), n)
}

func TestSMTPURLAndSender(t *testing.T) {
	for _, bad := range []string{"http://mail.example", "smtp://", "smtp://host:99999", "smtp://host/path", "mail.example:25"} {
		if _, err := mail.ParseSMTPURL(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	for _, good := range []string{"smtp://user:p%40ss@mail.example:587", "smtps://mail.example", "smtp://127.0.0.1:2525"} {
		if _, err := mail.ParseSMTPURL(good); err != nil {
			t.Errorf("rejected %q: %v", good, err)
		}
	}
	if _, err := mail.NewSMTP("smtp://mail.example", "not an address"); err == nil {
		t.Error("accepted a sender that is not an address")
	}
}

func TestEnqueueShowsTheLogoOnlyWhenTheOrganisationHasOne(t *testing.T) {
	db := sqltest.NewSQLite(t)
	ctx := context.Background()
	branded, plain := storetest.NewOrganisation(t, db, "Acme"), storetest.NewOrganisation(t, db, "Plain")
	if err := db.SetBranding(ctx, store.Branding{OrgID: branded.ID, Logo: []byte("\x89PNG"), UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	html := func(org store.Organisation) string {
		err := db.InTx(ctx, func(ctx context.Context) error {
			return mail.Enqueue(ctx, db, mail.Message{OrgID: org.ID, To: "ana@acme.test", Kind: mail.PasswordChanged,
				Data: mail.Data{Organisation: org.Name + " & Co", LogoURL: "https://login.acme.example/brand/x/logo.png"}})
		})
		list, _ := db.OrganisationMail(ctx, org.ID, 1)
		if err != nil || len(list) != 1 {
			t.Fatalf("enqueue: %v", err)
		}
		return list[0].HTML
	}
	if got := html(branded); !strings.Contains(got, `<img src="https://login.acme.example/brand/x/logo.png" alt="Acme &amp; Co"`) {
		t.Errorf("the logo is missing or its alt text is not the organisation's name:\n%s", got)
	}
	if got := html(plain); strings.Contains(got, "<img") {
		t.Errorf("an organisation without a logo shows one:\n%s", got)
	}
}
