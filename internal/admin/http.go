package admin

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"imslogin/internal/access"
	"imslogin/internal/clientaddr"
	"imslogin/internal/loginservice"
	"imslogin/internal/portal"
	"imslogin/internal/registration"
	"imslogin/internal/session"
	"imslogin/internal/store"
	"imslogin/web"
)

// Handler serves Admin Settings and the REST API.
type Handler struct {
	Service *Service
	Portals *portal.Service
	// LoginServices keeps the organisation's login services; nil: not served.
	LoginServices *loginservice.Service
	// Registrations registers people for portals; nil: not served.
	Registrations *registration.Service
	Sessions      *session.Manager
	Pages         *web.Renderer
	Log           *slog.Logger
}

// request is what a page handler gets: the actor and the signed-in member.
type request struct {
	Actor
	si store.SignedIn
}

type pageFunc func(w http.ResponseWriter, r *http.Request, c request)

// page mounts a page that needs perm (0: any admin permission). This and
// api are the only places permissions are checked at the door.
func (h *Handler) page(mux *http.ServeMux, pattern string, perm access.Permission, fn pageFunc) {
	mux.Handle(pattern, h.Sessions.RequireSignIn(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		si, _ := session.SignedInFrom(r.Context())
		c := request{Actor: ActorOf(si, r), si: si}
		if !authorize(c.Actor, perm) {
			h.forbidden(w, c, "You do not have permission to open this page. Ask an administrator of your organisation if you need it.")
			return
		}
		fn(w, r, c)
	})))
}

// sensitive mounts a form whose change is grave enough (settings, access,
// roles, API tokens) to ask for the password again when the member last
// proved who they are over ten minutes ago; back is where they return.
func (h *Handler) sensitive(mux *http.ServeMux, pattern string, perm access.Permission, back string, fn pageFunc) {
	h.page(mux, pattern, perm, func(w http.ResponseWriter, r *http.Request, c request) {
		h.Sessions.RequireRecentAuth(back, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fn(w, r, c)
		})).ServeHTTP(w, r)
	})
}

// authorize is the permission check every page and API route passes.
func authorize(a Actor, perm access.Permission) bool {
	if perm == "" {
		return a.Perms != 0
	}
	return a.Can(perm)
}

// ActorOf is the signed-in member as an actor.
func ActorOf(si store.SignedIn, r *http.Request) Actor {
	ua := r.UserAgent()
	if len(ua) > 512 {
		ua = ua[:512]
	}
	return Actor{OrgID: si.Organisation.ID, MemberID: si.Member.ID, Label: si.Member.Email, Perms: access.OfSignedIn(si),
		Owner: si.Member.Role == store.RoleOwner, DataAccess: si.Member.DataAccess, Address: clientaddr.Of(r), UserAgent: ua}
}

func (h *Handler) layout(w http.ResponseWriter, r *http.Request, c request) web.Layout {
	return web.Layout{Notice: web.TakeFlash(w, r), Member: web.MemberViewOf(c.si)}
}

func nav(a Actor, current string) web.AdminNav {
	return web.AdminNav{Current: current, Members: a.Can(access.MembersRead), Roles: a.Can(access.RolesManage),
		Settings: a.Can(access.SettingsRead), Audit: a.Can(access.AuditRead), Tokens: a.Can(access.TokensManage),
		Portals: a.Can(access.PortalsManage), Users: a.Can(access.PortalsRegister)}
}

func (h *Handler) forbidden(w http.ResponseWriter, c request, msg string) {
	h.Pages.Error(w, http.StatusForbidden, web.ErrorPage{Layout: web.Layout{Member: web.MemberViewOf(c.si)},
		Heading: "Permission needed", Message: msg})
}

// fail answers a page request whose action failed for a reason other than
// a refusal the page shows beside its fields.
func (h *Handler) fail(w http.ResponseWriter, c request, err error) {
	switch {
	case errors.Is(err, ErrForbidden):
		h.forbidden(w, c, forbiddenMessage(err))
	case errors.Is(err, store.ErrNotFound):
		h.Pages.Error(w, http.StatusNotFound, web.ErrorPage{Layout: web.Layout{Member: web.MemberViewOf(c.si)},
			Heading: "Not found", Message: "There is no such team member, role, token or portal in your organisation."})
	default:
		h.Log.Error("admin", "err", err)
		h.Pages.Error(w, http.StatusInternalServerError, web.ErrorPage{Layout: web.Layout{Member: web.MemberViewOf(c.si)},
			Heading: "Something went wrong", Message: "The change could not be made. Nothing was saved; please try again."})
	}
}

