// Package k8s_test checks the deployment files against what the binaries
// read: every kustomize directory is built with the kustomize library, every object is
// strictly decoded into its Kubernetes API type, and the probes, the
// configuration, its environment and the Secret are checked to fit together.
package k8s_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/kycpoller/kycpoller/internal/config"
)

const (
	workerName    = "kycpoller-worker"
	containerName = "worker"
	configKey     = "config.yaml"
	// operatorSecret is the Secret the operator creates where an overlay
	// does not ship one; k8s/README.md says how.
	operatorSecret = "kycpoller-secrets"
	// httpShutdown is what Worker.Run gives the HTTP listener to close
	// before the asynq server's own shutdown_timeout starts.
	httpShutdownSeconds = 5
)

// layout is what each kustomize directory must render.
type layout struct {
	dir string
	// secret: the overlay ships the Secret; otherwise the operator
	// creates it and the render must hold no Secret at all.
	secret bool
	// redis: the overlay runs its own Redis (a StatefulSet with AOF).
	redis bool
	// hpa, serviceMonitor: the objects are present.
	hpa, serviceMonitor bool
	// minWorkers is the least number of workers it runs.
	minWorkers int32
}

var layouts = []layout{
	{dir: "base", hpa: true, serviceMonitor: true, minWorkers: 2},
	{dir: "overlays/dev", secret: true, redis: true, minWorkers: 1},
	{dir: "overlays/production", hpa: true, serviceMonitor: true, minWorkers: 3},
}

func TestEveryOverlayIsChecked(t *testing.T) {
	t.Parallel()
	dirs, err := filepath.Glob("overlays/*/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		d = filepath.Dir(d)
		if !slices.ContainsFunc(layouts, func(l layout) bool { return l.dir == d }) {
			t.Errorf("%s is not in layouts: add what it must render", d)
		}
	}
}

func TestManifests(t *testing.T) {
	for _, l := range layouts {
		t.Run(l.dir, func(t *testing.T) {
			r := render(t, l.dir)
			w := r.worker(t)
			checkSecurity(t, "Deployment "+w.Name, w.Spec.Template.Spec)
			checkImages(t, "Deployment "+w.Name, w.Spec.Template.Spec)
			cfgText := r.configText(t, w)
			env := envOf(t, r, workerContainer(t, w))
			refs := envRefs(t, cfgText)
			checkEnv(t, env, refs)
			checkSecrets(t, r, l, env)
			cfg := loadConfig(t, r, cfgText, env)
			port := checkProbes(t, cfg, w)
			checkService(t, r, w, port)
			checkShutdown(t, cfg, w)
			checkScaling(t, r, l, w)
			checkPDB(t, r, w)
			checkNetworkPolicy(t, r, w, cfg)
			checkRedis(t, r, l, cfg)
		})
	}
}

// rendered holds the decoded objects of one kustomize build.
type rendered struct {
	deployments     []appsv1.Deployment
	statefulSets    []appsv1.StatefulSet
	services        []corev1.Service
	configMaps      []corev1.ConfigMap
	secrets         []corev1.Secret
	pdbs            []policyv1.PodDisruptionBudget
	hpas            []autoscalingv2.HorizontalPodAutoscaler
	networkPolicies []networkingv1.NetworkPolicy
	serviceMonitors []serviceMonitor
}

// serviceMonitor is the part of the Prometheus Operator's
// monitoring.coreos.com/v1 ServiceMonitor that these manifests use; strict
// decoding rejects anything else.
type serviceMonitor struct {
	metav1.TypeMeta `json:",inline"`
	Metadata        metav1.ObjectMeta `json:"metadata"`
	Spec            struct {
		Selector  metav1.LabelSelector `json:"selector"`
		Endpoints []struct {
			Port          string `json:"port"`
			Path          string `json:"path"`
			Interval      string `json:"interval,omitempty"`
			ScrapeTimeout string `json:"scrapeTimeout,omitempty"`
		} `json:"endpoints"`
	} `json:"spec"`
}

// render builds the kustomize directory dir in process, as
// `kustomize build dir` does, and decodes every object it yields.
func render(t *testing.T, dir string) *rendered {
	t.Helper()
	resMap, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	out, err := resMap.AsYaml()
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	r := &rendered{}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(out)))
	for n := 0; ; n++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: document %d: %v", dir, n, err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		if err := r.add(doc); err != nil {
			t.Fatalf("%s: document %d: %v\n%s", dir, n, err, doc)
		}
	}
	return r
}

