package portal

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"imslogin/internal/store"
)

func TestCheckURI(t *testing.T) {
	long := "https://app.example.org/" + strings.Repeat("a", MaxURILength)
	tests := []struct {
		uri      string
		fragment bool   // allowFragment
		want     string // part of the reason; "" for accepted
	}{
		{"https://app.example.org/callback", false, ""},
		{"https://app.example.org:8443/cb?tenant=acme", false, ""},
		{"http://127.0.0.1:9000/callback", false, ""},
		{"http://localhost/callback", false, ""},
		{"http://LOCALHOST:3000/cb", false, ""},
		{"http://[::1]:8080/cb", false, ""},
		{"http://app.example.org/callback", false, "plain http is allowed only for"},
		{"http://127.0.0.2/callback", false, "plain http is allowed only for"},
		{"http://localhost.example.org/cb", false, "plain http is allowed only for"},
		{"https://app.example.org/cb#section", false, "fragment"},
		{"https://app.example.org/cb#", false, "fragment"},
		{"https://app.example.org/#/home", true, ""},
		{"https://*.example.org/callback", false, "wildcards"},
		{"https://app.example.org/*", false, "wildcards"},
		{"javascript:alert(1)", false, `scheme "javascript"`},
		{"JavaScript:alert(1)//https://x", false, `scheme "javascript"`},
		{"data:text/html,<script>alert(1)</script>", false, `scheme "data"`},
		{"ftp://files.example.org/", false, `scheme "ftp"`},
		{"com.example.app:/callback", false, `scheme "com.example.app"`},
		{"/callback", false, "absolute"},
		{"app.example.org/callback", false, "absolute"},
		{"//app.example.org/callback", false, "absolute"},
		{"https:///callback", false, "host"},
		{"https:app.example.org", false, "host"},
		{"https://user:pass@app.example.org/cb", false, "user name or password"},
		{"https://app.example.org/call back", false, "spaces"},
		{"https://app.example.org/cb\n", false, "control"},
		{"https://app.example.org:port/cb", false, "not a valid address"},
		{long, false, "too long"},
	}
	for _, tc := range tests {
		got := CheckURI(tc.uri, tc.fragment)
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("CheckURI(%q): got %q, want %q", tc.uri, got, tc.want)
		}
	}
}

func validInput() Input {
	return Input{Name: "Wiki", RedirectURIs: []string{"https://wiki.acme.test/cb"}, Confidential: true}
}

func TestCheckInput(t *testing.T) {
	many := make([]string, MaxURIs+1)
	for i := range many {
		many[i] = fmt.Sprintf("https://wiki.acme.test/cb%d", i)
	}
	tests := []struct {
		name  string
		edit  func(*Input)
		field string // the field refused; "" for accepted
		want  string // part of its message
	}{
		{"valid", func(*Input) {}, "", ""},
		{"no name", func(in *Input) { in.Name = "   " }, "name", "Give the portal a name"},
		{"long name", func(in *Input) { in.Name = strings.Repeat("n", MaxNameLength+1) }, "name", "too long"},
		{"control in name", func(in *Input) { in.Name = "Wiki\x00" }, "name", "control"},
		{"public without redirect URI", func(in *Input) { in.Confidential, in.RedirectURIs = false, nil }, "redirect_uris", "at least one"},
		{"confidential back end without one", func(in *Input) { in.RedirectURIs = []string{" ", ""} }, "", ""},
		{"too many redirect URIs", func(in *Input) { in.RedirectURIs = many }, "redirect_uris", "At most 20"},
		{"duplicates count once", func(in *Input) { in.RedirectURIs = append(many[:MaxURIs:MaxURIs], many[0]) }, "", ""},
		{"http redirect", func(in *Input) { in.RedirectURIs = []string{"http://wiki.acme.test/cb"} }, "redirect_uris", "http://wiki.acme.test/cb: plain http"},
		{"post-logout fragment", func(in *Input) { in.PostLogoutRedirectURIs = []string{"https://wiki.acme.test/#bye"} }, "post_logout_redirect_uris", "fragment"},
		{"back-channel wildcard", func(in *Input) { in.BackchannelLogoutURI = "https://*.acme.test/bcl" }, "backchannel_logout_uri", "wildcards"},
		{"home relative", func(in *Input) { in.HomeURL = "/wiki" }, "home_url", "absolute"},
		{"home javascript", func(in *Input) { in.HomeURL = "javascript:alert(1)" }, "home_url", "javascript"},
		{"unknown access", func(in *Input) { in.Access = "everyone" }, "access", "all, roles or members"},
		{"unknown algorithm", func(in *Input) { in.SigningAlgorithm = "HS256" }, "signing_algorithm", "ES256 or RS256"},
		{"rs256 any case", func(in *Input) { in.SigningAlgorithm = "rs256" }, "", ""},
		{"access token too short", func(in *Input) { in.AccessTokenLifetime = 30 * time.Second }, "access_token_lifetime", "from 1 minute to 1 day"},
		{"access token too long", func(in *Input) { in.AccessTokenLifetime = 25 * time.Hour }, "access_token_lifetime", "from 1 minute"},
		{"ID token negative", func(in *Input) { in.IDTokenLifetime = -time.Minute }, "id_token_lifetime", "from 1 minute"},
		{"refresh too long", func(in *Input) { in.RefreshTokenLifetime = 366 * 24 * time.Hour }, "refresh_token_lifetime", "to 365 days"},
		{"fractional seconds", func(in *Input) { in.RefreshTokenLifetime = 2*time.Hour + time.Millisecond }, "refresh_token_lifetime", "whole seconds"},
		{"grace too long", func(in *Input) { in.RefreshGrace = 2 * time.Minute }, "refresh_grace", "from 0 seconds to 1 minute"},
		{"grace in bounds", func(in *Input) { in.RefreshGrace = 10 * time.Second }, "", ""},
		{"unknown scope", func(in *Input) { in.AllowedScopes = []string{"openid", "phone"} }, "allowed_scopes", `"phone" is not a scope`},
		{"empty scope list", func(in *Input) { in.AllowedScopes = []string{} }, "allowed_scopes", "at least openid"},
		{"blank scopes only", func(in *Input) { in.AllowedScopes = []string{" ", ""} }, "allowed_scopes", "at least openid"},
		{"scopes without openid", func(in *Input) { in.AllowedScopes = []string{"email"} }, "allowed_scopes", "openid must be among"},
		{"openid alone", func(in *Input) { in.AllowedScopes = []string{"openid"} }, "", ""},
	}
	for _, tc := range tests {
		in := validInput()
		tc.edit(&in)
		_, invalid := check(in)
		switch {
		case tc.field == "" && invalid != nil:
			t.Errorf("%s: refused: %v", tc.name, invalid)
		case tc.field != "" && (invalid == nil || !strings.Contains(invalid.Fields[tc.field], tc.want)):
			t.Errorf("%s: got %v, want %s refused with %q", tc.name, invalid, tc.field, tc.want)
		}
	}
}

