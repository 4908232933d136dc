package signin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/cookie"
	"imslogin/internal/lockout"
	"imslogin/internal/store"
	"imslogin/internal/throttle"
	"imslogin/internal/token"
	"imslogin/web"
)

// flowLifetime bounds how long a member may take over the remaining steps.
const flowLifetime = 15 * time.Minute

const flowCookie = "ims_signin"

// inputOf reads what a step may see of r.
func (h *Handler) inputOf(w http.ResponseWriter, r *http.Request) Input {
	if err := r.ParseForm(); err != nil {
		h.Log.Info("unreadable sign-in form", "err", err)
	}
	in := Input{Form: r.PostForm, Origin: audit.OriginOf(r), Cookies: r.Cookies(), Now: h.Now()}
	if r.Method == http.MethodGet {
		in.Notice = web.TakeFlash(w, r)
	}
	return in
}

// advance sends the flow to the first needed step from index from on, or
// finishes the sign-in when none is needed.
func (h *Handler) advance(w http.ResponseWriter, r *http.Request, f *Flow, from int) {
	ctx := r.Context()
	in := h.inputOf(w, r)
	f.memo = map[any]any{}
	defer func() { f.memo = nil }()
	for _, step := range h.Steps[from:] {
		needed, err := step.Needed(ctx, f, in)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		if !needed {
			continue
		}
		// The password proved right: its attempt is given back, and the
		// failures before it stay counted until the sign-in completes.
		if err := h.releasePassword(ctx, f); err != nil {
			h.serverError(w, r, err)
			return
		}
		f.Step = step.Name()
		if err := h.saveFlow(w, r, f); err != nil {
			h.serverError(w, r, err)
			return
		}
		if e, ok := step.(Enterer); ok {
			if err := e.Enter(ctx, f); err != nil {
				h.serverError(w, r, err)
				return
			}
		}
		http.Redirect(w, r, "/login/"+step.Name(), http.StatusSeeOther)
		return
	}
	if f.TokenHash != nil {
		if err := h.Store.DeleteSigninFlow(ctx, f.TokenHash); err != nil && !errors.Is(err, store.ErrNotFound) {
			h.serverError(w, r, err)
			return
		}
		h.clearFlowCookie(w)
	}
	h.finish(w, r, f)
}

func (h *Handler) releasePassword(ctx context.Context, f *Flow) error {
	if f.reservation == nil {
		return nil
	}
	err := h.Lockout.Release(ctx, *f.reservation)
	f.reservation = nil
	return err
}

// saveFlow writes the flow, creating it (and its cookie) the first time.
func (h *Handler) saveFlow(w http.ResponseWriter, r *http.Request, f *Flow) error {
	if f.TokenHash != nil {
		return h.Store.UpdateSigninFlow(r.Context(), &f.SigninFlow)
	}
	raw, hash := token.New()
	now := h.Now()
	f.TokenHash, f.CreatedAt, f.ExpiresAt = hash, now, now.Add(flowLifetime)
	if err := h.Store.CreateSigninFlow(r.Context(), &f.SigninFlow); err != nil {
		return err
	}
	http.SetCookie(w, cookie.New(flowCookie, raw, int(flowLifetime/time.Second), h.Sessions.Secure()))
	return nil
}

func (h *Handler) clearFlowCookie(w http.ResponseWriter) {
	http.SetCookie(w, cookie.Clear(flowCookie, h.Sessions.Secure()))
}

// currentFlow loads the request's flow if it is at the step named in the URL.
func (h *Handler) currentFlow(r *http.Request) (*Flow, int, bool) {
	index := -1
	for i, s := range h.Steps {
		if s.Name() == r.PathValue("step") {
			index = i
		}
	}
	raw := cookie.Value(r, flowCookie, h.Sessions.Secure())
	if index < 0 || raw == "" {
		return nil, 0, false
	}
	ctx := r.Context()
	sf, err := h.Store.SigninFlowByTokenHash(ctx, token.Hash(raw))
	if err != nil || sf.Step != h.Steps[index].Name() || !h.Now().Before(sf.ExpiresAt) {
		return nil, 0, false
	}
	org, err := h.Store.OrganisationByID(ctx, sf.OrgID)
	if err != nil {
		return nil, 0, false
	}
	member, err := h.Store.MemberByID(ctx, sf.OrgID, sf.MemberID)
	if err != nil || refusalFor(member) != "" {
		return nil, 0, false
	}
	return &Flow{SigninFlow: sf, Organisation: org, Member: member}, index, true
}

func (h *Handler) showStep(w http.ResponseWriter, r *http.Request) {
	f, index, ok := h.currentFlow(r)
	if !ok {
		h.flowExpired(w)
		return
	}
	before := saved(f)
	out, err := h.Steps[index].Show(r.Context(), f, h.inputOf(w, r))
	h.answer(w, r, f, index, before, out, err)
}

