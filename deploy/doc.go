// Package deploy holds the deployment files (Dockerfile, systemd unit,
// reverse proxy example, Kubernetes manifests, Grafana dashboard) and the
// tests that check them with the tools at hand; it has no code.
package deploy
