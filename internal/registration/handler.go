package registration

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/loginservice"
	"imslogin/internal/password"
	"imslogin/internal/store"
	"imslogin/internal/token"
	"imslogin/web"
)

// HandlerStore is what the registration pages read and write.
type HandlerStore interface {
	store.Transactor
	OrganisationByID(ctx context.Context, id int64) (store.Organisation, error)
	MemberByID(ctx context.Context, orgID, id int64) (store.Member, error)
	AcceptInvitation(ctx context.Context, orgID, memberID int64, hash string) error
	SetPasswordHash(ctx context.Context, orgID, memberID int64, hash string) error
	SetMemberStatus(ctx context.Context, orgID, memberID int64, status store.MemberStatus) error
	MarkEmailVerified(ctx context.Context, orgID, memberID int64, email string) error
	LoginServicesOf(ctx context.Context, orgID int64) ([]store.LoginService, error)
	LoginServiceByID(ctx context.Context, orgID, id int64) (store.LoginService, error)
	IdentityBySubject(ctx context.Context, orgID, serviceID int64, subject string) (store.MemberIdentity, error)
	IdentityOfMember(ctx context.Context, orgID, memberID int64) (store.MemberIdentity, error)
	LinkIdentity(ctx context.Context, id store.MemberIdentity) error
	UnlinkIdentity(ctx context.Context, orgID, memberID int64) error
	token.Redeemer
	AppendAuditEvent(ctx context.Context, e *store.AuditEvent) error
}

// Handler serves the pages a registration email's links open, and links
// the accounts login services prove (loginservice.Linker).
type Handler struct {
	Store     HandlerStore
	Services  *loginservice.Handler // sends the browser to a login service
	Hasher    *password.Hasher
	Blocklist password.Blocklist
	Pages     *web.Renderer
	Log       *slog.Logger
	Now       func() time.Time
	// SignIn continues after Step 1 (the steps after a password);
	// SignInExternal after Step 2.
	SignIn         func(w http.ResponseWriter, r *http.Request, org store.Organisation, m store.Member, welcome string)
	SignInExternal loginservice.SignIn
}

// Mount registers the pages.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET "+Step2Path, h.showLink)
	mux.HandleFunc("GET "+Step2Path+"/services/{id}", h.startLink)
	mux.HandleFunc("GET "+Step1Path, h.showPassword)
	mux.HandleFunc("POST "+Step1Path, h.submitPassword)
}

// The causes of "Error linking your account".
const (
	causeExpired = "expired" // expired, or replaced by a newer registration
	causeAltered = "altered" // incomplete or changed
	causeUsed    = "used"    // already used to link a different account
	causeTaken   = "taken"   // the account is another member's
)

// check reads a registration link without using it: the token, or the
// cause of the error page. A link used already is returned with used set,
// since using it again with the same account signs in.
func (h *Handler) check(ctx context.Context, raw string) (t store.LinkToken, used bool, cause string, err error) {
	t, err = token.Check(ctx, h.Store, raw, store.LinkRegistration, h.Now())
	switch {
	case err == nil:
		return t, false, "", nil
	case errors.Is(err, token.ErrUsed):
		return t, true, "", nil
	case errors.Is(err, token.ErrExpired), errors.Is(err, token.ErrReplaced):
		return t, false, causeExpired, nil
	case errors.Is(err, token.ErrInvalid):
		return t, false, causeAltered, nil
	}
	return t, false, "", err
}

func (h *Handler) linkError(w http.ResponseWriter, cause string) {
	status := map[string]int{causeExpired: http.StatusGone, causeAltered: http.StatusNotFound, causeUsed: http.StatusConflict,
		causeTaken: http.StatusConflict}[cause]
	h.Pages.LinkError(w, status, web.LinkErrorPage{Cause: cause})
}

