package admin

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"imslogin/internal/portal"
	"imslogin/internal/store"
)

// PortalView is a portal as the API and `ims portal --json` show it;
// lifetimes are in seconds.
type PortalView struct {
	ID                     int64     `json:"id"`
	ClientID               string    `json:"client_id"`
	ClientSecret           string    `json:"client_secret,omitempty"` // only in the answer that made it
	Issuer                 string    `json:"issuer"`
	Name                   string    `json:"name"`
	RedirectURIs           []string  `json:"redirect_uris"`
	PostLogoutRedirectURIs []string  `json:"post_logout_redirect_uris"`
	BackchannelLogoutURI   string    `json:"backchannel_logout_uri"`
	HomeURL                string    `json:"home_url"`
	Confidential           bool      `json:"confidential"`
	FirstParty             bool      `json:"first_party"`
	Access                 string    `json:"access"`
	Roles                  []string  `json:"roles"`
	MemberIDs              []int64   `json:"member_ids"`
	AccessTokenLifetime    int64     `json:"access_token_lifetime"`
	IDTokenLifetime        int64     `json:"id_token_lifetime"`
	RefreshTokenLifetime   int64     `json:"refresh_token_lifetime"`
	RefreshGrace           int64     `json:"refresh_grace"`
	SigningAlgorithm       string    `json:"signing_algorithm"`
	RequirePKCE            bool      `json:"require_pkce"`
	AllowedScopes          []string  `json:"allowed_scopes"`
	CreatedAt              time.Time `json:"created_at"`
	UpdatedAt              time.Time `json:"updated_at"`
}

