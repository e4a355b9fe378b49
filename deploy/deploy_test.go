// Package deploy_test checks the deployment files: every Kubernetes manifest
// decodes strictly into the API types (a typo fails), the probes, security
// context and secrets are as docs/operations.md says, and the Dockerfile builds the
// binary the way the Makefile does.
package deploy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/releaselake/releaselake/catalog"
	"github.com/releaselake/releaselake/ingest/sources"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

// decode reads every document of every manifest in k8s/ strictly into its type.
func decode(t *testing.T) (deployments map[string]*appsv1.Deployment, kinds map[string]int, budgets []*policyv1.PodDisruptionBudget) {
	t.Helper()
	files, err := filepath.Glob("k8s/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	deployments, kinds = map[string]*appsv1.Deployment{}, map[string]int{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			var meta struct{ Kind, APIVersion string }
			if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
				t.Fatalf("%s doc %d: %v", f, i, err)
			}
			var obj any
			switch meta.APIVersion + "/" + meta.Kind {
			case "apps/v1/Deployment":
				d := &appsv1.Deployment{}
				deployments[d.Name] = d
				obj = d
			case "v1/Service":
				obj = &corev1.Service{}
			case "v1/ConfigMap":
				obj = &corev1.ConfigMap{}
			case "v1/Secret":
				obj = &corev1.Secret{}
			case "v1/PersistentVolumeClaim":
				obj = &corev1.PersistentVolumeClaim{}
			case "policy/v1/PodDisruptionBudget":
				pdb := &policyv1.PodDisruptionBudget{}
				budgets = append(budgets, pdb)
				obj = pdb
			default:
				t.Fatalf("%s doc %d: unexpected %s %s", f, i, meta.APIVersion, meta.Kind)
			}
			if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
				t.Fatalf("%s doc %d (%s): %v", f, i, meta.Kind, err)
			}
			if d, ok := obj.(*appsv1.Deployment); ok {
				delete(deployments, "")
				deployments[d.Name] = d
			}
			kinds[meta.Kind]++
		}
	}
	return deployments, kinds, budgets
}

func TestManifests_decodeStrictlyAndAreSafe(t *testing.T) {
	deployments, kinds, _ := decode(t)
	if kinds["Deployment"] != 2 || kinds["Service"] != 2 || kinds["ConfigMap"] < 1 {
		t.Fatalf("kinds %v", kinds)
	}
	for name, args := range map[string]string{"releaselake": "serve", "releaselake-page": "page"} {
		d := deployments[name]
		if d == nil {
			t.Fatalf("no deployment %s", name)
		}
		spec := d.Spec.Template.Spec
		if len(spec.Containers) != 1 {
			t.Fatalf("%s: %d containers", name, len(spec.Containers))
		}
		c := spec.Containers[0]
		if !slices.Equal(c.Args, []string{args}) {
			t.Errorf("%s: args %v, want [%s]", name, c.Args, args)
		}
		if sc := spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			t.Errorf("%s: pod may run as root", name)
		}
		if sc := c.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
			sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("%s: root filesystem writable or privilege escalation allowed", name)
		}
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("%s: resources not set", name)
		}
		if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
			t.Errorf("%s: liveness probe is not /healthz", name)
		}
	}
	serve := deployments["releaselake"].Spec.Template.Spec.Containers[0]
	if p := serve.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/readyz" {
		t.Error("serve: readiness probe is not /readyz")
	}
	secrets := map[string]bool{}
	env := map[string]string{}
	for _, e := range serve.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			secrets[e.ValueFrom.SecretKeyRef.Key] = true
		}
		env[e.Name] = e.Value
	}
	for _, s := range []string{"GITHUB_TOKEN", "RELEASELAKE_ADMIN_TOKEN", "RELEASELAKE_PAGE_SECRET"} {
		if !secrets[s] {
			t.Errorf("serve: %s does not come from a Secret", s)
		}
	}
	if env["HADOOP_CONF_DIR"] == "" || env["RELEASELAKE_CATALOG"] == "" {
		t.Error("serve: HADOOP_CONF_DIR or RELEASELAKE_CATALOG not set")
	}
}

