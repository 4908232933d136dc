package loginservice

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"golang.org/x/oauth2"

	"imslogin/internal/audit"
	"imslogin/internal/cookie"
	"imslogin/internal/signin"
	"imslogin/internal/store"
	"imslogin/internal/token"
	"imslogin/web"
)

// HandlerStore is what the sign-in through a login service reads and writes.
type HandlerStore interface {
	store.Transactor
	store.LoginServices
	OrganisationByURLName(ctx context.Context, urlName string) (store.Organisation, error)
	OrganisationByName(ctx context.Context, name string) (store.Organisation, error)
	MemberByID(ctx context.Context, orgID, id int64) (store.Member, error)
	AppendAuditEvent(ctx context.Context, e *store.AuditEvent) error
}

// SignIn continues a sign-in a login service vouched for (signin.Handler's
// ContinueExternal): the organisation's further steps, then a session.
type SignIn func(w http.ResponseWriter, r *http.Request, org store.Organisation, m store.Member, amr []string, returnTo string)

// Linker completes a registration link with the identity a login service
// proved; it answers the request itself. Nil: registration is not served.
type Linker interface {
	Link(w http.ResponseWriter, r *http.Request, org store.Organisation, ls store.LoginService, linkHash []byte, id Identity)
}

// Handler sends browsers to login services and takes them back.
type Handler struct {
	Store   HandlerStore
	Service *Service
	Pages   *web.Renderer
	Log     *slog.Logger
	Now     func() time.Time
	Secure  bool // cookies only over HTTPS
	SignIn  SignIn
	Linker  Linker
}

// stateLifetime bounds the time spent at the login service.
const stateLifetime = 10 * time.Minute

// browserCookie names the browser that began a sign-in: a callback from
// any other browser is refused.
const browserCookie = "ims_login_service"

// amrExternal marks a session an external login service vouched for (not
// an RFC 8176 value: the service's own methods are its business).
const amrExternal = signin.AMRExternal

// Mount registers the sign-in routes.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /o/{urlname}/login-services/{id}/start", h.start)
	mux.HandleFunc("GET /o/{urlname}/login-services/{id}/callback", h.callback)
}

// CallbackPath is a login service's redirect URI's path.
func CallbackPath(urlName string, id int64) string {
	return "/o/" + urlName + "/login-services/" + strconv.FormatInt(id, 10) + "/callback"
}

// StartPath is where a sign-in through a login service begins.
func StartPath(urlName string, id int64) string {
	return "/o/" + urlName + "/login-services/" + strconv.FormatInt(id, 10) + "/start"
}

