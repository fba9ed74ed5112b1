// Package testenv runs a real Kubernetes control plane for tests: etcd,
// kube-apiserver and kube-controller-manager as child processes on free
// loopback ports, with TLS and client-certificate authentication, RBAC and
// Node authorization, and the default admission plugins (plus
// NodeRestriction), the way a kubeadm cluster is set up. There are no nodes
// and no kubelet, so Pods are stored and validated but never run.
//
// The binaries come from `make testenv` (see Binaries). A test calls Start,
// which skips the test when they are missing, or fails it when CI=true:
//
//	env := testenv.Start(t)
//	cs := kubernetes.NewForConfigOrDie(env.Admin)
//
// Start takes a few seconds; a package with many such tests can share one
// control plane from TestMain with New and Env.Stop.
//
// Identities: Admin is in system:masters; Restricted ("kube4c-reader") has
// no RBAC bindings at all, only the defaults every authenticated user gets
// (discovery, self-subject reviews), so a test binds exactly what it needs.
// UserConfig mints a client certificate for any other user and groups.
// Anonymous requests are allowed, as kube-apiserver's default, unless
// StartOptions.AnonymousAuth is false.
package testenv

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const (
	// KubernetesVersion is the version `make testenv` builds; /version of
	// the control plane reports it.
	KubernetesVersion = "v1.37.2"
	// AdminUser is Env.Admin's user name; it is in the system:masters group.
	AdminUser = "kube4c-admin"
	// RestrictedUser is Env.Restricted's user name; it is in no group (the
	// apiserver adds system:authenticated) and has no RBAC bindings.
	RestrictedUser = "kube4c-reader"
	// ControllerManagerUser is kube-controller-manager's identity (in
	// system:masters, as it runs with --use-service-account-credentials=false).
	ControllerManagerUser = "system:kube-controller-manager"
	// ServiceAccountIssuer is the issuer of service-account tokens.
	ServiceAccountIssuer = "https://kubernetes.default.svc.cluster.local"
	// ServiceClusterIPRange is --service-cluster-ip-range; the kubernetes
	// Service gets its first address.
	ServiceClusterIPRange = "10.0.0.0/24"

	// KeepEnv names the environment variable that, when non-empty, keeps
	// the temporary directory (certificates, kubeconfigs, component logs)
	// after Stop, for debugging.
	KeepEnv = "KUBE4C_TESTENV_KEEP"

	defaultTimeout = 60 * time.Second
	stopGrace      = 10 * time.Second
	clusterName    = "kube4c-testenv"
)

// StartOptions adjusts the control plane. The zero value disables anonymous
// access; DefaultOptions (what Start uses) matches kube-apiserver's defaults.
type StartOptions struct {
	// AnonymousAuth is kube-apiserver's --anonymous-auth. When true (the
	// default in Kubernetes and in Start), unauthenticated requests run as
	// system:anonymous and RBAC decides (the default bindings allow only
	// /version, /healthz, /livez and /readyz); when false they get 401.
	AnonymousAuth bool
	// APIServerFlags and ControllerManagerFlags are appended to the
	// components' command lines; a later flag overrides an earlier one.
	APIServerFlags         []string
	ControllerManagerFlags []string
	// Timeout bounds startup; zero means 60 s.
	Timeout time.Duration
}

// DefaultOptions returns the options Start uses.
func DefaultOptions() StartOptions { return StartOptions{AnonymousAuth: true} }

// Env is a running control plane.
type Env struct {
	// Server is kube-apiserver's URL, https://127.0.0.1:<port>.
	Server string
	// CAData is the PEM CA bundle that signed the serving certificate and
	// every client certificate.
	CAData []byte
	// Admin authenticates as AdminUser in system:masters.
	Admin *rest.Config
	// Restricted authenticates as RestrictedUser, with no RBAC bindings.
	Restricted *rest.Config
	// Dir holds the certificates, kubeconfigs and each component's log
	// (<component>.log). Stop removes it unless $KUBE4C_TESTENV_KEEP is set.
	Dir string

	ca       *authority
	etcdDir  string
	procs    []*process // in start order
	stopOnce sync.Once
	stopErr  error
}

// Start runs a control plane with DefaultOptions for the test and stops it
// in t.Cleanup. See StartWithOptions.
func Start(t testing.TB) *Env {
	t.Helper()
	return StartWithOptions(t, DefaultOptions())
}