func (r *rendered) add(doc []byte) error {
	var tm metav1.TypeMeta
	if err := sigsyaml.Unmarshal(doc, &tm); err != nil {
		return err
	}
	var obj any
	switch tm.APIVersion + " " + tm.Kind {
	case "apps/v1 Deployment":
		r.deployments = append(r.deployments, appsv1.Deployment{})
		obj = &r.deployments[len(r.deployments)-1]
	case "apps/v1 StatefulSet":
		r.statefulSets = append(r.statefulSets, appsv1.StatefulSet{})
		obj = &r.statefulSets[len(r.statefulSets)-1]
	case "v1 Service":
		r.services = append(r.services, corev1.Service{})
		obj = &r.services[len(r.services)-1]
	case "v1 ConfigMap":
		r.configMaps = append(r.configMaps, corev1.ConfigMap{})
		obj = &r.configMaps[len(r.configMaps)-1]
	case "v1 Secret":
		r.secrets = append(r.secrets, corev1.Secret{})
		obj = &r.secrets[len(r.secrets)-1]
	case "policy/v1 PodDisruptionBudget":
		r.pdbs = append(r.pdbs, policyv1.PodDisruptionBudget{})
		obj = &r.pdbs[len(r.pdbs)-1]
	case "autoscaling/v2 HorizontalPodAutoscaler":
		r.hpas = append(r.hpas, autoscalingv2.HorizontalPodAutoscaler{})
		obj = &r.hpas[len(r.hpas)-1]
	case "networking.k8s.io/v1 NetworkPolicy":
		r.networkPolicies = append(r.networkPolicies, networkingv1.NetworkPolicy{})
		obj = &r.networkPolicies[len(r.networkPolicies)-1]
	case "monitoring.coreos.com/v1 ServiceMonitor":
		r.serviceMonitors = append(r.serviceMonitors, serviceMonitor{})
		obj = &r.serviceMonitors[len(r.serviceMonitors)-1]
	default:
		return errors.New("unexpected object " + tm.APIVersion + " " + tm.Kind + ": add it to the test")
	}
	if err := sigsyaml.UnmarshalStrict(doc, obj); err != nil {
		return errors.New(tm.Kind + ": strict decode: " + err.Error())
	}
	return nil
}

func (r *rendered) worker(t *testing.T) *appsv1.Deployment {
	t.Helper()
	for i := range r.deployments {
		if r.deployments[i].Name == workerName {
			return &r.deployments[i]
		}
	}
	t.Fatalf("no Deployment %s", workerName)
	return nil
}

func (r *rendered) configMap(name string) *corev1.ConfigMap {
	for i := range r.configMaps {
		if r.configMaps[i].Name == name {
			return &r.configMaps[i]
		}
	}
	return nil
}

func (r *rendered) secret(name string) *corev1.Secret {
	for i := range r.secrets {
		if r.secrets[i].Name == name {
			return &r.secrets[i]
		}
	}
	return nil
}

func workerContainer(t *testing.T, d *appsv1.Deployment) *corev1.Container {
	t.Helper()
	for i, c := range d.Spec.Template.Spec.Containers {
		if c.Name == containerName {
			return &d.Spec.Template.Spec.Containers[i]
		}
	}
	t.Fatalf("Deployment %s: no container %s", d.Name, containerName)
	return nil
}

