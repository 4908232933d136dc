package profile

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/mfa"
	"imslogin/internal/mfa/backup"
	"imslogin/internal/mfa/code"
	"imslogin/internal/mfa/phone"
	"imslogin/internal/mfa/totp"
	"imslogin/internal/mfa/webauthn"
	"imslogin/internal/otpcode"
	"imslogin/internal/session"
	"imslogin/internal/sms"
	"imslogin/internal/store"
	"imslogin/web"
)

// totpEnrolChannel holds an authenticator-app secret between showing its
// QR code and the member's first code (for Lifetime of a code).
const totpEnrolChannel = "mfa-totp-enrol"

// SecurityHandler serves My Profile → Security: the member's second
// factors and remembered browsers. Every change needs a recent password
// and is audited.
type SecurityHandler struct {
	Store    Store
	Sessions *session.Manager
	Methods  *mfa.Registry
	Keys     *webauthn.Method // security keys and passkeys
	Secrets  *totp.Secrets    // seals the secret of an app being set up
	Backup   *backup.Method   // makes backup codes
	Pages    *web.Renderer
	Log      *slog.Logger
	Now      func() time.Time
}

// Mount registers the handler's routes.
func (h *SecurityHandler) Mount(mux *http.ServeMux) {
	signedIn := h.Sessions.RequireSignIn
	recent := func(f http.HandlerFunc) http.Handler {
		return signedIn(h.Sessions.RequireRecentAuth("/profile/security", f))
	}
	mux.Handle("GET /profile/security", signedIn(http.HandlerFunc(h.show)))
	mux.Handle("POST /profile/security/totp", recent(h.startApp))
	mux.Handle("GET /profile/security/totp/qr.png", signedIn(http.HandlerFunc(h.appQR)))
	mux.Handle("POST /profile/security/totp/confirm", recent(h.confirmApp))
	mux.Handle("POST /profile/security/totp/{id}/remove", recent(h.removeApp))
	mux.Handle("GET /profile/security/phone", signedIn(http.HandlerFunc(h.showPhone)))
	mux.Handle("POST /profile/security/phone", recent(h.submitPhone))
	mux.Handle("POST /profile/security/phone/remove", recent(h.removePhone))
	mux.Handle("POST /profile/security/backup", recent(h.newBackupCodes))
	mux.Handle("POST /profile/security/webauthn", recent(h.startKey))
	mux.Handle("POST /profile/security/webauthn/finish", recent(h.finishKey))
	mux.Handle("POST /profile/security/webauthn/{id}/remove", recent(h.removeKey))
	mux.Handle("POST /profile/security/devices/{id}/forget", signedIn(http.HandlerFunc(h.forgetDevice)))
	mux.Handle("POST /profile/security/devices/forget-all", signedIn(http.HandlerFunc(h.forgetAllDevices)))
}

func (h *SecurityHandler) show(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, web.TakeFlash(w, r), func(*web.SecurityPage) {})
}

// render shows the page after edit fills in what only this answer shows.
func (h *SecurityHandler) render(w http.ResponseWriter, r *http.Request, status int, notice web.Notice, edit func(*web.SecurityPage)) {
	si, _ := session.SignedInFrom(r.Context())
	ctx := r.Context()
	subj, err := mfa.Load(ctx, h.Store, si.Organisation, si.Member, h.Now())
	if err != nil {
		h.serverError(w, err)
		return
	}
	devices, err := h.Store.MemberTrustedDevices(ctx, si.Organisation.ID, si.Member.ID)
	if err != nil {
		h.serverError(w, err)
		return
	}
	page := web.SecurityPage{Layout: web.Layout{Notice: notice, Member: web.MemberViewOf(si)},
		Required: subj.Policy.Required, AllowsSMS: subj.Policy.Allows("sms"), BackupLeft: backup.Remaining(subj.Factors),
		HasBackupCodes: len(subj.FactorsOf(backup.Name)) > 0, KeysAvailable: h.Keys.Available()}
	for _, name := range subj.Policy.Methods {
		if m, ok := h.Methods.Get(name); ok {
			page.Allowed = append(page.Allowed, web.MethodChoice{Name: name, Label: m.Label(), Weak: mfa.Weak(name)})
		}
	}
	for _, f := range subj.FactorsOf(totp.Name) {
		page.Apps = append(page.Apps, web.FactorView{ID: f.ID, Name: f.Name, Added: f.CreatedAt, LastUsed: f.LastUsedAt})
	}
	for _, f := range subj.FactorsOf(webauthn.Name) {
		page.Keys = append(page.Keys, web.FactorView{ID: f.ID, Name: f.Name, Added: f.CreatedAt, LastUsed: f.LastUsedAt})
	}
	if phone := code.Phone(subj); phone != "" {
		page.Phone = sms.Mask(phone)
	}
	for _, d := range devices {
		if d.ExpiresAt.After(subj.Now) {
			page.Devices = append(page.Devices, web.DeviceView{ID: d.ID, Device: session.Device(d.UserAgent), Added: d.CreatedAt, Expires: d.ExpiresAt})
		}
	}
	edit(&page)
	h.Pages.Security(w, status, page)
}

