package admin

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"imslogin/internal/access"
	"imslogin/internal/store"
	"imslogin/web"
)

// memberQuery reads the list's search, sort and page from the URL.
func memberQuery(v url.Values) store.MemberQuery {
	q := store.MemberQuery{Search: v.Get("q"), Sort: store.MemberSort(v.Get("sort")), Desc: v.Get("desc") == "1", Limit: 50}
	if !q.Sort.Valid() {
		q.Sort = store.SortName
	}
	if n, err := strconv.Atoi(v.Get("limit")); err == nil && n > 0 && n <= 200 {
		q.Limit = n
	}
	if len(q.Search) > 200 {
		q.Search = q.Search[:200]
	}
	q.After = decodeCursor(v.Get("after"))
	if q.After == nil {
		q.Before = decodeCursor(v.Get("before"))
	}
	return q
}

// Cursors travel in URLs as base64url JSON; anything else is ignored.
func encodeCursor(c *store.MemberCursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) *store.MemberCursor {
	if s == "" || len(s) > 1024 {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil
	}
	var c store.MemberCursor
	if json.Unmarshal(b, &c) != nil {
		return nil
	}
	return &c
}

func listURL(q store.MemberQuery, sort store.MemberSort, desc bool, page string, c *store.MemberCursor) string {
	v := url.Values{}
	if q.Search != "" {
		v.Set("q", q.Search)
	}
	v.Set("sort", string(sort))
	if desc {
		v.Set("desc", "1")
	}
	if q.Limit != 50 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if c != nil {
		v.Set(page, encodeCursor(c))
	}
	return "/admin/members?" + v.Encode()
}

var memberColumns = []struct {
	Label string
	Sort  store.MemberSort
}{
	{"Name", store.SortName}, {"Email", store.SortEmail}, {"Role", ""}, {"Data Access", ""}, {"Licence", ""},
	{"MFA methods", ""}, {"Status", store.SortStatus}, {"Last sign-in", store.SortLastSignIn},
}

func (h *Handler) members(w http.ResponseWriter, r *http.Request, c request) {
	q := memberQuery(r.URL.Query())
	list, err := h.Service.ListMembers(r.Context(), c.Actor, q)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	used, total, err := h.Service.Licences(r.Context(), c.Actor)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	p := web.AdminMembersPage{Layout: h.layout(w, r, c), Nav: nav(c.Actor, "members"), Search: q.Search,
		Total: list.Total, TotalCapped: list.Capped, Used: used, Licences: total, CanAdd: c.Can(access.MembersWrite)}
	for _, col := range memberColumns {
		link := web.SortLink{Label: col.Label}
		if col.Sort != "" {
			desc := col.Sort == q.Sort && !q.Desc
			link.Href = listURL(q, col.Sort, desc, "", nil)
			if col.Sort == q.Sort {
				link.Sorted = map[bool]string{false: "ascending", true: "descending"}[q.Desc]
			}
		}
		p.Columns = append(p.Columns, link)
	}
	now := h.Service.Now()
	ids := make([]int64, len(list.Rows))
	for i, row := range list.Rows {
		ids[i] = row.ID
	}
	methods, err := h.Service.MFAMethods(r.Context(), c.Actor, ids)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	for _, row := range list.Rows {
		v := rowView(row, now)
		v.MFA = MethodsInWords(methods[row.ID])
		p.Rows = append(p.Rows, v)
	}
	if list.Prev != nil {
		p.PrevURL = listURL(q, q.Sort, q.Desc, "before", list.Prev)
	}
	if list.Next != nil {
		p.NextURL = listURL(q, q.Sort, q.Desc, "after", list.Next)
	}
	h.Pages.AdminMembers(w, p)
}

// rowView is a member as Team Members shows them; a sign-in lock shows as
// the status "locked" while it lasts.
func rowView(row store.MemberRow, now time.Time) web.MemberRowView {
	role := access.RoleTitle(row.Role)
	if row.RoleID != 0 {
		role = row.RoleName
	}
	status := string(row.Status)
	if row.Status != store.StatusDisabled && now.Before(row.LockedUntil) {
		status = "locked"
	}
	return web.MemberRowView{ID: row.ID, Name: row.Name, Email: row.Email, Verified: row.EmailVerified, Role: role,
		DataAccess: row.DataAccess, Licensed: row.Licensed, Status: status, LastSignIn: row.LastSignInAt,
		PictureURL: web.PictureURL(row.Member)}
}

// roleOptions lists the built-in and custom roles for a select list.
func (h *Handler) roleOptions(r *http.Request, c request, selected string) ([]web.Option, error) {
	opts := []web.Option{}
	for _, role := range []store.Role{store.RoleMember, store.RoleAdministrator, store.RoleOwner} {
		opts = append(opts, web.Option{Value: string(role), Label: access.RoleTitle(role), Selected: selected == string(role)})
	}
	custom, err := h.Service.Roles(r.Context(), c.Actor)
	for _, cr := range custom {
		key := RoleKey(store.Member{RoleID: cr.ID})
		opts = append(opts, web.Option{Value: key, Label: cr.Name + " (custom)", Selected: selected == key})
	}
	return opts, err
}

func (h *Handler) newMember(w http.ResponseWriter, r *http.Request, c request) {
	h.renderNewMember(w, r, c, http.StatusOK, NewMemberInput{Role: string(store.RoleMember), Licensed: true}, nil)
}