// configText follows the worker's -config flag to its volume mount and the
// ConfigMap key behind it, and returns that key's content.
func (r *rendered) configText(t *testing.T, d *appsv1.Deployment) string {
	t.Helper()
	c := workerContainer(t, d)
	argv := append(slices.Clone(c.Command), c.Args...)
	i := slices.Index(argv, "-config")
	if i < 0 || i+1 >= len(argv) {
		t.Fatalf("worker arguments %q: no -config FILE", argv)
	}
	path := argv[i+1]
	if path != "/etc/kycpoller/config.yaml" {
		t.Errorf("-config %s, want /etc/kycpoller/config.yaml (the Dockerfile's default)", path)
	}
	for _, m := range c.VolumeMounts {
		rel, err := filepath.Rel(m.MountPath, path)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		if !m.ReadOnly {
			t.Errorf("volume mount %s is writable", m.Name)
		}
		if m.SubPath != "" {
			rel = m.SubPath
		}
		for _, v := range d.Spec.Template.Spec.Volumes {
			if v.Name != m.Name || v.ConfigMap == nil {
				continue
			}
			key := rel
			if len(v.ConfigMap.Items) > 0 {
				key = ""
				for _, it := range v.ConfigMap.Items {
					if it.Path == rel {
						key = it.Key
					}
				}
			}
			cm := r.configMap(v.ConfigMap.Name)
			if cm == nil {
				t.Fatalf("volume %s: ConfigMap %s is not in the render", v.Name, v.ConfigMap.Name)
			}
			text, ok := cm.Data[key]
			if !ok || key != configKey {
				t.Fatalf("ConfigMap %s: no key %q for %s", cm.Name, configKey, path)
			}
			return text
		}
	}
	t.Fatalf("%s is not on a ConfigMap volume", path)
	return ""
}

// envVar is one environment variable the Deployment gives the worker.
type envVar struct {
	name string
	// value is set for a literal value.
	value *string
	// secret and key name a secretKeyRef; optional is its flag.
	secret, key string
	optional    bool
}

func envOf(t *testing.T, r *rendered, c *corev1.Container) map[string]envVar {
	t.Helper()
	env := map[string]envVar{}
	for _, from := range c.EnvFrom {
		switch {
		case from.SecretRef != nil:
			s := r.secret(from.SecretRef.Name)
			if s == nil {
				t.Errorf("envFrom Secret %s is not in the render, so its keys cannot be checked: use env with secretKeyRef", from.SecretRef.Name)
				continue
			}
			for k := range secretKeys(s) {
				env[from.Prefix+k] = envVar{name: from.Prefix + k, secret: s.Name, key: k,
					optional: from.SecretRef.Optional != nil && *from.SecretRef.Optional}
			}
		case from.ConfigMapRef != nil:
			cm := r.configMap(from.ConfigMapRef.Name)
			if cm == nil {
				t.Errorf("envFrom ConfigMap %s is not in the render", from.ConfigMapRef.Name)
				continue
			}
			for k, v := range cm.Data {
				env[from.Prefix+k] = envVar{name: from.Prefix + k, value: &v}
			}
		}
	}
	for _, e := range c.Env {
		v := envVar{name: e.Name}
		switch {
		case e.ValueFrom == nil:
			v.value = &e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			v.secret, v.key = ref.Name, ref.Key
			v.optional = ref.Optional != nil && *ref.Optional
		default:
			t.Errorf("env %s: only literal values and secretKeyRef are expected", e.Name)
			continue
		}
		env[e.Name] = v
	}
	return env
}

func secretKeys(s *corev1.Secret) map[string]string {
	keys := map[string]string{}
	for k, v := range s.Data {
		keys[k] = string(v)
	}
	for k, v := range s.StringData {
		keys[k] = v
	}
	return keys
}

// envRef is one ${NAME} or ${NAME:-default} in the configuration.
type envRef struct {
	name string
	// required: used at least once without a default.
	required bool
}

