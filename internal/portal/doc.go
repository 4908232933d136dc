// Package portal is portals, the organisation's applications that sign
// members in through single sign-on (OpenID Connect clients): the rules a
// registration must meet, client IDs and secrets, who may use a portal
// (MayUse), and the Service that registers, changes, deletes and rotates
// them with an audit entry in the same transaction as each change.
// Admin Settings, the admin API and `ims portal` call the Service; the
// OpenID Connect provider reads portals through store.Portals and checks
// secrets with CheckSecret.
package portal
