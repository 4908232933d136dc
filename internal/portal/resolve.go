package portal

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"imslogin/internal/store"
)

// resolve checks the input and finds its roles and members in the
// organisation: every problem is reported at once, per field.
func (s *Service) resolve(ctx context.Context, orgID int64, in Input) (store.Portal, error) {
	p, invalid := check(in)
	fields := map[string]string{}
	if invalid != nil {
		fields = invalid.Fields
	}
	var err error
	switch p.Access {
	case store.PortalAccessRoles:
		if p.Roles, err = s.roleKeys(ctx, orgID, in.Roles); err != nil {
			if !isInvalid(err) {
				return p, err
			}
			fields["roles"] = err.Error()
		} else if len(p.Roles) == 0 {
			fields["roles"] = "Choose at least one role, or let all members use the portal."
		}
	case store.PortalAccessMembers:
		if p.MemberIDs, err = s.memberIDs(ctx, orgID, in.MemberIDs, in.MemberEmails); err != nil {
			if !isInvalid(err) {
				return p, err
			}
			fields["members"] = err.Error()
		} else if len(p.MemberIDs) == 0 {
			fields["members"] = "Choose at least one member, or let all members use the portal."
		}
	}
	if len(fields) > 0 {
		return p, &Invalid{Fields: fields}
	}
	return p, nil
}

// refused is a problem with one entry of a list, told as a sentence.
type refused string

func (r refused) Error() string { return string(r) }

func isInvalid(err error) bool {
	var r refused
	return errors.As(err, &r)
}

// roleKeys reads role keys or custom roles' names (ignoring case) as role
// keys of the organisation, without duplicates.
func (s *Service) roleKeys(ctx context.Context, orgID int64, list []string) ([]string, error) {
	var keys []string
	var custom []store.CustomRole
	loaded := false
	for _, entry := range list {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		key, err := s.roleKey(ctx, orgID, entry, &custom, &loaded)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(keys, key) {
			keys = append(keys, key)
		}
	}
	if len(keys) > MaxRoles {
		return nil, refused(fmt.Sprintf("At most %d roles.", MaxRoles))
	}
	return keys, nil
}

func (s *Service) roleKey(ctx context.Context, orgID int64, entry string, custom *[]store.CustomRole, loaded *bool) (string, error) {
	if builtin, id, ok := store.ParseRoleKey(strings.ToLower(entry)); ok {
		if id == 0 {
			return string(builtin), nil
		}
		if _, err := s.Store.RoleByID(ctx, orgID, id); errors.Is(err, store.ErrNotFound) {
			return "", refused(fmt.Sprintf("There is no role %q in this organisation.", entry))
		} else if err != nil {
			return "", err
		}
		return store.CustomRoleKey(id), nil
	}
	if !*loaded {
		var err error
		if *custom, err = s.Store.Roles(ctx, orgID); err != nil {
			return "", err
		}
		*loaded = true
	}
	for _, r := range *custom {
		if strings.EqualFold(r.Name, entry) {
			return store.CustomRoleKey(r.ID), nil
		}
	}
	return "", refused(fmt.Sprintf("There is no role %q in this organisation.", shorten(entry)))
}

// memberIDs finds the members given by ID or email in the organisation.
func (s *Service) memberIDs(ctx context.Context, orgID int64, ids []int64, emails []string) ([]int64, error) {
	var out []int64
	add := func(id int64) error {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
		if len(out) > MaxMembers {
			return refused(fmt.Sprintf("At most %d members: for more, give the portal to a role.", MaxMembers))
		}
		return nil
	}
	for _, id := range ids {
		if _, err := s.Store.MemberByID(ctx, orgID, id); errors.Is(err, store.ErrNotFound) {
			return nil, refused(fmt.Sprintf("There is no team member with ID %d in this organisation.", id))
		} else if err != nil {
			return nil, err
		}
		if err := add(id); err != nil {
			return nil, err
		}
	}
	for _, email := range emails {
		email = strings.ToLower(strings.TrimSpace(email))
		if email == "" {
			continue
		}
		m, err := s.Store.MemberByEmail(ctx, orgID, email)
		if errors.Is(err, store.ErrNotFound) {
			return nil, refused(fmt.Sprintf("There is no team member %s in this organisation.", shorten(email)))
		} else if err != nil {
			return nil, err
		}
		if err := add(m.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}
