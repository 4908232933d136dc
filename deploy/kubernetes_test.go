package deploy

import (
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// object is one Kubernetes object, read loosely.
type object = map[string]any

// get walks a path of map keys and list indexes ("0") from v.
func get(v any, path ...string) any {
	for _, p := range path {
		switch c := v.(type) {
		case map[string]any:
			v = c[p]
		case []any:
			i := int(p[0] - '0')
			if i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}

// TestKubernetesManifests reads the manifests the kustomization lists and
// checks what several nodes on PostgreSQL need: more
// than one replica, readiness on /readyz, secrets (the key included) from
// a Secret as files, a non-root read-only container, and metrics kept off
// the Service.
func TestKubernetesManifests(t *testing.T) {
	kinds := map[string]object{}
	for _, o := range manifests(t) {
		kinds[get(o, "kind").(string)] = o
	}
	for _, kind := range []string{"Deployment", "Service", "ConfigMap", "PodDisruptionBudget", "Ingress", "Namespace"} {
		if kinds[kind] == nil {
			t.Errorf("no %s", kind)
		}
	}
	d := kinds["Deployment"]
	if r, _ := get(d, "spec", "replicas").(int); r < 2 {
		t.Errorf("replicas %v: want several nodes", get(d, "spec", "replicas"))
	}
	c := get(d, "spec", "template", "spec", "containers", "0").(object)
	if p := get(c, "readinessProbe", "httpGet", "path"); p != "/readyz" {
		t.Errorf("readiness probe %v, want /readyz", p)
	}
	env := map[string]string{}
	for _, e := range get(c, "env").([]any) {
		e := e.(object)
		env[e["name"].(string)], _ = e["value"].(string)
	}
	mount := get(c, "volumeMounts", "0").(object)
	volume := get(d, "spec", "template", "spec", "volumes", "0").(object)
	if get(volume, "secret", "secretName") != "ims-secrets" || get(volume, "name") != get(mount, "name") {
		t.Fatalf("volume %v mounted as %v: want the ims-secrets Secret", volume, mount)
	}
	dir := get(mount, "mountPath").(string)
	for _, name := range []string{"IMS_SECRET_KEY_FILE", "IMS_DATABASE_URL_FILE", "IMS_SMTP_URL_FILE"} {
		if !strings.HasPrefix(env[name], dir+"/") {
			t.Errorf("%s=%q: want a file of the Secret mounted at %s", name, env[name], dir)
		}
	}
	if env["IMS_DATABASE_URL"] != "" || env["IMS_SMTP_URL"] != "" {
		t.Error("a secret is given as a plain variable")
	}
	if env["IMS_METRICS_ADDR"] == "" {
		t.Error("no metrics listener")
	}
	if get(d, "spec", "template", "spec", "securityContext", "runAsNonRoot") != true ||
		get(c, "securityContext", "readOnlyRootFilesystem") != true || get(c, "securityContext", "allowPrivilegeEscalation") != false {
		t.Error("the container may run as root, write its file system or escalate")
	}
	for _, p := range get(kinds["Service"], "spec", "ports").([]any) {
		if p := p.(object); p["targetPort"] == "metrics" || p["port"] == 9464 {
			t.Error("the Service exposes the metrics port")
		}
	}
}

// manifests reads every object of the resources kustomization.yaml lists.
// Where kubectl is installed, kubectl kustomize must build them too (it
// needs no cluster).
func manifests(t *testing.T) []object {
	t.Helper()
	if kubectl, err := exec.LookPath("kubectl"); err == nil {
		if out, err := exec.Command(kubectl, "kustomize", "kubernetes").CombinedOutput(); err != nil {
			t.Errorf("kubectl kustomize: %v\n%s", err, out)
		}
	}
	var k struct{ Resources []string }
	if err := yaml.Unmarshal([]byte(read(t, "kubernetes/kustomization.yaml")), &k); err != nil {
		t.Fatal(err)
	}
	var list []object
	for _, file := range k.Resources {
		dec := yaml.NewDecoder(strings.NewReader(read(t, filepath.Join("kubernetes", file))))
		for {
			o := object{}
			if err := dec.Decode(&o); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			list = append(list, o)
		}
	}
	return list
}

// TestAlertingRulesParse reads the Prometheus rules: each has a name, an
// expression and a summary. (The series they use are checked against the
// server's by internal/server's metrics test.)
func TestAlertingRulesParse(t *testing.T) {
	var file struct {
		Groups []struct {
			Name  string
			Rules []struct {
				Alert, Expr string
				Annotations struct{ Summary string }
			}
		}
	}
	if err := yaml.Unmarshal([]byte(read(t, "prometheus/ims-alerts.yaml")), &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Groups) != 1 || len(file.Groups[0].Rules) < 5 {
		t.Fatalf("groups %+v", file.Groups)
	}
	for _, r := range file.Groups[0].Rules {
		if r.Alert == "" || r.Expr == "" || r.Annotations.Summary == "" {
			t.Errorf("incomplete rule %+v", r)
		}
	}
}
