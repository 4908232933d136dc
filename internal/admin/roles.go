package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"imslogin/internal/access"
	"imslogin/internal/audit"
	"imslogin/internal/membership"
	"imslogin/internal/store"
	"imslogin/internal/token"
)

// RoleInput is a custom role as a form or the API gives it.
type RoleInput struct {
	Name        string   `json:"name"`
	Permissions []string `json:"permissions"`
}

func (in RoleInput) check(a Actor) (string, access.Set, error) {
	name := strings.TrimSpace(in.Name)
	perms, err := access.ParseList(in.Permissions)
	errs := map[string]string{}
	if err := membership.ValidateName("role name", name); err != nil {
		errs["name"] = membership.Fields(err)["name"]
	} else if store.Role(strings.ToLower(name)).Valid() {
		errs["name"] = fmt.Sprintf("%q is a built-in role: choose another name.", name)
	}
	if err != nil {
		errs["permissions"] = err.Error()
	}
	if len(errs) > 0 {
		return "", 0, &Refused{Fields: errs}
	}
	if !a.Perms.Covers(perms) {
		return "", 0, fmt.Errorf("%w: you cannot grant permissions you do not hold (%s)", ErrForbidden,
			strings.Join((perms&^a.Perms).Names(), ", "))
	}
	return name, perms, nil
}

// Roles lists the organisation's custom roles.
func (s *Service) Roles(ctx context.Context, a Actor) ([]store.CustomRole, error) {
	return s.Store.Roles(ctx, a.OrgID)
}

// CreateRole adds a custom role with permissions the actor holds.
func (s *Service) CreateRole(ctx context.Context, a Actor, in RoleInput) (store.CustomRole, error) {
	name, perms, err := in.check(a)
	if err != nil {
		return store.CustomRole{}, err
	}
	r := store.CustomRole{OrgID: a.OrgID, Name: name, Permissions: perms.Names(), CreatedAt: s.Now()}
	err = s.Store.InTx(ctx, func(ctx context.Context) error {
		if err := s.Store.CreateRole(ctx, &r); err != nil {
			return err
		}
		return s.recordRole(ctx, s.Store, a, fmt.Sprintf("custom role %q created with [%s]", r.Name, perms))
	})
	if errors.Is(err, store.ErrConflict) {
		return r, refuse("name", "There is already a role with this name.")
	}
	return r, err
}

// UpdateRole renames a custom role or changes its permissions; its holders
// gain or lose them at their next request.
func (s *Service) UpdateRole(ctx context.Context, a Actor, id int64, in RoleInput) error {
	name, perms, err := in.check(a)
	if err != nil {
		return err
	}
	err = s.Store.InTx(ctx, func(ctx context.Context) error {
		old, err := s.Store.RoleByID(ctx, a.OrgID, id)
		if err != nil {
			return err
		}
		r := store.CustomRole{ID: id, OrgID: a.OrgID, Name: name, Permissions: perms.Names()}
		if err := s.Store.UpdateRole(ctx, r); err != nil {
			return err
		}
		return s.recordRole(ctx, s.Store, a, fmt.Sprintf("custom role %q changed: now %q with [%s]", old.Name, name, perms))
	})
	if errors.Is(err, store.ErrConflict) {
		return refuse("name", "There is already a role with this name.")
	}
	return err
}

// DeleteRole deletes a custom role nobody holds.
func (s *Service) DeleteRole(ctx context.Context, a Actor, id int64) error {
	return s.Store.InTx(ctx, func(ctx context.Context) error {
		old, err := s.Store.RoleByID(ctx, a.OrgID, id)
		if err != nil {
			return err
		}
		if err := s.Store.DeleteRole(ctx, a.OrgID, id); errors.Is(err, store.ErrConflict) {
			return refuse("", "Members still hold the role %q: give them another role first.", old.Name)
		} else if err != nil {
			return err
		}
		return s.recordRole(ctx, s.Store, a, fmt.Sprintf("custom role %q deleted", old.Name))
	})
}

func (s *Service) recordRole(ctx context.Context, tx Store, a Actor, detail string) error {
	e := s.auditEvent(a, audit.SettingsChange)
	e.Detail = detail
	return tx.AppendAuditEvent(ctx, &e)
}

// TokenInput is a new API token: a label and its permissions.
type TokenInput struct {
	Name        string   `json:"name"`
	Permissions []string `json:"permissions"`
}

// CreateToken stores a new API token and returns it, the only time it is
// ever shown: only its SHA-256 is kept.
func (s *Service) CreateToken(ctx context.Context, a Actor, in TokenInput) (string, store.APIToken, error) {
	name, perms, err := RoleInput(in).check(a)
	if err != nil {
		return "", store.APIToken{}, err
	}
	if perms == 0 {
		return "", store.APIToken{}, refuse("permissions", "Choose at least one permission.")
	}
	raw, hash := token.New()
	t := store.APIToken{OrgID: a.OrgID, Name: name, TokenHash: hash, Permissions: perms.Names(), CreatedBy: a.Label,
		CreatedAt: s.Now()}
	err = s.Store.InTx(ctx, func(ctx context.Context) error {
		if err := s.Store.CreateAPIToken(ctx, &t); err != nil {
			return err
		}
		return s.recordRole(ctx, s.Store, a, fmt.Sprintf("API token %q created with [%s]", name, perms))
	})
	if errors.Is(err, store.ErrConflict) {
		return "", t, refuse("name", "There is already a token with this name.")
	}
	return APITokenPrefix + raw, t, err
}

// APITokenPrefix marks IMS API tokens, so secret scanners can find leaked ones.
const APITokenPrefix = "ims_"

// Tokens lists the organisation's API tokens (never the tokens themselves).
func (s *Service) Tokens(ctx context.Context, a Actor) ([]store.APIToken, error) {
	return s.Store.APITokens(ctx, a.OrgID)
}

// RevokeToken deletes an API token: it stops working at once.
func (s *Service) RevokeToken(ctx context.Context, a Actor, id int64) error {
	return s.Store.InTx(ctx, func(ctx context.Context) error {
		if err := s.Store.DeleteAPIToken(ctx, a.OrgID, id); err != nil {
			return err
		}
		return s.recordRole(ctx, s.Store, a, fmt.Sprintf("API token %d revoked", id))
	})
}

// tokenActor finds the organisation and permissions of a bearer token.
func (s *Service) tokenActor(ctx context.Context, bearer string) (Actor, error) {
	raw, ok := strings.CutPrefix(bearer, APITokenPrefix)
	if !ok || len(raw) != 43 {
		return Actor{}, store.ErrNotFound
	}
	t, err := s.Store.APITokenByHash(ctx, token.Hash(raw))
	if err != nil {
		return Actor{}, err
	}
	if now := s.Now(); now.Sub(t.LastUsedAt) > time.Minute {
		s.Store.TouchAPIToken(ctx, t.ID, now)
	}
	perms, _ := access.ParseList(t.Permissions)
	return Actor{OrgID: t.OrgID, Label: "API token " + t.Name, Perms: perms}, nil
}
