package admin

import (
	"net/http"
	"strconv"
	"strings"

	"imslogin/internal/access"
	"imslogin/internal/audit"
	"imslogin/web"
)

// settingFields lays out Details: name, label, hint and unit per field.
var settingGroups = []struct {
	Title  string
	Fields [][4]string
}{
	{"Organisation", [][4]string{
		{"name", "Organisation name", "Members type this name on the sign-in page.", ""},
		{"sign_in_url", "Sign-in URL", "The official address of your sign-in page, used in every emailed link. Password resets are sent only to requests made there. Leave empty to use the server's address.", ""},
	}},
	{"Password policy", [][4]string{
		{"password_min_length", "Minimum password length", "At least 15 characters, the length that keeps a password hard to guess; you may ask for more.", "characters"},
	}},
	{"Account lockout", [][4]string{
		{"lockout_threshold", "Failed sign-ins before the account locks", "", "attempts"},
		{"lockout_minutes", "Lock lasts", "", "minutes"},
	}},
	{"Sessions", [][4]string{
		{"session_idle_minutes", "Sign out after inactivity", "", "minutes"},
		{"session_absolute_hours", "Sign out after, whatever the activity", "", "hours"},
		{"remember_me_idle_days", `"Keep me signed in": sign out after inactivity`, "", "days"},
		{"remember_me_days", `"Keep me signed in": sign out after`, "", "days"},
	}},
	{"Registration", [][4]string{
		{"registration_hours", "Registration links (Step 2, linking an account) work for", "", "hours"},
		{"unlinked_removal_days", "Remove members who never set up an account after", "", "days"},
	}},
}

var notificationFields = [][2]string{
	{"notify_member_lockout", "Email members when their account locks"},
	{"notify_password_change", "Email members when their password changes"},
	{"notify_admins_new_member", "Email administrators when a team member is added"},
}

// settingValues are the form's values by field name.
func settingValues(s Settings) map[string]string {
	return map[string]string{
		"name": s.Name, "sign_in_url": s.SignInURL, "password_min_length": strconv.Itoa(s.PasswordMinLength),
		"lockout_threshold": strconv.Itoa(s.LockoutThreshold), "lockout_minutes": strconv.Itoa(s.LockoutMinutes),
		"session_idle_minutes": strconv.Itoa(s.SessionIdleMinutes), "session_absolute_hours": strconv.Itoa(s.SessionAbsoluteHours),
		"remember_me_idle_days": strconv.Itoa(s.RememberMeIdleDays), "remember_me_days": strconv.Itoa(s.RememberMeDays),
		"registration_hours": strconv.Itoa(s.RegistrationHours), "unlinked_removal_days": strconv.Itoa(s.UnlinkedRemovalDays),
	}
}

func (h *Handler) settings(w http.ResponseWriter, r *http.Request, c request) {
	s, err := h.Service.Settings(r.Context(), c.Actor)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	h.renderSettings(w, r, c, http.StatusOK, h.layout(w, r, c), settingValues(s), s, nil)
}

func (h *Handler) renderSettings(w http.ResponseWriter, r *http.Request, c request, status int, l web.Layout, values map[string]string, s Settings, errs map[string]string) {
	h.renderSettingsWith(w, r, c, status, l, values, s, errs, nil, nil)
}

