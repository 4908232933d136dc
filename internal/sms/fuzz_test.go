package sms_test

import (
	"net/url"
	"strings"
	"testing"

	"imslogin/internal/sms"
)

// FuzzNormalise: any typed number and region is validated without
// panicking, and what is accepted is E.164: a plus and at most 15 digits.
func FuzzNormalise(f *testing.F) {
	for _, s := range [][2]string{{"+44 7400 123456", ""}, {"07400 123456", "GB"}, {"+1 (555) 0100", ""}, {"", ""},
		{"++++", "ZZ"}, {"7400123456", "gb"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, number, region string) {
		got, err := sms.Normalise(number, region)
		if err != nil {
			return
		}
		digits := strings.TrimPrefix(got, "+")
		if !strings.HasPrefix(got, "+") || len(digits) == 0 || len(digits) > 15 || strings.Trim(digits, "0123456789") != "" {
			t.Fatalf("%q in %q accepted as %q", number, region, got)
		}
	})
}

// FuzzProviderURL: any IMS_SMS_URL is parsed without panicking, and a
// webhook accepted in plain http goes to this machine only.
func FuzzProviderURL(f *testing.F) {
	for _, s := range []string{"webhook+https://:s@gw.example/send", "webhook+http://:s@127.0.0.1:9/x", "webhook+http://:s@gw.example/",
		"twilio://AC1:tok@default?from=%2B15550100", "dev://", "webhook+http://:s@[::1]/", "webhook+http://:s@127.0.0.1.nip.io/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := sms.FromURL(raw)
		if err != nil || p == nil {
			return
		}
		if w, ok := p.(*sms.Webhook); ok {
			u, err := url.Parse(w.URL)
			if err != nil || (u.Scheme != "https" && !(u.Scheme == "http" && sms.Loopback(u.Hostname()))) {
				t.Fatalf("%q accepted as %q", raw, w.URL)
			}
		}
	})
}
