package oidc

import "errors"

// errNoLongerAdmitted refuses a refresh token whose portal no longer
// admits its member. Changing the access rule or the member's role ends
// their tokens at once (store.Grants.EndLostAccess); this catches a pair
// that a refresh racing with the change wrote, at its next use. It costs
// no statement: the refresh token is read with the answer
// (store.HeldToken.Admitted). Access tokens are not checked on use: they
// end with the change and live minutes.
var errNoLongerAdmitted = errors.New("the member may no longer use this portal")
