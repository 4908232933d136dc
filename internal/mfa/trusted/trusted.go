// Package trusted remembers browsers on which a member chose "Remember me"
// at the MFA step. The cookie holds a random token; the store keeps its
// SHA-256, bound to the member, until it expires or is forgotten.
package trusted

import (
	"context"
	"errors"
	"net/http"
	"time"

	"imslogin/internal/cookie"
	"imslogin/internal/store"
	"imslogin/internal/token"
)

// cookieName is the trusted-device cookie's name before cookie.Name
// prefixes it.
const cookieName = "ims_trusted"

// Store keeps remembered browsers.
type Store interface {
	CreateTrustedDevice(ctx context.Context, d *store.TrustedDevice) error
	TrustedDevice(ctx context.Context, orgID, memberID int64, tokenHash []byte) (store.TrustedDevice, error)
}

// Devices checks and sets trusted-device cookies.
type Devices struct {
	Store  Store
	Secure bool
}

// CookieName is the trusted-device cookie's name on this site.
func (d *Devices) CookieName() string { return cookie.Name(cookieName, d.Secure) }

// Trusted reports whether raw, the value of a browser's CookieName
// cookie, is one the member trusted less than lifetime ago (the
// organisation's current setting, so shortening it applies to browsers
// already remembered).
func (d *Devices) Trusted(ctx context.Context, raw string, orgID, memberID int64, lifetime time.Duration, now time.Time) (bool, error) {
	if raw == "" || lifetime <= 0 {
		return false, nil
	}
	dev, err := d.Store.TrustedDevice(ctx, orgID, memberID, token.Hash(raw))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return now.Before(dev.ExpiresAt) && now.Before(dev.CreatedAt.Add(lifetime)), nil
}

// Remember records the browser, by its user agent (at most 512 bytes), as
// trusted by the member for lifetime and returns the cookie to set.
func (d *Devices) Remember(ctx context.Context, userAgent string, orgID, memberID int64, lifetime time.Duration, now time.Time) (*http.Cookie, error) {
	raw, hash := token.New()
	dev := store.TrustedDevice{TokenHash: hash, OrgID: orgID, MemberID: memberID, UserAgent: userAgent, CreatedAt: now,
		LastUsedAt: now, ExpiresAt: now.Add(lifetime)}
	if err := d.Store.CreateTrustedDevice(ctx, &dev); err != nil {
		return nil, err
	}
	return cookie.New(cookieName, raw, int(lifetime/time.Second), d.Secure), nil
}
