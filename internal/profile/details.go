package profile

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"imslogin/internal/access"
	"imslogin/internal/audit"
	"imslogin/internal/membership"
	"imslogin/internal/session"
	"imslogin/internal/store"
	"imslogin/web"
)

// MaxAboutMe bounds "about me", in characters.
const MaxAboutMe = 2000

// MaxUploadBody is the largest request body the picture form may send: the
// picture plus the multipart envelope. The server's general limit is lower.
const MaxUploadBody = MaxPictureBytes + 64<<10

// decoding bounds how many pictures are decoded at once, across every
// handler, and how many uploads wait for a turn, so uploads cannot exhaust
// memory or pile up.
var decoding = newSlots(2, 8)

// ErrBusy refuses an upload when too many already wait to be decoded.
var ErrBusy = errors.New("Many pictures are being processed right now. Please try again in a few seconds.")

// slots is a bounded pool with a bounded queue.
type slots struct {
	free       chan struct{}
	waiting    atomic.Int64
	maxWaiting int64
}

func newSlots(n, maxWaiting int) *slots {
	return &slots{free: make(chan struct{}, n), maxWaiting: int64(maxWaiting)}
}

// acquire takes a slot, waiting while ctx lives (the request's: a client
// that leaves gives its place up), or refuses with ErrBusy at once when
// the queue is full.
func (s *slots) acquire(ctx context.Context) error {
	select {
	case s.free <- struct{}{}:
		return nil
	default:
	}
	if s.waiting.Add(1) > s.maxWaiting {
		s.waiting.Add(-1)
		return ErrBusy
	}
	defer s.waiting.Add(-1)
	select {
	case s.free <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *slots) release() { <-s.free }

// mountDetails registers the profile details and picture routes.
func (h *Handler) mountDetails(mux *http.ServeMux) {
	mux.Handle("GET /profile", h.Sessions.RequireSignIn(http.HandlerFunc(h.show)))
	mux.Handle("POST /profile", h.Sessions.RequireSignIn(http.HandlerFunc(h.save)))
	mux.Handle("POST /profile/picture", h.Sessions.RequireSignIn(http.HandlerFunc(h.upload)))
	mux.Handle("GET /pictures/{id}", h.Sessions.RequireSignIn(http.HandlerFunc(h.picture)))
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, si store.SignedIn, name, about string, errs map[string]string) {
	l := web.Layout{Notice: web.TakeFlash(w, r), Member: web.MemberViewOf(si)}
	if len(errs) > 0 {
		l.Notice = web.Notice{Kind: "error", Text: "Nothing was saved. " + firstOf(errs)}
	}
	role := access.RoleTitle(si.Member.Role)
	if si.Member.RoleID != 0 {
		if r, err := h.Store.RoleByID(r.Context(), si.Organisation.ID, si.Member.RoleID); err == nil {
			role = r.Name
		}
	}
	h.Pages.Profile(w, status, web.ProfilePage{Layout: l, Name: name, AboutMe: about, Email: si.Member.Email, Role: role,
		Organisation: si.Organisation.Name, PictureURL: web.PictureURL(si.Member), Errors: errs})
}

func firstOf(errs map[string]string) string {
	for _, f := range []string{"name", "about_me", "picture"} {
		if m := errs[f]; m != "" {
			return m
		}
	}
	return ""
}

func (h *Handler) show(w http.ResponseWriter, r *http.Request) {
	si, _ := session.SignedInFrom(r.Context())
	h.render(w, r, http.StatusOK, si, si.Member.Name, si.Member.AboutMe, nil)
}

func (h *Handler) save(w http.ResponseWriter, r *http.Request) {
	si, _ := session.SignedInFrom(r.Context())
	name := strings.TrimSpace(r.PostFormValue("name"))
	about := strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("about_me"), "\r\n", "\n"))
	errs := map[string]string{}
	if err := membership.ValidateName("name", name); err != nil {
		errs["name"] = membership.Fields(err)["name"]
	}
	if n := utf8.RuneCountInString(about); n > MaxAboutMe {
		errs["about_me"] = "About me is too long (" + strconv.Itoa(n) + " characters, at most " + strconv.Itoa(MaxAboutMe) + ")."
	} else if strings.ContainsFunc(about, func(c rune) bool { return (c < ' ' && c != '\n' && c != '\t') || c == 0x7f }) {
		errs["about_me"] = "About me must not contain control characters."
	}
	if len(errs) > 0 {
		h.render(w, r, http.StatusUnprocessableEntity, si, name, about, errs)
		return
	}
	err := h.Store.InTx(r.Context(), func(ctx context.Context) error {
		if err := h.Store.UpdateProfile(ctx, si.Organisation.ID, si.Member.ID, name, about); err != nil {
			return err
		}
		e := audit.About(audit.Event(audit.OriginOf(r), h.Now(), si.Organisation.ID, audit.MemberChange), si.Member)
		e.Detail = "profile updated"
		return h.Store.AppendAuditEvent(ctx, &e)
	})
	if err != nil {
		h.failDetails(w, si, err)
		return
	}
	web.SetFlash(w, "admin-profile-saved")
	http.Redirect(w, r, "/profile", http.StatusSeeOther)
}

