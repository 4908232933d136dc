package signin_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"imslogin/internal/audit"
	"imslogin/internal/lockout"
	"imslogin/internal/server/servertest"
	"imslogin/internal/signin"
	"imslogin/internal/store"
)

// Overlong fields at sign-in are refused before the attempt is counted
// (a lockout row keyed on them), written to the audit log or hashed.
func TestOverlongSignInFieldsAreRefusedBeforeAnythingIsStored(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	ctx := context.Background()
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := map[string][3]string{
		"organisation over 200":         {long(201), "ana@acme.test", "wrong password here"},
		"organisation of 900 KB":        {long(900 << 10), "ana@acme.test", "wrong password here"},
		"email over 254, real org":      {"Acme", long(250) + "@acme.test", "wrong password here"},
		"email of 900 KB, real org":     {"Acme", long(900<<10) + "@acme.test", "wrong password here"},
		"password over 1 KB":            {"Acme", "ana@acme.test", long(1025)},
		"email over 254, unknown org":   {"Nope", long(250) + "@acme.test", "wrong password here"},
		"password of 8 KB, unknown org": {"Nope", "ana@acme.test", long(8 << 10)},
	}
	for name, c := range cases {
		hashes := app.Server.Hasher.Computed()
		resp, body := app.Post(t, app.Browser(t), "/login", form(c[0], c[1], c[2]))
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", name, resp.StatusCode)
		}
		if strings.Contains(body, long(201)) {
			t.Errorf("%s: the page echoes the overlong value", name)
		}
		if app.Server.Hasher.Computed() != hashes {
			t.Errorf("%s: a password was hashed", name)
		}
		for _, id := range []lockout.Identifier{lockout.OfUnknownOrganisation(c[0], c[1]), lockout.Of(app.Org.ID, c[1])} {
			if _, err := app.DB.SigninLockout(ctx, id.OrgID, id.Key); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: the attempt was counted (%v)", name, err)
			}
		}
	}
	if events, _ := app.DB.AuditEvents(ctx, app.Org.ID, store.AuditFilter{Kind: audit.SigninFailure}); len(events) != 0 {
		t.Errorf("%d sign-in failures written, want none: %+v", len(events), events[0])
	}
	// At the bounds, the attempt is an ordinary wrong one.
	resp, _ := app.Post(t, app.Browser(t), "/login", form(long(200), long(244)+"@acme.test", long(1024)))
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("fields at their bounds: %d, want 401", resp.StatusCode)
	}
}

func TestOverlongReturnPathIsDropped(t *testing.T) {
	p := "/dashboard?x=" + strings.Repeat("a", 2100)
	if got := signin.SafeReturnPath(p); got != "" {
		t.Errorf("a return path of %d bytes was kept", len(p))
	}
}
