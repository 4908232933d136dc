// Package otpcode issues and checks the short one-time codes IMS Login
// sends to prove a member reads an address: the email code at sign-in, the
// code to a new email address from My Profile, and the email and SMS second
// factors, which reuse it with purposes of their own.
//
// A code is six random digits. Only its HMAC-SHA256 under the server's key
// (bound to the member, purpose and, at a sign-in, the sign-in's flow) is
// stored, and a guess is compared with it in constant time: a code sent for
// one sign-in finishes no other. A code expires (TTL, 10 minutes by
// default); sending another replaces it, so only the newest works; a new
// one may be sent only ResendAfter after the member's last, whichever
// sign-in it was for (the wait is returned, for the page to show); a code
// works once, even when two requests bring it at the same moment.
//
// Wrong guesses are not counted here. They belong to the sign-in (or page)
// that makes them, not to a code, so sending a new code never resets the
// count (NIST SP 800-63B): the sign-in flow counts them and feeds the
// account lockout; outside a sign-in, the store's count on the member's
// code row (CountOneTimeCodeFailure) survives resends.
package otpcode
