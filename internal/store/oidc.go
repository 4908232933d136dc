package store

import (
	"context"
	"time"
)

// SigningKey is one of an organisation's keys for signing ID tokens. The
// private key is sealed with the server's secret key before it is stored.
// A key is published from CreatedAt, signs from ActiveFrom (the newest key
// whose ActiveFrom has come signs), and is deleted once what it signed has
// expired.
type SigningKey struct {
	ID         string // the JWK "kid", random
	OrgID      int64
	Algorithm  string // "ES256" or "RS256"
	Public     []byte // PKIX DER
	Private    []byte // sealed PKCS #8 DER
	CreatedAt  time.Time
	ActiveFrom time.Time
}

// SigningKeys stores organisations' signing keys.
type SigningKeys interface {
	// CreateSigningKey stores a key; ErrConflict if the organisation has a
	// key of that algorithm with the same ActiveFrom (another node made it).
	CreateSigningKey(ctx context.Context, k *SigningKey) error
	// SigningKeys lists an organisation's keys, newest ActiveFrom first.
	SigningKeys(ctx context.Context, orgID int64) ([]SigningKey, error)
	DeleteSigningKey(ctx context.Context, orgID int64, id string) error
	// CountSigningKeys counts the keys of every organisation: start-up
	// refuses to replace a lost secret key while keys sealed with it exist.
	CountSigningKeys(ctx context.Context) (int64, error)
}

// AuthRequest is an OpenID Connect authorization request between the
// portal's redirect and the code exchange. It is bound to the browser that
// first continued it (BrowserHash) and, once the member is signed in, to
// their session.
type AuthRequest struct {
	ID                  string // random; named in the continue URL
	OrgID               int64
	ClientID            string
	RedirectURI         string
	State               string
	Nonce               string
	Scopes              []string
	ResponseType        string
	ResponseMode        string
	CodeChallenge       string
	CodeChallengeMethod string
	Prompt              []string
	MaxAge              int64 // seconds; -1 when the portal sent none
	ACRValues           []string
	IDTokenHintSubject  string
	BrowserHash         []byte
	// Set when the member is signed in (Done).
	SessionID int64
	MemberID  int64
	AuthTime  time.Time
	AMR       []string
	Done      bool
	// The authorization code: only its SHA-256, single use.
	CodeHash      []byte
	CodeExpiresAt time.Time
	CodeUsedAt    time.Time
	CreatedAt     time.Time
	ExpiresAt     time.Time
}

// Token kinds.
const (
	TokenAccess  = "access"
	TokenRefresh = "refresh"
)

// Token is an access or refresh token. Only the SHA-256 of its secret is
// kept. Tokens issued from one authorization (a code and every refresh
// after it) share a Family, which is revoked as a whole when a code or a
// rotated refresh token is used again.
type Token struct {
	ID        int64
	OrgID     int64
	Kind      string
	Hash      []byte
	Family    string
	ClientID  string
	MemberID  int64 // 0 for a portal's own token (client credentials)
	SessionID int64 // the session the token ends with; 0 for offline access
	Scopes    []string
	AMR       []string
	AuthTime  time.Time
	CreatedAt time.Time
	ExpiresAt time.Time
	RotatedAt time.Time // a refresh token used once already
}

// HeldToken is a token with what every use of it checks.
type HeldToken struct {
	Token
	// Member is whom it speaks for (the zero Member for a portal's own
	// token or a deleted member), with only what a token's use reads: ID,
	// OrgID, Email, Name, Role, RoleID, Status, Licensed, EmailVerified.
	Member Member
	// SessionOn: the session the token ends with still exists and has not
	// passed its end; true for a token bound to no session.
	SessionOn bool
	// Admitted: no stored portal of the token's client refuses its member
	// by its access rule (as EndLostAccess decides it; a client with no
	// stored portal is for the portal registry to refuse). Read for a
	// member's refresh token only; true for an access token or a portal's
	// own token.
	Admitted bool
}

