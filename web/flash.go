package web

import (
	"net/http"

	"imslogin/internal/cookie"
)

// Flash notices survive one redirect in a short cookie. The cookie carries
// only a key into this table, so nobody can make a page say anything else.
var flashes = map[string]Notice{
	"signed-in":             {Kind: "success", Text: "You have signed in successfully."},
	"signed-out":            {Kind: "info", Text: "You have signed out."},
	"signed-out-everywhere": {Kind: "info", Text: "You have signed out everywhere: every browser signed in to your account is now signed out."},
	"session-revoked":       {Kind: "success", Text: "That browser is signed out. Its next request will need a new sign-in."},
	"password-reset":        {Kind: "success", Text: "Your password has been reset and you were signed out everywhere. Sign in with your new password."},
	"password-changed":      {Kind: "success", Text: "Your password has been changed. You were signed out on every other device."},
	"code-resent":           {Kind: "success", Text: "A new code is on its way. Only this newest code works now."},
	"email-code-sent":       {Kind: "success", Text: "We sent a 6-digit code. Enter it below to finish."},
	"email-verified":        {Kind: "success", Text: "Your email address is verified."},
	"email-changed":         {Kind: "success", Text: "Your email address is changed and verified. Sign in with it from now on."},
	"invitation-accepted":   {Kind: "success", Text: "Your email address is verified and your password is set. Welcome!"},
	"portal-revoked":        {Kind: "success", Text: "The portal's access is revoked: it is signed out and must ask again the next time you open it."},
}

const flashCookie = "ims_flash"

// SetFlash shows the notice for key on the next page the browser opens.
// On a site served over https (SecureResponses) the cookie is Secure.
func SetFlash(w http.ResponseWriter, key string) {
	http.SetCookie(w, cookie.New(flashCookie, key, 60, secureResponse(w)))
}

// secureResponses marks the responses of a site served over https.
type secureResponses struct{ http.ResponseWriter }

// Unwrap lets http.ResponseController reach the connection's writer.
func (s secureResponses) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// SecureResponses marks w as a response of a site served over https: the
// cookies this package sets on it are Secure. The server wraps every
// response once, when its public URL is https.
func SecureResponses(w http.ResponseWriter) http.ResponseWriter { return secureResponses{w} }

// secureResponse reports whether w, or a writer it wraps, was marked by
// SecureResponses.
func secureResponse(w http.ResponseWriter) bool {
	for {
		if _, ok := w.(secureResponses); ok {
			return true
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return false
		}
		w = u.Unwrap()
	}
}

// TakeFlash returns the pending notice, if any, and clears it.
func TakeFlash(w http.ResponseWriter, r *http.Request) Notice {
	secure := secureResponse(w)
	key := cookie.Value(r, flashCookie, secure)
	if key == "" {
		return Notice{}
	}
	http.SetCookie(w, cookie.Clear(flashCookie, secure))
	if n, ok := flashes[key]; ok {
		return n
	}
	return adminFlashes[key]
}