func TestCheckAppliesDefaults(t *testing.T) {
	p, invalid := check(Input{Name: "  Wiki ", RedirectURIs: []string{" https://wiki.acme.test/cb ", "https://wiki.acme.test/cb"}})
	if invalid != nil {
		t.Fatal(invalid)
	}
	if p.Name != "Wiki" || len(p.RedirectURIs) != 1 || p.RedirectURIs[0] != "https://wiki.acme.test/cb" {
		t.Errorf("trimmed: %+v", p)
	}
	if p.Access != store.PortalAccessAll || p.SigningAlgorithm != ES256 || p.AccessTokenLifetime != 10*time.Minute ||
		p.IDTokenLifetime != 10*time.Minute || p.RefreshTokenLifetime != 30*24*time.Hour || p.RefreshGrace != 0 ||
		!p.RequirePKCE || !slices.Equal(p.AllowedScopes, Scopes) {
		t.Errorf("defaults: %+v", p)
	}
}

// TestCheckPKCEAndScopes: PKCE may be made optional for a confidential
// portal only; scopes come back once each, in the provider's order.
func TestCheckPKCEAndScopes(t *testing.T) {
	off := false
	for _, tc := range []struct {
		confidential bool
		want         bool
	}{{true, false}, {false, true}} {
		in := validInput()
		in.Confidential, in.RequirePKCE = tc.confidential, &off
		if p, invalid := check(in); invalid != nil || p.RequirePKCE != tc.want {
			t.Errorf("confidential %v, PKCE off: stored %v (%v), want %v", tc.confidential, p.RequirePKCE, invalid, tc.want)
		}
	}
	in := validInput()
	in.AllowedScopes = []string{" roles", "email", "openid", "email"}
	if p, invalid := check(in); invalid != nil || !slices.Equal(p.AllowedScopes, []string{"openid", "email", "roles"}) {
		t.Errorf("scopes: got %v (%v), want [openid email roles]", p.AllowedScopes, invalid)
	}
}

func TestEveryProblemIsReportedAtOnce(t *testing.T) {
	_, invalid := check(Input{Name: "", RedirectURIs: []string{"http://x.test/"}, AccessTokenLifetime: time.Second, Access: "x"})
	if invalid == nil || len(invalid.Fields) != 4 {
		t.Errorf("got %v, want name, redirect_uris, access and access_token_lifetime", invalid)
	}
}

func TestWords(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0 seconds", time.Second: "1 second", 90 * time.Second: "90 seconds",
		10 * time.Minute: "10 minutes", time.Hour: "1 hour", 30 * 24 * time.Hour: "30 days"} {
		if got := Words(d); got != want {
			t.Errorf("Words(%v) = %q, want %q", d, got, want)
		}
	}
}
