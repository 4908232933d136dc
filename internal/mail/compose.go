package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"imslogin/internal/store"
)

// The kinds of message, each a pair of templates.
const (
	Invitation      = "invitation"       // verify your email and set a password
	PasswordReset   = "password-reset"   // link to the reset form
	PasswordChanged = "password-changed" // notice after a reset or change
	AccountLocked   = "account-locked"   // notice that failed sign-ins locked the account
	MemberAdded     = "member-added"     // notice to administrators of a new team member
	MFACode         = "mfa-code"         // a one-time sign-in code
	MFAReset        = "mfa-reset"        // notice that an administrator reset the second factors
	EmailCode       = "email-code"       // a code proving the member reads this address
	EmailChanged    = "email-changed"    // notice to the old address after a change
)

// Message is an email to write to the outbox.
type Message struct {
	OrgID int64
	To    string
	Kind  string
	Data  Data
	// At is when the message is queued; zero means now.
	At time.Time
}

// Data is what the templates show.
type Data struct {
	Organisation string
	Name         string // the recipient's name
	Link         string // the link to follow, if any
	// ValidFor says how long Link works, in words ("7 days").
	ValidFor string
	Extra    map[string]string
	// Accent is the organisation's branding colour ("#rrggbb", checked
	// for contrast when it was set); Enqueue fills it in.
	Accent string
	// LogoURL is the absolute address of the organisation's logo, built
	// only from configured addresses (never a request's Host); "" for
	// none. Enqueue drops it unless the organisation has a logo.
	LogoURL string
}

// AccentColour is the colour of the email's buttons: the organisation's,
// or the product's.
func (d Data) AccentColour() string {
	if d.Accent == "" {
		return "#0b5cad"
	}
	return d.Accent
}

// Logos gives the address of an organisation's logo for its emails (see
// Data.LogoURL), built from configured addresses; a nil Logos gives none.
type Logos func(store.Organisation) string

// For is org's logo address, or "".
func (l Logos) For(org store.Organisation) string {
	if l == nil {
		return ""
	}
	return l(org)
}

// brandedQueue is a queue that also knows organisations' branding; the
// store is one.
type brandedQueue interface {
	Branding(ctx context.Context, orgID int64) (store.Branding, error)
}

//go:embed templates
var templateFiles embed.FS

type kind struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// kinds are parsed once at start-up; a broken template panics here, and
// the package's tests render every kind.
var kinds = mustParse(Invitation, PasswordReset, PasswordChanged, AccountLocked, MemberAdded, EmailCode, EmailChanged, MFACode, MFAReset)

func mustParse(names ...string) map[string]kind {
	m := map[string]kind{}
	for _, name := range names {
		text, err := texttemplate.ParseFS(templateFiles, "templates/"+name+".txt")
		if err != nil {
			panic(err)
		}
		html, err := htmltemplate.ParseFS(templateFiles, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			panic(err)
		}
		m[name] = kind{text: text, html: html}
	}
	return m
}

// Kinds lists every kind of message there is a template for.
func Kinds() []string {
	var list []string
	for k := range kinds {
		list = append(list, k)
	}
	return list
}

// Render makes the subject and both bodies of a message.
func Render(kindName string, d Data) (subject, text, html string, err error) {
	k, ok := kinds[kindName]
	if !ok {
		return "", "", "", fmt.Errorf("mail: no template for %q", kindName)
	}
	var tb, hb bytes.Buffer
	if err := k.text.Execute(&tb, d); err != nil {
		return "", "", "", fmt.Errorf("mail: %s.txt: %w", kindName, err)
	}
	first, body, _ := strings.Cut(tb.String(), "\n")
	subject, ok = strings.CutPrefix(first, "Subject: ")
	if !ok || strings.TrimSpace(subject) == "" {
		return "", "", "", fmt.Errorf("mail: %s.txt must start with a Subject: line", kindName)
	}
	if err := k.html.ExecuteTemplate(&hb, "layout.html", struct {
		Data
		Subject string
	}{d, subject}); err != nil {
		return "", "", "", fmt.Errorf("mail: %s.html: %w", kindName, err)
	}
	return strings.TrimSpace(subject), strings.TrimLeft(body, "\n"), hb.String(), nil
}

// withBranding gives d the organisation's accent colour, and keeps its
// logo only when there is one to show: a broken image is worse than none.
func withBranding(ctx context.Context, tx Queue, orgID int64, d Data) Data {
	var brand store.Branding
	if b, ok := tx.(brandedQueue); ok {
		if found, err := b.Branding(ctx, orgID); err == nil {
			brand = found
		}
	}
	if d.Accent == "" {
		d.Accent = brand.Accent
	}
	if len(brand.Logo) == 0 {
		d.LogoURL = ""
	}
	return d
}

// Queue is where Enqueue writes: the outbox.
type Queue interface {
	EnqueueMail(ctx context.Context, m *store.MailMessage) error
}

// Enqueue renders m and writes it to the outbox, inside the transaction of
// the change the message reports when ctx carries one.
func Enqueue(ctx context.Context, tx Queue, m Message) error {
	if m.OrgID == 0 || m.To == "" || strings.ContainsAny(m.To, "\r\n") {
		return errors.New("mail: a message needs an organisation and one recipient")
	}
	m.Data = withBranding(ctx, tx, m.OrgID, m.Data)
	subject, text, html, err := Render(m.Kind, m.Data)
	if err != nil {
		return err
	}
	at := m.At
	if at.IsZero() {
		at = time.Now()
	}
	return tx.EnqueueMail(ctx, &store.MailMessage{
		OrgID: m.OrgID, MessageID: strings.ToLower(rand.Text()), Kind: m.Kind, To: m.To, Subject: subject,
		Text: text, HTML: html, Status: store.MailPending, NextAttemptAt: at, CreatedAt: at,
	})
}