// serveConfig returns the data of the serve Deployment's ConfigMap, the first
// document of k8s/configmap.yaml.
func serveConfig(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile("k8s/configmap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cm corev1.ConfigMap
	if err := yaml.Unmarshal([]byte(regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1)[0]), &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Name != "releaselake" {
		t.Fatalf("the first ConfigMap in configmap.yaml is %q", cm.Name)
	}
	return cm.Data
}

// The catalog the serve Deployment mounts is in its ConfigMap and is a catalog
// the program accepts: a bad one would crash-loop every replica at once.
func TestManifests_catalogIsValid(t *testing.T) {
	deployments, _, _ := decode(t)
	spec := deployments["releaselake"].Spec.Template.Spec
	var mountPath string
	for _, m := range spec.Containers[0].VolumeMounts {
		for _, v := range spec.Volumes {
			if v.Name == m.Name && v.ConfigMap != nil && v.ConfigMap.Name == "releaselake" {
				mountPath = m.MountPath
			}
		}
	}
	var env string
	for _, e := range spec.Containers[0].Env {
		if e.Name == "RELEASELAKE_CATALOG" {
			env = e.Value
		}
	}
	if mountPath == "" || env != mountPath+"/catalog.yaml" {
		t.Fatalf("RELEASELAKE_CATALOG is %q, not catalog.yaml in the ConfigMap's mount %q", env, mountPath)
	}
	c, err := catalog.Parse([]byte(serveConfig(t)["catalog.yaml"]), "configmap.yaml catalog.yaml", sources.Kinds)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Products()) == 0 {
		t.Error("the ConfigMap's catalog has no products")
	}
}

// GOMEMLIMIT stays a little under the container's memory limit: a load runs
// with the collector off, bounded only by GOMEMLIMIT, so one above the limit
// gets the pod OOM-killed while it loads, and one far below it collects for
// nothing. Whoever changes one must change the other.
func TestManifests_goMemLimitUnderTheContainerLimit(t *testing.T) {
	deployments, _, _ := decode(t)
	c := deployments["releaselake"].Spec.Template.Spec.Containers[0]
	var soft string
	for _, e := range c.Env {
		if e.Name == "GOMEMLIMIT" {
			soft = e.Value
		}
	}
	n, ok := strings.CutSuffix(soft, "MiB")
	mib, err := strconv.ParseInt(n, 10, 64)
	if !ok || err != nil {
		t.Fatalf("GOMEMLIMIT %q: want <n>MiB", soft)
	}
	limit := c.Resources.Limits.Memory().Value()
	if r := float64(mib<<20) / float64(limit); r < 0.8 || r > 0.95 {
		t.Errorf("GOMEMLIMIT %s is %.0f%% of the memory limit %s; keep it at 80-95%%", soft, 100*r, c.Resources.Limits.Memory())
	}
}

// /readyz answers 503 from a failed look at the lake until the next one, a
// RELEASELAKE_POLL later: a readiness probe that gives up within one poll takes
// every replica out of the Service at once for one HDFS hiccup (they all look
// at the same NameNode). It gives up only after two polls have failed.
func TestManifests_readinessOutlastsOneFailedPoll(t *testing.T) {
	deployments, _, _ := decode(t)
	c := deployments["releaselake"].Spec.Template.Spec.Containers[0]
	poll := 10 * time.Second // the default
	for _, e := range c.Env {
		if e.Name == "RELEASELAKE_POLL" {
			t.Fatal("set RELEASELAKE_POLL in the ConfigMap, where this test reads it")
		}
	}
	if v, ok := serveConfig(t)["RELEASELAKE_POLL"]; ok {
		var err error
		if poll, err = time.ParseDuration(v); err != nil {
			t.Fatal(err)
		}
	}
	p := c.ReadinessProbe
	if gives := time.Duration(p.PeriodSeconds*p.FailureThreshold) * time.Second; gives < 2*poll {
		t.Errorf("readiness gives up after %v of failures, within two polls (%v each)", gives, poll)
	}
}

// A pod being deleted is taken out of the Service's endpoints while it gets
// SIGTERM, and kube-proxies and load balancers learn of it a moment later: a
// server that stops listening at once refuses what they still send it. So each
// server first sleeps in preStop (the image has no shell: the sleep action),
// and the grace period covers that sleep and the 10 s graceful shutdown.
func TestManifests_podsDrainBeforeTheyStop(t *testing.T) {
	const shutdown = 10 // seconds: ShutdownTimeout in cmd/releaselake
	deployments, _, _ := decode(t)
	for _, name := range []string{"releaselake", "releaselake-page"} {
		spec := deployments[name].Spec.Template.Spec
		c := spec.Containers[0]
		if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil || c.Lifecycle.PreStop.Sleep.Seconds < 3 {
			t.Errorf("%s: no preStop sleep of at least 3 s before SIGTERM", name)
			continue
		}
		grace := int64(30) // Kubernetes' default
		if spec.TerminationGracePeriodSeconds != nil {
			grace = *spec.TerminationGracePeriodSeconds
		}
		if need := c.Lifecycle.PreStop.Sleep.Seconds + shutdown; grace <= need {
			t.Errorf("%s: terminationGracePeriodSeconds %d does not cover the preStop sleep and the shutdown (%d s)", name, grace, need)
		}
	}
}

