package signin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"imslogin/internal/audit"
	"imslogin/internal/lockout"
	"imslogin/internal/session"
	"imslogin/internal/store"
	"imslogin/web"
)

// StepUpPath puts a signed-in member whose session used a password alone
// through the second factor, for a portal that asked for multi-factor
// (acr_values): the sign-in's own step, after which the same session is
// renewed (a new token, the new methods; the portals it signed in to stay
// signed in) and the member goes to return_to.
const StepUpPath = "/step-up"

// StepUpUnavailable is set on return_to when the member has no second
// factor to pass, so the portal can be told.
const StepUpUnavailable = "step_up_unavailable"

// StepUpper is the Step that proves a second factor.
type StepUpper interface {
	Step
	// CanStepUp reports whether the member has a second factor to pass
	// (or one the organisation has them set up at sign-in).
	CanStepUp(ctx context.Context, f *Flow, in Input) (bool, error)
}

func (h *Handler) stepUp(w http.ResponseWriter, r *http.Request) {
	si, _ := session.SignedInFrom(r.Context())
	returnTo := orDashboard(SafeReturnPath(r.URL.Query().Get("return_to")))
	amr := slices.Clone(si.Session.AMR)
	if slices.Contains(amr, "mfa") {
		http.Redirect(w, r, returnTo, http.StatusSeeOther)
		return
	}
	if len(amr) == 0 {
		amr = []string{"pwd"}
	}
	f := &Flow{SigninFlow: store.SigninFlow{OrgID: si.Organisation.ID, MemberID: si.Member.ID,
		RememberMe: si.Session.Persistent, ReturnTo: returnTo, AMR: amr, SessionID: si.Session.ID},
		Organisation: si.Organisation, Member: si.Member}
	next, err := h.startSecondFactor(w, r, f)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if next == "" {
		next = withQuery(returnTo, StepUpUnavailable, "1")
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// startSecondFactor stores f at the sign-in's second-factor step for a
// member who has a second factor to pass (or must set one up) and returns
// that step's path; "" when there is none.
func (h *Handler) startSecondFactor(w http.ResponseWriter, r *http.Request, f *Flow) (string, error) {
	in := h.inputOf(w, r)
	for _, st := range h.Steps {
		up, ok := st.(StepUpper)
		if !ok {
			continue
		}
		if can, err := up.CanStepUp(r.Context(), f, in); err != nil || !can {
			return "", err
		}
		f.Step = up.Name()
		return "/login/" + up.Name(), h.saveFlow(w, r, f)
	}
	return "", nil
}

// withQuery adds a parameter to a path on this site.
func withQuery(path, name, value string) string {
	u, err := url.Parse(path)
	if err != nil {
		return path
	}
	q := u.Query()
	q.Set(name, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// finishStepUp renews the session a step-up or a re-authentication with a
// second factor began in. If it has ended
// meanwhile, or the browser now carries another, the second factor alone
// proves nothing more: the member signs in again.
func (h *Handler) finishStepUp(w http.ResponseWriter, r *http.Request, f *Flow) {
	si, err := h.Sessions.Current(r)
	if err != nil && !errors.Is(err, session.ErrNoSession) {
		h.serverError(w, r, err)
		return
	}
	if err != nil || si.Session.ID != f.SessionID || si.Member.ID != f.MemberID || si.Organisation.ID != f.OrgID {
		h.Pages.Login(w, http.StatusConflict, web.LoginPage{Layout: web.Layout{Notice: web.Notice{Kind: "info",
			Text: "You were signed out while confirming it was you. Sign in again to continue."}},
			Organisation: f.Organisation.Name, Email: f.Member.Email, ReturnTo: f.ReturnTo})
		return
	}
	err = h.Sessions.ReauthenticatedWith(w, r, si, f.AMR, func(ctx context.Context) error {
		if err := h.Lockout.Succeeded(ctx, lockout.Of(f.OrgID, f.Member.Email)); err != nil {
			return err
		}
		e := audit.About(audit.Event(audit.OriginOf(r), h.Now(), f.OrgID, audit.Reauthenticate), f.Member)
		e.Detail = "with a second factor"
		return h.Store.AppendAuditEvent(ctx, &e)
	})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.observe(factors(f), "success")
	http.Redirect(w, r, orDashboard(f.ReturnTo), http.StatusSeeOther)
}
