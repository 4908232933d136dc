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
// code step sends its first code there). A step that must end the sign-in
// (too many wrong codes) calls Flow.Fail: the flow is deleted and the
// failure counts toward the account lockout like a wrong password.
//
// Adding a step means writing one Step and adding it to the list the server
// builds; the password step and the other steps are not touched.
package signin
