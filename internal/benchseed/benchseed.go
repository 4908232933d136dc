// Package benchseed is what `ims dev seed` puts in an organisation for
// benchmarks, and so what the load generator of `ims-bench` signs in as:
// members member0000000@bench.test… sharing one password, an administrator,
// one authenticator-app secret and a portal with a known client secret.
package benchseed

import (
	"context"
	"fmt"
	"time"

	"imslogin/internal/portal"
	"imslogin/internal/store"
)

// Organisation and Password are the seed's defaults: the organisation it
// fills and the password every seeded member shares.
const (
	Organisation = "Bench"
	Password     = "bench password 0001"
)

// AdminEmail is the administrator `ims dev seed --admin` adds, whom the
// members scenario signs in as.
const AdminEmail = "admin@bench.test"

// TOTPSecret is the authenticator-app secret `ims dev seed --totp` gives
// every seeded member, so the generator can compute their codes.
const TOTPSecret = "IMSBENCHMARKSECRETIMSBENCHMARK22"

// MemberEmail is the address `ims dev seed` gives member i.
func MemberEmail(i int) string { return fmt.Sprintf("member%07d@bench.test", i) }

// Members are n of the members `ims dev seed` adds to an organisation, from
// member first on: active, licensed and verified, all with one password's
// hash.
func Members(orgID int64, first, n int, hash string, created time.Time) []store.Member {
	list := make([]store.Member, n)
	for i := range list {
		list[i] = store.Member{OrgID: orgID, Email: MemberEmail(first + i), Name: fmt.Sprintf("Member %d", first+i),
			Role: store.RoleMember, Status: store.StatusActive, Licensed: true, EmailVerified: true,
			PasswordHash: hash, CreatedAt: created}
	}
	return list
}

// BulkCreator inserts many members at once (sqlstore.DB.BulkCreateMembers).
type BulkCreator interface {
	BulkCreateMembers(ctx context.Context, members []store.Member) error
}

// SeedMembers adds n Members to the organisation in batches of 20,000, one
// transaction each, and reports how many are in after each batch (progress
// may be nil). A failed batch leaves the batches before it in place.
func SeedMembers(ctx context.Context, db BulkCreator, orgID int64, n int, hash string, progress func(done int)) error {
	const batch = 20_000
	created := time.Now()
	for done := 0; done < n; {
		members := Members(orgID, done, min(batch, n-done), hash, created)
		if err := db.BulkCreateMembers(ctx, members); err != nil {
			return fmt.Errorf("after %d members: %w", done, err)
		}
		done += len(members)
		if progress != nil {
			progress(done)
		}
	}
	return nil
}

// The portal `ims dev seed --portal` registers, which the single sign-on
// scenarios of ims-bench sign in to: confidential and first-party (no
// consent), open to every member, with a known client ID and secret. Its
// redirect URI is a loopback address nothing listens on: the generator
// reads the code from the redirect and never follows it.
const (
	PortalName        = "Bench Portal"
	PortalClientID    = "imsbenchportal"
	PortalSecret      = "ims_cs_bench-portal-secret-0001"
	PortalRedirectURI = "http://127.0.0.1:9/callback"
)

// PortalCreator registers a portal and its secret (sqlstore.DB).
type PortalCreator interface {
	CreatePortal(ctx context.Context, p *store.Portal) error
	AddPortalSecret(ctx context.Context, s *store.PortalSecret) error
}

// SeedPortal registers the benchmark portal in the organisation, with the
// lifetimes a portal gets by default.
func SeedPortal(ctx context.Context, db PortalCreator, orgID int64) error {
	now := time.Now()
	p := store.Portal{OrgID: orgID, ClientID: PortalClientID, Name: PortalName, RedirectURIs: []string{PortalRedirectURI},
		Confidential: true, FirstParty: true, Access: store.PortalAccessAll, AccessTokenLifetime: portal.AccessTokenLifetime.Default,
		IDTokenLifetime: portal.IDTokenLifetime.Default, RefreshTokenLifetime: portal.RefreshTokenLifetime.Default,
		SigningAlgorithm: "ES256", RequirePKCE: true, AllowedScopes: portal.Scopes, CreatedAt: now, UpdatedAt: now}
	if err := db.CreatePortal(ctx, &p); err != nil {
		return fmt.Errorf("register %s: %w", PortalName, err)
	}
	s := store.PortalSecret{OrgID: orgID, PortalID: p.ID, Hash: portal.HashSecret(PortalSecret), CreatedAt: now}
	return db.AddPortalSecret(ctx, &s)
}
