package sqlstore_test

import (
	"context"
	"slices"
	"testing"

	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/storetest"
)

// TestMigrationKeepsPortalsBehaviour: portals registered before PKCE and
// scopes were settings keep behaving as they did: a public portal requires
// PKCE, a confidential one does not, and both may ask for every scope.
func TestMigrationKeepsPortalsBehaviour(t *testing.T) {
	eachEmpty(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		if _, err := db.MigrateTo(ctx, 29); err != nil {
			t.Fatal(err)
		}
		org := storetest.NewOrganisation(t, db, "Acme")
		for _, p := range []struct {
			clientID     string
			confidential bool
		}{{"client-old-confidential", true}, {"client-old-public", false}} {
			err := db.Exec(ctx, `INSERT INTO portals (org_id, client_id, name, name_key, redirect_uris, confidential,
				first_party, access, access_token_seconds, id_token_seconds, refresh_token_seconds, signing_algorithm,
				created_at, updated_at) VALUES (?, ?, ?, ?, 'https://portal.acme.test/cb', ?, ?, 'all', 600, 600, 2592000,
				'ES256', 0, 0)`, org.ID, p.clientID, p.clientID, p.clientID, p.confidential, true)
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		all := []string{"openid", "profile", "email", "offline_access", "roles"}
		for clientID, wantPKCE := range map[string]bool{"client-old-confidential": false, "client-old-public": true} {
			p, err := db.PortalByClientID(ctx, clientID)
			if err != nil {
				t.Fatal(err)
			}
			if p.RequirePKCE != wantPKCE || !slices.Equal(p.AllowedScopes, all) {
				t.Errorf("%s after the migration: require PKCE %v, scopes %v; want %v and %v",
					clientID, p.RequirePKCE, p.AllowedScopes, wantPKCE, all)
			}
		}
	})
}