// StartWithOptions runs a control plane for the test and stops it (killing
// every process it started, even if the test fails or panics) in t.Cleanup.
// When the binaries are missing it skips the test, or fails it when the
// environment variable CI is "true", so that CI cannot pass by skipping.
func StartWithOptions(t testing.TB, opts StartOptions) *Env {
	t.Helper()
	if _, _, _, err := Binaries(); err != nil {
		if errors.Is(err, ErrMissingBinaries) && !inCI() {
			t.Skipf("testenv: %v", err)
		}
		t.Fatalf("testenv: %v\nBuild them with 'make testenv' (part of 'make test'), or point $%s at a directory that has them.", err, BinDirEnv)
	}
	began := time.Now()
	env, err := New(opts)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("testenv: component logs (tails):\n%s", env.tails(25))
		}
		if err := env.Stop(); err != nil {
			t.Errorf("testenv: %v", err)
		}
		if os.Getenv(KeepEnv) != "" {
			t.Logf("testenv: kept %s", env.Dir)
		}
	})
	t.Logf("testenv: Kubernetes %s control plane up at %s in %s", KubernetesVersion, env.Server, time.Since(began).Round(10*time.Millisecond))
	return env
}

func inCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v == "true" || v == "1"
}

// New runs a control plane; the caller must call Stop. Use it where there is
// no testing.TB, as in TestMain; tests should use Start.
func New(opts StartOptions) (*Env, error) {
	apiserver, kcm, etcd, err := Binaries()
	if err != nil {
		return nil, err
	}
	// Free ports are picked before the processes bind them, so another
	// process on this shared machine can take one in between: retry then.
	for attempt := 1; ; attempt++ {
		env, err := launch(apiserver, kcm, etcd, opts)
		if err == nil || !errors.Is(err, errPortInUse) || attempt == 3 {
			return env, err
		}
	}
}

var errPortInUse = errors.New("a port was taken by another process")

func launch(apiserverBin, kcmBin, etcdBin string, opts StartOptions) (_ *Env, err error) {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	removeStaleDirs()
	dir, err := newOwnedDir("")
	if err != nil {
		return nil, err
	}
	e := &Env{Dir: dir}
	defer func() {
		if err == nil {
			return
		}
		logs := e.tails(40)
		for _, p := range e.procs {
			if p.logContains("address already in use") {
				err = fmt.Errorf("%w: %w", errPortInUse, err)
				break
			}
		}
		if stopErr := e.Stop(); stopErr != nil {
			err = errors.Join(err, stopErr)
		}
		err = fmt.Errorf("control plane did not start: %w\n%s", err, logs)
	}()

	ports, err := freePorts(4)
	if err != nil {
		return e, err
	}
	etcdClientPort, etcdPeerPort, apiserverPort, kcmPort := ports[0], ports[1], ports[2], ports[3]
	e.Server = "https://127.0.0.1:" + strconv.Itoa(apiserverPort)

	if err := e.writePKI(); err != nil {
		return e, err
	}
	path := func(name string) string { return filepath.Join(dir, name) }

	// etcd. Its data goes to tmpfs when there is one: etcd fsyncs every
	// write and kube-apiserver writes a few hundred objects at startup.
	e.etcdDir, err = newOwnedDir(shmDir())
	if err != nil {
		return e, err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(etcdClientPort)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(etcdPeerPort)
	if _, err := e.start("etcd", etcdBin, []string{
		"--name=" + clusterName,
		"--data-dir=" + filepath.Join(e.etcdDir, "data"),
		"--listen-client-urls=" + etcdURL,
		"--advertise-client-urls=" + etcdURL,
		"--listen-peer-urls=" + peerURL,
		"--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=" + clusterName + "=" + peerURL,
		"--initial-cluster-state=new",
		"--logger=zap",
		"--log-outputs=stderr",
	}, etcdEnviron()); err != nil {
		return e, err
	}
	if err := e.waitFor(ctx, "etcd /health", func(ctx context.Context) error {
		return etcdHealthy(ctx, etcdURL)
	}); err != nil {
		return e, err
	}

	// kube-apiserver.
	apiserverArgs := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		// A loopback advertise address is not a valid Endpoints address, so
		// the "kubernetes" Service is created but gets no endpoints.
		"--advertise-address=127.0.0.1",
		"--endpoint-reconciler-type=none",
		"--secure-port=" + strconv.Itoa(apiserverPort),
		"--cert-dir=" + path("apiserver-certs"),
		"--tls-cert-file=" + path("apiserver.crt"),
		"--tls-private-key-file=" + path("apiserver.key"),
		"--client-ca-file=" + path("ca.crt"),
		"--authorization-mode=Node,RBAC",
		"--anonymous-auth=" + strconv.FormatBool(opts.AnonymousAuth),
		"--enable-admission-plugins=NodeRestriction",
		"--allow-privileged=true",
		"--service-cluster-ip-range=" + ServiceClusterIPRange,
		"--service-account-issuer=" + ServiceAccountIssuer,
		"--service-account-key-file=" + path("sa.pub"),
		"--service-account-signing-key-file=" + path("sa.key"),
	}
	if _, err := e.start("kube-apiserver", apiserverBin, append(apiserverArgs, opts.APIServerFlags...), os.Environ()); err != nil {
		return e, err
	}
	e.Admin = e.restConfig(e.ca.mustIssue(AdminUser, "system:masters"))
	e.Restricted = e.restConfig(e.ca.mustIssue(RestrictedUser))
	admin, err := kubernetes.NewForConfig(e.Admin)
	if err != nil {
		return e, err
	}
	if err := e.waitFor(ctx, "kube-apiserver /readyz", func(ctx context.Context) error {
		_, err := admin.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err
	}); err != nil {
		return e, err
	}

	// kube-controller-manager.
	kcmConfig := e.restConfig(e.ca.mustIssue(ControllerManagerUser, "system:masters"))
	if err := e.Kubeconfig(path("kube-controller-manager.kubeconfig"), kcmConfig); err != nil {
		return e, err
	}
	kcmArgs := []string{
		// No --authentication-kubeconfig: nothing here talks to the
		// controller manager's own HTTPS endpoint.
		"--kubeconfig=" + path("kube-controller-manager.kubeconfig"),
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(kcmPort),
		"--cert-dir=" + path("kube-controller-manager-certs"),
		"--leader-elect=false",
		"--controllers=*",
		"--use-service-account-credentials=false",
		"--service-account-private-key-file=" + path("sa.key"),
		"--root-ca-file=" + path("ca.crt"),
		"--cluster-signing-cert-file=" + path("ca.crt"),
		"--cluster-signing-key-file=" + path("ca.key"),
	}
	if _, err := e.start("kube-controller-manager", kcmBin, append(kcmArgs, opts.ControllerManagerFlags...), os.Environ()); err != nil {
		return e, err
	}
	// The controllers are working once the serviceaccount controller has
	// given "default" its ServiceAccount and the clusterrole-aggregation
	// controller has filled in the aggregated "view" ClusterRole.
	if err := e.waitFor(ctx, `kube-controller-manager (ServiceAccount default/default)`, func(ctx context.Context) error {
		_, err := admin.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
		return err
	}); err != nil {
		return e, err
	}
	if err := e.waitFor(ctx, `kube-controller-manager (aggregated ClusterRole "view")`, func(ctx context.Context) error {
		cr, err := admin.RbacV1().ClusterRoles().Get(ctx, "view", metav1.GetOptions{})
		if err == nil && len(cr.Rules) == 0 {
			err = errors.New(`ClusterRole "view" has no rules yet`)
		}
		return err
	}); err != nil {
		return e, err
	}
	return e, nil
}

