package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// LockedNotice is the one answer while an account is locked, for right and
// wrong passwords and for members and non-members alike.
func LockedNotice(until, now time.Time) Notice {
	return Notice{Kind: "error",
		Text: "Account locked. There were too many failed sign-in attempts.",
		Items: []string{
			fmt.Sprintf("You can try again after %s (in %s).", until.UTC().Format("15:04 UTC on 2 Jan 2006"), InWords(until.Sub(now))),
			"Your organisation's administrator can unlock your account sooner.",
		}}
}

// InWords says a duration the way a person would, rounded up.
func InWords(d time.Duration) string {
	switch {
	case d <= time.Minute:
		return plural(max(1, int((d+time.Second-1)/time.Second)), "second")
	case d < 2*time.Hour:
		return plural(int((d+time.Minute-1)/time.Minute), "minute")
	}
	return plural(int((d+time.Hour-1)/time.Hour), "hour")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// ReauthPage asks a signed-in member for their password again.
type ReauthPage struct {
	Layout
	ReturnTo string
}

// Reauth renders the re-authentication page.
func (r *Renderer) Reauth(w http.ResponseWriter, status int, p ReauthPage) {
	p.Title = "Confirm it's you"
	r.render(w, status, "reauth", p)
}

// SessionsPage is "Where you're signed in": the member's sessions.
type SessionsPage struct {
	Layout
	Sessions []SessionView
}

// SessionView is one signed-in browser as the member sees it.
type SessionView struct {
	ID           int64
	Device       string
	Address      string
	Started      time.Time
	LastSeen     time.Time
	Current      bool // the browser looking at the page
	KeptSignedIn bool
}

// Sessions renders the member's sessions.
func (r *Renderer) Sessions(w http.ResponseWriter, p SessionsPage) {
	p.Title = "Where you're signed in"
	r.render(w, http.StatusOK, "sessions", p)
}
