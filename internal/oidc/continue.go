package oidc

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"imslogin/internal/audit"
	"imslogin/internal/session"
	"imslogin/internal/store"
	"imslogin/web"
)

// continueAuthorization is where an authorization request goes once
// stored: with a session of the organisation that is fresh enough, and a
// member allowed into the portal, the code is issued at once; otherwise
// the member signs in (or again) and comes back here.
func (p *Provider) continueAuthorization(w http.ResponseWriter, r *http.Request, t *tenant) {
	ctx := r.Context()
	id := r.URL.Query().Get("id")
	hop := &pageHop{ResponseWriter: w, on: r.URL.Query().Get("after") == "form", pages: p.d.Pages}
	w = &issWriter{ResponseWriter: hop, issuer: t.issuer, on: true}
	if t.browser == nil {
		token := randomID(32)
		http.SetCookie(w, &http.Cookie{Name: bindCookie, Value: token, Path: "/o/" + t.urlName + "/", HttpOnly: true,
			Secure: p.d.Sessions.Secure(), SameSite: http.SameSiteLaxMode})
		t.browser = hashOf(token)
	}
	now := p.d.Now()
	err := p.d.Store.BindAuthRequest(ctx, t.org.ID, id, t.browser, now)
	var a store.AuthRequest
	if err == nil {
		a, err = p.d.Store.AuthRequestByID(ctx, t.org.ID, id)
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && a.Done) {
		p.d.Pages.Error(w, http.StatusBadRequest, web.ErrorPage{Heading: "This sign-in has expired",
			Message: "This sign-in link has expired, was used already, or was opened in another browser. Go back to the portal and open it again."})
		return
	}
	if err != nil {
		p.unavailable(w, err)
		return
	}
	portal, err := p.st.portal(ctx, a.ClientID)
	if err != nil {
		p.unavailable(w, err)
		return
	}
	hop.portal = portal.Name
	req := &authRequest{a: a}
	promptNone := slices.Contains(a.Prompt, oidc.PromptNone)
	back := "/o/" + t.urlName + continuePath + "?id=" + url.QueryEscape(id) + afterForm
	si, err := p.d.Sessions.Current(r)
	if err != nil && !errors.Is(err, session.ErrNoSession) {
		p.unavailable(w, err)
		return
	}
	signedIn := err == nil && si.Organisation.ID == t.org.ID
	switch {
	case !signedIn && promptNone:
		op.AuthRequestError(w, r, req, oidc.ErrLoginRequired(), p.op)
	case !signedIn:
		http.Redirect(w, r, p.d.SignInPath(t.org, t.urlName, back), http.StatusSeeOther)
	case !fresh(a, si.Session.AuthTime, now) && promptNone:
		op.AuthRequestError(w, r, req, oidc.ErrLoginRequired().WithDescription("a fresh sign-in is required"), p.op)
	case !fresh(a, si.Session.AuthTime, now):
		http.Redirect(w, r, session.ReauthPath+"?return_to="+url.QueryEscape(back), http.StatusSeeOther)
	case promptNone && a.IDTokenHintSubject != "" && a.IDTokenHintSubject != p.st.subject(t.org.ID, si.Member.ID):
		op.AuthRequestError(w, r, req, oidc.ErrLoginRequired().WithDescription("another member is signed in"), p.op)
	default:
		p.issue(w, r, t, req, portal, si, promptNone)
	}
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

// issue checks the member may use the portal, records the sign-in on the
// request and sends the code to the portal.
func (p *Provider) issue(w http.ResponseWriter, r *http.Request, t *tenant, req *authRequest, portal Portal, si store.SignedIn, promptNone bool) {
	ctx := r.Context()
	allowed, err := p.d.Portals.MayUse(ctx, t.org.ID, portal, si.Member)
	if err != nil {
		p.unavailable(w, err)
		return
	}
	denied := func(reason string) {
		p.st.audit(ctx, audit.PortalDenied, si.Member.ID, portal.ClientID)
		p.d.Pages.AccessDenied(w, web.AccessDeniedPage{Email: si.Member.Email, Organisation: si.Organisation.Name,
			Portal: portal.Name, Reason: reason, SwitchAction: "/o/" + t.urlName + switchPath + "?id=" + url.QueryEscape(req.a.ID)})
	}
	switch {
	case !allowed && promptNone:
		op.AuthRequestError(w, r, req, oidc.ErrAccessDenied(), p.op)
	case !allowed:
		denied("")
	case !portal.FirstParty && promptNone:
		op.AuthRequestError(w, r, req, &oidc.Error{ErrorType: "consent_required",
			Description: "consent is not available yet: only first-party portals are served"}, p.op)
	case !portal.FirstParty:
		denied("It is not one of the organisation's own portals, and IMS Login cannot yet ask for your consent to share your details with it.")
	default:
		a := req.a
		a.SessionID, a.MemberID, a.AuthTime, a.AMR = si.Session.ID, si.Member.ID, si.Session.AuthTime, si.Session.AMR
		if err := p.d.Store.CompleteAuthRequest(ctx, a, p.d.Now()); err != nil {
			p.unavailable(w, err)
			return
		}
		a.Done = true
		p.st.audit(ctx, audit.PortalSignin, si.Member.ID, portal.ClientID)
		op.AuthResponse(&authRequest{a: a, sub: p.st.subject(t.org.ID, si.Member.ID)}, p.op, w, r)
	}
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
