package oidc

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"imslogin/internal/audit"
	"imslogin/internal/outbox"
	"imslogin/internal/store"
)

// BackchannelLogoutEvent is the event a logout token carries (Back-Channel
// Logout 1.0, section 2.4).
const BackchannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// logoutTokenLifetime bounds how long a portal may accept a logout token:
// it is made at each delivery attempt, so a short life costs nothing.
const logoutTokenLifetime = 2 * time.Minute

// LogoutOutbox is what the worker claims messages from.
type LogoutOutbox interface {
	ClaimLogouts(ctx context.Context, claim string, now time.Time, lease time.Duration, limit int) ([]store.LogoutMessage, error)
	RecordLogoutOutcome(ctx context.Context, id int64, claim string, o store.MailOutcome) error
	AppendAuditEvent(ctx context.Context, e *store.AuditEvent) error
	store.Transactor
}

// OrganisationsByID finds the organisation a message belongs to, for its
// issuer.
type OrganisationsByID interface {
	OrganisationByID(ctx context.Context, id int64) (store.Organisation, error)
}

// LogoutWorker delivers the back-channel logout outbox: for each message a
// logout token signed with the organisation's key, POSTed to the portal's
// back-channel logout URI. Failures are retried with doubling waits
// (outbox.Retry), as the mail worker does; a claim with a lease keeps two
// nodes from delivering one message.
type LogoutWorker struct {
	Store       LogoutOutbox
	Orgs        OrganisationsByID
	Portals     Portals
	Keys        *Keys
	Client      *http.Client
	Log         *slog.Logger
	Now         func() time.Time
	PublicURL   string
	Batch       int           // default 20
	Lease       time.Duration // default 2 minutes
	MaxAttempts int           // default 12: about six hours of trying
	FirstRetry  time.Duration // default 30 seconds
	MaxRetry    time.Duration // default 1 hour
	Poll        time.Duration // default 1 second

	opaque func(kind string, orgID, id int64) string // sub and sid, as the portal received them
}

func (w *LogoutWorker) defaults() {
	if w.Batch <= 0 {
		w.Batch = 20
	}
	if w.Lease <= 0 {
		w.Lease = 2 * time.Minute
	}
	if w.MaxAttempts <= 0 {
		w.MaxAttempts = 12
	}
	if w.FirstRetry <= 0 {
		w.FirstRetry = 30 * time.Second
	}
	if w.MaxRetry <= 0 {
		w.MaxRetry = time.Hour
	}
	if w.Poll <= 0 {
		w.Poll = time.Second
	}
	if w.Now == nil {
		w.Now = time.Now
	}
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
	if w.Client == nil {
		w.Client = &http.Client{Timeout: 10 * time.Second}
	}
}