// renderSettingsWith also shows the MFA section as submitted (nil: as saved).
func (h *Handler) renderSettingsWith(w http.ResponseWriter, r *http.Request, c request, status int, l web.Layout, values map[string]string,
	s Settings, errs map[string]string, mfaIn *MFASettings, mfaErrs map[string]string) {
	used, total, err := h.Service.Licences(r.Context(), c.Actor)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	p := web.AdminSettingsPage{Layout: l, Nav: nav(c.Actor, "settings"), CanWrite: c.Can(access.SettingsWrite), Used: used, Licences: total}
	if p.URLName, p.SignInPage, err = h.Service.SignInPage(r.Context(), c.Actor); err != nil {
		h.fail(w, c, err)
		return
	}
	for _, g := range settingGroups {
		group := web.SettingGroup{Title: g.Title}
		for _, f := range g.Fields {
			rg, number := Ranges[f[0]]
			hint := f[2]
			if number && hint == "" {
				hint = "From " + strconv.Itoa(rg.Min) + " to " + strconv.Itoa(rg.Max) + "."
			}
			group.Fields = append(group.Fields, web.SettingField{Name: f[0], Label: f[1], Hint: hint, Unit: f[3],
				Value: values[f[0]], Error: errs[f[0]], Min: rg.Min, Max: rg.Max, Number: number})
		}
		p.Groups = append(p.Groups, group)
	}
	checked := map[string]bool{"notify_member_lockout": s.NotifyMemberLockout, "notify_password_change": s.NotifyPasswordChange,
		"notify_admins_new_member": s.NotifyAdminsNewMember}
	for _, n := range notificationFields {
		p.Notifications = append(p.Notifications, web.Checkbox{Name: n[0], Label: n[1], Checked: checked[n[0]]})
	}
	p.RequireVerifiedEmail = web.Checkbox{Name: "require_verified_email", Checked: s.RequireVerifiedEmail,
		Label: "Require verified email addresses: members whose address is not verified get a 6-digit code at sign-in"}
	if p.Section = r.URL.Query().Get("section"); mfaIn != nil {
		p.Section = "mfa"
	}
	if p.MFA, err = h.mfaSection(r, c, mfaIn, mfaErrs); err != nil {
		h.fail(w, c, err)
		return
	}
	h.Pages.AdminSettings(w, status, p)
}

// saveSettings reads every field; a field that is not a number is refused
// like one out of range, and then nothing is saved.
func (h *Handler) saveSettings(w http.ResponseWriter, r *http.Request, c request) {
	r.ParseForm()
	values := map[string]string{}
	errs := map[string]string{}
	num := func(name string) int {
		v := strings.TrimSpace(r.PostFormValue(name))
		values[name] = v
		n, err := strconv.Atoi(v)
		if err != nil {
			rg := Ranges[name]
			errs[name] = "Enter a whole number from " + strconv.Itoa(rg.Min) + " to " + strconv.Itoa(rg.Max) + "."
		}
		return n
	}
	s := Settings{Name: r.PostFormValue("name"), SignInURL: strings.TrimSpace(r.PostFormValue("sign_in_url")),
		PasswordMinLength: num("password_min_length"), LockoutThreshold: num("lockout_threshold"),
		LockoutMinutes: num("lockout_minutes"), SessionIdleMinutes: num("session_idle_minutes"),
		SessionAbsoluteHours: num("session_absolute_hours"), RememberMeIdleDays: num("remember_me_idle_days"),
		RememberMeDays: num("remember_me_days"), RegistrationHours: num("registration_hours"),
		UnlinkedRemovalDays: num("unlinked_removal_days"),
		NotifyMemberLockout: r.PostFormValue("notify_member_lockout") == "on", NotifyPasswordChange: r.PostFormValue("notify_password_change") == "on",
		NotifyAdminsNewMember: r.PostFormValue("notify_admins_new_member") == "on",
		RequireVerifiedEmail:  r.PostFormValue("require_verified_email") == "on"}
	values["name"], values["sign_in_url"] = s.Name, s.SignInURL
	var err error
	if len(errs) == 0 {
		err = h.Service.UpdateSettings(r.Context(), c.Actor, s)
		errs = refused(err)
	} else {
		for f, m := range s.Validate() {
			if _, seen := errs[f]; !seen {
				errs[f] = m
			}
		}
	}
	if len(errs) > 0 {
		l := h.layout(w, r, c)
		l.Notice = web.Notice{Kind: "error", Text: "Nothing was saved. Correct the fields marked below."}
		h.renderSettings(w, r, c, http.StatusUnprocessableEntity, l, values, s, errs)
		return
	}
	if err != nil {
		h.fail(w, c, err)
		return
	}
	web.SetFlash(w, "admin-settings-saved")
	http.Redirect(w, r, "/admin/settings", http.StatusSeeOther)
}