// Stop stops kube-controller-manager, kube-apiserver and etcd (SIGTERM to
// each process group, SIGKILL after 10 s), waits for them to exit and
// removes the temporary directories. It is safe to call more than once.
func (e *Env) Stop() error {
	e.stopOnce.Do(func() {
		var errs []error
		for i := len(e.procs) - 1; i >= 0; i-- {
			if err := e.procs[i].stop(stopGrace); err != nil {
				errs = append(errs, err)
			}
		}
		keep := os.Getenv(KeepEnv) != ""
		for _, d := range []string{e.etcdDir, e.Dir} {
			switch {
			case d == "":
			case keep: // and never removed as stale
				_ = os.Remove(filepath.Join(d, ownerFile))
			default:
				if err := os.RemoveAll(d); err != nil {
					errs = append(errs, err)
				}
			}
		}
		e.stopErr = errors.Join(errs...)
	})
	return e.stopErr
}

// PIDs returns the process id of each component ("etcd", "kube-apiserver",
// "kube-controller-manager"); each is also the id of its process group.
func (e *Env) PIDs() map[string]int {
	m := make(map[string]int, len(e.procs))
	for _, p := range e.procs {
		m[p.name] = p.pid()
	}
	return m
}

// UserConfig returns a config that authenticates with a new client
// certificate as user, in groups (the apiserver adds system:authenticated).
func (e *Env) UserConfig(user string, groups ...string) (*rest.Config, error) {
	certPEM, keyPEM, err := e.ca.issue(user, groups, nil)
	if err != nil {
		return nil, err
	}
	return e.restConfig(certPEM, keyPEM), nil
}

// Kubeconfig writes a kubeconfig file (mode 0600) for cfg, usually
// env.Admin, env.Restricted or a UserConfig, with one cluster, user and
// current context, for tests of the CLI's --kubeconfig.
func (e *Env) Kubeconfig(path string, cfg *rest.Config) error {
	user := "user"
	if block, _ := pem.Decode(cfg.CertData); block != nil {
		if cert, err := x509.ParseCertificate(block.Bytes); err == nil {
			user = cert.Subject.CommonName
		}
	}
	c := clientcmdapi.NewConfig()
	c.Clusters[clusterName] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	c.AuthInfos[user] = &clientcmdapi.AuthInfo{
		ClientCertificateData: cfg.CertData,
		ClientKeyData:         cfg.KeyData,
		Token:                 cfg.BearerToken,
	}
	c.Contexts[user+"@"+clusterName] = &clientcmdapi.Context{Cluster: clusterName, AuthInfo: user}
	c.CurrentContext = user + "@" + clusterName
	return clientcmd.WriteToFile(*c, path)
}

