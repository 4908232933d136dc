package session

import "context"

// Ended is a sign-out: one session of a member, or every one.
type Ended struct {
	OrgID    int64
	MemberID int64
	// SessionID is the session that ended; 0 when every session of the
	// member did.
	SessionID int64
	// Everything ends the member's tokens that outlive sessions too
	// (offline access): sign out everywhere, disabling, losing the
	// licence, a password reset or change.
	Everything bool
}

// Hook is told of every sign-out, inside the transaction that ends the
// sessions (its ctx), so what was issued from them ends with them: the
// single sign-on provider (internal/oidc) ends the tokens and queues the
// back-channel logout of each portal involved. Packages that end sessions
// through the store (administration, password reset and change) call it
// themselves; the Manager calls it for the sessions it ends.
type Hook interface {
	SessionsEnded(ctx context.Context, e Ended) error
}

// Notify tells h, if there is one.
func Notify(ctx context.Context, h Hook, e Ended) error {
	if h == nil {
		return nil
	}
	return h.SessionsEnded(ctx, e)
}

// SetHook sets the hook told of the sessions the Manager ends. It is set
// once while the server is built, before any request.
func (m *Manager) SetHook(h Hook) { m.hook = h }

// Hook is the hook set with SetHook, for the packages that end sessions
// through the store.
func (m *Manager) Hook() Hook { return m.hook }
