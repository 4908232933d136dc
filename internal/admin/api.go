package admin

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"imslogin/internal/access"
	"imslogin/internal/clientaddr"
	"imslogin/internal/store"
)

type apiFunc func(w http.ResponseWriter, r *http.Request, a Actor)

// api mounts an API route that needs perm, for callers presenting an
// organisation API token as "Authorization: Bearer TOKEN".
func (h *Handler) api(mux *http.ServeMux, pattern string, perm access.Permission, fn apiFunc) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		scheme, bearer, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		ok = ok && strings.EqualFold(scheme, "Bearer") // the scheme ignores case (RFC 9110)
		a, err := h.Service.tokenActor(r.Context(), strings.TrimSpace(bearer))
		if !ok || err != nil {
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				h.apiError(w, err)
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="IMS Login API"`)
			writeJSON(w, http.StatusUnauthorized, apiProblem{Error: "A valid API token is required: Authorization: Bearer TOKEN."})
			return
		}
		a.Address, a.UserAgent = clientaddr.Of(r), r.UserAgent()
		if !authorize(a, perm) {
			writeJSON(w, http.StatusForbidden, apiProblem{Error: "This token lacks the permission " + string(perm) + "."})
			return
		}
		fn(w, r, a)
	})
}

type apiProblem struct {
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// apiError answers a failed operation with its status and reason.
func (h *Handler) apiError(w http.ResponseWriter, err error) {
	var rf *Refused
	switch {
	case errors.As(err, &rf):
		msg := rf.Fields[""]
		if msg == "" {
			msg = "The request was refused; see fields."
		}
		writeJSON(w, http.StatusUnprocessableEntity, apiProblem{Error: msg, Fields: rf.Fields})
	case errors.Is(err, ErrForbidden):
		writeJSON(w, http.StatusForbidden, apiProblem{Error: forbiddenMessage(err)})
	case errors.Is(err, store.ErrNotFound):
		writeJSON(w, http.StatusNotFound, apiProblem{Error: "Not found in this organisation."})
	default:
		h.Log.Error("api", "err", err)
		writeJSON(w, http.StatusInternalServerError, apiProblem{Error: "Internal error; nothing was changed."})
	}
}

// decode reads a JSON body strictly: unknown fields are an error, so a
// misspelt field is not silently ignored.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, apiProblem{Error: "The body is not valid JSON for this operation: " + err.Error()})
		return false
	}
	return true
}

// apiMember is a member in API answers.
type apiMember struct {
	ID            int64      `json:"id"`
	Email         string     `json:"email"`
	EmailVerified bool       `json:"email_verified"`
	Name          string     `json:"name"`
	AboutMe       string     `json:"about_me"`
	Role          string     `json:"role"`
	RoleName      string     `json:"role_name"`
	Permissions   []string   `json:"permissions"`
	Licensed      bool       `json:"licensed"`
	DataAccess    bool       `json:"data_access"`
	Status        string     `json:"status"`
	LastSignInAt  *time.Time `json:"last_sign_in_at"`
	CreatedAt     time.Time  `json:"created_at"`
}

func memberJSON(row store.MemberRow, now time.Time) apiMember {
	v := rowView(row, now)
	m := apiMember{ID: row.ID, Email: row.Email, EmailVerified: row.EmailVerified, Name: row.Name, AboutMe: row.AboutMe,
		Role: RoleKey(row.Member), RoleName: v.Role, Permissions: strings.Fields(row.Permissions), Licensed: row.Licensed,
		DataAccess: row.DataAccess, Status: v.Status, CreatedAt: row.CreatedAt}
	if m.Permissions == nil {
		m.Permissions = []string{}
	}
	if !row.LastSignInAt.IsZero() {
		t := row.LastSignInAt
		m.LastSignInAt = &t
	}
	return m
}

func (h *Handler) mountAPI(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/openapi.json", serveOpenAPI)
	h.api(mux, "GET /api/v1/members", access.MembersRead, h.apiListMembers)
	h.api(mux, "POST /api/v1/members", access.MembersWrite, h.apiAddMember)
	h.api(mux, "GET /api/v1/members/{id}", access.MembersRead, h.apiMember)
	h.api(mux, "PATCH /api/v1/members/{id}", access.MembersWrite, h.apiSetAccess)
	for _, ap := range actionPermissions {
		h.api(mux, "POST /api/v1/members/{id}/"+string(ap.Action), ap.Perm, h.apiAction(ap.Action))
	}
	h.api(mux, "GET /api/v1/roles", access.RolesManage, h.apiRoles)
	h.api(mux, "POST /api/v1/roles", access.RolesManage, h.apiCreateRole)
	h.api(mux, "PUT /api/v1/roles/{id}", access.RolesManage, h.apiUpdateRole)
	h.api(mux, "DELETE /api/v1/roles/{id}", access.RolesManage, h.apiDeleteRole)
	h.api(mux, "GET /api/v1/settings", access.SettingsRead, h.apiSettings)
	h.api(mux, "PATCH /api/v1/settings", access.SettingsWrite, h.apiUpdateSettings)
	h.api(mux, "GET /api/v1/settings/mfa", access.SettingsRead, h.apiMFASettings)
	h.api(mux, "PUT /api/v1/settings/mfa", access.SettingsWrite, h.apiSetMFASettings)
	h.api(mux, "GET /api/v1/audit", access.AuditRead, h.apiAudit)
	h.api(mux, "GET /api/v1/portals", access.PortalsManage, h.apiPortals)
	h.api(mux, "POST /api/v1/portals", access.PortalsManage, h.apiCreatePortal)
	h.api(mux, "GET /api/v1/portals/{id}", access.PortalsManage, h.apiPortal)
	h.api(mux, "PUT /api/v1/portals/{id}", access.PortalsManage, h.apiUpdatePortal)
	h.api(mux, "DELETE /api/v1/portals/{id}", access.PortalsManage, h.apiDeletePortal)
	h.api(mux, "POST /api/v1/portals/{id}/rotate-secret", access.PortalsManage, h.apiRotatePortalSecret)
}

func (h *Handler) apiListMembers(w http.ResponseWriter, r *http.Request, a Actor) {
	q := memberQuery(r.URL.Query())
	list, err := h.Service.ListMembers(r.Context(), a, q)
	if err != nil {
		h.apiError(w, err)
		return
	}
	out := struct {
		Members []apiMember `json:"members"`
		Total   int         `json:"total"`
		Capped  bool        `json:"total_capped,omitempty"`
		Next    string      `json:"next,omitempty"`
		Prev    string      `json:"prev,omitempty"`
	}{Members: []apiMember{}, Total: list.Total, Capped: list.Capped}
	now := h.Service.Now()
	for _, row := range list.Rows {
		out.Members = append(out.Members, memberJSON(row, now))
	}
	if list.Next != nil {
		out.Next = encodeCursor(list.Next)
	}
	if list.Prev != nil {
		out.Prev = encodeCursor(list.Prev)
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *Handler) apiMemberByID(w http.ResponseWriter, r *http.Request, a Actor, status int, id int64) {
	d, err := h.Service.Member(r.Context(), a, id)
	if err != nil {
		h.apiError(w, err)
		return
	}
	writeJSON(w, status, memberJSON(d.MemberRow, h.Service.Now()))
}

func (h *Handler) apiMember(w http.ResponseWriter, r *http.Request, a Actor) {
	id, ok := pathID(r)
	if !ok {
		h.apiError(w, store.ErrNotFound)
		return
	}
	h.apiMemberByID(w, r, a, http.StatusOK, id)
}

func (h *Handler) apiAddMember(w http.ResponseWriter, r *http.Request, a Actor) {
	in := NewMemberInput{Role: string(store.RoleMember), Licensed: true}
	if !decode(w, r, &in) {
		return
	}
	m, err := h.Service.AddMember(r.Context(), a, in)
	if err != nil {
		h.apiError(w, err)
		return
	}
	h.apiMemberByID(w, r, a, http.StatusCreated, m.ID)
}

// apiSetAccess applies the fields given onto the member's current access.
func (h *Handler) apiSetAccess(w http.ResponseWriter, r *http.Request, a Actor) {
	id, ok := pathID(r)
	if !ok {
		h.apiError(w, store.ErrNotFound)
		return
	}
	d, err := h.Service.Member(r.Context(), a, id)
	if err != nil {
		h.apiError(w, err)
		return
	}
	in := AccessInput{Role: RoleKey(d.Member), Permissions: strings.Fields(d.Permissions), Licensed: d.Licensed, DataAccess: d.DataAccess}
	if !decode(w, r, &in) {
		return
	}
	if err := h.Service.SetAccess(r.Context(), a, id, in); err != nil {
		h.apiError(w, err)
		return
	}
	h.apiMemberByID(w, r, a, http.StatusOK, id)
}

func (h *Handler) apiAction(action Action) apiFunc {
	return func(w http.ResponseWriter, r *http.Request, a Actor) {
		id, ok := pathID(r)
		if !ok {
			h.apiError(w, store.ErrNotFound)
			return
		}
		done, err := h.Service.Do(r.Context(), a, id, action)
		if err != nil {
			h.apiError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"result": done})
	}
}

type apiRole struct {
	ID          int64    `json:"id,omitempty"`
	Key         string   `json:"key"`
	Name        string   `json:"name"`
	BuiltIn     bool     `json:"built_in"`
	Permissions []string `json:"permissions"`
}

func (h *Handler) apiRoles(w http.ResponseWriter, r *http.Request, a Actor) {
	custom, err := h.Service.Roles(r.Context(), a)
	if err != nil {
		h.apiError(w, err)
		return
	}
	var out []apiRole
	for _, role := range []store.Role{store.RoleOwner, store.RoleAdministrator, store.RoleMember} {
		names := access.Builtin(role).Names()
		if names == nil {
			names = []string{}
		}
		out = append(out, apiRole{Key: string(role), Name: access.RoleTitle(role), BuiltIn: true, Permissions: names})
	}
	for _, cr := range custom {
		perms := cr.Permissions
		if perms == nil {
			perms = []string{}
		}
		out = append(out, apiRole{ID: cr.ID, Key: RoleKey(store.Member{RoleID: cr.ID}), Name: cr.Name, Permissions: perms})
	}
	writeJSON(w, http.StatusOK, map[string]any{"roles": out})
}

func (h *Handler) apiCreateRole(w http.ResponseWriter, r *http.Request, a Actor) {
	var in RoleInput
	if !decode(w, r, &in) {
		return
	}
	cr, err := h.Service.CreateRole(r.Context(), a, in)
	if err != nil {
		h.apiError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, apiRole{ID: cr.ID, Key: RoleKey(store.Member{RoleID: cr.ID}), Name: cr.Name, Permissions: cr.Permissions})
}

func (h *Handler) apiUpdateRole(w http.ResponseWriter, r *http.Request, a Actor) {
	id, _ := pathID(r)
	var in RoleInput
	if !decode(w, r, &in) {
		return
	}
	if err := h.Service.UpdateRole(r.Context(), a, id, in); err != nil {
		h.apiError(w, err)
		return
	}
	perms, _ := access.ParseList(in.Permissions)
	writeJSON(w, http.StatusOK, apiRole{ID: id, Key: "role:" + strconv.FormatInt(id, 10), Name: strings.TrimSpace(in.Name), Permissions: perms.Names()})
}

func (h *Handler) apiDeleteRole(w http.ResponseWriter, r *http.Request, a Actor) {
	id, _ := pathID(r)
	if err := h.Service.DeleteRole(r.Context(), a, id); err != nil {
		h.apiError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) apiSettings(w http.ResponseWriter, r *http.Request, a Actor) {
	s, err := h.Service.Settings(r.Context(), a)
	if err != nil {
		h.apiError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s)
}

// apiUpdateSettings applies the fields given onto the current settings;
// if any resulting value is invalid nothing is saved.
func (h *Handler) apiUpdateSettings(w http.ResponseWriter, r *http.Request, a Actor) {
	s, err := h.Service.Settings(r.Context(), a)
	if err != nil {
		h.apiError(w, err)
		return
	}
	urlName := s.URLName
	if !decode(w, r, &s) {
		return
	}
	if s.URLName != urlName {
		h.apiError(w, refuse("url_name", "The URL name is read only: the IMS team sets it."))
		return
	}
	if err := h.Service.UpdateSettings(r.Context(), a, s); err != nil {
		h.apiError(w, err)
		return
	}
	h.apiSettings(w, r, a)
}

type apiAuditEvent struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	Kind      string    `json:"kind"`
	MemberID  int64     `json:"member_id,omitempty"`
	Email     string    `json:"email"`
	Actor     string    `json:"actor"`
	Address   string    `json:"address"`
	UserAgent string    `json:"user_agent"`
	Detail    string    `json:"detail"`
}

func (h *Handler) apiAudit(w http.ResponseWriter, r *http.Request, a Actor) {
	v := r.URL.Query()
	q := AuditQuery{Email: v.Get("email"), Kind: v.Get("kind")}
	var err error
	if q.Since, err = parseDay("since", v.Get("since")); err == nil {
		q.Until, err = parseDay("until", v.Get("until"))
	}
	var events []store.AuditEvent
	if err == nil {
		events, err = h.Service.AuditLog(r.Context(), a, q)
	}
	if err != nil {
		h.apiError(w, err)
		return
	}
	out := []apiAuditEvent{}
	for _, e := range events {
		out = append(out, apiAuditEvent{ID: e.ID, At: e.At, Kind: e.Kind, MemberID: e.MemberID, Email: e.Email, Actor: e.Actor,
			Address: e.Address, UserAgent: e.UserAgent, Detail: e.Detail})
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": out})
}
