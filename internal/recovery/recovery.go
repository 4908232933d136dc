package recovery

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/linkmail"
	"imslogin/internal/password"
	"imslogin/internal/session"
	"imslogin/internal/store"
	"imslogin/internal/token"
	"imslogin/web"
)

// Store is what recovery reads and writes: members found by link or
// email, their password and sessions, the links and the audit log.
type Store interface {
	OrganisationByID(ctx context.Context, id int64) (store.Organisation, error)
	OrganisationByName(ctx context.Context, name string) (store.Organisation, error)
	MemberByID(ctx context.Context, orgID, id int64) (store.Member, error)
	MemberByEmail(ctx context.Context, orgID int64, email string) (store.Member, error)
	SetPasswordHash(ctx context.Context, orgID, memberID int64, hash string) error
	AcceptInvitation(ctx context.Context, orgID, memberID int64, hash string) error
	DeleteMemberSessions(ctx context.Context, orgID, memberID int64) error
	ClearSigninLockout(ctx context.Context, orgID int64, identifier string) (store.Lockout, error)
	LatestLinkToken(ctx context.Context, orgID, memberID int64, purpose store.LinkPurpose) (store.LinkToken, error)
	EndMemberLinkTokens(ctx context.Context, orgID, memberID int64, now time.Time) error
	token.Redeemer
	linkmail.Outbox
	audit.Log
	store.Transactor
}

// Handler serves the password recovery and invitation pages.
type Handler struct {
	Store  Store
	Hasher *password.Hasher
	Pages  *web.Renderer
	Links  *linkmail.Sender
	// SignIn runs the sign-in's steps after the password (a second factor,
	// say) and starts the session, for a member who accepted an invitation.
	SignIn    func(w http.ResponseWriter, r *http.Request, org store.Organisation, m store.Member, welcome string)
	Blocklist password.Blocklist // the operator's larger list, if any
	Log       *slog.Logger
	Now       func() time.Time
	// MinResponse is the least time a reset request takes to answer, so
	// that the work done for an existing account cannot be told apart by
	// timing from the nothing done for an unknown one.
	MinResponse time.Duration
	// Ended is told when a reset ends the member's sessions (single
	// sign-on ends their tokens and tells the portals); nil for nothing.
	Ended session.Hook
	// Throttle limits reset requests and strength estimates per client
	// address; nil for no limit.
	Throttle *Throttle
}

// Mount registers the handler's routes.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /forgot-password", h.showForgot)
	mux.HandleFunc("POST /forgot-password", h.submitForgot)
	mux.HandleFunc("GET /reset-password", h.showReset)
	mux.HandleFunc("POST /reset-password", h.submitReset)
	mux.HandleFunc("GET /invitation", h.showInvitation)
	mux.HandleFunc("POST /invitation", h.submitInvitation)
	mux.HandleFunc("POST /password/strength", h.strength)
}

func (h *Handler) showForgot(w http.ResponseWriter, r *http.Request) {
	h.Pages.ForgotPassword(w, http.StatusOK, web.ForgotPasswordPage{
		Organisation: strings.TrimSpace(r.URL.Query().Get("organisation"))})
}

// sentNotice is the one answer to a reset request, whatever happened.
func sentNotice(email, validFor string) web.Notice {
	return web.Notice{Kind: "success", Text: "A verification email is on its way to " + email +
		" if it belongs to an account in this organisation. Follow the link in it to reset your password.",
		Items: []string{
			"The link works once and expires in " + validFor + ".",
			"No email after a few minutes? Check your spam folder and that the organisation name and email address are right.",
		}}
}

func (h *Handler) submitForgot(w http.ResponseWriter, r *http.Request) {
	orgName := strings.TrimSpace(r.PostFormValue("organisation"))
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	page := web.ForgotPasswordPage{Organisation: orgName, Email: email}
	if orgName == "" || email == "" || len(orgName) > 200 || len(email) > 254 {
		page.Notice = web.Notice{Kind: "error", Text: "Enter your organisation name and email address."}
		h.Pages.ForgotPassword(w, http.StatusBadRequest, page)
		return
	}
	if wait, ok := allow(h.Throttle.forgot(), r); !ok {
		h.tooManyResets(w, r, page, wait)
		return
	}
	started := time.Now()
	if err := h.requestReset(r.Context(), r, orgName, email); err != nil {
		// Logged, never shown: the answer must not depend on the account.
		h.Log.Error("password reset request", "organisation", orgName, "err", err)
	}
	page.Notice = sentNotice(email, linkmail.Words(h.resetLifetime()))
	if wait := h.MinResponse - time.Since(started); wait > 0 {
		select {
		case <-time.After(wait):
		case <-r.Context().Done():
		}
	}
	h.Pages.ForgotPassword(w, http.StatusOK, page)
}

