package oidc

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"imslogin/internal/audit"
	"imslogin/internal/store"
)

var errCodeReused = errors.New("authorization code used before")

// exchangeCode issues the access token a code buys (no refresh token
// asked): the code is spent in the transaction that writes the token.
func (s *storage) exchangeCode(ctx context.Context, request *authRequest) (string, time.Time, error) {
	var id string
	var expires time.Time
	err := s.store.InTx(ctx, func(ctx context.Context) error {
		if err := s.redeemCode(ctx, request); err != nil {
			return err
		}
		t, err := s.newToken(ctx, request, store.TokenAccess)
		if err != nil {
			return err
		}
		id, expires = randomID(32), t.ExpiresAt
		t.Hash = hashOf(id)
		return s.store.CreateTokens(ctx, t)
	})
	return id, expires, s.codeRefusal(ctx, request, err)
}

// redeemCode spends the code request was found by, with the transaction
// ctx carries: of concurrent exchanges one wins, and nothing is spent if
// the tokens are not written. A request that is not a code's is left.
func (s *storage) redeemCode(ctx context.Context, request op.TokenRequest) error {
	r, ok := request.(*authRequest)
	if !ok {
		return nil
	}
	org := tenantFrom(ctx).org.ID
	a, err := s.store.UseAuthCode(ctx, org, r.a.CodeHash, s.now())
	if errors.Is(err, store.ErrConflict) {
		return errCodeReused
	}
	if errors.Is(err, store.ErrNotFound) { // expired meanwhile, or its member lost access
		return oidc.ErrInvalidGrant().WithDescription("invalid code")
	}
	if err != nil {
		return err
	}
	// The portal now gets tokens from the session: it is told when it ends.
	return s.store.RecordSessionPortal(ctx, org, a.SessionID, a.ClientID)
}

// codeRefusal answers a failed exchange; a code spent by another exchange
// meanwhile revokes what that exchange got, after the rollback.
func (s *storage) codeRefusal(ctx context.Context, request op.TokenRequest, err error) error {
	r, ok := request.(*authRequest)
	if !ok || !errors.Is(err, errCodeReused) {
		return err
	}
	s.codeReused(ctx, r.a)
	return oidc.ErrInvalidGrant().WithDescription("authorization code used before")
}

// codeReused revokes every token issued from a's code, presented again.
func (s *storage) codeReused(ctx context.Context, a store.AuthRequest) {
	n, err := s.store.RevokeFamily(ctx, tenantFrom(ctx).org.ID, a.ID)
	if err != nil {
		s.log.Error("revoke the tokens of a reused code", "err", err)
		return
	}
	s.audit(ctx, audit.TokenReuse, a.MemberID, fmt.Sprintf("%s: authorization code used again; %d tokens revoked", a.ClientID, n))
}
