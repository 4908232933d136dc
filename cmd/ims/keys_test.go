package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"imslogin/internal/secretbox"
	"imslogin/internal/store/sqlstore/sqltest"
)

func TestKeysRotate(t *testing.T) {
	url := newDatabase(t)
	t.Setenv("IMS_DATABASE_URL", url)
	keyFile := filepath.Join(filepath.Dir(strings.TrimPrefix(url, "sqlite:")), "secret.key")
	if _, err := run(t, "", "keys", "rotate", "--org", "Acme"); err == nil || !strings.Contains(err.Error(), "secret key file") {
		t.Errorf("without the secret key: %v, want a message naming it", err)
	}
	if _, err := secretbox.CreateKey(keyFile); err != nil {
		t.Fatal(err)
	}
	failures := map[string][]string{
		`--algorithm "HS256": want ES256 or RS256`: {"keys", "rotate", "--org", "Acme", "--algorithm", "HS256"},
		`no organisation named "Nope"`:             {"keys", "rotate", "--org", "Nope"},
	}
	for want, args := range failures {
		if _, err := run(t, "", args...); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ims %s: got %v, want %q", strings.Join(args, " "), err, want)
		}
	}
	db := sqltest.Open(t, url)
	ctx := context.Background()
	o, _ := db.OrganisationByName(ctx, "Acme")
	if list, _ := db.SigningKeys(ctx, o.ID); len(list) != 0 {
		t.Fatalf("refused commands wrote %d keys", len(list))
	}
	out, err := run(t, "", "keys", "rotate", "--org", "Acme", "--algorithm", "rs256")
	if err != nil || !strings.Contains(out, "New RS256 signing key") || !strings.Contains(out, "signs from") {
		t.Fatalf("keys rotate: %v\n%s", err, out)
	}
	list, _ := db.SigningKeys(ctx, o.ID)
	if len(list) != 1 || list[0].Algorithm != "RS256" || !secretbox.IsSealed(list[0].Private) {
		t.Errorf("stored %+v, want one sealed RS256 key", list)
	}
	if _, err := os.Stat(keyFile); err != nil {
		t.Error(err)
	}
}
