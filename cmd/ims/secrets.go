package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"imslogin/internal/config"
	"imslogin/internal/mfa/totp"
	"imslogin/internal/secretbox"
	"imslogin/internal/store"
)

// sealedAtRest is what holds secrets sealed with the server's key:
// authenticator apps and organisations' signing keys.
type sealedAtRest interface {
	store.SecretsAtRest
	CountSigningKeys(ctx context.Context) (int64, error)
}

// openSecrets reads the key that seals authenticator-app secrets. With
// SQLite (one node) a missing key is made on the first start; with
// PostgreSQL the operator makes it, since every node must read the same
// one and two nodes would otherwise each make their own. A missing key is
// never replaced while sealed secrets need it. created reports a new key.
func openSecrets(ctx context.Context, cfg config.Config, db sealedAtRest) (secrets *totp.Secrets, created bool, err error) {
	path, err := cfg.SecretKeyPath()
	if err != nil {
		return nil, false, err
	}
	box, err := secretbox.LoadKey(path)
	if err == nil {
		secrets = totp.NewSecrets(box)
		if err := secrets.CheckKey(ctx, db); errors.Is(err, totp.ErrWrongKey) && !cfg.SecretKeyLost {
			return nil, false, fmt.Errorf("the secret key file %s does not open the authenticator apps sealed in the database: "+
				"restore the key file that sealed them (from the backup made with the database); nothing was changed. "+
				"If that key is lost for good, start with --secret-key-lost: those apps stop working", path)
		} else if err != nil && !errors.Is(err, totp.ErrWrongKey) {
			return nil, false, err
		}
		return secrets, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	if err := refuseNewKey(ctx, cfg, db, path); err != nil {
		return nil, false, err
	}
	if box, err = secretbox.CreateKey(path); err != nil {
		return nil, false, err
	}
	return totp.NewSecrets(box), true, nil
}

// refuseNewKey says why no key may be made in place of the missing one.
func refuseNewKey(ctx context.Context, cfg config.Config, db sealedAtRest, path string) error {
	apps, err := totp.CountSealed(ctx, db)
	if err != nil {
		return err
	}
	keys, err := db.CountSigningKeys(ctx)
	if err != nil {
		return err
	}
	if apps+keys > 0 && !cfg.SecretKeyLost {
		return fmt.Errorf("the secret key file %s is missing, but %s in the database sealed with the key it held: "+
			"restore the file from the backup made with the database (IMS_SECRET_KEY_FILE names it). "+
			"A new key would make every one of those stop working (authenticator apps, and portals' signed-in "+
			"members and tokens), so none was made and nothing was changed "+
			"(if that key is lost for good, start with --secret-key-lost)",
			path, sealedThings(apps, keys))
	}
	if !cfg.SQLite() {
		return fmt.Errorf("the secret key file %s is missing: make it once (for example `openssl rand -hex 32 > %s`, "+
			"readable only by IMS Login) and give every node the same file", path, path)
	}
	return nil
}

// sealedThings names what is sealed: "2 authenticator apps are", "1
// signing key is", "1 authenticator app and 3 signing keys are".
func sealedThings(apps, keys int64) string {
	var parts []string
	if apps > 0 {
		parts = append(parts, plural(apps, "authenticator app"))
	}
	if keys > 0 {
		parts = append(parts, plural(keys, "organisation signing key"))
	}
	verb := " are"
	if apps+keys == 1 {
		verb = " is"
	}
	return strings.Join(parts, " and ") + verb
}

func plural(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// sealStoredSecrets seals the authenticator-app secrets stored before
// sealing existed, before the server serves.
func sealStoredSecrets(ctx context.Context, secrets *totp.Secrets, db store.SecretsAtRest) (apps, pending int, err error) {
	apps, pending, err = secrets.SealStored(ctx, db)
	if err != nil {
		return apps, pending, fmt.Errorf("seal stored authenticator-app secrets: %w", err)
	}
	return apps, pending, nil
}