// Buttons are the organisation's enabled login services as sign-in
// buttons; returnTo is passed on.
func (h *Handler) Buttons(ctx context.Context, org store.Organisation, returnTo string) ([]web.ServiceButton, error) {
	list, err := h.Store.LoginServicesOf(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	var out []web.ServiceButton
	for _, ls := range list {
		if ls.Enabled {
			href := StartPath(org.URLName, ls.ID)
			if returnTo != "" {
				href += "?return_to=" + urlQueryEscape(returnTo)
			}
			out = append(out, web.ServiceButton{Name: ls.Name, Href: href})
		}
	}
	return out, nil
}

// ButtonsFor is Buttons for an organisation given by URL name or, when
// that is empty, by name (the generic sign-in page): none for an unknown one.
func (h *Handler) ButtonsFor(ctx context.Context, urlName, name, returnTo string) ([]web.ServiceButton, error) {
	var org store.Organisation
	var err error
	switch {
	case urlName != "":
		org, err = h.Store.OrganisationByURLName(ctx, urlName)
	case name != "":
		org, err = h.Store.OrganisationByName(ctx, name)
	default:
		return nil, nil
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return h.Buttons(ctx, org, returnTo)
}

// service finds the organisation and the enabled login service the path names.
func (h *Handler) service(w http.ResponseWriter, r *http.Request) (store.Organisation, store.LoginService, bool) {
	org, err := h.Store.OrganisationByURLName(r.Context(), r.PathValue("urlname"))
	var ls store.LoginService
	if err == nil {
		id, perr := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if perr != nil {
			err = store.ErrNotFound
		} else {
			ls, err = h.Store.LoginServiceByID(r.Context(), org.ID, id)
		}
	}
	if err == nil && !ls.Enabled {
		err = store.ErrNotFound
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		h.Pages.NotFound(w)
		return org, ls, false
	case err != nil:
		h.serverError(w, r, err)
		return org, ls, false
	}
	return org, ls, true
}

func (h *Handler) config(org store.Organisation, ls store.LoginService) (Config, Kind, error) {
	kind, ok := h.Service.Kinds[ls.Kind]
	if !ok {
		return Config{}, nil, errors.New("login service of unknown kind " + ls.Kind)
	}
	secret, err := h.Service.Secret(ls)
	if err != nil {
		return Config{}, nil, err
	}
	return Config{Issuer: ls.Issuer, ClientID: ls.ClientID, ClientSecret: secret, Scopes: ls.Scopes,
		UsernameClaim: ls.UsernameClaim, RedirectURI: h.Service.RedirectURI(org.URLName, ls.ID)}, kind, nil
}

func (h *Handler) start(w http.ResponseWriter, r *http.Request) {
	org, ls, ok := h.service(w, r)
	if !ok {
		return
	}
	h.Begin(w, r, org, ls, r.URL.Query().Get("return_to"), nil)
}

// Begin sends the browser to the login service; linkHash, if any, is the
// registration link the sign-in completes.
func (h *Handler) Begin(w http.ResponseWriter, r *http.Request, org store.Organisation, ls store.LoginService, returnTo string,
	linkHash []byte) {
	c, kind, err := h.config(org, ls)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	state, stateHash := token.New()
	a := Attempt{State: state, Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier()}
	browser := h.browser(w, r)
	st := store.LoginState{StateHash: stateHash, OrgID: org.ID, ServiceID: ls.ID, BrowserHash: token.Hash(browser),
		Nonce: a.Nonce, Verifier: a.Verifier, ReturnTo: signin.SafeReturnPath(returnTo), LinkHash: linkHash,
		ExpiresAt: h.Now().Add(stateLifetime)}
	to, err := kind.Begin(r.Context(), c, a)
	if err != nil {
		h.Log.Warn("login service unreachable", "organisation", org.Name, "service", ls.Name, "err", err)
		h.Pages.Error(w, http.StatusBadGateway, web.ErrorPage{Heading: ls.Name + " is not answering",
			Message: "We couldn't reach " + ls.Name + ". Please try again in a moment, or sign in another way."})
		return
	}
	if err := h.Store.CreateLoginState(r.Context(), st); err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// browser returns the browser's cookie value, setting one if it has none,
// so sign-ins begun in two tabs both come back.
func (h *Handler) browser(w http.ResponseWriter, r *http.Request) string {
	if raw := cookie.Value(r, browserCookie, h.Secure); len(raw) >= 32 {
		return raw
	}
	raw, _ := token.New()
	http.SetCookie(w, cookie.New(browserCookie, raw, int(stateLifetime/time.Second), h.Secure))
	return raw
}

func (h *Handler) callback(w http.ResponseWriter, r *http.Request) {
	org, ls, ok := h.service(w, r)
	if !ok {
		return
	}
	st, reason := h.takeState(r, org, ls)
	if reason != "" {
		h.Log.Info("login service callback refused", "organisation", org.Name, "service", ls.Name, "why", reason)
		h.Pages.Error(w, http.StatusBadRequest, web.ErrorPage{Heading: "Sign-in could not be completed",
			Message: "This sign-in with " + ls.Name + " was not started in this browser, was already completed, or took too long. Start again from the sign-in page."})
		return
	}
	c, kind, err := h.config(org, ls)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	id, err := kind.Finish(r.Context(), c, Attempt{State: r.URL.Query().Get("state"), Nonce: st.Nonce, Verifier: st.Verifier},
		r.URL.Query())
	if err != nil {
		h.Log.Warn("login service answer refused", "organisation", org.Name, "service", ls.Name, "err", err)
		msg := "The answer from " + ls.Name + " could not be verified, so you are not signed in. Start again from the sign-in page."
		if errors.Is(err, ErrRefused) {
			msg = ls.Name + " did not sign you in. Start again from the sign-in page, or sign in another way."
		}
		h.Pages.Error(w, http.StatusUnauthorized, web.ErrorPage{Heading: "Sign-in could not be completed", Message: msg})
		return
	}
	if st.LinkHash != nil && h.Linker != nil {
		h.Linker.Link(w, r, org, ls, st.LinkHash, id)
		return
	}
	h.signInLinked(w, r, org, ls, id, st.ReturnTo)
}

// takeState uses the callback's state once, and says why it is refused,
// if it is: unknown or used, from another browser, another service or
// organisation, or expired.
func (h *Handler) takeState(r *http.Request, org store.Organisation, ls store.LoginService) (store.LoginState, string) {
	state := r.URL.Query().Get("state")
	if state == "" {
		return store.LoginState{}, "no state"
	}
	st, err := h.Store.TakeLoginState(r.Context(), token.Hash(state))
	if err != nil {
		return st, "unknown or used state"
	}
	raw := cookie.Value(r, browserCookie, h.Secure)
	switch {
	case raw == "" || subtle.ConstantTimeCompare(token.Hash(raw), st.BrowserHash) != 1:
		return st, "another browser"
	case st.OrgID != org.ID || st.ServiceID != ls.ID:
		return st, "another login service"
	case !h.Now().Before(st.ExpiresAt):
		return st, "expired"
	}
	return st, ""
}

// signInLinked signs in the member linked to the identity, or answers
// Access Denied when none is.
func (h *Handler) signInLinked(w http.ResponseWriter, r *http.Request, org store.Organisation, ls store.LoginService,
	id Identity, returnTo string) {
	ctx := r.Context()
	link, err := h.Store.IdentityBySubject(ctx, org.ID, ls.ID, id.Subject)
	var m store.Member
	if err == nil {
		m, err = h.Store.MemberByID(ctx, org.ID, link.MemberID)
	}
	if errors.Is(err, store.ErrNotFound) {
		h.denied(w, r, org, ls, id)
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.SignIn(w, r, org, m, []string{amrExternal}, returnTo)
}

func (h *Handler) denied(w http.ResponseWriter, r *http.Request, org store.Organisation, ls store.LoginService, id Identity) {
	e := audit.Event(audit.OriginOf(r), h.Now(), org.ID, audit.LoginServiceDenied)
	e.Actor, e.Detail = id.Username+" ("+ls.Name+")", "not linked to a member: subject "+id.Subject
	if err := h.Store.AppendAuditEvent(r.Context(), &e); err != nil {
		h.Log.Warn("audit", "err", err)
	}
	h.Pages.LoginServiceDenied(w, web.LoginServiceDeniedPage{Username: id.Username, Service: ls.Name,
		Organisation: org.Name, SignInURL: web.OrganisationSignInPath(org.URLName)})
}

func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	h.Log.Error("login service", "path", r.URL.Path, "err", err)
	h.Pages.Error(w, http.StatusInternalServerError, web.ErrorPage{Heading: "Something went wrong",
		Message: "We couldn't complete your sign-in because of a problem on our side. Please try again in a moment."})
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
