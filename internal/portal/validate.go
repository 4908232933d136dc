package portal

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"imslogin/internal/store"
)

// Bounds of what a portal may be registered with.
const (
	MaxNameLength = 100
	MaxURIs       = 20   // per list (redirect URIs, post-logout redirect URIs)
	MaxURILength  = 2000 // characters
	MaxRoles      = 50
	MaxMembers    = 1000
)

// Lifetime is a token lifetime's default and bounds.
type Lifetime struct {
	Field             string // the form and API field
	Label             string
	Default, Min, Max time.Duration
}

// The token lifetimes a portal may choose. Access and ID tokens are short:
// they cannot be revoked once issued. The refresh grace is how long a
// rotated refresh token keeps working for clients that race (0: reuse
// revokes the family at once).
var (
	AccessTokenLifetime  = Lifetime{"access_token_lifetime", "Access token lifetime", 10 * time.Minute, time.Minute, 24 * time.Hour}
	IDTokenLifetime      = Lifetime{"id_token_lifetime", "ID token lifetime", 10 * time.Minute, time.Minute, 24 * time.Hour}
	RefreshTokenLifetime = Lifetime{"refresh_token_lifetime", "Refresh token lifetime", 30 * 24 * time.Hour, time.Hour, 365 * 24 * time.Hour}
	RefreshGrace         = Lifetime{"refresh_grace", "Refresh token grace period", 0, 0, time.Minute}
)

// Signing algorithms of ID tokens: ES256 unless the portal's library
// knows only RS256.
const (
	ES256 = "ES256"
	RS256 = "RS256"
)

// Input is a portal as an administrator gives it (page, API or command
// line). Zero lifetimes, access and algorithm take their defaults.
type Input struct {
	Name                   string
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	BackchannelLogoutURI   string
	HomeURL                string
	Confidential           bool
	FirstParty             bool
	Access                 store.PortalAccess
	// Roles are role keys ("owner", "administrator", "member", "role:ID")
	// or custom roles' names.
	Roles []string
	// MemberIDs and MemberEmails together are the chosen members.
	MemberIDs            []int64
	MemberEmails         []string
	AccessTokenLifetime  time.Duration
	IDTokenLifetime      time.Duration
	RefreshTokenLifetime time.Duration
	RefreshGrace         time.Duration
	SigningAlgorithm     string
	// RequirePKCE: nil is on, the default. A public portal requires PKCE
	// whatever is given.
	RequirePKCE *bool
	// AllowedScopes: nil is every scope (the default); a list given must
	// name scopes of Scopes, openid among them.
	AllowedScopes []string
}

// Scopes are the scopes a portal may be allowed, in the provider's order
// (the provider's own list, internal/oidc Scopes). openid is always among
// a portal's: every sign-in asks for it.
var Scopes = []string{"openid", "profile", "email", "offline_access", "roles"}

// ScopeOpenID is the scope every portal is allowed.
const ScopeOpenID = "openid"

// InputOf is a stored portal as input, for forms and partial updates.
func InputOf(p store.Portal) Input {
	return Input{Name: p.Name, RedirectURIs: p.RedirectURIs, PostLogoutRedirectURIs: p.PostLogoutRedirectURIs,
		BackchannelLogoutURI: p.BackchannelLogoutURI, HomeURL: p.HomeURL, Confidential: p.Confidential,
		FirstParty: p.FirstParty, Access: p.Access, Roles: p.Roles, MemberIDs: p.MemberIDs,
		AccessTokenLifetime: p.AccessTokenLifetime, IDTokenLifetime: p.IDTokenLifetime,
		RefreshTokenLifetime: p.RefreshTokenLifetime, RefreshGrace: p.RefreshGrace, SigningAlgorithm: p.SigningAlgorithm,
		RequirePKCE: &p.RequirePKCE, AllowedScopes: p.AllowedScopes}
}

// Invalid is input the rules refuse, with a message per field (the form
// and API field names); nothing was written.
type Invalid struct{ Fields map[string]string }