// showLink is Step 2: the login services to link an account from.
func (h *Handler) showLink(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.Query().Get("token")
	t, used, cause, err := h.check(r.Context(), raw)
	if h.failed(w, r, cause, err) {
		return
	}
	org, m, err := h.memberOf(r.Context(), t)
	if h.failed(w, r, causeOf(err), errOf(err)) {
		return
	}
	list, err := h.Store.LoginServicesOf(r.Context(), org.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	page := web.LinkAccountPage{Organisation: org.Name, Name: m.Name, Expires: ExpiryWords(t.ExpiresAt)}
	for _, ls := range list {
		if ls.Enabled {
			page.Services = append(page.Services, web.ServiceButton{Name: ls.Name,
				Href: Step2Path + "/services/" + strconv.FormatInt(ls.ID, 10) + "?token=" + url.QueryEscape(raw)})
		}
	}
	if !used {
		page.PasswordHref = Step1Path + "?token=" + url.QueryEscape(raw)
	}
	h.Pages.LinkAccount(w, page)
}

// startLink sends the browser to the login service chosen, carrying the
// link (its hash) through the sign-in there.
func (h *Handler) startLink(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.Query().Get("token")
	t, _, cause, err := h.check(r.Context(), raw)
	if h.failed(w, r, cause, err) {
		return
	}
	org, _, err := h.memberOf(r.Context(), t)
	if h.failed(w, r, causeOf(err), errOf(err)) {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	ls, err := h.Store.LoginServiceByID(r.Context(), org.ID, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && !ls.Enabled {
		h.Pages.NotFound(w)
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.Services.Begin(w, r, org, ls, "", token.Hash(raw))
}

// memberOf is the link's organisation and member; a member removed since
// makes the link one that does not exist.
func (h *Handler) memberOf(ctx context.Context, t store.LinkToken) (store.Organisation, store.Member, error) {
	org, err := h.Store.OrganisationByID(ctx, t.OrgID)
	if err != nil {
		return org, store.Member{}, err
	}
	m, err := h.Store.MemberByID(ctx, t.OrgID, t.MemberID)
	return org, m, err
}

func causeOf(err error) string {
	if errors.Is(err, store.ErrNotFound) {
		return causeAltered
	}
	return ""
}

func errOf(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// failed answers the request when there is a cause or an error.
func (h *Handler) failed(w http.ResponseWriter, r *http.Request, cause string, err error) bool {
	switch {
	case err != nil:
		h.serverError(w, r, err)
	case cause != "":
		h.linkError(w, cause)
	default:
		return false
	}
	return true
}

// refusal is a link refused inside the transaction, rolled back.
type refusal struct{ cause, detail string }

func (e *refusal) Error() string { return "registration link refused: " + e.cause }

// Link completes Step 2 with the account a login service proved: the link
// is used, the account becomes the member's identity (replacing any other:
// how a member switches login service) and the member signs in. The same
// account using the link again just signs in.
func (h *Handler) Link(w http.ResponseWriter, r *http.Request, org store.Organisation, ls store.LoginService, linkHash []byte,
	id loginservice.Identity) {
	account := id.Username + " (" + ls.Name + ")"
	var m store.Member
	err := h.Store.InTx(r.Context(), func(ctx context.Context) error {
		t, err := h.Store.RedeemLinkToken(ctx, linkHash, store.LinkRegistration, h.Now())
		if errors.Is(err, store.ErrNotFound) {
			return h.again(ctx, org, ls, linkHash, id, &m)
		}
		if err != nil {
			return err
		}
		if t.OrgID != org.ID {
			return &refusal{causeAltered, "a link of another organisation"}
		}
		if m, err = h.Store.MemberByID(ctx, org.ID, t.MemberID); err != nil {
			return err
		}
		return h.link(ctx, r, org, ls, id, &m, account)
	})
	var rf *refusal
	if errors.As(err, &rf) {
		e := audit.Event(audit.OriginOf(r), h.Now(), org.ID, audit.AccountLink)
		if m.ID != 0 {
			e = audit.About(e, m)
		}
		e.Actor, e.Detail = account, "link refused: "+rf.detail
		if err := h.Store.AppendAuditEvent(r.Context(), &e); err != nil {
			h.Log.Warn("audit", "err", err)
		}
		h.linkError(w, rf.cause)
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.SignInExternal(w, r, org, m, []string{"ext"}, "")
}

// again handles a link that is no longer live: used by this account
// (sign in), by another (refused), expired or replaced, or unknown.
func (h *Handler) again(ctx context.Context, org store.Organisation, ls store.LoginService, linkHash []byte,
	id loginservice.Identity, m *store.Member) error {
	t, err := h.Store.LinkTokenByHash(ctx, linkHash)
	switch {
	case errors.Is(err, store.ErrNotFound) || err == nil && (t.Purpose != store.LinkRegistration || t.OrgID != org.ID):
		return &refusal{causeAltered, "unknown link"}
	case err != nil:
		return err
	case t.EndReason == store.LinkEndedReplaced || t.EndReason == "":
		return &refusal{causeExpired, "expired or replaced link"}
	}
	if *m, err = h.Store.MemberByID(ctx, org.ID, t.MemberID); err != nil {
		return err
	}
	linked, err := h.Store.IdentityOfMember(ctx, org.ID, m.ID)
	if err == nil && linked.ServiceID == ls.ID && linked.Subject == id.Subject {
		return nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return &refusal{causeUsed, "the link was already used to link a different account"}
}

// link makes the account m's identity, in the link's transaction.
func (h *Handler) link(ctx context.Context, r *http.Request, org store.Organisation, ls store.LoginService,
	id loginservice.Identity, m *store.Member, account string) error {
	other, err := h.Store.IdentityBySubject(ctx, org.ID, ls.ID, id.Subject)
	if err == nil && other.MemberID != m.ID {
		return &refusal{causeTaken, "the account is linked to another member"}
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	detail := "linked " + account
	if prev, err := h.Store.IdentityOfMember(ctx, org.ID, m.ID); err == nil {
		detail = "relinked from " + prev.Username + " (login service " + strconv.FormatInt(prev.ServiceID, 10) + ") to " + account
	} else if m.PasswordHash != "" {
		detail = "relinked from IMS Login Service to " + account
	}
	if err := h.Store.LinkIdentity(ctx, store.MemberIdentity{OrgID: org.ID, MemberID: m.ID, ServiceID: ls.ID,
		Subject: id.Subject, Username: id.Username, LinkedAt: h.Now()}); err != nil {
		return err
	}
	if err := h.activate(ctx, m); err != nil {
		return err
	}
	// The member signs in with the login service now: the old password goes.
	if m.PasswordHash != "" {
		if err := h.Store.SetPasswordHash(ctx, org.ID, m.ID, ""); err != nil {
			return err
		}
		m.PasswordHash = ""
	}
	e := audit.About(audit.Event(audit.OriginOf(r), h.Now(), org.ID, audit.AccountLink), *m)
	e.Detail = detail + ", subject " + id.Subject
	return h.Store.AppendAuditEvent(ctx, &e)
}

// activate makes an invited member active with the emailed address
// verified: following the link proved it.
func (h *Handler) activate(ctx context.Context, m *store.Member) error {
	if m.Status == store.StatusInvited {
		if err := h.Store.SetMemberStatus(ctx, m.OrgID, m.ID, store.StatusActive); err != nil {
			return err
		}
		m.Status = store.StatusActive
	}
	if !m.EmailVerified {
		if err := h.Store.MarkEmailVerified(ctx, m.OrgID, m.ID, m.Email); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		m.EmailVerified = true
	}
	return nil
}

func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	h.Log.Error("registration", "path", r.URL.Path, "err", err)
	h.Pages.Error(w, http.StatusInternalServerError, web.ErrorPage{Heading: "Something went wrong",
		Message: "We couldn't complete this because of a problem on our side. Nothing was changed; please try again in a moment."})
}