func (e *Env) restConfig(certPEM, keyPEM []byte) *rest.Config {
	return &rest.Config{
		Host: e.Server,
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   e.CAData,
			CertData: certPEM,
			KeyData:  keyPEM,
		},
		QPS:   100,
		Burst: 200,
	}
}

// writePKI creates the CA, the serving certificate and the
// service-account key pair in Dir.
func (e *Env) writePKI() error {
	ca, err := newAuthority()
	if err != nil {
		return err
	}
	e.ca, e.CAData = ca, ca.certPEM
	serverCert, serverKey, err := ca.issue("kube-apiserver", nil, []string{
		"127.0.0.1", "::1", "localhost", "10.0.0.1",
		"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local",
	})
	if err != nil {
		return err
	}
	saKey, saPub, err := newServiceAccountKey()
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{
		"ca.crt": ca.certPEM, "ca.key": ca.keyPEM,
		"apiserver.crt": serverCert, "apiserver.key": serverKey,
		"sa.key": saKey, "sa.pub": saPub,
	} {
		if err := os.WriteFile(filepath.Join(e.Dir, name), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

func (a *authority) mustIssue(user string, groups ...string) (certPEM, keyPEM []byte) {
	certPEM, keyPEM, err := a.issue(user, groups, nil)
	if err != nil {
		panic(err) // only crypto/rand or a bug can fail here
	}
	return certPEM, keyPEM
}

func (e *Env) start(name, bin string, args, env []string) (*process, error) {
	p, err := startProcess(name, e.Dir, bin, args, env)
	if err != nil {
		return nil, err
	}
	e.procs = append(e.procs, p)
	return p, nil
}

// waitFor polls check until it succeeds, a component exits or ctx expires.
func (e *Env) waitFor(ctx context.Context, what string, check func(context.Context) error) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		for _, p := range e.procs {
			if err := p.exitErr(); err != nil {
				return fmt.Errorf("waiting for %s: %w", what, err)
			}
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		last = check(cctx)
		cancel()
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("timed out waiting for %s: %v", what, last)
		case <-tick.C:
		}
	}
}

// tails returns the end of each component's log.
func (e *Env) tails(lines int) string {
	var b strings.Builder
	for _, p := range e.procs {
		fmt.Fprintf(&b, "----- %s (pid %d, %s), last %d lines -----\n%s\n", p.name, p.pid(), p.logPath, lines, p.tail(lines))
	}
	return b.String()
}

func etcdHealthy(ctx context.Context, etcdURL string) error {
	return etcdHealthyWith(ctx, http.DefaultClient, etcdURL)
}

// etcdEnviron is the environment without ETCD_* variables, which etcd would
// read as flags. Debian's etcd 3.4 refuses to run on architectures other
// than amd64 unless ETCD_UNSUPPORTED_ARCH names it.
func etcdEnviron() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ETCD_") {
			env = append(env, kv)
		}
	}
	if runtime.GOARCH != "amd64" {
		env = append(env, "ETCD_UNSUPPORTED_ARCH="+runtime.GOARCH)
	}
	return env
}

const (
	dirPrefix = "kube4c-testenv-"
	ownerFile = "owner.pid"
)

// newOwnedDir makes a temporary directory that records the test process's
// id, so that a later run can remove it if this one dies without cleaning up
// (go test -timeout exits without running cleanups; the kernel still kills
// the components, see setProcAttr).
func newOwnedDir(parent string) (string, error) {
	dir, err := os.MkdirTemp(parent, dirPrefix)
	if err != nil {
		return "", err
	}
	return dir, os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o600)
}

// removeStaleDirs removes the directories of earlier runs whose test
// process no longer exists.
func removeStaleDirs() {
	for _, parent := range []string{os.TempDir(), shmDir()} {
		if parent == "" {
			continue
		}
		dirs, _ := filepath.Glob(filepath.Join(parent, dirPrefix+"*"))
		for _, d := range dirs {
			data, err := os.ReadFile(filepath.Join(d, ownerFile))
			if err != nil {
				continue // not ours, or still being created
			}
			if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && !processExists(pid) {
				_ = os.RemoveAll(d)
			}
		}
	}
}

// shmDir is a tmpfs directory for etcd's data where there is one.
func shmDir() string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if f, err := os.CreateTemp("/dev/shm", ".kube4c-probe-"); err == nil {
			f.Close()
			os.Remove(f.Name())
			return "/dev/shm"
		}
	}
	return ""
}

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
