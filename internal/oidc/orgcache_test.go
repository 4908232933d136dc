package oidc

import (
	"context"
	"errors"
	"testing"

	"imslogin/internal/store"
)

type countingOrgs struct {
	orgs  map[string]store.Organisation
	reads int
}

func (c *countingOrgs) OrganisationByURLName(_ context.Context, urlName string) (store.Organisation, error) {
	c.reads++
	o, ok := c.orgs[urlName]
	if !ok {
		return o, store.ErrNotFound
	}
	return o, nil
}

func TestOrgCacheKeepsOnlyOrganisationsThatExist(t *testing.T) {
	ctx := context.Background()
	src := &countingOrgs{orgs: map[string]store.Organisation{"acme": {ID: 7}}}
	c := newOrgCache(src)
	for range 3 {
		if o, err := c.OrganisationByURLName(ctx, "acme"); err != nil || o.ID != 7 {
			t.Fatalf("acme: %+v, %v", o, err)
		}
	}
	if src.reads != 1 {
		t.Errorf("%d reads for three lookups, want 1", src.reads)
	}
	for range 2 {
		if _, err := c.OrganisationByURLName(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("nobody: %v, want ErrNotFound", err)
		}
	}
	if src.reads != 3 || c.kept.len() != 1 {
		t.Errorf("%d reads, %d entries: an unknown name must be read each time and never kept", src.reads, c.kept.len())
	}
}