func (h *Handler) upload(w http.ResponseWriter, r *http.Request) {
	si, _ := session.SignedInFrom(r.Context())
	refuse := func(status int, err error) {
		h.render(w, r, status, si, si.Member.Name, si.Member.AboutMe, map[string]string{"picture": err.Error()})
	}
	data, err := readPicture(r)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig) || errors.Is(err, ErrTooLarge):
		refuse(http.StatusRequestEntityTooLarge, ErrTooLarge)
		return
	case err != nil:
		refuse(http.StatusBadRequest, errors.New("Choose a picture to upload."))
		return
	}
	if err := decoding.acquire(r.Context()); err != nil {
		w.Header().Set("Retry-After", "2")
		refuse(http.StatusServiceUnavailable, ErrBusy)
		return
	}
	contentType, avatar, err := ProcessPicture(data)
	decoding.release()
	if err != nil {
		refuse(http.StatusUnprocessableEntity, err)
		return
	}
	err = h.Store.InTx(r.Context(), func(ctx context.Context) error {
		if err := h.Store.SetPicture(ctx, si.Organisation.ID, si.Member.ID, store.Picture{ContentType: contentType,
			Data: avatar, UpdatedAt: h.Now()}); err != nil {
			return err
		}
		e := audit.About(audit.Event(audit.OriginOf(r), h.Now(), si.Organisation.ID, audit.MemberChange), si.Member)
		e.Detail = "profile picture changed"
		return h.Store.AppendAuditEvent(ctx, &e)
	})
	if err != nil {
		h.failDetails(w, si, err)
		return
	}
	web.SetFlash(w, "admin-picture-saved")
	http.Redirect(w, r, "/profile", http.StatusSeeOther)
}

// readPicture reads the "picture" file of a multipart form, at most one
// byte beyond the limit so an oversized file is told apart.
func readPicture(r *http.Request) ([]byte, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, err
	}
	for {
		part, err := mr.NextPart()
		if err != nil {
			return nil, err
		}
		if part.FormName() != "picture" {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(part, MaxPictureBytes+1))
		if err != nil {
			return nil, err
		}
		if len(data) > MaxPictureBytes {
			return nil, ErrTooLarge
		}
		if len(data) == 0 {
			return nil, errors.New("empty file")
		}
		return data, nil
	}
}

// picture serves a member's avatar to members of the same organisation only.
func (h *Handler) picture(w http.ResponseWriter, r *http.Request) {
	si, _ := session.SignedInFrom(r.Context())
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var p store.Picture
	if err == nil {
		p, err = h.Store.Picture(r.Context(), si.Organisation.ID, id)
	}
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", p.ContentType)
	w.Header().Set("Cache-Control", "private, max-age=86400")
	w.Header().Set("Content-Disposition", `inline; filename="avatar"`)
	w.Write(p.Data)
}

func (h *Handler) failDetails(w http.ResponseWriter, si store.SignedIn, err error) {
	h.Log.Error("profile", "err", err)
	h.Pages.Error(w, http.StatusInternalServerError, web.ErrorPage{Layout: web.Layout{Member: web.MemberViewOf(si)},
		Heading: "Something went wrong", Message: "Your profile could not be saved. Please try again."})
}
