package admin

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"imslogin/internal/access"
	"imslogin/internal/store/sqlstore/sqltest"
	"imslogin/internal/store/storetest"
)

// FuzzAPIToken: whatever Authorization header a caller sends, the API
// answers as a token only when the header carries a token this
// organisation created ("TOKEN" in an input stands for it), and never
// grants a permission the token was not given.
func FuzzAPIToken(f *testing.F) {
	db := sqltest.NewSQLite(f)
	org := storetest.NewOrganisation(f, db, "Acme")
	s := &Service{Store: db, Now: time.Now}
	perms, _ := access.Parse("members.read members.write")
	raw, _, err := s.CreateToken(context.Background(), Actor{OrgID: org.ID, Label: "owner", Perms: perms, Owner: true},
		TokenInput{Name: "ci", Permissions: []string{"members.read"}})
	if err != nil {
		f.Fatal(err)
	}
	h := &Handler{Service: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	mux := http.NewServeMux()
	reached := ""
	h.api(mux, "GET /api/read", access.MembersRead, func(w http.ResponseWriter, r *http.Request, a Actor) { reached = "read" })
	h.api(mux, "GET /api/write", access.MembersWrite, func(w http.ResponseWriter, r *http.Request, a Actor) { reached = "write" })
	for _, s := range []string{"Bearer TOKEN", "bearer TOKEN", "Bearer  TOKEN ", "Basic TOKEN", "Bearer ims_", "Bearer " + APITokenPrefix + strings.Repeat("A", 43),
		"BearerTOKEN", "Bearer TOKENA", "Bearer TOKEN\x00", "Bearer " + strings.TrimPrefix(raw, APITokenPrefix)} {
		f.Add(strings.ReplaceAll(s, raw, "TOKEN"), false)
	}
	check := func(auth string) bool {
		reached = ""
		r := httptest.NewRequest(http.MethodGet, "/api/read", nil)
		r.Header.Set("Authorization", auth)
		mux.ServeHTTP(httptest.NewRecorder(), r)
		return reached == "read"
	}
	if !check("Bearer " + raw) {
		f.Fatal("the token created does not work")
	}
	f.Fuzz(func(t *testing.T, auth string, write bool) {
		auth = strings.ReplaceAll(auth, "TOKEN", raw)
		reached = ""
		path := "/api/read"
		if write {
			path = "/api/write"
		}
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.Header.Set("Authorization", auth)
		mux.ServeHTTP(httptest.NewRecorder(), r)
		switch {
		case reached == "write":
			t.Fatalf("%q was granted a permission its token lacks", auth)
		case reached == "read" && !strings.Contains(auth, raw):
			t.Fatalf("%q accepted as a token", auth)
		}
	})
}