// The example alerts fire when they should, and only then, over the series of
// two replicas: promtool runs the rule unit tests in monitoring/alerts_test.yaml.
// Without promtool the test skips, except under CI=true, where it fails: `make
// deps` installs it (Debian's prometheus).
func TestAlerts_ruleUnitTests(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not found: make deps installs it")
		}
		t.Skip("promtool not found: make deps installs it")
	}
	if out, err := exec.Command(promtool, "test", "rules", "monitoring/alerts_test.yaml").CombinedOutput(); err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}

// The build context leaves out what git ignores (the test caches under .cache/
// reach gigabytes: HDFS, a Python venv, Spark, node_modules; a lake made in the
// repo root) and .git, so `docker build .` neither ships them nor rebuilds when
// they change.
func TestDockerignore_leavesOutWhatGitIgnores(t *testing.T) {
	lines := func(name string) []string {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				out = append(out, l)
			}
		}
		return out
	}
	ignored := lines("../.dockerignore")
	for _, pat := range append(lines("../.gitignore"), ".git") {
		// .dockerignore patterns are rooted at the context (no leading slash);
		// a .gitignore pattern without a slash matches at any depth.
		want := strings.Trim(pat, "/")
		if !strings.Contains(strings.TrimSuffix(pat, "/"), "/") {
			want = "**/" + want
		}
		if pat == ".git" {
			want = ".git"
		}
		if !slices.Contains(ignored, want) {
			t.Errorf(".dockerignore lacks %q (.gitignore has %q)", want, pat)
		}
	}
}

// goBuild returns the flags and package of the `go build` in a command line,
// without -o's argument.
func goBuild(t *testing.T, cmd string) string {
	t.Helper()
	m := regexp.MustCompile(`CGO_ENABLED=0 (?:\$\(GO\)|go) build (.*)`).FindStringSubmatch(cmd)
	if m == nil {
		t.Fatalf("no CGO_ENABLED=0 go build in %q", cmd)
	}
	f := strings.Fields(strings.ReplaceAll(m[1], "$$", "$")) // make's $$ is the shell's $
	for i := 0; i < len(f); i++ {
		if f[i] == "-o" {
			f = append(f[:i], f[i+2:]...)
			i--
		}
	}
	return strings.Join(f, " ")
}

func TestDockerfile_stagesUserAndBuildMatchTheMakefile(t *testing.T) {
	f, err := os.Open("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	var froms, runs, users []string
	var entrypoint, cmd string
	for _, n := range res.AST.Children {
		switch strings.ToLower(n.Value) {
		case "from":
			froms = append(froms, n.Original)
		case "run":
			runs = append(runs, n.Original)
		case "user":
			users = append(users, n.Next.Value)
		case "entrypoint":
			entrypoint = n.Original
		case "cmd":
			cmd = n.Original
		}
	}
	if len(froms) < 2 {
		t.Errorf("want a multi-stage build, got %v", froms)
	}
	if len(users) == 0 || strings.HasPrefix(users[len(users)-1], "root") || users[len(users)-1] == "0" {
		t.Errorf("the runtime stage runs as %v", users)
	}
	if !strings.Contains(entrypoint, `["releaselake"]`) || !strings.Contains(cmd, `["serve"]`) {
		t.Errorf("entrypoint %q cmd %q", entrypoint, cmd)
	}
	var docker string
	for _, r := range runs {
		if strings.Contains(r, "go build") {
			docker = goBuild(t, r)
		}
	}
	mk, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	var make_ string
	for _, l := range strings.Split(string(mk), "\n") {
		if strings.Contains(l, "go build") || strings.Contains(l, "$(GO) build") {
			make_ = goBuild(t, l)
			break
		}
	}
	if docker == "" || docker != make_ {
		t.Errorf("Dockerfile builds with %q, the Makefile with %q", docker, make_)
	}
}

// A node drain takes at most one serve replica at a time, and never blocks:
// the budget selects the serve pods (not the page server's single one) and
// lets one of them go.
func TestManifests_disruptionBudgetKeepsOneServeReplica(t *testing.T) {
	deployments, _, budgets := decode(t)
	if len(budgets) != 1 {
		t.Fatalf("%d PodDisruptionBudgets, want 1 (serve's)", len(budgets))
	}
	pdb := budgets[0]
	sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range deployments {
		matches := sel.Matches(labels.Set(d.Spec.Template.Labels))
		if matches != (name == "releaselake") {
			t.Errorf("the budget selects the pods of %s: %v", name, matches)
		}
	}
	replicas := int(*deployments["releaselake"].Spec.Replicas)
	if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() < 1 || pdb.Spec.MaxUnavailable.IntValue() >= replicas {
		t.Errorf("maxUnavailable %v with %d replicas: want at least 1 and fewer than the replicas", pdb.Spec.MaxUnavailable, replicas)
	}
}
