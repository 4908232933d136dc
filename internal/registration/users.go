package registration

import (
	"context"
	"errors"
	"slices"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/store"
)

// UsersStore is what the Users page of a portal reads.
type UsersStore interface {
	PortalByID(ctx context.Context, orgID, id int64) (store.Portal, error)
	OrganisationByID(ctx context.Context, id int64) (store.Organisation, error)
	ListMembers(ctx context.Context, orgID int64, q store.MemberQuery) ([]store.MemberRow, error)
	IdentitiesOf(ctx context.Context, orgID int64) ([]store.MemberIdentity, error)
	LoginServicesOf(ctx context.Context, orgID int64) ([]store.LoginService, error)
	RegistrationsOf(ctx context.Context, orgID int64) ([]store.Registration, error)
}

// User is a member allowed into a portal, as the Users page shows them.
type User struct {
	Member store.Member
	// Account is "Username (Login Service)", or empty when not linked.
	Account      string
	Registration store.Registration // zero when never registered
	// DaysLeft are the days until an unlinked registered profile is
	// removed; meaningful only when Account is empty and Registration set.
	DaysLeft int
}

// IMSLoginService is the built-in login service's name.
const IMSLoginService = "IMS Login Service"

// MaxUsers bounds the members the Users page lists.
const MaxUsers = 200

// Users lists the members the portal's access rule admits (whatever their
// status), with the account each signs in with.
func (s *Service) Users(ctx context.Context, orgID, portalID int64) (store.Portal, []User, error) {
	st := s.Store
	p, err := st.PortalByID(ctx, orgID, portalID)
	if err != nil {
		return p, nil, err
	}
	org, err := st.OrganisationByID(ctx, orgID)
	if err != nil {
		return p, nil, err
	}
	rows, err := st.ListMembers(ctx, orgID, store.MemberQuery{Sort: store.SortName, Limit: MaxUsers})
	if err != nil {
		return p, nil, err
	}
	ids, err := st.IdentitiesOf(ctx, orgID)
	if err != nil {
		return p, nil, err
	}
	services, err := st.LoginServicesOf(ctx, orgID)
	if err != nil {
		return p, nil, err
	}
	regs, err := st.RegistrationsOf(ctx, orgID)
	if err != nil {
		return p, nil, err
	}
	names := map[int64]string{}
	for _, ls := range services {
		names[ls.ID] = ls.Name
	}
	accounts := map[int64]string{}
	for _, id := range ids {
		accounts[id.MemberID] = id.Username + " (" + names[id.ServiceID] + ")"
	}
	registered := map[int64]store.Registration{}
	for _, r := range regs {
		registered[r.MemberID] = r
	}
	var users []User
	for _, row := range rows {
		m := row.Member
		if !admits(p, m) {
			continue
		}
		u := User{Member: m, Account: accounts[m.ID], Registration: registered[m.ID]}
		if u.Account == "" && m.PasswordHash != "" {
			u.Account = m.Email + " (" + IMSLoginService + ")"
		}
		if !u.Registration.CountFrom.IsZero() {
			u.DaysLeft = daysLeft(u.Registration.CountFrom, org.Settings.UnlinkedRemovalDays, s.Now())
		}
		users = append(users, u)
	}
	return p, users, nil
}

// admits reports whether p's access rule names m, whatever m's status.
func admits(p store.Portal, m store.Member) bool {
	switch p.Access {
	case store.PortalAccessAll:
		return true
	case store.PortalAccessRoles:
		return slices.Contains(p.Roles, store.RoleKey(m))
	case store.PortalAccessMembers:
		return slices.Contains(p.MemberIDs, m.ID)
	}
	return false
}

// daysLeft counts whole days, rounded up, until the removal.
func daysLeft(from time.Time, days int, now time.Time) int {
	left := from.Add(time.Duration(days) * 24 * time.Hour).Sub(now)
	if left <= 0 {
		return 0
	}
	return int((left + 24*time.Hour - 1) / (24 * time.Hour))
}

// ResetRemoval starts the member's count of days until removal again.
func (s *Service) ResetRemoval(ctx context.Context, by By, memberID int64) error {
	return s.Store.InTx(ctx, func(ctx context.Context) error {
		m, err := s.Store.MemberByID(ctx, by.OrgID, memberID)
		if err != nil {
			return err
		}
		if err := s.Store.ResetRemovalCount(ctx, by.OrgID, memberID, s.Now()); errors.Is(err, store.ErrNotFound) {
			return refuse("", m.Email+" was not registered through a registration email: there is no count to reset.")
		} else if err != nil {
			return err
		}
		e := s.event(by, s.Now(), audit.UnlinkedRemoval, m)
		e.Detail = "days until account removal reset"
		return s.Store.AppendAuditEvent(ctx, &e)
	})
}

// Changes are what the Users page's Save does: new registrations to send
// (member ID → the address to send to) and counts to reset.
type Changes struct {
	Send  map[int64]string
	Reset []int64
}

// Save makes the changes in one transaction: a refusal of any leaves
// every other undone.
func (s *Service) Save(ctx context.Context, by By, c Changes) error {
	return s.Store.InTx(ctx, func(ctx context.Context) error {
		for id, email := range c.Send {
			if _, err := s.SendNew(ctx, by, id, email); err != nil {
				return err
			}
		}
		for _, id := range c.Reset {
			if err := s.ResetRemoval(ctx, by, id); err != nil {
				return err
			}
		}
		return nil
	})
}
