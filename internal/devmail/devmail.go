// Package devmail is the demo's development mailbox: a page showing every
// email and text message in the outboxes, so every flow can be followed without a mail server.
// It is mounted by `ims demo` only, never by `ims serve`.
package devmail

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"

	"imslogin/internal/store"
	"imslogin/web"
)

// Handler serves /dev/mail.
type Handler struct {
	Store interface {
		RecentMail(ctx context.Context, limit int) ([]store.MailMessage, error)
		RecentSMS(ctx context.Context, limit int) ([]store.SMSMessage, error)
	}
	Pages *web.Renderer
	Log   *slog.Logger
}

// Mount registers the handler's routes.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /dev/mail", h.show)
}

var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

func (h *Handler) show(w http.ResponseWriter, r *http.Request) {
	msgs, err := h.Store.RecentMail(r.Context(), 100)
	if err != nil {
		h.Log.Error("development mailbox", "err", err)
		h.Pages.Error(w, http.StatusInternalServerError, web.ErrorPage{Heading: "Something went wrong",
			Message: "The mailbox could not be read. Please try again."})
		return
	}
	page := web.MailboxPage{}
	for _, m := range msgs {
		page.Messages = append(page.Messages, web.MailView{ID: m.ID, To: m.To, Subject: m.Subject, Kind: m.Kind,
			Status: string(m.Status), Attempts: m.Attempts, LastError: m.LastError, CreatedAt: m.CreatedAt,
			Text: m.Text, Links: linkPattern.FindAllString(m.Text, -1)})
	}
	texts, err := h.Store.RecentSMS(r.Context(), 100)
	if err != nil {
		h.Log.Error("development mailbox", "err", err)
	}
	for _, m := range texts {
		page.Texts = append(page.Texts, web.TextView{To: m.To, Body: m.Body, Status: string(m.Status), CreatedAt: m.CreatedAt})
	}
	h.Pages.Mailbox(w, page)
}
