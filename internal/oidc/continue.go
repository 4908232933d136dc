package oidc

import (
	"context"
	"crypto/hmac"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"imslogin/internal/audit"
	"imslogin/internal/cookie"
	"imslogin/internal/session"
	"imslogin/internal/signin"
	"imslogin/internal/store"
	"imslogin/web"
)

// continueAuthorization is where an authorization request goes once
// stored: with a session of the organisation that is fresh and strong
// enough, a member allowed into the portal and, for a portal that is not
// first-party, their consent, the code is issued at once; otherwise the
// member signs in (again, or with a second factor), or is asked, and
// comes back here.
func (p *Provider) continueAuthorization(w http.ResponseWriter, r *http.Request, t *tenant) {
	p.bindBrowser(w, t)
	if a, portal, ok := p.boundRequest(w, r, t); ok {
		p.decide(w, r, t, a, portal, "")
	}
}

// bindBrowser gives a browser without one the cookie its authorization
// requests are bound to.
func (p *Provider) bindBrowser(w http.ResponseWriter, t *tenant) {
	if t.browser != nil {
		return
	}
	token := randomID(32)
	http.SetCookie(w, cookie.New(bindCookie, token, 0, p.d.Sessions.Secure()))
	t.browser = hashOf(token)
}

// decidePending answers the authorization request storage has just
// parsed and kept pending (answerAtOnce), as continueAuthorization would.
func (p *Provider) decidePending(w http.ResponseWriter, r *http.Request, t *tenant) {
	portal, err := p.st.portal(r.Context(), t.pending.ClientID)
	if err != nil {
		p.unavailable(w, err)
		return
	}
	p.decide(w, r, t, *t.pending, portal, "")
}

// keep stores the pending request before the browser is sent to a step
// that comes back to it by its ID (a sign-in, Access Denied, consent).
func (p *Provider) keep(ctx context.Context, t *tenant) error {
	if t.pending == nil {
		return nil
	}
	if err := p.d.Store.CreateAuthRequest(ctx, t.pending); err != nil {
		return err
	}
	t.pending = nil
	return nil
}

// boundRequest loads the request named by ?id= with its portal, if it is
// bound to this browser (bound now if it was stored unbound); another
// browser, or a request expired or used, gets "This sign-in has expired".
func (p *Provider) boundRequest(w http.ResponseWriter, r *http.Request, t *tenant) (store.AuthRequest, Portal, bool) {
	ctx := r.Context()
	id := r.URL.Query().Get("id")
	a, err := p.d.Store.AuthRequestByID(ctx, t.org.ID, id)
	if err == nil && a.BrowserHash == nil {
		err = p.d.Store.BindAuthRequest(ctx, t.org.ID, id, t.browser, p.d.Now())
		a.BrowserHash = t.browser
	}
	if err == nil && (!hmac.Equal(a.BrowserHash, t.browser) || !p.d.Now().Before(a.ExpiresAt)) {
		err = store.ErrNotFound
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && a.Done) {
		p.d.Pages.Error(w, http.StatusBadRequest, web.ErrorPage{Heading: "This sign-in has expired",
			Message: "This sign-in link has expired, was used already, or was opened in another browser. Go back to the portal and open it again."})
		return a, Portal{}, false
	}
	if err != nil {
		p.unavailable(w, err)
		return a, Portal{}, false
	}
	portal, err := p.st.portal(ctx, a.ClientID)
	if err != nil {
		p.unavailable(w, err)
		return a, Portal{}, false
	}
	return a, portal, true
}

// decide answers a bound request: sign in, again, or with a second
// factor; or go on to the portal's checks with the member's consent
// decision ("allow", "deny", or "" when none was posted).
func (p *Provider) decide(w http.ResponseWriter, r *http.Request, t *tenant, a store.AuthRequest, portal Portal, decision string) {
	// At the end of a chain that began with a form (sign-in, re-authentication,
	// consent) the hop to the portal is a page of its own: browsers apply the
	// posting page's form-action to the redirects that follow (see pageHop).
	hop := &pageHop{ResponseWriter: w, on: decision != "" || r.URL.Query().Get("after") == "form", pages: p.d.Pages,
		portal: portal.Name}
	w = &issWriter{ResponseWriter: hop, issuer: t.issuer, on: true}
	now := p.d.Now()
	req := &authRequest{a: a}
	promptNone := slices.Contains(a.Prompt, oidc.PromptNone)
	back := "/o/" + t.urlName + continuePath + "?id=" + url.QueryEscape(a.ID) + afterForm
	si, err := p.d.Sessions.Current(r)
	if err != nil && !errors.Is(err, session.ErrNoSession) {
		p.unavailable(w, err)
		return
	}
	signedIn := err == nil && si.Organisation.ID == t.org.ID
	stepUp := signedIn && wantsMultiFactor(a.ACRValues) && acrOf(si.Session.AMR) != ACRMultiFactor
	switch {
	case !signedIn && promptNone:
		op.AuthRequestError(w, r, req, oidc.ErrLoginRequired(), p.op)
	case !signedIn:
		p.goTo(w, r, t, p.d.SignInPath(t.org, t.urlName, back))
	case !fresh(a, si.Session.AuthTime, now) && promptNone:
		op.AuthRequestError(w, r, req, oidc.ErrLoginRequired().WithDescription("a fresh sign-in is required"), p.op)
	case !fresh(a, si.Session.AuthTime, now):
		p.goTo(w, r, t, session.ReauthPath+"?return_to="+url.QueryEscape(back))
	case promptNone && a.IDTokenHintSubject != "" && a.IDTokenHintSubject != p.st.subject(t.org.ID, si.Member.ID):
		op.AuthRequestError(w, r, req, oidc.ErrLoginRequired().WithDescription("another member is signed in"), p.op)
	case stepUp && promptNone:
		op.AuthRequestError(w, r, req, oidc.ErrInteractionRequired().WithDescription("a second factor is required"), p.op)
	case stepUp && r.URL.Query().Get(signin.StepUpUnavailable) != "":
		op.AuthRequestError(w, r, req, &oidc.Error{ErrorType: "unmet_authentication_requirements",
			Description: "the member has no second factor to pass"}, p.op)
	case stepUp:
		p.goTo(w, r, t, signin.StepUpPath+"?return_to="+url.QueryEscape(back))
	default:
		p.issue(w, r, t, req, portal, si, promptNone, decision)
	}
}