func (h *Handler) renderNewMember(w http.ResponseWriter, r *http.Request, c request, status int, in NewMemberInput, errs map[string]string) {
	roles, err := h.roleOptions(r, c, in.Role)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	used, total, err := h.Service.Licences(r.Context(), c.Actor)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	l := h.layout(w, r, c)
	if len(errs) > 0 {
		l.Notice = web.Notice{Kind: "error", Text: "The team member was not added. Check the fields marked below."}
	}
	h.Pages.AdminNewMember(w, status, web.AdminNewMemberPage{Layout: l, Nav: nav(c.Actor, "members"),
		Email: in.Email, Name: in.Name, Roles: roles, Licensed: in.Licensed, DataAccess: in.DataAccess,
		CanDataAccess: c.DataAccess, Used: used, Licences: total, Errors: errs})
}

func (h *Handler) addMember(w http.ResponseWriter, r *http.Request, c request) {
	in := NewMemberInput{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Role: r.PostFormValue("role"),
		Licensed: r.PostFormValue("licensed") == "on", DataAccess: r.PostFormValue("data_access") == "on"}
	m, err := h.Service.AddMember(r.Context(), c.Actor, in)
	if errs := refused(err); errs != nil {
		h.renderNewMember(w, r, c, http.StatusUnprocessableEntity, in, errs)
		return
	}
	if err != nil {
		h.fail(w, c, err)
		return
	}
	web.SetFlash(w, "admin-member-added")
	http.Redirect(w, r, "/admin/members/"+strconv.FormatInt(m.ID, 10), http.StatusSeeOther)
}

func (h *Handler) member(w http.ResponseWriter, r *http.Request, c request) {
	id, ok := pathID(r)
	if !ok {
		h.fail(w, c, store.ErrNotFound)
		return
	}
	h.renderMember(w, r, c, http.StatusOK, id, h.layout(w, r, c), nil, nil)
}

// renderMember shows a member; in, when set, is an access form to show
// again with its errors.
func (h *Handler) renderMember(w http.ResponseWriter, r *http.Request, c request, status int, id int64, l web.Layout, in *AccessInput, errs map[string]string) {
	d, err := h.Service.Member(r.Context(), c.Actor, id)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	if in == nil {
		in = &AccessInput{Role: RoleKey(d.Member), Permissions: stringsOf(d.Permissions), Licensed: d.Licensed, DataAccess: d.DataAccess}
	}
	roles, err := h.roleOptions(r, c, in.Role)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	granted, _ := access.ParseList(in.Permissions)
	now := h.Service.Now()
	p := web.AdminMemberPage{Layout: l, Nav: nav(c.Actor, "members"), Target: rowView(d.MemberRow, now), AboutMe: d.AboutMe,
		Roles: roles, Licensed: in.Licensed, DataAccess: in.DataAccess,
		CanWrite: c.Can(access.MembersWrite), CanSecurity: c.Can(access.MembersSecurity), CanDataAccess: c.DataAccess,
		Invited: d.Status == store.StatusInvited, Disabled: d.Status == store.StatusDisabled,
		Locked: now.Before(d.LockedUntil), LockedUntil: d.LockedUntil, Errors: errs}
	for _, info := range access.Catalogue {
		p.Permissions = append(p.Permissions, web.Checkbox{Name: "permissions", Value: string(info.Name), Hint: info.Description,
			Checked: granted.Has(info.Name) || d.RolePerms.Has(info.Name), Disabled: d.RolePerms.Has(info.Name)})
	}
	h.Pages.AdminMember(w, status, p)
}

func stringsOf(list string) []string { return strings.Fields(list) }

func (h *Handler) setAccess(w http.ResponseWriter, r *http.Request, c request) {
	id, ok := pathID(r)
	if !ok {
		h.fail(w, c, store.ErrNotFound)
		return
	}
	r.ParseForm()
	in := AccessInput{Role: r.PostFormValue("role"), Permissions: r.PostForm["permissions"],
		Licensed: r.PostFormValue("licensed") == "on", DataAccess: r.PostFormValue("data_access") == "on"}
	err := h.Service.SetAccess(r.Context(), c.Actor, id, in)
	if errs := refused(err); errs != nil {
		l := h.layout(w, r, c)
		l.Notice = web.Notice{Kind: "error", Text: "Nothing was saved. Check the fields marked below."}
		h.renderMember(w, r, c, http.StatusUnprocessableEntity, id, l, &in, errs)
		return
	}
	if err != nil {
		h.fail(w, c, err)
		return
	}
	web.SetFlash(w, "admin-member-saved")
	http.Redirect(w, r, "/admin/members/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// action runs one of the member actions and confirms it on the member's page.
func (h *Handler) action(a Action) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, c request) {
		id, ok := pathID(r)
		if !ok {
			h.fail(w, c, store.ErrNotFound)
			return
		}
		_, err := h.Service.Do(r.Context(), c.Actor, id, a)
		if errs := refused(err); errs != nil {
			l := h.layout(w, r, c)
			l.Notice = web.Notice{Kind: "error", Text: errs[""]}
			h.renderMember(w, r, c, http.StatusConflict, id, l, nil, nil)
			return
		}
		if err != nil {
			h.fail(w, c, err)
			return
		}
		web.SetFlash(w, "admin-"+string(a))
		http.Redirect(w, r, "/admin/members/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	}
}
