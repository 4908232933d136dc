package web

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	inputTag   = regexp.MustCompile(`<input\b[^>]*>`)
	nameAttr   = regexp.MustCompile(`\bname="([^"]*)"`)
	typeAttr   = regexp.MustCompile(`\btype="([^"]*)"`)
	autoAttr   = regexp.MustCompile(`\bautocomplete="([^"]*)"`)
	pasteBlock = regexp.MustCompile(`(?i)\bon(paste|copy|cut|drop)=`)
)

// TestPasswordFieldsAreMaskedAndOpenToPasswordManagers: every field of a
// member's password in every template is type=password and says to
// password managers which password it is (current or new), and no
// template stops pasting.
func TestPasswordFieldsAreMaskedAndOpenToPasswordManagers(t *testing.T) {
	files, err := filepath.Glob("templates/*.html")
	more, _ := filepath.Glob("templates/partials/*.html")
	if err != nil || len(files) < 20 {
		t.Fatalf("templates: %v, %d files", err, len(files))
	}
	fields := 0
	for _, f := range append(files, more...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if pasteBlock.Match(b) {
			t.Errorf("%s handles paste, copy, cut or drop", f)
		}
		for _, tag := range inputTag.FindAllString(string(b), -1) {
			name := nameAttr.FindStringSubmatch(tag)
			if name == nil || !strings.Contains(name[1], "password") {
				continue
			}
			fields++
			typ, auto := typeAttr.FindStringSubmatch(tag), autoAttr.FindStringSubmatch(tag)
			if typ == nil || typ[1] != "password" {
				t.Errorf("%s: %s is not type=password", f, name[1])
			}
			if auto == nil || (auto[1] != "current-password" && auto[1] != "new-password") {
				t.Errorf("%s: %s lacks autocomplete=current-password or new-password", f, name[1])
			}
		}
	}
	if fields < 5 { // sign-in, re-authentication, current, new and confirmation
		t.Errorf("only %d password fields found: is the pattern still right?", fields)
	}
}

// TestTextAndEmailCodesAreMarkedWeaker: where a member may choose, codes
// sent by text message or email are marked weaker and the page says why.
func TestTextAndEmailCodesAreMarkedWeaker(t *testing.T) {
	r := newTestRenderer(t)
	for name, page := range map[string]SecurityPage{
		"required": {Required: true, AllowsSMS: true, Allowed: []MethodChoice{{Name: "totp", Label: "Authenticator app"},
			{Name: "sms", Label: "Text message code", Weak: true}}},
		"optional": {AllowsSMS: true, Allowed: []MethodChoice{{Name: "sms", Label: "Text message code", Weak: true}}},
	} {
		got := body(func(w http.ResponseWriter) { r.Security(w, 200, page) })
		if !strings.Contains(got, "codes sent by email or text message can be intercepted") ||
			(page.Required && !strings.Contains(got, "Text message code (weaker)")) {
			t.Errorf("%s: the page does not say text message codes are weaker", name)
		}
		if !strings.Contains(got, `action="/profile/security/totp"`) {
			t.Errorf("%s: no stronger method offered beside text messages", name)
		}
	}
}