func (e *Invalid) Error() string {
	var fields []string
	for f := range e.Fields {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	var parts []string
	for _, f := range fields {
		parts = append(parts, f+": "+e.Fields[f])
	}
	return "invalid portal: " + strings.Join(parts, "; ")
}

// check validates everything that needs no store and returns the portal it
// describes (without IDs, client ID, roles, members or times); the roles
// and members are checked against the organisation by the Service.
func check(in Input) (store.Portal, *Invalid) {
	errs := map[string]string{}
	set := func(field, msg string) {
		if _, seen := errs[field]; !seen {
			errs[field] = msg
		}
	}
	p := store.Portal{Name: strings.TrimSpace(in.Name), Confidential: in.Confidential, FirstParty: in.FirstParty,
		Access: in.Access, SigningAlgorithm: strings.ToUpper(strings.TrimSpace(in.SigningAlgorithm))}
	if msg := checkName(p.Name); msg != "" {
		set("name", msg)
	}
	var msg string
	if p.RedirectURIs, msg = checkURIs(in.RedirectURIs, false); msg != "" {
		set("redirect_uris", msg)
	} else if len(p.RedirectURIs) == 0 && !p.Confidential {
		set("redirect_uris", "Give at least one redirect URI: a public portal signs members in only through one.")
	}
	if p.PostLogoutRedirectURIs, msg = checkURIs(in.PostLogoutRedirectURIs, false); msg != "" {
		set("post_logout_redirect_uris", msg)
	}
	p.BackchannelLogoutURI = strings.TrimSpace(in.BackchannelLogoutURI)
	if p.BackchannelLogoutURI != "" {
		if msg := CheckURI(p.BackchannelLogoutURI, false); msg != "" {
			set("backchannel_logout_uri", msg)
		}
	}
	p.HomeURL = strings.TrimSpace(in.HomeURL)
	if p.HomeURL != "" {
		if msg := CheckURI(p.HomeURL, true); msg != "" {
			set("home_url", msg)
		}
	}
	if p.Access == "" {
		p.Access = store.PortalAccessAll
	}
	if !p.Access.Valid() {
		set("access", "Choose who may use the portal: all, roles or members.")
	}
	if p.SigningAlgorithm == "" {
		p.SigningAlgorithm = ES256
	}
	if p.SigningAlgorithm != ES256 && p.SigningAlgorithm != RS256 {
		set("signing_algorithm", "Choose ES256 or RS256.")
	}
	p.RequirePKCE = in.RequirePKCE == nil || *in.RequirePKCE || !p.Confidential
	if p.AllowedScopes, msg = checkScopes(in.AllowedScopes); msg != "" {
		set("allowed_scopes", msg)
	}
	for _, lt := range []struct {
		l   Lifetime
		in  time.Duration
		out *time.Duration
	}{
		{AccessTokenLifetime, in.AccessTokenLifetime, &p.AccessTokenLifetime},
		{IDTokenLifetime, in.IDTokenLifetime, &p.IDTokenLifetime},
		{RefreshTokenLifetime, in.RefreshTokenLifetime, &p.RefreshTokenLifetime},
		{RefreshGrace, in.RefreshGrace, &p.RefreshGrace},
	} {
		d, msg := lt.l.check(lt.in)
		if msg != "" {
			set(lt.l.Field, msg)
		}
		*lt.out = d
	}
	if len(errs) > 0 {
		return p, &Invalid{Fields: errs}
	}
	return p, nil
}

func checkName(name string) string {
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return "Give the portal a name."
	case n > MaxNameLength:
		return fmt.Sprintf("The name is too long (%d characters, at most %d).", n, MaxNameLength)
	case strings.ContainsFunc(name, unicode.IsControl):
		return "The name must not contain control characters."
	}
	return ""
}