// change runs fn and an audit entry in one transaction, then shows the page.
func (h *SecurityHandler) change(w http.ResponseWriter, r *http.Request, detail, done string,
	fn func(ctx context.Context, si store.SignedIn) error, edit func(*web.SecurityPage)) {
	ctx := r.Context()
	si, _ := session.SignedInFrom(ctx)
	err := h.Store.InTx(ctx, func(ctx context.Context) error {
		if err := fn(ctx, si); err != nil {
			return err
		}
		e := audit.About(audit.Event(audit.OriginOf(r), h.Now(), si.Organisation.ID, audit.MFAChange), si.Member)
		e.Detail = detail
		return h.Store.AppendAuditEvent(ctx, &e)
	})
	if errors.Is(err, store.ErrNotFound) {
		h.render(w, r, http.StatusNotFound, web.Notice{Kind: "error", Text: "That item no longer exists."}, func(*web.SecurityPage) {})
		return
	}
	var refused refusal
	if errors.As(err, &refused) {
		h.render(w, r, http.StatusUnprocessableEntity, web.Notice{Kind: "error", Text: string(refused)}, func(*web.SecurityPage) {})
		return
	}
	if err != nil {
		h.serverError(w, err)
		return
	}
	h.render(w, r, http.StatusOK, web.Notice{Kind: "success", Text: done}, edit)
}

func (h *SecurityHandler) startApp(w http.ResponseWriter, r *http.Request) {
	si, _ := session.SignedInFrom(r.Context())
	e, err := totp.NewEnrolment(si.Organisation.Name, si.Member.Email)
	if err == nil {
		now := h.Now()
		err = h.Store.PutOneTimeCode(r.Context(), store.OneTimeCode{OrgID: si.Organisation.ID, MemberID: si.Member.ID,
			Purpose: totpEnrolChannel, CodeHash: []byte("pending"),
			Destination: h.Secrets.SealPending(si.Organisation.ID, si.Member.ID, e.URL), SentAt: now, ExpiresAt: now.Add(code.Lifetime)})
	}
	if err != nil {
		h.serverError(w, err)
		return
	}
	h.render(w, r, http.StatusOK, web.Notice{}, func(p *web.SecurityPage) {
		p.AppSecret, p.AppQR = e.Secret, "/profile/security/totp/qr.png?v="+strconv.FormatInt(h.Now().UnixNano(), 36)
	})
}

// pendingApp returns the otpauth:// URL of the enrolment in progress. One
// that no longer opens (sealed with another key) is as good as expired:
// the member starts again.
func (h *SecurityHandler) pendingApp(r *http.Request) (string, bool) {
	si, _ := session.SignedInFrom(r.Context())
	c, err := h.Store.OneTimeCode(r.Context(), si.Organisation.ID, si.Member.ID, totpEnrolChannel)
	if err != nil || !h.Now().Before(c.ExpiresAt) {
		return "", false
	}
	otpauthURL, err := h.Secrets.OpenPending(si.Organisation.ID, si.Member.ID, c.Destination)
	return otpauthURL, err == nil
}

