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
// A Step is plain logic over plain data: the Flow record (with its
// organisation and member) and an Input (form values, the client's origin,
// cookies, the time). It returns an Outcome: Passed (with cookies to set),
// Show its page, Wrong (a wrong answer, with the page to show again), Again
// (back to its page, with a notice), or End (the sign-in ends, with a
// reason). This package alone renders, counts, ends flows and sets cookies.
// A Step that is also an Enterer acts once as the flow reaches it (the email
// code step sends its first code there).
//
// Attempts, reserve then check: one limit applies to every step,
// MaxAttempts answers per step. When a step's Guess says an answer checks
// its secret, the flow's attempt is counted in one atomic statement before
// Submit sees it, so a burst of answers gets at most MaxAttempts checked; an
// answer that turns out to be no guess (a malformed or expired code) is
// given back. Each Wrong answer also counts toward the account lockout, like
// a wrong password, and the last allowed one ends the sign-in.
//
// Adding a step means writing one Step and adding it to the list the server
// builds; the password step and the other steps are not touched.
//
// Protection: before the password is looked at, the attempt is throttled
// per client address and per organisation name (429), then refused while
// the identifier is locked (423, the same page for right and wrong
// passwords). The attempt is counted before the hash (lockout.Guard.Reserve),
// so however many arrive at once no more than the lockout threshold are
// checked. A wrong password is recorded in the audit log, and the attempt
// that locks also records the lockout and emails the member, in one
// transaction. A right password gives its attempt back when a step follows
// (earlier failures stay counted until the sign-in completes); the session,
// the cleared count and the signin-success entry are written in one
// transaction.
//
// GET/POST /reauthenticate asks a signed-in member for their password again
// before a sensitive action (see session.Manager.RequireRecentAuth); it is
// throttled, locked and counted like sign-in.
package signin
