package signin

import (
	"context"
	"errors"
	"net/http"
	"time"

	"imslogin/internal/lockout"
	"imslogin/internal/session"
	"imslogin/internal/store"
	"imslogin/web"
)

// Step is one stage of a sign-in after the password.
type Step interface {
	// Name is the step's path segment: /login/{name}.
	Name() string
	// Needed reports whether this sign-in must pass the step.
	Needed(ctx context.Context, f *Flow) (bool, error)
	// Show renders the step's page.
	Show(w http.ResponseWriter, r *http.Request, f *Flow)
	// Submit handles the step's form. It returns true when the step is
	// passed; otherwise it has written its own answer (the page again,
	// with an error), or it called f.Fail and the flow answers. It may
	// change f (attempts) and is then saved.
	Submit(w http.ResponseWriter, r *http.Request, f *Flow) (passed bool)
}

// Enterer is a Step that acts once when a flow reaches it, such as sending
// a code, before the browser is sent to its page.
type Enterer interface {
	Enter(ctx context.Context, f *Flow) error
}

// Flow is a sign-in in progress with its organisation and member.
type Flow struct {
	store.SigninFlow
	Organisation store.Organisation
	Member       store.Member

	fail        func(reason string) (time.Time, error)
	lockedUntil func() (time.Time, error)
	endLocked   func(w http.ResponseWriter, until time.Time)
	// noFailures is set when the password step found no failed attempts
	// on record, so finishing in the same request has none to clear. A flow
	// read back for a later step leaves it false: that step may have failed.
	noFailures bool
	failed     string
	// welcome names the notice shown when the session starts in the same
	// request ("signed-in" if empty).
	welcome string
	// memo holds what the steps' Needed checks load during one advance,
	// so two steps asking about the same thing read it once.
	memo map[any]any
}

// Memo returns the value stored under key by an earlier Needed check of the
// same advance, or loads and stores it. Outside an advance it just loads:
// Show and Submit always see fresh data.
func (f *Flow) Memo(key any, load func() (any, error)) (any, error) {
	if v, ok := f.memo[key]; ok {
		return v, nil
	}
	v, err := load()
	if err == nil && f.memo != nil {
		f.memo[key] = v
	}
	return v, err
}

// Fail ends the sign-in as a failed attempt (too many wrong codes, say):
// the flow is deleted, the failure is counted toward the account lockout
// and audited with reason, and the member is sent back to sign in again.
// A Step calls it from Submit and returns false.
func (f *Flow) Fail(reason string) { f.failed = reason }

// flowLifetime bounds how long a member may take over the remaining steps.
const flowLifetime = 15 * time.Minute

const flowCookie = "ims_signin"

// advance sends the flow to the first needed step from index from on, or
// finishes the sign-in when none is needed.
func (h *Handler) advance(w http.ResponseWriter, r *http.Request, f *Flow, from int) {
	h.bindFailures(r, f)
	ctx := context.WithValue(r.Context(), requestKey{}, r)
	f.memo = map[any]any{}
	defer func() { f.memo = nil }()
	for _, step := range h.Steps[from:] {
		needed, err := step.Needed(ctx, f)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		if !needed {
			continue
		}
		f.Step, f.Attempts = step.Name(), 0
		if err := h.saveFlow(w, r, f); err != nil {
			h.serverError(w, r, err)
			return
		}
		if e, ok := step.(Enterer); ok {
			if err := e.Enter(r.Context(), f); err != nil {
				h.serverError(w, r, err)
				return
			}
		}
		http.Redirect(w, r, "/login/"+step.Name(), http.StatusSeeOther)
		return
	}
	if f.TokenHash != nil {
		if err := h.Store.DeleteSigninFlow(r.Context(), f.TokenHash); err != nil && !errors.Is(err, store.ErrNotFound) {
			h.serverError(w, r, err)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: flowCookie, Path: "/login", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	h.finish(w, r, f)
}

// saveFlow writes the flow, creating it (and its cookie) the first time.
func (h *Handler) saveFlow(w http.ResponseWriter, r *http.Request, f *Flow) error {
	if f.TokenHash != nil {
		return h.Store.UpdateSigninFlow(r.Context(), &f.SigninFlow)
	}
	token, hash := session.NewToken()
	now := h.Now()
	f.TokenHash, f.CreatedAt, f.ExpiresAt = hash, now, now.Add(flowLifetime)
	if err := h.Store.CreateSigninFlow(r.Context(), &f.SigninFlow); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: flowCookie, Value: token, Path: "/login", MaxAge: int(flowLifetime / time.Second),
		HttpOnly: true, Secure: h.Sessions.Secure(), SameSite: http.SameSiteLaxMode})
	return nil
}