func (h *SecurityHandler) appQR(w http.ResponseWriter, r *http.Request) {
	otpauthURL, ok := h.pendingApp(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	png, err := totp.QRCode(otpauthURL)
	if err != nil {
		h.serverError(w, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(png)
}

func (h *SecurityHandler) confirmApp(w http.ResponseWriter, r *http.Request) {
	otpauthURL, ok := h.pendingApp(r)
	if !ok {
		h.render(w, r, http.StatusGone, web.Notice{Kind: "error", Text: "The set-up took too long. Start again."}, func(*web.SecurityPage) {})
		return
	}
	secret, err := totp.SecretOf(otpauthURL)
	if err != nil {
		h.serverError(w, err)
		return
	}
	if _, ok := totp.Match(secret, strings.TrimSpace(r.PostFormValue("code")), h.Now()); !ok {
		h.render(w, r, http.StatusUnprocessableEntity, web.Notice{Kind: "error",
			Text: "That code does not match. Check the app shows IMS Login for this account and enter its current code."},
			func(p *web.SecurityPage) {
				p.AppSecret, p.AppQR = secret, "/profile/security/totp/qr.png?v="+strconv.FormatInt(h.Now().UnixNano(), 36)
			})
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	if len(name) > 60 {
		name = name[:60]
	}
	h.change(w, r, "authenticator app added", "Your authenticator app is set up. You'll be asked for its code when you sign in.",
		func(ctx context.Context, si store.SignedIn) error {
			err := h.Secrets.Confirm(ctx, h.Store, si.Organisation.ID, si.Member.ID, name, secret, r.PostFormValue("code"), h.Now())
			if err != nil {
				return err
			}
			return h.Store.DeleteOneTimeCode(ctx, si.Organisation.ID, si.Member.ID, totpEnrolChannel, []byte("pending"))
		}, func(*web.SecurityPage) {})
}

func (h *SecurityHandler) removeApp(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	h.change(w, r, "authenticator app removed", "The authenticator app was removed.",
		func(ctx context.Context, si store.SignedIn) error {
			return deleteFactorOf(ctx, h.Store, si, totp.Name, id)
		}, func(*web.SecurityPage) {})
}

// deleteFactorOf deletes the member's factor id only if it is of method.
func deleteFactorOf(ctx context.Context, tx Store, si store.SignedIn, method string, id int64) error {
	list, err := tx.MemberMFAFactors(ctx, si.Organisation.ID, si.Member.ID)
	if err != nil {
		return err
	}
	for _, f := range list {
		if f.ID == id && f.Method == method {
			return tx.DeleteMFAFactor(ctx, si.Organisation.ID, si.Member.ID, id)
		}
	}
	return store.ErrNotFound
}

func (h *SecurityHandler) newBackupCodes(w http.ResponseWriter, r *http.Request) {
	var codes []string
	h.change(w, r, "backup codes generated", "New backup codes are ready; any older ones no longer work.",
		func(ctx context.Context, si store.SignedIn) (err error) {
			codes, err = h.Backup.Generate(ctx, h.Store, si.Organisation.ID, si.Member.ID, h.Now())
			return err
		}, func(p *web.SecurityPage) { p.NewBackupCodes = codes })
}

func (h *SecurityHandler) forgetDevice(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	h.change(w, r, "remembered browser forgotten", "That browser will be asked for a second factor again.",
		func(ctx context.Context, si store.SignedIn) error {
			return h.Store.DeleteTrustedDevice(ctx, si.Organisation.ID, si.Member.ID, id)
		}, func(*web.SecurityPage) {})
}

func (h *SecurityHandler) forgetAllDevices(w http.ResponseWriter, r *http.Request) {
	h.change(w, r, "all remembered browsers forgotten", "Every browser will be asked for a second factor again.",
		func(ctx context.Context, si store.SignedIn) error {
			_, err := h.Store.DeleteMemberTrustedDevices(ctx, si.Organisation.ID, si.Member.ID)
			return err
		}, func(*web.SecurityPage) {})
}

func (h *SecurityHandler) showPhone(w http.ResponseWriter, r *http.Request) {
	h.renderPhone(w, r, http.StatusOK, web.Notice{}, "", "")
}

func (h *SecurityHandler) renderPhone(w http.ResponseWriter, r *http.Request, status int, notice web.Notice, number, region string) {
	si, _ := session.SignedInFrom(r.Context())
	page, err := phone.Page(r.Context(), h.Store, si.Organisation.ID, si.Member.ID, h.Now(), number, region)
	if err != nil {
		h.serverError(w, err)
		return
	}
	page.Notice, page.Member, page.Action, page.Cancel = notice, web.MemberViewOf(si), "/profile/security/phone", "/profile/security"
	h.Pages.Phone(w, status, page)
}

func (h *SecurityHandler) submitPhone(w http.ResponseWriter, r *http.Request) {
	si, _ := session.SignedInFrom(r.Context())
	ctx := r.Context()
	if r.PostFormValue("action") == "send" {
		notice, err := phone.SendCode(ctx, h.Store, otpcode.KeyFrom(h.Secrets.Box()), nil, si.Organisation, si.Member.ID, r.PostForm, h.Now())
		switch {
		case err != nil:
			h.serverError(w, err)
		case notice.Text != "":
			h.renderPhone(w, r, http.StatusBadRequest, notice, r.PostFormValue("phone"), r.PostFormValue("country"))
		default:
			http.Redirect(w, r, "/profile/security/phone", http.StatusSeeOther)
		}
		return
	}
	number, err := phone.Check(ctx, h.Store, otpcode.KeyFrom(h.Secrets.Box()), nil, si.Organisation.ID, si.Member.ID, r.PostFormValue("code"), h.Now())
	if errors.Is(err, mfa.ErrWrongCode) {
		h.renderPhone(w, r, http.StatusUnauthorized, web.Notice{Kind: "error",
			Text: "That code is not right, or it has expired. Check it, or send a new one."}, "", "")
		return
	}
	if err != nil {
		h.serverError(w, err)
		return
	}
	h.change(w, r, "mobile number "+sms.Mask(number)+" verified", "Your mobile number is verified.",
		func(ctx context.Context, si store.SignedIn) error {
			return code.SetPhone(ctx, h.Store, si.Organisation.ID, si.Member.ID, number, h.Now())
		}, func(*web.SecurityPage) {})
}

func (h *SecurityHandler) removePhone(w http.ResponseWriter, r *http.Request) {
	h.change(w, r, "mobile number removed", "Your mobile number was removed.",
		func(ctx context.Context, si store.SignedIn) error {
			_, err := h.Store.DeleteMemberMFAFactors(ctx, si.Organisation.ID, si.Member.ID, code.PhoneMethod)
			return err
		}, func(*web.SecurityPage) {})
}

func (h *SecurityHandler) serverError(w http.ResponseWriter, err error) {
	h.Log.Error("security page", "err", err)
	h.Pages.Error(w, http.StatusInternalServerError, web.ErrorPage{Heading: "Something went wrong",
		Message: "We couldn't save your change. Please try again in a moment."})
}
