package signin_test

import (
	"net/http"
	"testing"

	"imslogin/internal/server/servertest"
)

// An organisation name that does not exist gets, attempt after attempt,
// the answers an organisation with default settings gives for an address
// that is no member's: the same status and notice (lock at the same
// attempt, for the same time), the same argon2 work and, up to the lock,
// the same database round trips (its failures rewrite their count where a
// real organisation writes audit entries).
func TestUnknownOrganisationAnswersAsADefaultOne(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	type answer struct {
		status     int
		notice     string
		work, trip int64
	}
	attempt := func(org, email string) answer {
		rt, work := app.DB.RoundTrips(), app.Server.Hasher.Work()
		resp, body := app.Post(t, app.Browser(t), "/login", form(org, email, "not the password at all"))
		return answer{resp.StatusCode, noticeOf(body), app.Server.Hasher.Work() - work, app.DB.RoundTrips() - rt}
	}
	for i := 1; i <= 6; i++ {
		known := attempt("Acme", "nobody@acme.test")
		unknown := attempt("No Such Organisation", "nobody@acme.test")
		if i == 6 { // during the lock, no hash and no write: only the answer is compared
			known.trip, unknown.trip = 0, 0
		}
		if known != unknown {
			t.Errorf("attempt %d: unknown organisation %+v, a default one %+v", i, unknown, known)
		}
		if i >= 5 && known.status != http.StatusLocked {
			t.Errorf("attempt %d: %d, want 423 from the fifth", i, known.status)
		}
	}
}
