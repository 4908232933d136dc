package signin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/field"
	"imslogin/internal/lastsignin"
	"imslogin/internal/lockout"
	"imslogin/internal/password"
	"imslogin/internal/session"
	"imslogin/internal/store"
	"imslogin/web"
)

// Store is what the sign-in pages read and write: the password's subject, flows between steps, and the audit log.
type Store interface {
	PasswordSubject(ctx context.Context, orgName, email, lockoutIdentifier string) (store.PasswordSubject, error)
	OrganisationByID(ctx context.Context, id int64) (store.Organisation, error)
	OrganisationByURLName(ctx context.Context, urlName string) (store.Organisation, error)
	MemberByID(ctx context.Context, orgID, id int64) (store.Member, error)
	SetPasswordHash(ctx context.Context, orgID, memberID int64, hash string) error
	store.SigninFlows
	audit.Log
}

// Handler serves the sign-in and sign-out pages.
type Handler struct {
	Store    Store
	Hasher   *password.Hasher
	Sessions *session.Manager
	Pages    *web.Renderer
	Log      *slog.Logger
	Now      func() time.Time
	// Steps run after the password, in order, when they are needed.
	Steps []Step
	// Lockout counts failed attempts and locks; Throttle limits them.
	Lockout  *lockout.Guard
	Throttle *Throttle
	// LastSignIns writes each member's last sign-in time in batches.
	LastSignIns *lastsignin.Recorder
	// Services, if set, are the login service buttons of the sign-in
	// page (see services.go).
	Services ServiceButtons
	// Observer counts outcomes for metrics; nil counts nothing.
	Observer Observer
}

// Observer is told the outcome of each sign-in attempt: method is
// "password", the step that answered ("mfa", "verify-email"…; "step" when
// an answer to any step was throttled) or, for a success, the factors used
// ("password", "password+totp"…); outcome is success, failure, locked,
// refused, throttled or busy. Throttled is told which limit refused an
// attempt: "address" or "organisation".
type Observer interface {
	SignIn(method, outcome string)
	Throttled(limit string)
}

// observe tells the observer, if any.
func (h *Handler) observe(method, outcome string) {
	if h.Observer != nil {
		h.Observer.SignIn(method, outcome)
	}
}

// Mount registers the handler's routes.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /login", h.showLogin)
	mux.HandleFunc("POST /login", h.submitPassword)
	mux.HandleFunc("GET /o/{urlname}/login", h.showOrganisationLogin)
	mux.HandleFunc("POST /o/{urlname}/login", h.submitOrganisationPassword)
	mux.HandleFunc("GET /login/{step}", h.showStep)
	mux.HandleFunc("POST /login/{step}", h.submitStep)
	mux.HandleFunc("POST /logout", h.logout)
	mux.Handle("GET "+session.ReauthPath, h.Sessions.RequireSignIn(http.HandlerFunc(h.showReauth)))
	mux.Handle("POST "+session.ReauthPath, h.Sessions.RequireSignIn(http.HandlerFunc(h.submitReauth)))
	mux.Handle("GET "+StepUpPath, h.Sessions.RequireSignIn(http.HandlerFunc(h.stepUp)))
}

// failureNotice is the one answer for a wrong organisation, email or
// password: it never says which, and lists the usual causes.
var failureNotice = web.Notice{
	Kind:   "error",
	Text:   "We couldn't sign you in.",
	Detail: "Check your organisation name, email address and password.",
	Why:    "Why can this happen?",
	Items: []string{
		"the organisation name is not the one you were given",
		"the email address or password is misspelt (passwords are case-sensitive)",
		"no licence has been assigned to you by your administrator",
		"there is an issue with the server configuration",
	},
}

func (h *Handler) showLogin(w http.ResponseWriter, r *http.Request) {
	page := web.LoginPage{Organisation: strings.TrimSpace(r.URL.Query().Get("organisation"))}
	if page.Organisation == "" {
		page.Organisation = web.RememberedOrganisation(w, r)
		page.RememberedOrganisation = page.Organisation != ""
	}
	h.renderLogin(w, r, page)
}

// showOrganisationLogin is an organisation's own sign-in page: the
// organisation is shown, not asked.
func (h *Handler) showOrganisationLogin(w http.ResponseWriter, r *http.Request) {
	if org, ok := h.organisationOfPath(w, r); ok {
		h.renderLogin(w, r, web.LoginPage{Organisation: org.Name, URLName: org.URLName})
	}
}

func (h *Handler) renderLogin(w http.ResponseWriter, r *http.Request, page web.LoginPage) {
	page.ReturnTo = SafeReturnPath(r.URL.Query().Get("return_to"))
	if _, err := h.Sessions.Current(r); err == nil {
		http.Redirect(w, r, orDashboard(page.ReturnTo), http.StatusSeeOther)
		return
	}
	page.Notice = web.TakeFlash(w, r)
	h.addServices(r, &page)
	h.Pages.Login(w, http.StatusOK, page)
}