// forbiddenMessage is the reason after "forbidden: ", as a sentence.
func forbiddenMessage(err error) string {
	msg := err.Error()
	if len(msg) > len(ErrForbidden.Error())+2 {
		msg = msg[len(ErrForbidden.Error())+2:]
	}
	return "You do not have permission to do this: " + msg + "."
}

// refused returns the field messages of a refusal, or nil for other errors.
func refused(err error) map[string]string {
	var rf *Refused
	if errors.As(err, &rf) {
		return rf.Fields
	}
	return nil
}

func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// Mount registers every Admin Settings page and API route with the
// permission it needs.
func (h *Handler) Mount(mux *http.ServeMux) {
	h.page(mux, "GET /admin", "", h.home)
	h.page(mux, "GET /admin/members", access.MembersRead, h.members)
	h.page(mux, "GET /admin/members/new", access.MembersWrite, h.newMember)
	h.page(mux, "POST /admin/members", access.MembersWrite, h.addMember)
	h.page(mux, "GET /admin/members/{id}", access.MembersRead, h.member)
	h.sensitive(mux, "POST /admin/members/{id}/access", access.MembersWrite, "/admin/members", h.setAccess)
	// Security actions (a reset, a sign-out, second factors) ask for recent
	// authentication, as changes of access do.
	for _, ap := range actionPermissions {
		mount := h.page
		if ap.Perm == access.MembersSecurity {
			mount = func(mux *http.ServeMux, pattern string, perm access.Permission, fn pageFunc) {
				h.sensitive(mux, pattern, perm, "/admin/members", fn)
			}
		}
		mount(mux, "POST /admin/members/{id}/"+string(ap.Action), ap.Perm, h.action(ap.Action))
	}
	h.page(mux, "GET /admin/roles", access.RolesManage, h.roles)
	h.sensitive(mux, "POST /admin/roles", access.RolesManage, "/admin/roles", h.createRole)
	h.sensitive(mux, "POST /admin/roles/{id}", access.RolesManage, "/admin/roles", h.updateRole)
	h.sensitive(mux, "POST /admin/roles/{id}/delete", access.RolesManage, "/admin/roles", h.deleteRole)
	h.page(mux, "GET /admin/settings", access.SettingsRead, h.settings)
	h.sensitive(mux, "POST /admin/settings", access.SettingsWrite, "/admin/settings", h.saveSettings)
	h.sensitive(mux, "POST /admin/settings/mfa", access.SettingsRead, "/admin/settings", h.saveMFA) // the service also asks for Sensitive Data Access
	h.page(mux, "GET /admin/audit", access.AuditRead, h.auditLog)
	h.page(mux, "GET /admin/tokens", access.TokensManage, h.tokens)
	h.sensitive(mux, "POST /admin/tokens", access.TokensManage, "/admin/tokens", h.createToken)
	h.page(mux, "POST /admin/tokens/{id}/revoke", access.TokensManage, h.revokeToken)
	h.mountPortals(mux)
	h.mountLoginServices(mux)
	h.mountPortalUsers(mux)
	h.mountAPI(mux)
}

// home opens the first section the member may see.
func (h *Handler) home(w http.ResponseWriter, r *http.Request, c request) {
	n := nav(c.Actor, "")
	target := "/admin/members"
	switch {
	case n.Members:
	case n.Settings:
		target = "/admin/settings"
	case n.Roles:
		target = "/admin/roles"
	case n.Audit:
		target = "/admin/audit"
	case n.Tokens:
		target = "/admin/tokens"
	case n.Portals:
		target = "/admin/portals"
	case n.Users:
		target = "/admin/portal-users"
	default:
		h.forbidden(w, c, "Your role has no Admin Settings section you may open.")
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}