func (h *Handler) submitStep(w http.ResponseWriter, r *http.Request) {
	// Codes are guessed like passwords: the client address's bucket applies
	// before anything is looked up.
	if wait, limit, ok := h.Throttle.allow(r, ""); !ok {
		h.throttled("step", limit) // not the path: clients choose it
		h.Pages.Login(w, http.StatusTooManyRequests, web.LoginPage{Layout: web.Layout{Notice: throttled(w, wait)}})
		return
	}
	f, index, ok := h.currentFlow(r)
	if !ok {
		h.flowExpired(w)
		return
	}
	ctx := r.Context()
	if until, err := h.Lockout.LockedUntil(ctx, lockout.Of(f.OrgID, f.Member.Email)); err != nil || !until.IsZero() {
		h.endLocked(w, r, f, until, err)
		return
	}
	step, in, before := h.Steps[index], h.inputOf(w, r), saved(f)
	guess := step.Guess(in)
	if guess {
		n, err := h.Store.ReserveFlowAttempt(ctx, f.TokenHash, MaxAttempts)
		if errors.Is(err, store.ErrNotFound) {
			h.noAttemptLeft(w, r, f)
			return
		}
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		f.Attempts = n
	}
	out, err := step.Submit(ctx, f, in)
	if err != nil {
		err = fmt.Errorf("%s step: %w", step.Name(), err)
	}
	if guess && err == nil && out.kind != KindWrong && out.kind != KindPassed {
		// Not a guess after all (a malformed or expired code): given back.
		if err := h.Store.ReleaseFlowAttempt(ctx, f.TokenHash); err != nil {
			h.Log.Warn("give back a sign-in attempt", "err", err)
		}
	}
	h.answer(w, r, f, index, before, out, err)
}

// noAttemptLeft answers an answer for which no attempt could be reserved:
// the flow's answers were spent by requests at once, or a request at once
// ended the flow (a double click whose first click finished the sign-in).
func (h *Handler) noAttemptLeft(w http.ResponseWriter, r *http.Request, f *Flow) {
	if _, err := h.Store.SigninFlowByTokenHash(r.Context(), f.TokenHash); errors.Is(err, store.ErrNotFound) {
		h.flowExpired(w)
		return
	}
	h.endFlow(w, r, f, http.StatusUnauthorized, tooManyNotice)
}

var tooManyNotice = web.Notice{Kind: "error", Text: "Your sign-in has ended: too many wrong codes. Sign in again to get a new one."}

// answer carries out a step's outcome.
func (h *Handler) answer(w http.ResponseWriter, r *http.Request, f *Flow, index int, before store.SigninFlow, out Outcome, err error) {
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, c := range out.cookies {
		http.SetCookie(w, c)
	}
	switch out.kind {
	case KindPassed:
		h.advance(w, r, f, index+1)
		return
	case KindEnd:
		h.endFlow(w, r, f, out.status, out.notice)
		return
	case KindWrong:
		// Counted first: a request that ended the flow meanwhile must not
		// keep this checked answer from the lockout.
		if !h.countWrong(w, r, f, out) {
			return
		}
	}
	if changed(before, f) {
		err := h.Store.UpdateSigninFlow(r.Context(), &f.SigninFlow)
		if errors.Is(err, store.ErrNotFound) { // ended by a request at once (the last allowed answer)
			h.endFlow(w, r, f, http.StatusUnauthorized, tooManyNotice)
			return
		}
		if err != nil {
			h.serverError(w, r, fmt.Errorf("save the sign-in flow: %w", err))
			return
		}
	}
	if out.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(throttle.RetryAfterSeconds(out.retryAfter)))
	}
	if out.kind == KindAgain {
		if out.flash != "" {
			web.SetFlash(w, out.flash)
		}
		http.Redirect(w, r, "/login/"+f.Step, http.StatusSeeOther)
		return
	}
	h.Pages.Step(w, out.status, out.page)
}

// countWrong counts a wrong answer toward the account lockout, then ends
// the flow if it locked the account or was the flow's last allowed answer.
// It reports whether the flow goes on (its page is shown again).
func (h *Handler) countWrong(w http.ResponseWriter, r *http.Request, f *Flow, out Outcome) bool {
	err := h.Lockout.Fail(r.Context(), audit.OriginOf(r), lockout.For(f.Organisation, f.Member, out.reason))
	var locked *lockout.LockedError
	switch {
	case errors.As(err, &locked):
		h.observe(f.Step, "locked")
		h.endLocked(w, r, f, locked.Until, nil)
	case err != nil:
		h.serverError(w, r, fmt.Errorf("count a wrong answer: %w", err))
	case f.Attempts >= MaxAttempts:
		h.observe(f.Step, "failure")
		h.endFlow(w, r, f, http.StatusUnauthorized, web.Notice{Kind: "error",
			Text: fmt.Sprintf("Your sign-in has ended: %d wrong codes. Sign in again to get a new one.", f.Attempts)})
	default:
		h.observe(f.Step, "failure")
		return true
	}
	return false
}

// endFlow deletes the flow and its cookie and shows the sign-in page.
func (h *Handler) endFlow(w http.ResponseWriter, r *http.Request, f *Flow, status int, notice web.Notice) {
	if err := h.Store.DeleteSigninFlow(r.Context(), f.TokenHash); err != nil && !errors.Is(err, store.ErrNotFound) {
		h.serverError(w, r, err)
		return
	}
	h.clearFlowCookie(w)
	h.Pages.Login(w, status, web.LoginPage{Layout: web.Layout{Notice: notice},
		Organisation: f.Organisation.Name, Email: f.Member.Email})
}

// endLocked ends a flow whose member is locked: every step answers
// "Account locked" until the lock lifts, whatever was typed.
func (h *Handler) endLocked(w http.ResponseWriter, r *http.Request, f *Flow, until time.Time, err error) {
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.endFlow(w, r, f, http.StatusLocked, web.LockedNotice(until, h.Now()))
}

func (h *Handler) flowExpired(w http.ResponseWriter) {
	h.Pages.Login(w, http.StatusGone, web.LoginPage{Layout: web.Layout{Notice: web.Notice{Kind: "info",
		Text: "Your sign-in has expired or was already completed. Please sign in again."}}})
}
