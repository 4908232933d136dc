// Package admin is Admin Settings: Team Members, Roles & Permissions,
// Details (settings), Licences, API tokens and the audit log, as
// server-rendered pages under /admin/ and as the REST API under /api/v1/.
//
// Pages and API are thin handlers over one Service, so a rule (the licence
// limit, the last Owner, no granting what one does not hold) is written
// once. Which permission each route needs is declared where the route is
// mounted, and one helper (authorize) enforces it for pages and API alike;
// an Actor carries who is acting and what they may do into the Service.
package admin
