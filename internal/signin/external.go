package signin

import (
	"net/http"

	"imslogin/internal/store"
	"imslogin/web"
)

// AMRExternal is the amr of a sign-in through an external login service.
const AMRExternal = "ext"

// ContinueExternal signs in a member whom an external login service
// vouched for: the steps after the password still run (the organisation's
// second factor among them), then a session starts. A member who may not
// sign in (disabled, no licence) is told why on the sign-in page.
func (h *Handler) ContinueExternal(w http.ResponseWriter, r *http.Request, org store.Organisation, m store.Member,
	amr []string, returnTo string) {
	if refusal := refusalFor(m); refusal != "" {
		h.showLoginPage(w, r, http.StatusForbidden, web.LoginPage{Organisation: org.Name, URLName: org.URLName,
			Layout: web.Layout{Notice: web.Notice{Kind: "error", Text: refusal}}})
		return
	}
	f := &Flow{
		SigninFlow:   store.SigninFlow{OrgID: org.ID, MemberID: m.ID, AMR: amr, ReturnTo: SafeReturnPath(returnTo)},
		Organisation: org,
		Member:       m,
	}
	h.advance(w, r, f, 0)
}
