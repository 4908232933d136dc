package admin

import (
	"net/http"
	"strconv"
	"strings"

	"imslogin/internal/access"
	"imslogin/internal/mfa"
	"imslogin/web"
)

var mfaLabels = map[string]string{"email": "Email", "sms": "SMS", "totp": "Authenticator app", "webauthn": "Security key / passkey"}

// mfaSection fills the Multi-Factor Authentication section of Details.
func (h *Handler) mfaSection(r *http.Request, c request, in *MFASettings, errs map[string]string) (web.MFASection, error) {
	current, err := h.Service.MFASettings(r.Context(), c.Actor)
	if err != nil {
		return web.MFASection{}, err
	}
	if in == nil {
		in = &current
	}
	sec := web.MFASection{Required: in.Required, RememberDays: strconv.Itoa(in.RememberDays),
		CanChange: c.Can(access.SettingsWrite) && c.DataAccess, Errors: errs}
	if !sec.CanChange {
		sec.Reason = "Only team members with Sensitive Data Access can change multi-factor authentication."
	}
	for _, m := range mfa.Selectable {
		checked := false
		for _, x := range in.Methods {
			checked = checked || x == m
		}
		sec.Methods = append(sec.Methods, web.Checkbox{Name: m, Label: mfaLabels[m], Checked: checked})
		if mfa.Weak(m) {
			sec.Methods[len(sec.Methods)-1].Label += " (weaker: codes can be intercepted)"
		}
	}
	return sec, nil
}

// saveMFA handles the section's own form.
func (h *Handler) saveMFA(w http.ResponseWriter, r *http.Request, c request) {
	r.ParseForm()
	in := MFASettings{Required: r.PostFormValue("mfa") == "on", Methods: r.PostForm["mfa_methods"]}
	days, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("mfa_remember_days")))
	if err != nil {
		days = -1 // refused below with the field's message
	}
	in.RememberDays = days
	err = h.Service.SetMFASettings(r.Context(), c.Actor, in)
	if errs := refused(err); errs != nil {
		s, serr := h.Service.Settings(r.Context(), c.Actor)
		if serr != nil {
			h.fail(w, c, serr)
			return
		}
		h.renderSettingsWith(w, r, c, http.StatusUnprocessableEntity, h.layout(w, r, c), settingValues(s), s, nil, &in, errs)
		return
	}
	if err != nil {
		h.fail(w, c, err)
		return
	}
	web.SetFlash(w, "admin-settings-saved")
	http.Redirect(w, r, "/admin/settings?section=mfa", http.StatusSeeOther)
}

func (h *Handler) apiMFASettings(w http.ResponseWriter, r *http.Request, a Actor) {
	s, err := h.Service.MFASettings(r.Context(), a)
	if err != nil {
		h.apiError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s)
}

func (h *Handler) apiSetMFASettings(w http.ResponseWriter, r *http.Request, a Actor) {
	var in MFASettings
	if !decode(w, r, &in) {
		return
	}
	if err := h.Service.SetMFASettings(r.Context(), a, in); err != nil {
		h.apiError(w, err)
		return
	}
	h.apiMFASettings(w, r, a)
}
