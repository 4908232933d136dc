package signin

import (
	"context"
	"net/http"
	"net/url"
	"slices"

	"imslogin/internal/session"
	"imslogin/internal/store"
)

// StepUpPath puts a signed-in member whose session used a password alone
// through the second factor, for a portal that asked for multi-factor
// (acr_values): the sign-in's own step, after which the flow finishes as
// any sign-in does, with a new session (the identifier changes) carrying
// the new methods, and goes to return_to.
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
	ctx := r.Context()
	si, _ := session.SignedInFrom(ctx)
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
		RememberMe: si.Session.Persistent, ReturnTo: returnTo, AMR: amr}, Organisation: si.Organisation, Member: si.Member}
	in := h.inputOf(w, r)
	for _, st := range h.Steps {
		up, ok := st.(StepUpper)
		if !ok {
			continue
		}
		can, err := up.CanStepUp(ctx, f, in)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		if !can {
			break
		}
		f.Step = up.Name()
		if err := h.saveFlow(w, r, f); err != nil {
			h.serverError(w, r, err)
			return
		}
		http.Redirect(w, r, "/login/"+up.Name(), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, withQuery(returnTo, StepUpUnavailable, "1"), http.StatusSeeOther)
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