var envRefPattern = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}`)

// envRefs lists the environment references in the configuration's values
// (comments and keys are never expanded, so they do not count).
func envRefs(t *testing.T, text string) map[string]envRef {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("config.yaml: %v", err)
	}
	refs := map[string]envRef{}
	var walk func(n *yaml.Node, isKey bool)
	walk = func(n *yaml.Node, isKey bool) {
		if n.Kind == yaml.ScalarNode && !isKey {
			for _, m := range envRefPattern.FindAllStringSubmatch(strings.ReplaceAll(n.Value, "$$", ""), -1) {
				r := refs[m[1]]
				r.name, r.required = m[1], r.required || m[2] == ""
				refs[m[1]] = r
			}
		}
		for i, c := range n.Content {
			walk(c, n.Kind == yaml.MappingNode && i%2 == 0)
		}
	}
	walk(&doc, false)
	return refs
}

// checkEnv checks that every variable the configuration references is
// given by the Deployment (a required one never from an optional key), and
// that every Secret key the Deployment reads is used, or optional.
func checkEnv(t *testing.T, env map[string]envVar, refs map[string]envRef) {
	t.Helper()
	if len(refs) == 0 {
		t.Error("config.yaml references no environment variable: secrets must come from the Secret")
	}
	for name, ref := range refs {
		e, ok := env[name]
		switch {
		case !ok:
			t.Errorf("config.yaml references ${%s}, which the Deployment does not set", name)
		case ref.required && e.optional:
			t.Errorf("config.yaml needs ${%s}, but the Deployment reads it from an optional key", name)
		}
	}
	for name, e := range env {
		if _, used := refs[name]; !used && e.secret != "" && !e.optional {
			t.Errorf("env %s comes from a required Secret key that config.yaml never uses", name)
		}
	}
}

// checkSecrets checks the Secret the worker reads: shipped by the overlay
// with every required key, or created by the operator as k8s/README.md
// documents (and then absent from the render).
func checkSecrets(t *testing.T, r *rendered, l layout, env map[string]envVar) {
	t.Helper()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, e := range env {
		if e.secret != "" {
			names[e.secret] = true
		}
	}
	if len(names) == 0 {
		t.Error("the worker reads no Secret")
	}
	if !l.secret && len(r.secrets) > 0 {
		t.Errorf("%s renders a Secret: credentials are created by the operator, never kept in the repository", l.dir)
	}
	for name := range names {
		s := r.secret(name)
		if l.secret {
			if s == nil {
				t.Errorf("Secret %s is not in the render", name)
				continue
			}
			keys := secretKeys(s)
			for _, e := range env {
				if _, ok := keys[e.key]; e.secret == name && !e.optional && !ok {
					t.Errorf("Secret %s has no key %s (env %s)", name, e.key, e.name)
				}
			}
			continue
		}
		if name != operatorSecret {
			t.Errorf("Secret %s: the operator creates %s (k8s/README.md)", name, operatorSecret)
		}
		if !bytes.Contains(readme, []byte("kubectl create secret generic "+name)) {
			t.Errorf("k8s/README.md does not tell the operator how to create Secret %s", name)
		}
		for _, e := range env {
			if e.secret != name {
				continue
			}
			if !bytes.Contains(readme, []byte("`"+e.key+"`")) {
				t.Errorf("k8s/README.md does not document key %s of Secret %s", e.key, name)
			}
			if !e.optional && !bytes.Contains(readme, []byte("--from-literal="+e.key+"=")) {
				t.Errorf("the create command in k8s/README.md lacks the required key %s", e.key)
			}
		}
	}
}

// loadConfig loads config.yaml with config.Load as the worker would: once
// with only the required variables set, once with every one. Values come
// from the overlay's Secret where it ships one, else are dummies of the
// right shape.
func loadConfig(t *testing.T, r *rendered, text string, env map[string]envVar) *config.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), configKey)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	value := func(e envVar) string {
		if e.value != nil {
			return *e.value
		}
		if s := r.secret(e.secret); s != nil {
			if v, ok := secretKeys(s)[e.key]; ok {
				return v
			}
		}
		if strings.Contains(e.name, "WEBHOOK_SECRET") {
			b := make([]byte, 32)
			_, _ = rand.Read(b)
			return "whsec_" + base64.StdEncoding.EncodeToString(b)
		}
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		return "dummy-" + hex.EncodeToString(b)
	}
	var cfg *config.Config
	for _, all := range []bool{false, true} {
		for _, e := range env {
			t.Setenv(e.name, value(e))
			if e.optional && !all {
				if err := os.Unsetenv(e.name); err != nil {
					t.Fatal(err)
				}
			}
		}
		c, err := config.Load(path)
		if err != nil {
			t.Fatalf("config.yaml (optional variables set: %v) does not load:\n%v", all, err)
		}
		cfg = c
	}
	return cfg
}

// containerPort resolves a probe's or a Service's port against the worker
// container's ports.
func containerPort(c *corev1.Container, p intstr.IntOrString) (int32, bool) {
	if p.Type == intstr.Int {
		return p.IntVal, true
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return cp.ContainerPort, true
		}
	}
	return 0, false
}

// checkProbes checks liveness on /healthz and readiness on /readyz, both on
// the port http.addr names, and returns that port.
func checkProbes(t *testing.T, cfg *config.Config, d *appsv1.Deployment) int32 {
	t.Helper()
	_, portText, err := net.SplitHostPort(cfg.HTTP.Addr)
	if err != nil {
		t.Fatalf("http.addr %q: %v", cfg.HTTP.Addr, err)
	}
	port64, err := strconv.ParseInt(portText, 10, 32)
	if err != nil {
		t.Fatalf("http.addr %q: port: %v", cfg.HTTP.Addr, err)
	}
	port := int32(port64)
	c := workerContainer(t, d)
	for _, p := range []struct {
		kind, path string
		probe      *corev1.Probe
	}{
		{"liveness", "/healthz", c.LivenessProbe},
		{"readiness", "/readyz", c.ReadinessProbe},
	} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("no %s HTTP probe", p.kind)
			continue
		}
		if p.probe.HTTPGet.Path != p.path {
			t.Errorf("%s probe on %s, want %s", p.kind, p.probe.HTTPGet.Path, p.path)
		}
		if got, ok := containerPort(c, p.probe.HTTPGet.Port); !ok || got != port {
			t.Errorf("%s probe on port %s (%d), want http.addr's %d", p.kind, p.probe.HTTPGet.Port.String(), got, port)
		}
	}
	return port
}

// checkService checks that the ops Service reaches the worker's ops port,
// and that the ServiceMonitor scrapes /metrics through it.
func checkService(t *testing.T, r *rendered, d *appsv1.Deployment, port int32) {
	t.Helper()
	c := workerContainer(t, d)
	podLabels := labels.Set(d.Spec.Template.Labels)
	var opsPortName string
	for _, s := range r.services {
		if len(s.Spec.Selector) == 0 || !labels.SelectorFromSet(s.Spec.Selector).Matches(podLabels) {
			continue
		}
		for _, sp := range s.Spec.Ports {
			if got, ok := containerPort(c, sp.TargetPort); ok && got == port {
				opsPortName = sp.Name
			}
		}
		if opsPortName == "" {
			t.Errorf("Service %s selects the worker but not its ops port %d", s.Name, port)
			continue
		}
		for _, sm := range r.serviceMonitors {
			sel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
			if err != nil {
				t.Fatalf("ServiceMonitor %s: %v", sm.Metadata.Name, err)
			}
			if !sel.Matches(labels.Set(s.Labels)) {
				t.Errorf("ServiceMonitor %s does not select Service %s", sm.Metadata.Name, s.Name)
			}
			if len(sm.Spec.Endpoints) == 0 {
				t.Errorf("ServiceMonitor %s has no endpoint", sm.Metadata.Name)
			}
			for _, ep := range sm.Spec.Endpoints {
				if ep.Port != opsPortName || ep.Path != "/metrics" {
					t.Errorf("ServiceMonitor %s scrapes %s%s, want port %s path /metrics", sm.Metadata.Name, ep.Port, ep.Path, opsPortName)
				}
			}
		}
	}
	if opsPortName == "" {
		t.Error("no Service for the worker's ops port")
	}
}

func checkShutdown(t *testing.T, cfg *config.Config, d *appsv1.Deployment) {
	t.Helper()
	grace := d.Spec.Template.Spec.TerminationGracePeriodSeconds
	need := int64(cfg.Worker.ShutdownTimeout.Seconds()) + httpShutdownSeconds
	if grace == nil || *grace <= need {
		got := "unset (30)"
		if grace != nil {
			got = strconv.FormatInt(*grace, 10)
		}
		t.Errorf("terminationGracePeriodSeconds %s, want more than worker.shutdown_timeout (%s) + %ds for the HTTP listener",
			got, cfg.Worker.ShutdownTimeout, httpShutdownSeconds)
	}
}

func checkSecurity(t *testing.T, what string, spec corev1.PodSpec) {
	t.Helper()
	psc := spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Errorf("%s: runAsNonRoot is not true", what)
	}
	if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: seccompProfile is not RuntimeDefault", what)
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Errorf("%s: mounts a service account token it does not need", what)
	}
	for _, c := range append(slices.Clone(spec.InitContainers), spec.Containers...) {
		sc := c.SecurityContext
		if sc == nil {
			t.Errorf("%s: container %s has no securityContext", what, c.Name)
			continue
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("%s: container %s: readOnlyRootFilesystem is not true", what, c.Name)
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("%s: container %s: allowPrivilegeEscalation is not false", what, c.Name)
		}
		if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
			t.Errorf("%s: container %s: capabilities do not drop ALL", what, c.Name)
		}
		for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if _, ok := c.Resources.Requests[res]; !ok {
				t.Errorf("%s: container %s: no %s request", what, c.Name, res)
			}
			if _, ok := c.Resources.Limits[res]; !ok {
				t.Errorf("%s: container %s: no %s limit", what, c.Name, res)
			}
		}
	}
}

func checkImages(t *testing.T, what string, spec corev1.PodSpec) {
	t.Helper()
	for _, c := range spec.Containers {
		name := c.Image[strings.LastIndex(c.Image, "/")+1:]
		_, tag, ok := strings.Cut(name, ":")
		if !ok || tag == "" || tag == "latest" {
			t.Errorf("%s: container %s: image %q has no pinned tag", what, c.Name, c.Image)
		}
	}
}

// checkScaling checks who owns the replica count: the autoscaler (and then
// the Deployment leaves replicas unset, so that an apply does not reset it)
// or the Deployment.
func checkScaling(t *testing.T, r *rendered, l layout, d *appsv1.Deployment) {
	t.Helper()
	if got := len(r.hpas) > 0; got != l.hpa {
		t.Errorf("HorizontalPodAutoscaler present: %v, want %v", got, l.hpa)
	}
	if got := len(r.serviceMonitors) > 0; got != l.serviceMonitor {
		t.Errorf("ServiceMonitor present: %v, want %v", got, l.serviceMonitor)
	}
	if len(r.hpas) == 0 {
		if d.Spec.Replicas == nil || *d.Spec.Replicas < l.minWorkers {
			t.Errorf("replicas %v, want at least %d", d.Spec.Replicas, l.minWorkers)
		}
		return
	}
	if d.Spec.Replicas != nil {
		t.Error("the Deployment sets replicas although an autoscaler owns them")
	}
	for _, h := range r.hpas {
		ref := h.Spec.ScaleTargetRef
		if ref.APIVersion != "apps/v1" || ref.Kind != "Deployment" || ref.Name != d.Name {
			t.Errorf("HorizontalPodAutoscaler %s scales %s %s %s, want the worker", h.Name, ref.APIVersion, ref.Kind, ref.Name)
		}
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < l.minWorkers || h.Spec.MaxReplicas < *h.Spec.MinReplicas {
			t.Errorf("HorizontalPodAutoscaler %s: replicas %v to %d, want at least %d", h.Name, h.Spec.MinReplicas, h.Spec.MaxReplicas, l.minWorkers)
		}
		cpu := slices.ContainsFunc(h.Spec.Metrics, func(m autoscalingv2.MetricSpec) bool {
			return m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil &&
				m.Resource.Name == corev1.ResourceCPU && m.Resource.Target.AverageUtilization != nil
		})
		if !cpu {
			t.Errorf("HorizontalPodAutoscaler %s does not scale on CPU utilisation", h.Name)
		}
	}
}

func checkPDB(t *testing.T, r *rendered, d *appsv1.Deployment) {
	t.Helper()
	if len(r.pdbs) != 1 {
		t.Fatalf("%d PodDisruptionBudgets, want 1", len(r.pdbs))
	}
	p := r.pdbs[0]
	sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
	if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("PodDisruptionBudget %s does not select the worker", p.Name)
	}
	// minAvailable would block every drain of a single worker.
	if p.Spec.MaxUnavailable == nil || p.Spec.MinAvailable != nil {
		t.Errorf("PodDisruptionBudget %s: want maxUnavailable, not minAvailable", p.Name)
	}
}

// checkNetworkPolicy checks that the worker may reach DNS, HTTPS and the
// configured Redis, and be reached on its ops port.
func checkNetworkPolicy(t *testing.T, r *rendered, d *appsv1.Deployment, cfg *config.Config) {
	t.Helper()
	var np *networkingv1.NetworkPolicy
	for i := range r.networkPolicies {
		sel, err := metav1.LabelSelectorAsSelector(&r.networkPolicies[i].Spec.PodSelector)
		if err == nil && sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			np = &r.networkPolicies[i]
		}
	}
	if np == nil {
		t.Fatal("no NetworkPolicy selects the worker")
	}
	if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
		t.Errorf("NetworkPolicy %s: policyTypes %v, want Ingress and Egress", np.Name, np.Spec.PolicyTypes)
	}
	c := workerContainer(t, d)
	allows := func(ports [][]networkingv1.NetworkPolicyPort, proto corev1.Protocol, port int32) bool {
		for _, rule := range ports {
			for _, p := range rule {
				pp := corev1.ProtocolTCP
				if p.Protocol != nil {
					pp = *p.Protocol
				}
				if p.Port == nil {
					continue
				}
				if got, ok := containerPort(c, *p.Port); ok && got == port && pp == proto {
					return true
				}
			}
		}
		return false
	}
	var egress, ingress [][]networkingv1.NetworkPolicyPort
	for _, e := range np.Spec.Egress {
		egress = append(egress, e.Ports)
	}
	for _, in := range np.Spec.Ingress {
		ingress = append(ingress, in.Ports)
	}
	_, opsPort, _ := net.SplitHostPort(cfg.HTTP.Addr)
	ops, _ := strconv.Atoi(opsPort)
	if !allows(ingress, corev1.ProtocolTCP, int32(ops)) {
		t.Errorf("NetworkPolicy %s does not let Prometheus reach the ops port %d", np.Name, ops)
	}
	want := []struct {
		what  string
		proto corev1.Protocol
		port  int32
	}{{"DNS", corev1.ProtocolUDP, 53}, {"DNS", corev1.ProtocolTCP, 53}, {"HTTPS", corev1.ProtocolTCP, 443}}
	if cfg.Redis.Addr != "" {
		_, p, err := net.SplitHostPort(cfg.Redis.Addr)
		if err != nil {
			t.Fatalf("redis.addr %q: %v", cfg.Redis.Addr, err)
		}
		rp, _ := strconv.Atoi(p)
		want = append(want, struct {
			what  string
			proto corev1.Protocol
			port  int32
		}{"Redis", corev1.ProtocolTCP, int32(rp)})
	}
	for _, w := range want {
		if !allows(egress, w.proto, w.port) {
			t.Errorf("NetworkPolicy %s: no egress to %s (%s %d)", np.Name, w.what, w.proto, w.port)
		}
	}
}

// checkRedis checks an overlay's own Redis: the configuration points at its
// Service, and it persists with AOF, fsync every second.
func checkRedis(t *testing.T, r *rendered, l layout, cfg *config.Config) {
	t.Helper()
	if !l.redis {
		if len(r.statefulSets) > 0 {
			t.Errorf("%s runs a StatefulSet; Redis is the operator's", l.dir)
		}
		return
	}
	if len(r.statefulSets) != 1 {
		t.Fatalf("%d StatefulSets, want one Redis", len(r.statefulSets))
	}
	ss := r.statefulSets[0]
	checkSecurity(t, "StatefulSet "+ss.Name, ss.Spec.Template.Spec)
	checkImages(t, "StatefulSet "+ss.Name, ss.Spec.Template.Spec)
	if len(ss.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("StatefulSet %s: %d containers, want 1", ss.Name, len(ss.Spec.Template.Spec.Containers))
	}
	c := &ss.Spec.Template.Spec.Containers[0]
	argv := strings.Join(append(slices.Clone(c.Command), c.Args...), " ")
	for _, opt := range []string{"--appendonly yes", "--appendfsync everysec"} {
		if !strings.Contains(argv, opt) {
			t.Errorf("Redis %s runs %q, without %s", ss.Name, argv, opt)
		}
	}
	if len(ss.Spec.VolumeClaimTemplates) == 0 {
		t.Errorf("Redis %s keeps its append-only file on no persistent volume", ss.Name)
	}
	host, port, err := net.SplitHostPort(cfg.Redis.Addr)
	if err != nil {
		t.Fatalf("redis.addr %q: %v", cfg.Redis.Addr, err)
	}
	for _, s := range r.services {
		if s.Name != strings.Split(host, ".")[0] {
			continue
		}
		if !labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(ss.Spec.Template.Labels)) {
			t.Errorf("Service %s does not select Redis %s", s.Name, ss.Name)
		}
		for _, sp := range s.Spec.Ports {
			if strconv.Itoa(int(sp.Port)) != port {
				continue
			}
			if got, ok := containerPort(c, sp.TargetPort); !ok || got != 6379 {
				t.Errorf("Service %s port %d reaches %s, not Redis's 6379", s.Name, sp.Port, sp.TargetPort.String())
			}
			return
		}
		t.Errorf("Service %s has no port %s (redis.addr)", s.Name, port)
		return
	}
	t.Errorf("redis.addr %s names no Service of the overlay", cfg.Redis.Addr)
}