// Run delivers until ctx ends.
func (w *LogoutWorker) Run(ctx context.Context) {
	w.defaults()
	t := time.NewTicker(w.Poll)
	defer t.Stop()
	for {
		if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.Log.Error("back-channel logout worker", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce delivers one batch of due messages and returns how many portals
// accepted theirs.
func (w *LogoutWorker) RunOnce(ctx context.Context) (sent int, err error) {
	w.defaults()
	claim := rand.Text()
	msgs, err := w.Store.ClaimLogouts(ctx, claim, w.Now(), w.Lease, w.Batch)
	if err != nil {
		return 0, err
	}
	for _, m := range msgs {
		failure, permanent := w.deliver(ctx, m)
		retry := outbox.Retry{MaxAttempts: w.MaxAttempts, FirstRetry: w.FirstRetry, MaxRetry: w.MaxRetry}
		o := retry.Outcome(w.Now(), m.Attempts+1, failure, permanent)
		if o.Status == store.MailSent {
			sent++
		} else {
			w.Log.Warn("back-channel logout not delivered", "message", m.ID, "portal", m.ClientID, "status", o.Status, "err", o.Error)
		}
		if err := w.record(context.WithoutCancel(ctx), m, claim, o); err != nil && !errors.Is(err, store.ErrNotFound) {
			return sent, err
		}
	}
	return sent, nil
}

// record ends the claim on m with o; a message given up on (failed) is
// audited in the same transaction, so an administrator learns that a
// portal may still hold a session the member ended. A lapsed claim
// (ErrNotFound) records nothing: another worker has the message.
func (w *LogoutWorker) record(ctx context.Context, m store.LogoutMessage, claim string, o store.MailOutcome) error {
	if o.Status != store.MailFailed {
		return w.Store.RecordLogoutOutcome(ctx, m.ID, claim, o)
	}
	return w.Store.InTx(ctx, func(ctx context.Context) error {
		if err := w.Store.RecordLogoutOutcome(ctx, m.ID, claim, o); err != nil {
			return err
		}
		e := store.AuditEvent{OrgID: m.OrgID, At: w.Now(), Kind: audit.LogoutFailed, MemberID: m.MemberID,
			Detail: fmt.Sprintf("%s: back-channel logout not delivered after %d attempts: %s", m.ClientID, m.Attempts+1, o.Error)}
		return w.Store.AppendAuditEvent(ctx, &e)
	})
}

// deliver makes the logout token and POSTs it; permanent reports a
// failure retrying cannot mend (the portal is gone, or refused the token).
func (w *LogoutWorker) deliver(ctx context.Context, m store.LogoutMessage) (failure error, permanent bool) {
	org, err := w.Orgs.OrganisationByID(ctx, m.OrgID)
	if errors.Is(err, store.ErrNotFound) {
		return errors.New("the organisation is gone"), true
	}
	if err != nil {
		return err, false
	}
	p, err := w.Portals.PortalByClientID(ctx, m.OrgID, m.ClientID)
	if errors.Is(err, store.ErrNotFound) || err == nil && p.BackchannelLogoutURI == "" {
		return errors.New("the portal is gone or takes no back-channel logout any more"), true
	}
	if err != nil {
		return err, false
	}
	token, err := w.token(ctx, org, p, m)
	if err != nil {
		return err, false
	}
	return w.post(ctx, p.BackchannelLogoutURI, token)
}

// token is the logout token (Back-Channel Logout 1.0, section 2.4): sub
// and sid as the portal received them in its ID token, no nonce.
func (w *LogoutWorker) token(ctx context.Context, org store.Organisation, p Portal, m store.LogoutMessage) (string, error) {
	key, err := w.Keys.Signing(ctx, org.ID, p.algorithm())
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: key.SignatureAlgorithm(),
		Key: jose.JSONWebKey{Key: key.signer, KeyID: key.id}}, (&jose.SignerOptions{}).WithType("logout+jwt"))
	if err != nil {
		return "", err
	}
	now := w.Now()
	claims := map[string]any{
		"iss": w.PublicURL + "/o/" + org.URLName, "aud": m.ClientID, "iat": now.Unix(),
		"exp": now.Add(logoutTokenLifetime).Unix(), "jti": m.JTI,
		"sub": w.opaque("sub", m.OrgID, m.MemberID), "sid": w.opaque("sid", m.OrgID, m.SessionID),
		"events": map[string]any{BackchannelLogoutEvent: map[string]any{}},
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// post sends the token. 2xx is delivered; a 4xx other than 408 and 429 is
// the portal refusing the token, which trying again will not change.
func (w *LogoutWorker) post(ctx context.Context, uri, token string) (failure error, permanent bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, uri,
		strings.NewReader(url.Values{"logout_token": {token}}.Encode()))
	if err != nil {
		return err, true
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := w.Client.Do(req)
	if err != nil {
		return err, false
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 300))
	if res.StatusCode/100 == 2 {
		return nil, false
	}
	refused := res.StatusCode/100 == 4 && res.StatusCode != http.StatusRequestTimeout && res.StatusCode != http.StatusTooManyRequests
	return fmt.Errorf("the portal answered %s: %s", res.Status, strings.TrimSpace(string(body))), refused
}
