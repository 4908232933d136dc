package oidc

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"imslogin/internal/audit"
	"imslogin/internal/store"
	"imslogin/web"
)

// consentPath is where the consent page's Allow and Deny post, under the
// issuer: the same origin (the site's cross-origin protection applies),
// and bound to the authorization request by its ID and the browser's
// binding cookie.
const consentPath = "/authorize/consent"

// consented reports whether a portal that is not first-party may have
// what the request asks. Without a decision it answers the request itself
// when consent is needed (the consent page, or consent_required with
// prompt=none); "allow" records the consent, "deny" answers the portal
// access_denied.
func (p *Provider) consented(w http.ResponseWriter, r *http.Request, t *tenant, req *authRequest, portal Portal, si store.SignedIn,
	promptNone bool, decision string) bool {
	ctx := r.Context()
	g, err := p.d.Store.PortalGrant(ctx, t.org.ID, si.Member.ID, portal.ClientID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		p.unavailable(w, err)
		return false
	}
	asked := consentScopes(req.a.Scopes)
	var missing []string
	for _, s := range asked {
		if !slices.Contains(g.Consented, s) {
			missing = append(missing, s)
		}
	}
	forced := slices.Contains(req.a.Prompt, oidc.PromptConsent)
	switch {
	case decision == "deny":
		// The request ends here: an Allow posted after it finds nothing.
		if err := p.d.Store.DeleteAuthRequest(ctx, t.org.ID, req.a.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			p.unavailable(w, err)
			return false
		}
		p.st.audit(ctx, audit.ConsentRefused, si.Member.ID, portal.ClientID+": "+strings.Join(asked, " "))
		op.AuthRequestError(w, r, req, oidc.ErrAccessDenied().WithDescription("the member did not allow the portal"), p.op)
		return false
	case decision == "allow":
		all := slices.Clone(g.Consented)
		for _, s := range missing {
			all = append(all, s)
		}
		if err := p.d.Store.Consent(ctx, t.org.ID, si.Member.ID, portal.ClientID, all, p.d.Now()); err != nil {
			p.unavailable(w, err)
			return false
		}
		p.st.audit(ctx, audit.ConsentGiven, si.Member.ID, portal.ClientID+": "+strings.Join(asked, " "))
		return true
	case len(missing) == 0 && !forced:
		return true
	case promptNone:
		op.AuthRequestError(w, r, req, &oidc.Error{ErrorType: "consent_required",
			Description: "the member has not allowed the portal what it asks"}, p.op)
		return false
	}
	shown := missing
	if forced {
		shown = asked
	}
	if err := p.keep(ctx, t); err != nil { // the page posts back to the request by its ID
		p.unavailable(w, err)
		return false
	}
	var before []string
	for _, s := range g.Consented {
		if slices.Contains(asked, s) && !slices.Contains(shown, s) {
			before = append(before, s)
		}
	}
	p.d.Pages.Consent(w, web.ConsentPage{Layout: web.Layout{Member: web.MemberViewOf(si)}, Portal: portal.Name,
		Organisation: si.Organisation.Name, Email: si.Member.Email, Asked: DescribeScopes(shown),
		Granted: DescribeScopes(before), Action: "/o/" + t.urlName + consentPath + "?id=" + url.QueryEscape(req.a.ID)})
	return false
}

// consentDecision takes the consent page's Allow or Deny: the request
// must be bound to this browser already, and the member signed in, before
// anything is recorded; then the request goes on as at continue.
func (p *Provider) consentDecision(w http.ResponseWriter, r *http.Request, t *tenant) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	decision := r.PostFormValue("decision")
	if decision != "allow" && decision != "deny" {
		p.d.Pages.Error(w, http.StatusBadRequest, web.ErrorPage{Heading: "Choose Allow or Deny",
			Message: "Go back to the page and choose Allow or Deny."})
		return
	}
	if a, portal, ok := p.boundRequest(w, r, t); ok {
		p.decide(w, r, t, a, portal, decision)
	}
}

// consentScopes are the scopes a member consents to: those the provider
// knows, in its order.
func consentScopes(scopes []string) []string {
	var out []string
	for _, s := range Scopes {
		if slices.Contains(scopes, s) {
			out = append(out, s)
		}
	}
	return out
}

// scopeWords say what each scope gives a portal, in plain words.
var scopeWords = map[string]string{
	oidc.ScopeOpenID:        "Who you are: an identifier of your account, the same each time you sign in",
	oidc.ScopeProfile:       "Your name",
	oidc.ScopeEmail:         "Your email address and whether it is verified",
	ScopeRoles:              "Your role in your organisation",
	oidc.ScopeOfflineAccess: "Staying signed in to the portal when you are away",
}

// DescribeScopes says in plain words what the scopes give a portal, in the
// provider's order; unknown scopes are left out.
func DescribeScopes(scopes []string) []string {
	var out []string
	for _, s := range consentScopes(scopes) {
		out = append(out, scopeWords[s])
	}
	return out
}