// organisationOfPath finds the organisation /o/{urlname}/… names, or
// answers the site's 404 page. URL names are public (they are in every
// address of the organisation), so the 404 reveals nothing.
func (h *Handler) organisationOfPath(w http.ResponseWriter, r *http.Request) (store.Organisation, bool) {
	org, err := h.Store.OrganisationByURLName(r.Context(), r.PathValue("urlname"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		h.Pages.NotFound(w)
		return org, false
	case err != nil:
		h.serverError(w, r, err)
		return org, false
	}
	return org, true
}

// attempt is what the sign-in form sent.
type attempt struct {
	organisation, email, password string
	rememberMe                    bool
	returnTo                      string
}

func readAttempt(r *http.Request) attempt {
	return attempt{
		organisation: strings.TrimSpace(r.PostFormValue("organisation")),
		email:        NormaliseEmail(r.PostFormValue("email")),
		password:     r.PostFormValue("password"),
		rememberMe:   r.PostFormValue("remember_me") != "",
		returnTo:     SafeReturnPath(r.PostFormValue("return_to")),
	}
}

// tooLong reports a field no organisation, member or password can have, so
// the attempt is refused before it is counted, keyed, logged or hashed.
func (a attempt) tooLong() bool {
	return len(a.organisation) > field.Organisation || len(a.email) > field.Email || len(a.password) > field.Password
}

func (h *Handler) submitPassword(w http.ResponseWriter, r *http.Request) {
	h.signIn(w, r, readAttempt(r), "")
}

// submitOrganisationPassword is the sign-in of an organisation's own page:
// the organisation comes from the address, never from the form.
func (h *Handler) submitOrganisationPassword(w http.ResponseWriter, r *http.Request) {
	org, ok := h.organisationOfPath(w, r)
	if !ok {
		return
	}
	a := readAttempt(r)
	a.organisation = org.Name
	h.signIn(w, r, a, org.URLName)
}

// signIn checks the password of an attempt and starts its flow; any page
// it answers with is the sign-in page the attempt came from (urlName: an
// organisation's own).
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request, a attempt, urlName string) {
	page := web.LoginPage{Organisation: a.organisation, URLName: urlName, Email: a.email, RememberMe: a.rememberMe,
		ReturnTo: a.returnTo}
	if a.organisation == "" || a.email == "" || a.password == "" {
		page.Notice = web.Notice{Kind: "error", Text: "Enter your organisation name, email address and password."}
		if urlName != "" {
			page.Notice.Text = "Enter your email address and password."
		}
		h.showLoginPage(w, r, http.StatusBadRequest, page)
		return
	}
	if a.tooLong() {
		h.Log.Info("sign-in refused: field too long", "organisation", field.ForLog(a.organisation),
			"email", field.ForLog(a.email), "address", session.ClientAddress(r))
		page.Organisation, page.Email = field.Cut(a.organisation, field.Organisation), field.Cut(a.email, field.Email)
		page.Notice = web.Notice{Kind: "error", Text: fmt.Sprintf(
			"That is too long to be right: organisation names have at most %d characters, email addresses %d and passwords %d.",
			field.Organisation, field.Email, password.MaxLength)}
		h.showLoginPage(w, r, http.StatusBadRequest, page)
		return
	}
	if wait, limit, ok := h.Throttle.allow(r, a.organisation); !ok {
		h.throttled("password", limit)
		h.Log.Warn("sign-in throttled", "organisation", a.organisation, "address", session.ClientAddress(r))
		page.Notice = throttled(w, wait)
		h.showLoginPage(w, r, http.StatusTooManyRequests, page)
		return
	}
	org, member, res, err := h.checkPassword(r.Context(), audit.OriginOf(r), a)
	var locked *lockout.LockedError
	switch {
	case errors.As(err, &locked):
		h.observe("password", "locked")
		h.Log.Info("sign-in refused: locked", "organisation", a.organisation, "address", session.ClientAddress(r))
		page.Notice = web.LockedNotice(locked.Until, h.Now())
		h.showLoginPage(w, r, http.StatusLocked, page)
		return
	case errors.Is(err, password.ErrBusy):
		h.observe("password", "busy")
		w.Header().Set("Retry-After", "2")
		page.Notice = web.Notice{Kind: "error", Text: "Sign-in is very busy right now. Please try again in a few seconds."}
		h.showLoginPage(w, r, http.StatusServiceUnavailable, page)
		return
	case errors.Is(err, errWrongCredentials):
		h.observe("password", "failure")
		h.Log.Info("sign-in failed", "organisation", a.organisation, "address", session.ClientAddress(r))
		page.Notice = failureNotice
		h.showLoginPage(w, r, http.StatusUnauthorized, page)
		return
	case err != nil:
		h.serverError(w, r, err)
		return
	}
	// Only now, after a correct password, may the page say something specific.
	if refusal := refusalFor(member); refusal != "" {
		h.observe("password", "refused")
		if err := h.Lockout.Release(r.Context(), res); err != nil {
			h.Log.Warn("give back a sign-in attempt", "err", err)
		}
		h.appendAudit(r.Context(), h.auditFailure(audit.OriginOf(r), org, member, member.Email, refusal))
		page.Notice = web.Notice{Kind: "error", Text: refusal}
		h.showLoginPage(w, r, http.StatusForbidden, page)
		return
	}
	f := &Flow{
		SigninFlow: store.SigninFlow{OrgID: org.ID, MemberID: member.ID, RememberMe: a.rememberMe, ReturnTo: a.returnTo,
			AMR: []string{"pwd"}},
		Organisation: org,
		Member:       member,
		reservation:  &res,
	}
	h.advance(w, r, f, 0)
}