// currentFlow loads the request's flow if it is at the step named in the URL.
func (h *Handler) currentFlow(r *http.Request) (*Flow, int, bool) {
	index := -1
	for i, s := range h.Steps {
		if s.Name() == r.PathValue("step") {
			index = i
		}
	}
	c, err := r.Cookie(flowCookie)
	if index < 0 || err != nil {
		return nil, 0, false
	}
	ctx := r.Context()
	sf, err := h.Store.SigninFlowByTokenHash(ctx, session.HashToken(c.Value))
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
	f := &Flow{SigninFlow: sf, Organisation: org, Member: member}
	h.bindFailures(r, f)
	return f, index, true
}

func (h *Handler) showStep(w http.ResponseWriter, r *http.Request) {
	f, index, ok := h.currentFlow(r)
	if !ok {
		h.flowExpired(w)
		return
	}
	h.Steps[index].Show(w, r, f)
}

func (h *Handler) submitStep(w http.ResponseWriter, r *http.Request) {
	// Codes are guessed like passwords: the client address's bucket applies
	// before anything is looked up.
	if wait, ok := h.Throttle.allow(r, ""); !ok {
		h.Pages.Login(w, http.StatusTooManyRequests, web.LoginPage{Layout: web.Layout{Notice: throttled(w, wait)}})
		return
	}
	f, index, ok := h.currentFlow(r)
	if !ok {
		h.flowExpired(w)
		return
	}
	if until, err := f.LockedUntil(); err != nil || !until.IsZero() {
		h.endLocked(w, r, f, until, err)
		return
	}
	before := f.Attempts
	if !h.Steps[index].Submit(w, r, f) {
		if f.failed != "" {
			h.failFlow(w, r, f)
			return
		}
		if f.Attempts != before {
			if err := h.Store.UpdateSigninFlow(r.Context(), &f.SigninFlow); err != nil {
				h.Log.Error("save sign-in attempts", "err", err)
			}
		}
		return
	}
	h.advance(w, r, f, index+1)
}

// failFlow ends a flow a step failed: the flow row and cookie go, and the
// failure counts like a wrong password toward the lockout of the member's
// address. The answer is the sign-in page, saying why, or "Account locked".
func (h *Handler) failFlow(w http.ResponseWriter, r *http.Request, f *Flow) {
	if err := h.Store.DeleteSigninFlow(r.Context(), f.TokenHash); err != nil && !errors.Is(err, store.ErrNotFound) {
		h.serverError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: flowCookie, Path: "/login", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	err := h.recordFailure(r, lockout.For(f.Organisation, f.Member, f.failed))
	page := web.LoginPage{Organisation: f.Organisation.Name, Email: f.Member.Email}
	if locked, ok := asLocked(err); ok {
		page.Notice = web.LockedNotice(locked.Until, h.Now())
		h.Pages.Login(w, http.StatusLocked, page)
		return
	}
	if err != nil && !errors.Is(err, errWrongCredentials) {
		h.serverError(w, r, err)
		return
	}
	page.Notice = web.Notice{Kind: "error", Text: "Your sign-in has ended: " + f.failed + ". Sign in again to continue."}
	h.Pages.Login(w, http.StatusUnauthorized, page)
}

func (h *Handler) flowExpired(w http.ResponseWriter) {
	h.Pages.Login(w, http.StatusGone, web.LoginPage{Layout: web.Layout{Notice: web.Notice{Kind: "info",
		Text: "Your sign-in has expired or was already completed. Please sign in again."}}})
}
