// Package recovery serves the pages an emailed link leads to, and the
// request for one: "Forgot password?" (/forgot-password), the reset form
// (/reset-password), accepting an invitation (/invitation), and the
// strength meter's estimate (/password/strength).
//
// A reset is sent only when the request arrives on the organisation's
// official address, and the answer never says whether an account exists.
// Following a link checks it without using it; the form's submission uses it
// in the same transaction as the new password, so a rejected password
// leaves the link working and two submissions cannot both succeed.
package recovery
