package session

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// whoAmI is what GET /whoami tells a portal or script about the session.
type whoAmI struct {
	Member struct {
		ID    int64  `json:"id"`
		Email string `json:"email"`
		Name  string `json:"name"`
		Role  string `json:"role"`
	} `json:"member"`
	Organisation struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"organisation"`
	AuthenticatedAt time.Time `json:"authenticated_at"`
	ExpiresAt       time.Time `json:"expires_at"`
}

// WhoAmI answers GET /whoami: the signed-in member as JSON, or 401. It is
// the cheapest authenticated request, a session check and nothing else.
func (m *Manager) WhoAmI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	si, err := m.Check(r)
	switch {
	case errors.Is(err, ErrNoSession):
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":"not signed in"}` + "\n"))
		return
	case err != nil:
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"error":"unavailable"}` + "\n"))
		return
	}
	var body whoAmI
	body.Member.ID, body.Member.Email, body.Member.Name, body.Member.Role = si.Member.ID, si.Member.Email, si.Member.Name, string(si.Member.Role)
	body.Organisation.ID, body.Organisation.Name = si.Organisation.ID, si.Organisation.Name
	body.AuthenticatedAt, body.ExpiresAt = si.Session.AuthTime, si.Session.ExpiresAt
	json.NewEncoder(w).Encode(body)
}
