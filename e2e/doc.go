// Package e2e drives the real pages in headless Chromium (Debian's
// chromium package) against a server started in the test. Without Chromium
// the tests skip locally and fail when CI=true.
package e2e