func catalogueBoxes(checked access.Set) []web.Checkbox {
	var out []web.Checkbox
	for _, info := range access.Catalogue {
		out = append(out, web.Checkbox{Name: "permissions", Value: string(info.Name), Hint: info.Description, Checked: checked.Has(info.Name)})
	}
	return out
}

func (h *Handler) roles(w http.ResponseWriter, r *http.Request, c request) {
	h.renderRoles(w, r, c, http.StatusOK, h.layout(w, r, c), RoleInput{}, -1, nil)
}

// renderRoles shows the roles; errs belong to the form of role errRole (0: the new-role form).
func (h *Handler) renderRoles(w http.ResponseWriter, r *http.Request, c request, status int, l web.Layout, in RoleInput, errRole int64, errs map[string]string) {
	custom, err := h.Service.Roles(r.Context(), c.Actor)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	newPerms, _ := access.ParseList(in.Permissions)
	p := web.AdminRolesPage{Layout: l, Nav: nav(c.Actor, "roles"), Catalogue: catalogueBoxes(newPerms), NewName: in.Name,
		ErrorRole: errRole, Errors: errs}
	for _, role := range []struct {
		name string
		set  access.Set
	}{{"Owner", access.All}, {"Administrator", access.Builtin("administrator")}, {"Member", 0}} {
		p.Roles = append(p.Roles, web.RoleView{Name: role.name, Builtin: true, Summary: role.set.Names()})
	}
	for _, cr := range custom {
		set, _ := access.ParseList(cr.Permissions)
		p.Roles = append(p.Roles, web.RoleView{ID: cr.ID, Name: cr.Name, Permissions: catalogueBoxes(set)})
	}
	h.Pages.AdminRoles(w, status, p)
}

func roleForm(r *http.Request) RoleInput {
	r.ParseForm()
	return RoleInput{Name: r.PostFormValue("name"), Permissions: r.PostForm["permissions"]}
}

func (h *Handler) roleResult(w http.ResponseWriter, r *http.Request, c request, err error, errRole int64, in RoleInput, flash string) {
	if errs := refused(err); errs != nil {
		l := h.layout(w, r, c)
		l.Notice = web.Notice{Kind: "error", Text: "Nothing was saved. " + firstMessage(errs)}
		if errRole != 0 {
			in = RoleInput{}
		}
		h.renderRoles(w, r, c, http.StatusUnprocessableEntity, l, in, errRole, errs)
		return
	}
	if err != nil {
		h.fail(w, c, err)
		return
	}
	web.SetFlash(w, "admin-"+flash)
	http.Redirect(w, r, "/admin/roles", http.StatusSeeOther)
}

func firstMessage(errs map[string]string) string {
	for _, f := range []string{"", "name", "permissions"} {
		if m := errs[f]; m != "" {
			return m
		}
	}
	return ""
}

func (h *Handler) createRole(w http.ResponseWriter, r *http.Request, c request) {
	in := roleForm(r)
	_, err := h.Service.CreateRole(r.Context(), c.Actor, in)
	h.roleResult(w, r, c, err, 0, in, "role-created")
}

func (h *Handler) updateRole(w http.ResponseWriter, r *http.Request, c request) {
	id, _ := pathID(r)
	in := roleForm(r)
	h.roleResult(w, r, c, h.Service.UpdateRole(r.Context(), c.Actor, id, in), id, in, "role-saved")
}

func (h *Handler) deleteRole(w http.ResponseWriter, r *http.Request, c request) {
	id, _ := pathID(r)
	h.roleResult(w, r, c, h.Service.DeleteRole(r.Context(), c.Actor, id), id, RoleInput{}, "role-deleted")
}

