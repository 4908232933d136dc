package store

import (
	"context"
	"time"
)

// Branding is an organisation's look on its sign-in page, its members'
// pages and its emails: an accent colour and a logo. Its zero value is the
// product's own look.
type Branding struct {
	OrgID int64
	// Accent is "#rrggbb", checked for contrast before it is saved; "" for
	// the product's colour.
	Accent string
	// Logo is a PNG the server re-encoded; nil for none.
	Logo      []byte
	UpdatedAt time.Time
}

// Brandings keeps organisations' branding.
type Brandings interface {
	// Branding is the organisation's; ErrNotFound if it has never set any.
	Branding(ctx context.Context, orgID int64) (Branding, error)
	// SetBranding replaces the organisation's branding.
	SetBranding(ctx context.Context, b Branding) error
}