var errWrongCredentials = errors.New("wrong organisation, email or password")

// Continue signs a member in who has just set a password through a link
// (an invitation): the steps after the password still run, so an
// organisation that requires a second factor gets one before the first
// session starts. welcome is the notice shown on arrival when no step was
// needed.
func (h *Handler) Continue(w http.ResponseWriter, r *http.Request, org store.Organisation, m store.Member, welcome string) {
	f := &Flow{
		SigninFlow:   store.SigninFlow{OrgID: org.ID, MemberID: m.ID, AMR: []string{"pwd"}},
		Organisation: org,
		Member:       m,
		welcome:      welcome,
	}
	h.advance(w, r, f, 0)
}

// checkPassword finds the member and verifies the password. The attempt
// is counted before the hash (lockout.Guard.Reserve), so however many
// arrive at once no more than the threshold are checked; while the
// identifier is locked every attempt gets the same *lockout.LockedError,
// without a hash. An unknown organisation or email costs one hash all the
// same and is counted and locked the same way, so neither timing nor the
// lock reveals who is a member. On success the attempt's reservation is
// returned, for the sign-in to give back or clear.
func (h *Handler) checkPassword(ctx context.Context, o audit.Origin, a attempt) (org store.Organisation, member store.Member,
	res lockout.Reservation, err error) {
	// The email's lockout key is the same in every organisation.
	subject, err := h.Store.PasswordSubject(ctx, a.organisation, a.email, lockout.Of(0, a.email).Key)
	if errors.Is(err, store.ErrNotFound) {
		f := lockout.Failure{ID: lockout.OfUnknownOrganisation(a.organisation, a.email), Policy: lockout.DefaultPolicy(), Email: a.email}
		return org, member, res, h.verifyUnknown(ctx, o, f, a.password)
	}
	if err != nil {
		return org, member, res, err
	}
	org, member = subject.Organisation, subject.Member
	f := lockout.For(org, member, "wrong password")
	f.ID, f.Email = lockout.Of(org.ID, a.email), a.email
	switch {
	case member.ID == 0:
		f.Reason = "not a member"
	case member.PasswordHash == "":
		f.Reason = "no password set"
	}
	refused := func() { h.appendAudit(ctx, h.auditFailure(o, org, member, a.email, "account locked")) }
	if until := h.Lockout.Judge(subject.Lockout); !until.IsZero() {
		refused()
		return org, member, res, &lockout.LockedError{Until: until}
	}
	res, err = h.reserve(ctx, f, refused)
	if err != nil {
		return org, member, res, err
	}
	ok, upgraded, err := false, "", error(nil)
	if member.ID != 0 {
		ok, upgraded, err = h.Hasher.Verify(ctx, a.password, member.PasswordHash)
	} else {
		err = h.Hasher.VerifyDummy(ctx, a.password)
	}
	if err != nil {
		return org, member, res, errors.Join(err, h.Lockout.Release(ctx, res))
	}
	if !ok {
		return org, member, res, h.failed(ctx, o, f, res)
	}
	if upgraded != "" {
		if err := h.Store.SetPasswordHash(ctx, org.ID, member.ID, upgraded); err != nil {
			h.Log.Warn("upgrade password hash", "member", member.ID, "err", err)
		}
	}
	return org, member, res, nil
}