func (h *Handler) auditLog(w http.ResponseWriter, r *http.Request, c request) {
	v := r.URL.Query()
	p := web.AdminAuditPage{Layout: h.layout(w, r, c), Nav: nav(c.Actor, "audit"), Email: v.Get("email"),
		Since: v.Get("since"), Until: v.Get("until"), Errors: map[string]string{}}
	q := AuditQuery{Email: p.Email, Kind: v.Get("kind")}
	var err error
	if q.Since, err = parseDay("since", p.Since); err != nil {
		p.Errors["since"] = refused(err)["since"]
	}
	if q.Until, err = parseDay("until", p.Until); err != nil {
		p.Errors["until"] = refused(err)["until"]
	}
	p.Kinds = append(p.Kinds, web.Option{Value: "", Label: "All events", Selected: q.Kind == ""})
	for _, k := range audit.Kinds() {
		p.Kinds = append(p.Kinds, web.Option{Value: k, Label: kindLabel(k), Selected: q.Kind == k})
	}
	status := http.StatusOK
	if len(p.Errors) == 0 {
		events, err := h.Service.AuditLog(r.Context(), c.Actor, q)
		if errs := refused(err); errs != nil {
			p.Errors = errs
		} else if err != nil {
			h.fail(w, c, err)
			return
		}
		for _, e := range events {
			p.Rows = append(p.Rows, web.AuditRow{At: e.At, Kind: kindLabel(e.Kind), Email: e.Email, Actor: e.Actor,
				Address: e.Address, UserAgent: e.UserAgent, Detail: e.Detail})
		}
	}
	if len(p.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	days, err := h.Service.Activity(r.Context(), c.Actor)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	p.Chart = drawChart(days)
	h.Pages.AdminAudit(w, status, p)
}

func (h *Handler) tokens(w http.ResponseWriter, r *http.Request, c request) {
	h.renderTokens(w, r, c, http.StatusOK, h.layout(w, r, c), TokenInput{}, "", nil)
}

func (h *Handler) renderTokens(w http.ResponseWriter, r *http.Request, c request, status int, l web.Layout, in TokenInput, newToken string, errs map[string]string) {
	list, err := h.Service.Tokens(r.Context(), c.Actor)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	checked, _ := access.ParseList(in.Permissions)
	p := web.AdminTokensPage{Layout: l, Nav: nav(c.Actor, "tokens"), Permissions: catalogueBoxes(checked), Name: in.Name,
		NewToken: newToken, Errors: errs}
	for _, t := range list {
		p.Tokens = append(p.Tokens, web.TokenView{ID: t.ID, Name: t.Name, Permissions: strings.Join(t.Permissions, " "),
			CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt})
	}
	h.Pages.AdminTokens(w, status, p)
}

// createToken shows the new token on the page that answers the form, the
// only time it is ever shown; it is not put in a redirect or a cookie.
func (h *Handler) createToken(w http.ResponseWriter, r *http.Request, c request) {
	r.ParseForm()
	in := TokenInput{Name: r.PostFormValue("name"), Permissions: r.PostForm["permissions"]}
	raw, _, err := h.Service.CreateToken(r.Context(), c.Actor, in)
	if errs := refused(err); errs != nil {
		l := h.layout(w, r, c)
		l.Notice = web.Notice{Kind: "error", Text: "The token was not created. " + firstMessage(errs)}
		h.renderTokens(w, r, c, http.StatusUnprocessableEntity, l, in, "", errs)
		return
	}
	if err != nil {
		h.fail(w, c, err)
		return
	}
	h.renderTokens(w, r, c, http.StatusOK, h.layout(w, r, c), TokenInput{}, raw, nil)
}

func (h *Handler) revokeToken(w http.ResponseWriter, r *http.Request, c request) {
	id, _ := pathID(r)
	if err := h.Service.RevokeToken(r.Context(), c.Actor, id); err != nil {
		h.fail(w, c, err)
		return
	}
	web.SetFlash(w, "admin-token-revoked")
	http.Redirect(w, r, "/admin/tokens", http.StatusSeeOther)
}