// goTo sends the browser to a step that comes back to the request, which
// is stored first.
func (p *Provider) goTo(w http.ResponseWriter, r *http.Request, t *tenant, step string) {
	if err := p.keep(r.Context(), t); err != nil {
		p.unavailable(w, err)
		return
	}
	http.Redirect(w, r, step, http.StatusSeeOther)
}

// wantsMultiFactor reports whether acr_values asks for a second factor:
// "mfa" is listed and "pwd", which a password alone satisfies, is not.
func wantsMultiFactor(acrValues []string) bool {
	return slices.Contains(acrValues, ACRMultiFactor) && !slices.Contains(acrValues, ACRPassword)
}

// fresh reports whether the session's authentication satisfies the
// request: prompt=login (max_age 0) wants a sign-in after the request was
// made, max_age one at most that many seconds old.
func fresh(a store.AuthRequest, authTime, now time.Time) bool {
	switch {
	case a.MaxAge == 0:
		return !authTime.Before(a.CreatedAt)
	case a.MaxAge > 0:
		return now.Sub(authTime) <= time.Duration(a.MaxAge)*time.Second
	}
	return true
}

// issue checks the member may use the portal and, for a portal that is
// not first-party, has consented to what it asks; then records the
// sign-in on the request and sends the code to the portal.
func (p *Provider) issue(w http.ResponseWriter, r *http.Request, t *tenant, req *authRequest, portal Portal, si store.SignedIn,
	promptNone bool, decision string) {
	ctx := r.Context()
	allowed, err := p.d.Portals.MayUse(ctx, t.org.ID, portal, si.Member)
	if err != nil {
		p.unavailable(w, err)
		return
	}
	switch {
	case !allowed && promptNone:
		op.AuthRequestError(w, r, req, oidc.ErrAccessDenied(), p.op)
		return
	case !allowed:
		if err := p.keep(ctx, t); err != nil { // for Access Denied's "Sign in with a different account"
			p.unavailable(w, err)
			return
		}
		p.st.audit(ctx, audit.PortalDenied, si.Member.ID, portal.ClientID)
		p.d.Pages.AccessDenied(w, web.AccessDeniedPage{Email: si.Member.Email, Account: p.accountName(ctx, si),
			Organisation: si.Organisation.Name,
			Portal:       portal.Name, SwitchAction: "/o/" + t.urlName + switchPath + "?id=" + url.QueryEscape(req.a.ID)})
		return
	}
	if !portal.FirstParty && !p.consented(w, r, t, req, portal, si, promptNone, decision) {
		return
	}
	a := req.a
	a.SessionID, a.MemberID, a.AuthTime, a.AMR = si.Session.ID, si.Member.ID, si.Session.AuthTime, si.Session.AMR
	now := p.d.Now()
	// The sign-in, the portal's use, its audit entry and the code are one
	// write: none without the others, and one commit instead of four. A
	// request still pending is stored whole with its code (SaveAuthCode).
	var callback string
	err = p.d.Store.InTx(ctx, func(ctx context.Context) error {
		a.Done = true
		if t.pending != nil {
			*t.pending = a
		} else if err := p.d.Store.CompleteAuthRequest(ctx, a, now); err != nil {
			return err
		}
		if err := p.d.Store.RecordPortalUse(ctx, t.org.ID, si.Member.ID, portal.ClientID, a.Scopes, now); err != nil {
			return err
		}
		p.st.audit(ctx, audit.PortalSignin, si.Member.ID, portal.ClientID)
		var err error // the code: the op package makes it and has storage save it
		callback, err = op.BuildAuthResponseCallbackURL(ctx, &authRequest{a: a, sub: p.st.subject(t.org.ID, si.Member.ID)}, p.op)
		return err
	})
	if err != nil {
		p.unavailable(w, err)
		return
	}
	t.pending = nil
	http.Redirect(w, r, callback, http.StatusFound) // response_mode is always query (CreateAuthRequest)
}

// switchAccount signs the browser out and sends it to sign in again,
// coming back to the same authorization request.
func (p *Provider) switchAccount(w http.ResponseWriter, r *http.Request, t *tenant) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if err := p.d.Sessions.End(w, r); err != nil {
		p.unavailable(w, err)
		return
	}
	back := "/o/" + t.urlName + continuePath + "?id=" + url.QueryEscape(r.URL.Query().Get("id")) + afterForm
	http.Redirect(w, r, p.d.SignInPath(t.org, t.urlName, back), http.StatusSeeOther)
}

// accountName is how Access Denied names a sign-in through a login
// service; "" (the email is shown) when there is none or it cannot be read.
func (p *Provider) accountName(ctx context.Context, si store.SignedIn) string {
	if p.d.AccountName == nil {
		return ""
	}
	name, err := p.d.AccountName(ctx, si.Organisation.ID, si.Member.ID, si.Session.AMR)
	if err != nil {
		p.d.Log.Warn("account name for Access Denied", "err", err)
	}
	return name
}