func (h *Handler) resetLifetime() time.Duration {
	if h.Links.ResetLifetime > 0 {
		return h.Links.ResetLifetime
	}
	return linkmail.DefaultResetLifetime
}

// requestReset queues a reset link when the account exists and the request
// came to the organisation's official address. An invited member who never
// set a password gets a fresh invitation instead; a disabled one nothing.
func (h *Handler) requestReset(ctx context.Context, r *http.Request, orgName, email string) error {
	org, err := h.Store.OrganisationByName(ctx, orgName)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if official := h.Links.OfficialHost(org); !sameHost(r.Host, official, r.TLS != nil) {
		h.Log.Warn("password reset requested on an address that is not the organisation's; nothing sent",
			"organisation", org.Name, "host", r.Host, "official", official, "address", session.ClientAddress(r))
		return nil
	}
	m, err := h.Store.MemberByEmail(ctx, org.ID, email)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if h.sentRecently(ctx, m) {
		h.Log.Info("password reset requested again within a minute; nothing sent", "organisation", org.Name, "member", m.ID)
		return nil
	}
	return h.Store.InTx(ctx, func(ctx context.Context) error {
		switch m.Status {
		case store.StatusActive:
			return h.Links.Reset(ctx, h.Store, org, m)
		case store.StatusInvited:
			return h.Links.Invite(ctx, h.Store, org, m)
		}
		return nil
	})
}

// resendInterval is the least time between two emailed links a member
// asks for, so nobody can flood a member's inbox through this form.
const resendInterval = time.Minute

func (h *Handler) sentRecently(ctx context.Context, m store.Member) bool {
	purpose := store.LinkReset
	if m.Status == store.StatusInvited {
		purpose = store.LinkInvitation
	}
	t, err := h.Store.LatestLinkToken(ctx, m.OrgID, m.ID, purpose)
	return err == nil && h.Now().Sub(t.CreatedAt) < resendInterval
}

// sameHost compares a request's Host header with the official host,
// ignoring letter case and a default port written out.
func sameHost(requestHost, official string, tls bool) bool {
	norm := func(h string) string {
		h = strings.ToLower(strings.TrimSuffix(h, "."))
		if host, port, err := net.SplitHostPort(h); err == nil && (port == "80" && !tls || port == "443" && tls) {
			return host
		}
		return h
	}
	return official != "" && norm(requestHost) == norm(official)
}

// strength answers the live meter: zxcvbn's estimate plus whether the
// password is on a blocklist.
func (h *Handler) strength(w http.ResponseWriter, r *http.Request) {
	if wait, ok := allow(h.Throttle.strength(), r); !ok {
		tooManyEstimates(w, wait)
		return
	}
	pw := r.PostFormValue("password")
	s := password.Estimate(pw)
	if blocked := password.IsCommon(pw); blocked {
		s.Score, s.Label = 0, "Very weak"
		s.Feedback = append([]string{"This password is too common: attackers try it first."}, s.Feedback...)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(s)
}

// strengthView is the meter's reading for a page shown after a submission.
func strengthView(pw string, inputs ...string) *web.StrengthView {
	s := password.Estimate(pw, inputs...)
	return &web.StrengthView{Score: s.Score, Label: s.Label, CrackTime: s.CrackTime, Feedback: s.Feedback}
}

func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, password.ErrBusy) {
		w.Header().Set("Retry-After", "2")
		h.Pages.Error(w, http.StatusServiceUnavailable, web.ErrorPage{Heading: "Busy",
			Message: "The service is very busy right now. Go back and send the form again in a few seconds."})
		return
	}
	h.Log.Error("recovery", "path", r.URL.Path, "err", err)
	h.Pages.Error(w, http.StatusInternalServerError, web.ErrorPage{Heading: "Something went wrong",
		Message: "We couldn't complete this because of a problem on our side. Please try again in a moment."})
}
