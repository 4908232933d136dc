// Package signin is the sign-in flow: a sequence of steps held server-side.
//
// POST /login runs the password step. When it passes, each registered Step
// is asked in order whether this sign-in needs it (email verification, phone
// enrolment, a second factor…). The first that does is recorded in a
// SigninFlow row, found by the hash of a short-lived cookie, and the browser
// is sent to /login/{step}. When a step is passed the flow moves to the next
// needed step; when none is left, the flow row is deleted and a session
// starts. A sign-in that needs no further step writes no flow row at all.
//
// A Step that is also an Enterer acts once as the flow reaches it (the email
// code step sends its first code there). Wrong answers are counted on the
// flow (SigninFlow.Attempts), so a resend never resets them. A step feeds
// the account lockout in one of two ways: Flow.Fail ends the sign-in and
// counts one failure (email verification, after its last allowed wrong
// code), and Flow.CountFailure counts each wrong answer as it comes (the
// second factor, where every guess at a secret must cost the attacker).
//
// Adding a step means writing one Step and adding it to the list the server
// builds; the password step and the other steps are not touched.
//
// Protection: before the password is looked at, the attempt is throttled
// per client address and per organisation name (429), then refused while
// the identifier is locked (423, the same page for right and wrong
// passwords). A wrong password is counted by the lockout and recorded in
// the audit log in one transaction. The session, the sign-in time, the
// cleared count and the signin-success entry are written in one transaction.
//
// GET/POST /reauthenticate asks a signed-in member for their password again
// before a sensitive action (see session.Manager.RequireRecentAuth); it is
// throttled, locked and counted like sign-in.
package signin