// checkScopes reads the scopes a portal is allowed: nil is all of them;
// otherwise each must be one of Scopes, openid among them. It returns them
// in the provider's order without repeats, or the problem as a sentence.
func checkScopes(list []string) ([]string, string) {
	if list == nil {
		return slices.Clone(Scopes), ""
	}
	given := map[string]bool{}
	for _, raw := range list {
		s := strings.TrimSpace(raw)
		if s == "" {
			continue
		}
		if !slices.Contains(Scopes, s) {
			return nil, fmt.Sprintf("%q is not a scope IMS Login knows: choose from %s.", shorten(s), strings.Join(Scopes, ", "))
		}
		given[s] = true
	}
	if len(given) == 0 {
		return nil, "Choose the scopes the portal may ask for: at least openid."
	}
	if !given[ScopeOpenID] {
		return nil, "openid must be among the scopes: every sign-in asks for it."
	}
	var out []string
	for _, s := range Scopes {
		if given[s] {
			out = append(out, s)
		}
	}
	return out, ""
}

// check applies the lifetime's default to zero and its bounds otherwise.
// A lifetime whose minimum is zero (the grace) has no default but zero.
func (l Lifetime) check(d time.Duration) (time.Duration, string) {
	if d == 0 {
		return l.Default, ""
	}
	if d < l.Min || d > l.Max || d%time.Second != 0 {
		return d, fmt.Sprintf("%s must be whole seconds from %s to %s.", l.Label, Words(l.Min), Words(l.Max))
	}
	return d, ""
}

// Words writes a duration for people: "10 minutes", "30 days".
func Words(d time.Duration) string {
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d == 0:
		return "0 seconds"
	case d%(24*time.Hour) == 0:
		return plural(int64(d/(24*time.Hour)), "day")
	case d%time.Hour == 0:
		return plural(int64(d/time.Hour), "hour")
	case d%time.Minute == 0:
		return plural(int64(d/time.Minute), "minute")
	}
	return plural(int64(d/time.Second), "second")
}

// checkURIs trims a list, drops empty entries and duplicates, and checks
// each address; it returns the first problem as a sentence naming it.
func checkURIs(list []string, allowFragment bool) ([]string, string) {
	var out []string
	for _, raw := range list {
		u := strings.TrimSpace(raw)
		if u == "" || slices.Contains(out, u) {
			continue
		}
		if msg := CheckURI(u, allowFragment); msg != "" {
			return nil, fmt.Sprintf("%s: %s", shorten(u), msg)
		}
		out = append(out, u)
	}
	if len(out) > MaxURIs {
		return nil, fmt.Sprintf("At most %d addresses (%d given).", MaxURIs, len(out))
	}
	return out, ""
}

func shorten(s string) string {
	if utf8.RuneCountInString(s) > 60 {
		return string([]rune(s)[:57]) + "…"
	}
	return s
}

// CheckURI checks an address a portal registers: absolute, https (plain
// http only on a loopback host, for development), no user name or
// password, no wildcard, and, unless allowFragment, no fragment (OAuth 2.0
// forbids one in a redirect URI). Addresses are compared exactly when
// used, so what is stored is what must be sent. It returns "" when the
// address is acceptable, else the reason.
func CheckURI(raw string, allowFragment bool) string {
	if n := utf8.RuneCountInString(raw); n > MaxURILength {
		return fmt.Sprintf("too long (%d characters, at most %d)", n, MaxURILength)
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return "must not contain spaces or control characters"
	}
	if strings.Contains(raw, "*") {
		return "wildcards are not allowed: each address is matched exactly"
	}
	if !allowFragment && strings.Contains(raw, "#") {
		return "must not contain a fragment (#…)"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "not a valid address"
	}
	if u.Scheme == "" {
		return "must be an absolute address starting with https://"
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Sprintf("the scheme %q is not allowed: use https://", u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return "must name a host: https://host/path"
	}
	if u.User != nil {
		return "must not contain a user name or password"
	}
	if u.Scheme == "http" && !Loopback(u.Hostname()) {
		return "plain http is allowed only for 127.0.0.1, localhost and [::1] (development): use https://"
	}
	return ""
}

// Loopback reports whether host names this machine.
func Loopback(host string) bool {
	return host == "127.0.0.1" || host == "::1" || strings.EqualFold(host, "localhost")
}
