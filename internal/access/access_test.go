package access

import (
	"testing"

	"imslogin/internal/store"
)

func TestParse(t *testing.T) {
	s, err := Parse("members.read, audit.read")
	if err != nil || !s.Has(MembersRead) || !s.Has(AuditRead) || s.Has(MembersWrite) || s.Len() != 2 {
		t.Errorf("Parse: got %v (%v), %v", s.Names(), s, err)
	}
	if s.String() != "members.read audit.read" {
		t.Errorf("String: got %q", s.String())
	}
	if _, err := Parse("members.read members.delete"); err == nil {
		t.Error("an unknown permission was accepted")
	}
}

func TestMemberPermissions(t *testing.T) {
	owner := OfMember(store.Member{Role: store.RoleOwner}, "")
	admin := OfMember(store.Member{Role: store.RoleAdministrator}, "")
	member := OfMember(store.Member{Role: store.RoleMember}, "")
	if owner != All || admin.Has(TokensManage) || !admin.Has(SettingsWrite) || member != 0 {
		t.Errorf("built-in roles: owner %v, administrator %v, member %v", owner.Names(), admin.Names(), member.Names())
	}
	custom := OfMember(store.Member{Role: store.RoleMember, RoleID: 3, Permissions: "settings.read bogus"}, "audit.read")
	if custom != Of(AuditRead, SettingsRead) {
		t.Errorf("custom role plus a grant: got %v", custom.Names())
	}
	if !owner.Covers(admin) || admin.Covers(owner) {
		t.Error("Covers is wrong")
	}
}
