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
	MemberByID(ctx context.Context, orgID, id int64) (store.Member, error)
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

// MaxUsers bounds the members one Users page lists.
const MaxUsers = 200

// Users lists a page of the members the portal's access rule admits
// (whatever their status), by name, with the account each signs in with:
// those after the member with ID after (0: from the first). next is the ID
// to pass for the page that follows, 0 when there is none.
func (s *Service) Users(ctx context.Context, orgID, portalID, after int64) (p store.Portal, users []User, next int64, err error) {
	st := s.Store
	if p, err = st.PortalByID(ctx, orgID, portalID); err != nil {
		return p, nil, 0, err
	}
	org, err := st.OrganisationByID(ctx, orgID)
	if err != nil {
		return p, nil, 0, err
	}
	members, next, err := s.admitted(ctx, p, after)
	if err != nil {
		return p, nil, 0, err
	}
	accounts, registered, err := s.accountsOf(ctx, orgID)
	if err != nil {
		return p, nil, 0, err
	}
	for _, m := range members {
		u := User{Member: m, Account: accounts[m.ID], Registration: registered[m.ID]}
		if u.Account == "" && m.PasswordHash != "" {
			u.Account = m.Email + " (" + IMSLoginService + ")"
		}
		if !u.Registration.CountFrom.IsZero() {
			u.DaysLeft = daysLeft(u.Registration.CountFrom, org.Settings.UnlinkedRemovalDays, s.Now())
		}
		users = append(users, u)
	}
	return p, users, next, nil
}

// memberPage is how many members one read of the list brings (the most
// store.MemberQuery allows).
const memberPage = 201

// admitted reads the organisation's members by name, after the member
// with ID after, until MaxUsers the portal admits are found; next is the
// last of them when another admitted member follows.
func (s *Service) admitted(ctx context.Context, p store.Portal, after int64) (members []store.Member, next int64, err error) {
	var cursor *store.MemberCursor
	if after != 0 {
		m, err := s.Store.MemberByID(ctx, p.OrgID, after)
		if err != nil {
			return nil, 0, err
		}
		c := store.MemberRow{Member: m}.Cursor(store.SortName)
		cursor = &c
	}
	for {
		rows, err := s.Store.ListMembers(ctx, p.OrgID, store.MemberQuery{Sort: store.SortName, After: cursor, Limit: memberPage})
		if err != nil {
			return nil, 0, err
		}
		for _, row := range rows {
			if !admits(p, row.Member) {
				continue
			}
			if len(members) == MaxUsers {
				return members, members[len(members)-1].ID, nil
			}
			members = append(members, row.Member)
		}
		if len(rows) < memberPage {
			return members, 0, nil
		}
		c := rows[len(rows)-1].Cursor(store.SortName)
		cursor = &c
	}
}

// accountsOf names each linked member's account, "Username (Login
// Service)", and finds each member's registration.
func (s *Service) accountsOf(ctx context.Context, orgID int64) (map[int64]string, map[int64]store.Registration, error) {
	ids, err := s.Store.IdentitiesOf(ctx, orgID)
	if err != nil {
		return nil, nil, err
	}
	services, err := s.Store.LoginServicesOf(ctx, orgID)
	if err != nil {
		return nil, nil, err
	}
	regs, err := s.Store.RegistrationsOf(ctx, orgID)
	if err != nil {
		return nil, nil, err
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
	return accounts, registered, nil
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
