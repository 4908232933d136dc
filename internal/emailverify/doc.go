// Package emailverify proves that members read their email address: the
// "Verify your email" step of the sign-in, and My Profile → Email Address,
// where a member verifies their address or changes it.
//
// Sign-in: when the organisation requires verified emails and the
// member's is not, the Step sends a code (through the outbox) as the flow
// reaches it. "Verify Email" with the newest code marks the address
// verified; "Resend Code" sends a new one after a short wait; "Skip for
// now" lets the member in unverified (audited) and the Dashboard shows a
// banner. Wrong codes are counted by the sign-in flow across resends; the
// fifth ends the sign-in as a failed attempt toward the account lockout.
//
// Changing the address: the new address gets a code; the pending address
// lives in that code's row beside the current one, so the member signs in
// with the old address until the code proves the new one. Then one
// transaction consumes the code, replaces the address (refused if another
// member of the organisation has it), audits and tells the old address.
//
// Codes come from package otpcode (hashed, constant-time, expiring, newest
// only, single use).
package emailverify