// LostAccess is what ended for one member of one portal that no longer
// admits them.
type LostAccess struct {
	MemberID int64
	ClientID string
	Tokens   int64 // access and refresh tokens deleted
	Logouts  int64 // back-channel logouts queued, one per session that had signed in to the portal
}

// Grants stores authorization requests and the tokens issued from them,
// always within one organisation.
type Grants interface {
	// CreateAuthRequest stores a request as it is: new, or already bound
	// to its browser, completed and with its code (a browser whose session
	// answers it at once).
	CreateAuthRequest(ctx context.Context, a *AuthRequest) error
	AuthRequestByID(ctx context.Context, orgID int64, id string) (AuthRequest, error)
	// BindAuthRequest binds a request to a browser unless it is bound
	// already; ErrNotFound when it is bound to another or has expired.
	BindAuthRequest(ctx context.Context, orgID int64, id string, browserHash []byte, now time.Time) error
	// CompleteAuthRequest records the signed-in member, once.
	CompleteAuthRequest(ctx context.Context, a AuthRequest, now time.Time) error
	SaveAuthCode(ctx context.Context, orgID int64, id string, codeHash []byte, expires time.Time) error
	// AuthRequestByCode reads the request a code was issued for, used or
	// not, without using it: the client and PKCE are checked before the
	// code is spent.
	AuthRequestByCode(ctx context.Context, orgID int64, codeHash []byte) (AuthRequest, error)
	// UseAuthCode marks a live code used and returns its request, in one
	// conditional write: of concurrent uses one succeeds. A code used
	// before returns the request with CodeUsedAt set and ErrConflict.
	UseAuthCode(ctx context.Context, orgID int64, codeHash []byte, now time.Time) (AuthRequest, error)
	DeleteAuthRequest(ctx context.Context, orgID int64, id string) error

	CreateToken(ctx context.Context, t *Token) error
	TokenByHash(ctx context.Context, orgID int64, kind string, hash []byte) (Token, error)
	// HeldToken reads a token with its member and its session's state in
	// one statement: a token's every use checks them.
	HeldToken(ctx context.Context, orgID int64, kind string, hash []byte, now time.Time) (HeldToken, error)
	// RotateRefreshToken marks a current refresh token used, in one
	// conditional write; ErrNotFound if it was rotated already or is gone.
	RotateRefreshToken(ctx context.Context, orgID int64, hash []byte, now time.Time) error
	// RevokeFamily deletes every token of a family and returns how many.
	RevokeFamily(ctx context.Context, orgID int64, family string) (int64, error)
	DeleteToken(ctx context.Context, orgID int64, kind string, hash []byte) error
	// DeleteMemberTokens ends a member's tokens for one portal ("" for all).
	DeleteMemberTokens(ctx context.Context, orgID, memberID int64, clientID string) (int64, error)
	// EndLostAccess ends the grants of members whom their portal's access
	// rule (all members, roles, chosen members) no longer admits, or whose
	// portal is gone: it deletes their access and refresh tokens and the
	// codes not yet exchanged, and takes the records of which of their
	// sessions signed in to the portal, queueing a back-channel logout
	// (created at now) for each if the portal has a back-channel logout
	// URI. clientID narrows it to one portal ("" for every portal),
	// memberID to one member (0 for all). It returns what ended per member
	// and portal; members who had nothing are not listed. A member's status
	// and licence are not its concern: those end every token with the
	// member's sessions.
	EndLostAccess(ctx context.Context, orgID, memberID int64, clientID string, now time.Time) ([]LostAccess, error)
	// DeleteSessionTokens ends the member's tokens bound to the session
	// sessionID, or to any session with 0 (offline ones stay).
	DeleteSessionTokens(ctx context.Context, orgID, memberID, sessionID int64) (int64, error)
	// PruneGrants deletes, in every organisation, the authorization
	// requests, tokens and session portal records (store.Logouts) expired
	// before now (a rotated refresh token is kept until then, so its reuse
	// is still recognised): housekeeping.
	PruneGrants(ctx context.Context, now time.Time) (int64, error)
}
