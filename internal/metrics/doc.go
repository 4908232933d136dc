// Package metrics holds the Prometheus collectors and the narrow hooks the
// other packages report through, so that no other package imports the
// Prometheus client. The registry is served on its own listener
// (--metrics-addr), never on the public one.
package metrics