// PortalViewOf shows p with the organisation's issuer and, only in the
// answer that made it, its client secret.
func PortalViewOf(p store.Portal, issuer, secret string) PortalView {
	return PortalView{ID: p.ID, ClientID: p.ClientID, ClientSecret: secret, Issuer: issuer, Name: p.Name,
		RedirectURIs: nonNil(p.RedirectURIs), PostLogoutRedirectURIs: nonNil(p.PostLogoutRedirectURIs),
		BackchannelLogoutURI: p.BackchannelLogoutURI, HomeURL: p.HomeURL, Confidential: p.Confidential, FirstParty: p.FirstParty,
		Access: string(p.Access), Roles: nonNil(p.Roles), MemberIDs: nonNil(p.MemberIDs),
		AccessTokenLifetime: int64(p.AccessTokenLifetime / time.Second), IDTokenLifetime: int64(p.IDTokenLifetime / time.Second),
		RefreshTokenLifetime: int64(p.RefreshTokenLifetime / time.Second), RefreshGrace: int64(p.RefreshGrace / time.Second),
		SigningAlgorithm: p.SigningAlgorithm, RequirePKCE: p.RequirePKCE || !p.Confidential, AllowedScopes: nonNil(p.AllowedScopes),
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

// apiPortalInput is a portal as a request gives it; lifetimes in seconds,
// 0 for the default; require_pkce absent or null is on, allowed_scopes
// absent or null is every scope (an empty list is refused).
type apiPortalInput struct {
	Name                   string   `json:"name"`
	RedirectURIs           []string `json:"redirect_uris"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris"`
	BackchannelLogoutURI   string   `json:"backchannel_logout_uri"`
	HomeURL                string   `json:"home_url"`
	Confidential           bool     `json:"confidential"`
	FirstParty             bool     `json:"first_party"`
	Access                 string   `json:"access"`
	Roles                  []string `json:"roles"`
	MemberIDs              []int64  `json:"member_ids"`
	MemberEmails           []string `json:"member_emails"`
	AccessTokenLifetime    int64    `json:"access_token_lifetime"`
	IDTokenLifetime        int64    `json:"id_token_lifetime"`
	RefreshTokenLifetime   int64    `json:"refresh_token_lifetime"`
	RefreshGrace           int64    `json:"refresh_grace"`
	SigningAlgorithm       string   `json:"signing_algorithm"`
	RequirePKCE            *bool    `json:"require_pkce"`
	AllowedScopes          []string `json:"allowed_scopes"`
}

// maxLifetimeSeconds keeps a number of seconds from overflowing a Duration.
const maxLifetimeSeconds = 1 << 32

func (in apiPortalInput) portal() portal.Input {
	secs := func(n int64) time.Duration {
		if n < 0 || n > maxLifetimeSeconds {
			return -1 // out of every bound: refused with the bounds
		}
		return time.Duration(n) * time.Second
	}
	return portal.Input{Name: in.Name, RedirectURIs: in.RedirectURIs, PostLogoutRedirectURIs: in.PostLogoutRedirectURIs,
		BackchannelLogoutURI: in.BackchannelLogoutURI, HomeURL: in.HomeURL, Confidential: in.Confidential,
		FirstParty: in.FirstParty, Access: store.PortalAccess(in.Access), Roles: in.Roles, MemberIDs: in.MemberIDs,
		MemberEmails: in.MemberEmails, AccessTokenLifetime: secs(in.AccessTokenLifetime), IDTokenLifetime: secs(in.IDTokenLifetime),
		RefreshTokenLifetime: secs(in.RefreshTokenLifetime), RefreshGrace: secs(in.RefreshGrace), SigningAlgorithm: in.SigningAlgorithm,
		RequirePKCE: in.RequirePKCE, AllowedScopes: in.AllowedScopes}
}

func (h *Handler) apiPortals(w http.ResponseWriter, r *http.Request, a Actor) {
	list, err := h.Portals.List(r.Context(), a.OrgID)
	if err != nil {
		h.apiError(w, err)
		return
	}
	issuer, err := h.Portals.Issuer(r.Context(), a.OrgID)
	if err != nil {
		h.apiError(w, err)
		return
	}
	out := []PortalView{}
	for _, p := range list {
		out = append(out, PortalViewOf(p, issuer, ""))
	}
	writeJSON(w, http.StatusOK, map[string]any{"portals": out, "issuer": issuer})
}

func (h *Handler) apiPortal(w http.ResponseWriter, r *http.Request, a Actor) {
	id, _ := pathID(r)
	p, err := h.Portals.Get(r.Context(), a.OrgID, id)
	if err != nil {
		h.apiError(w, err)
		return
	}
	issuer, err := h.Portals.Issuer(r.Context(), a.OrgID)
	if err != nil {
		h.apiError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, PortalViewOf(p, issuer, ""))
}

// apiCreatePortal answers 201 with the client secret, its only showing.
func (h *Handler) apiCreatePortal(w http.ResponseWriter, r *http.Request, a Actor) {
	in := apiPortalInput{Confidential: true}
	if !decode(w, r, &in) {
		return
	}
	p, creds, err := h.Portals.Create(r.Context(), by(a), in.portal())
	if err != nil {
		h.apiError(w, portalRefusal(err))
		return
	}
	writeJSON(w, http.StatusCreated, PortalViewOf(p, creds.Issuer, creds.Secret))
}

// apiUpdatePortal applies the fields given onto the portal's current
// values; a portal made confidential gets its secret in the answer.
func (h *Handler) apiUpdatePortal(w http.ResponseWriter, r *http.Request, a Actor) {
	id, _ := pathID(r)
	old, err := h.Portals.Get(r.Context(), a.OrgID, id)
	if err != nil {
		h.apiError(w, err)
		return
	}
	cur := portal.InputOf(old)
	pkce := old.RequirePKCE
	in := apiPortalInput{Name: cur.Name, RedirectURIs: cur.RedirectURIs, PostLogoutRedirectURIs: cur.PostLogoutRedirectURIs,
		BackchannelLogoutURI: cur.BackchannelLogoutURI, HomeURL: cur.HomeURL, Confidential: cur.Confidential,
		FirstParty: cur.FirstParty, Access: string(cur.Access), Roles: cur.Roles, MemberIDs: cur.MemberIDs,
		AccessTokenLifetime: int64(cur.AccessTokenLifetime / time.Second), IDTokenLifetime: int64(cur.IDTokenLifetime / time.Second),
		RefreshTokenLifetime: int64(cur.RefreshTokenLifetime / time.Second), RefreshGrace: int64(cur.RefreshGrace / time.Second),
		SigningAlgorithm: cur.SigningAlgorithm, RequirePKCE: &pkce, AllowedScopes: cur.AllowedScopes}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		h.apiError(w, err)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if !decode(w, r, &in) {
		return
	}
	// The chosen members given by email replace the current ones, as
	// member_ids would.
	var given map[string]json.RawMessage
	if json.Unmarshal(body, &given) == nil && given["member_emails"] != nil && given["member_ids"] == nil {
		in.MemberIDs = nil
	}
	p, creds, err := h.Portals.Update(r.Context(), by(a), id, in.portal())
	if err != nil {
		h.apiError(w, portalRefusal(err))
		return
	}
	writeJSON(w, http.StatusOK, PortalViewOf(p, creds.Issuer, creds.Secret))
}

func (h *Handler) apiDeletePortal(w http.ResponseWriter, r *http.Request, a Actor) {
	id, _ := pathID(r)
	if err := h.Portals.Delete(r.Context(), by(a), id); err != nil {
		h.apiError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiRotatePortalSecret takes an optional {"overlap": seconds} (default a
// day) and answers the new secret, its only showing.
func (h *Handler) apiRotatePortalSecret(w http.ResponseWriter, r *http.Request, a Actor) {
	id, _ := pathID(r)
	in := struct {
		Overlap *int64 `json:"overlap"`
	}{}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		h.apiError(w, err)
		return
	}
	if len(bytes.TrimSpace(body)) > 0 {
		r.Body = io.NopCloser(bytes.NewReader(body))
		if !decode(w, r, &in) {
			return
		}
	}
	overlap := portal.DefaultOverlap
	if in.Overlap != nil {
		overlap = time.Duration(*in.Overlap) * time.Second
		if *in.Overlap < 0 || *in.Overlap > maxLifetimeSeconds {
			overlap = -1
		}
	}
	creds, until, err := h.Portals.RotateSecret(r.Context(), by(a), id, overlap)
	if err != nil {
		h.apiError(w, portalRefusal(err))
		return
	}
	out := struct {
		ClientID      string     `json:"client_id"`
		ClientSecret  string     `json:"client_secret"`
		Issuer        string     `json:"issuer"`
		PreviousUntil *time.Time `json:"previous_secret_expires_at"` // null: the previous secrets stopped at once
	}{ClientID: creds.ClientID, ClientSecret: creds.Secret, Issuer: creds.Issuer}
	if overlap > 0 {
		out.PreviousUntil = &until
	}
	writeJSON(w, http.StatusOK, out)
}
