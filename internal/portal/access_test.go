package portal

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"imslogin/internal/store"
)

func TestMayUse(t *testing.T) {
	member := func(edit func(*store.Member)) store.Member {
		m := store.Member{ID: 7, OrgID: 1, Role: store.RoleMember, Status: store.StatusActive, Licensed: true}
		if edit != nil {
			edit(&m)
		}
		return m
	}
	all := store.Portal{OrgID: 1, Access: store.PortalAccessAll}
	roles := store.Portal{OrgID: 1, Access: store.PortalAccessRoles, Roles: []string{"administrator", "role:3"}}
	chosen := store.Portal{OrgID: 1, Access: store.PortalAccessMembers, MemberIDs: []int64{5, 7}}
	tests := []struct {
		name   string
		portal store.Portal
		member store.Member
		want   bool
	}{
		{"all: a member", all, member(nil), true},
		{"all: another organisation's member", all, member(func(m *store.Member) { m.OrgID = 2 }), false},
		{"all: disabled", all, member(func(m *store.Member) { m.Status = store.StatusDisabled }), false},
		{"all: invited", all, member(func(m *store.Member) { m.Status = store.StatusInvited }), false},
		{"all: no licence", all, member(func(m *store.Member) { m.Licensed = false }), false},
		{"all: no member at all", all, store.Member{OrgID: 1, Status: store.StatusActive, Licensed: true}, false},
		{"roles: built-in role listed", roles, member(func(m *store.Member) { m.Role = store.RoleAdministrator }), true},
		{"roles: built-in role not listed", roles, member(func(m *store.Member) { m.Role = store.RoleOwner }), false},
		{"roles: custom role listed", roles, member(func(m *store.Member) { m.RoleID = 3 }), true},
		{"roles: another custom role", roles, member(func(m *store.Member) { m.RoleID = 4 }), false},
		{"roles: a custom role is not its holders' built-in Member role", store.Portal{OrgID: 1, Access: store.PortalAccessRoles,
			Roles: []string{"member"}}, member(func(m *store.Member) { m.RoleID = 3 }), false},
		{"members: chosen", chosen, member(nil), true},
		{"members: not chosen", chosen, member(func(m *store.Member) { m.ID = 6 }), false},
		{"members: chosen in another organisation", chosen, member(func(m *store.Member) { m.OrgID = 2 }), false},
		{"unknown rule", store.Portal{OrgID: 1, Access: "everyone"}, member(nil), false},
	}
	for _, tc := range tests {
		if got := MayUse(tc.portal, tc.member); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestLaunchable(t *testing.T) {
	m := store.Member{ID: 7, OrgID: 1, Role: store.RoleMember, Status: store.StatusActive, Licensed: true}
	list := []store.Portal{
		{ID: 1, OrgID: 1, Access: store.PortalAccessAll, HomeURL: "https://a.test/"},
		{ID: 2, OrgID: 1, Access: store.PortalAccessAll}, // no home URL
		{ID: 3, OrgID: 1, Access: store.PortalAccessRoles, Roles: []string{"owner"}, HomeURL: "https://c.test/"},
		{ID: 4, OrgID: 1, Access: store.PortalAccessMembers, MemberIDs: []int64{7}, HomeURL: "https://d.test/"},
	}
	got := Launchable(list, m)
	if len(got) != 2 || got[0].ID != 1 || got[1].ID != 4 {
		t.Errorf("got %+v, want portals 1 and 4", got)
	}
}

// TestIssuer: the issuer is built from the organisation's stored URL
// name, never from its (changeable) name.
func TestIssuer(t *testing.T) {
	for _, tc := range []struct{ public, urlName, want string }{
		{"https://login.example.org/", "acme-corp", "https://login.example.org/o/acme-corp"},
		{"https://login.example.org", "acme", "https://login.example.org/o/acme"},
	} {
		org := store.Organisation{ID: 9, Name: "Renamed Since", URLName: tc.urlName}
		if got := Issuer(tc.public, org); got != tc.want {
			t.Errorf("Issuer(%q, %q) = %q, want %q", tc.public, tc.urlName, got, tc.want)
		}
	}
}

func TestSecrets(t *testing.T) {
	secret, hash := NewSecret()
	if !regexp.MustCompile(`^ims_cs_[A-Za-z0-9_-]{43}$`).MatchString(secret) {
		t.Errorf("secret %q: want ims_cs_ and 43 base64url characters (256 bits)", secret)
	}
	if other, _ := NewSecret(); other == secret {
		t.Error("two secrets are equal")
	}
	if len(hash) != 32 || string(hash) != string(HashSecret(secret)) || strings.Contains(string(hash), secret) {
		t.Errorf("hash %x", hash)
	}
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	old, oldHash := NewSecret()
	secrets := []store.PortalSecret{{Hash: hash}, {Hash: oldHash, ExpiresAt: now.Add(time.Hour)}}
	tests := []struct {
		name   string
		secret string
		at     time.Time
		want   bool
	}{
		{"current", secret, now, true},
		{"old during the overlap", old, now.Add(59 * time.Minute), true},
		{"old at its deadline", old, now.Add(time.Hour), false},
		{"current after the overlap", secret, now.Add(48 * time.Hour), true},
		{"wrong", secret + "x", now, false},
		{"prefix of the secret", secret[:20], now, false},
		{"empty", "", now, false},
		{"huge", strings.Repeat("x", 10000), now, false},
	}
	for _, tc := range tests {
		if got := VerifySecret(secrets, tc.secret, tc.at); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	if id := NewClientID(); !regexp.MustCompile(`^[a-z2-7]{26}$`).MatchString(id) || id == NewClientID() {
		t.Errorf("client ID %q: want 26 random lower-case base32 characters", id)
	}
}

type secretsOf map[int64][]store.PortalSecret

func (s secretsOf) PortalSecrets(_ context.Context, orgID, portalID int64, _ time.Time) ([]store.PortalSecret, error) {
	if orgID != 1 {
		return nil, errors.New("wrong organisation")
	}
	return s[portalID], nil
}

func TestCheckSecret(t *testing.T) {
	secret, hash := NewSecret()
	st := secretsOf{1: {{Hash: hash}}, 2: {{Hash: hash}}}
	now := time.Now()
	if ok, err := CheckSecret(context.Background(), st, store.Portal{ID: 1, OrgID: 1, Confidential: true}, secret, now); !ok || err != nil {
		t.Errorf("confidential portal, right secret: %v, %v", ok, err)
	}
	if ok, _ := CheckSecret(context.Background(), st, store.Portal{ID: 2, OrgID: 1}, secret, now); ok {
		t.Error("a public portal passed with a secret")
	}
	if ok, _ := CheckSecret(context.Background(), st, store.Portal{ID: 3, OrgID: 1, Confidential: true}, secret, now); ok {
		t.Error("another portal's secret passed")
	}
}