// verifyUnknown counts and checks a password for an identifier that names
// no organisation: a dummy hash, so it costs what a real one does.
func (h *Handler) verifyUnknown(ctx context.Context, o audit.Origin, f lockout.Failure, password string) error {
	res, err := h.reserve(ctx, f, nil)
	if err != nil {
		return err
	}
	if err := h.Hasher.VerifyDummy(ctx, password); err != nil {
		return errors.Join(err, h.Lockout.Release(ctx, res))
	}
	return h.failed(ctx, o, f, res)
}

// reserve counts an attempt before its secret is checked, calling refused
// (if any) when the identifier is locked.
func (h *Handler) reserve(ctx context.Context, f lockout.Failure, refused func()) (lockout.Reservation, error) {
	res, err := h.Lockout.Reserve(ctx, f.ID, f.Policy)
	var locked *lockout.LockedError
	if errors.As(err, &locked) && refused != nil {
		refused()
	}
	return res, err
}

// failed records a wrong password: errWrongCredentials, or the
// *lockout.LockedError of the attempt that locked.
func (h *Handler) failed(ctx context.Context, o audit.Origin, f lockout.Failure, res lockout.Reservation) error {
	if err := h.Lockout.Failed(ctx, o, f, res); err != nil {
		return err
	}
	return errWrongCredentials
}

// refusalFor says why a member who knows their password may not sign in.
func refusalFor(m store.Member) string {
	switch {
	case m.Status == store.StatusDisabled:
		return "Your account is disabled. Ask your organisation's administrator to enable it."
	case !m.Licensed:
		return "No licence is assigned to your account. Ask your organisation's administrator to assign one."
	case m.Status != store.StatusActive:
		return "Your account is not set up yet. Follow the link in your invitation email first."
	}
	return ""
}

// finish starts the session once every needed step is passed, in the same
// transaction forgets earlier failures and writes the audit entry, and
// notes the member's last sign-in for the next batch. A step-up's flow
// renews the session it began in instead (finishStepUp).
func (h *Handler) finish(w http.ResponseWriter, r *http.Request, f *Flow) {
	if f.SessionID != 0 {
		h.finishStepUp(w, r, f)
		return
	}
	started, err := h.Sessions.StartWithAMR(w, r, f.Organisation, f.Member, f.RememberMe, f.AMR, func(ctx context.Context, s store.Session) error {
		if err := h.Lockout.Succeeded(ctx, lockout.Of(f.OrgID, f.Member.Email)); err != nil {
			return err
		}
		e := audit.About(audit.Event(audit.OriginOf(r), s.CreatedAt, f.OrgID, audit.SigninSuccess), f.Member)
		if f.RememberMe {
			e.Detail = "keep me signed in"
		}
		return h.Store.AppendAuditEvent(ctx, &e)
	})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.LastSignIns.Record(f.OrgID, f.MemberID, started.CreatedAt)
	h.observe(factors(f), "success")
	web.RememberOrganisation(w, f.Organisation.Name)
	h.Log.Info("signed in", "organisation", f.Organisation.Name, "member", f.MemberID, "address", session.ClientAddress(r))
	welcome := "signed-in"
	if f.welcome != "" {
		welcome = f.welcome
	}
	web.SetFlash(w, welcome)
	http.Redirect(w, r, orDashboard(f.ReturnTo), http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	err := h.Sessions.EndWith(w, r, func(ctx context.Context, si store.SignedIn) error {
		e := audit.About(audit.Event(audit.OriginOf(r), h.Now(), si.Session.OrgID, audit.Signout), si.Member)
		return h.Store.AppendAuditEvent(ctx, &e)
	})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	web.SetFlash(w, "signed-out")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	h.Log.Error("sign-in", "path", r.URL.Path, "err", err)
	h.Pages.Error(w, http.StatusInternalServerError, web.ErrorPage{
		Heading: "Something went wrong",
		Message: "We couldn't complete your sign-in because of a problem on our side. Please try again in a moment.",
	})
}

// NormaliseEmail trims and lower-cases an email address for lookups.
func NormaliseEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// SafeReturnPath returns p if it is a path on this site, or "" otherwise, so
// a crafted link cannot send a member elsewhere after sign-in; an overlong
// one is dropped too, since the sign-in's flow stores it.
func SafeReturnPath(p string) string {
	if len(p) > field.ReturnPath || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n\t") {
		return ""
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	return p
}

func orDashboard(returnTo string) string {
	if returnTo == "" {
		return "/dashboard"
	}
	return returnTo
}

// factors names the factors a sign-in used, for metrics.
func factors(f *Flow) string {
	if f.MFAMethod == "" {
		return "password"
	}
	return "password+" + f.MFAMethod
}

// throttled counts a throttled attempt.
func (h *Handler) throttled(method, limit string) {
	if h.Observer != nil {
		h.Observer.SignIn(method, "throttled")
		h.Observer.Throttled(limit)
	}
}
