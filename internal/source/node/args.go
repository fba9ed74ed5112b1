package node

import (
	"strings"

	"github.com/kube4c/kube4c/internal/inventory"
	nodeinfo "github.com/kube4c/kube4c/internal/node"
)

// boolFlags are the flags, of the components kube4c reads, that take no separate value: with
// pflag (and etcd's flag package) "--profiling false" is the flag alone followed by a stray
// argument, while "--audit-log-path /var/log/audit.log" is one flag with its value.
var boolFlags = map[string]bool{
	"anonymous-auth": true, "profiling": true, "contention-profiling": true, "service-account-lookup": true,
	"allow-privileged": true, "use-service-account-credentials": true, "rotate-certificates": true,
	"rotate-server-certificates": true, "protect-kernel-defaults": true, "make-iptables-util-chains": true,
	"leader-elect": true, "enable-bootstrap-token-auth": true, "enable-aggregator-routing": true,
	"kubelet-https": true, "authentication-token-webhook": true, "enable-server": true,
	"enable-debugging-handlers": true, "fail-swap-on": true, "register-node": true, "register-schedulable": true,
	"client-cert-auth": true, "peer-client-cert-auth": true, "auto-tls": true, "peer-auto-tls": true,
	"strict-reconfig-check": true, "enable-pprof": true, "enable-v2": true, "debug": true,
	"logtostderr": true, "alsologtostderr": true, "enable-priority-and-fairness": true,
	"encryption-provider-config-automatic-reload": true, "enable-garbage-collector": true,
	"enable-hostpath-provisioner": true, "allocate-node-cidrs": true, "configure-cloud-routes": true,
	"help": true, "version": true,
}

// parseArgs turns command-line arguments (after the program name) into flags, the way pflag reads
// them: --name=value, --name value (unless name is a boolean flag), --name alone, and the single
// dash forms. Arguments that are not flags are skipped. loc gives each argument's location.
func parseArgs(args []string, loc func(i int) inventory.Location) []nodeinfo.Arg {
	var out []nodeinfo.Arg
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			continue
		}
		name := strings.TrimLeft(a, "-")
		arg := nodeinfo.Arg{Location: loc(i)}
		if k, v, ok := strings.Cut(name, "="); ok {
			arg.Name, arg.Value, arg.HasValue = k, v, true
		} else {
			arg.Name = name
			if !boolFlags[name] && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				arg.Value, arg.HasValue = args[i+1], true
				i++
			}
		}
		out = append(out, arg)
	}
	return out
}

// shellSplit splits a command line the way systemd and POSIX shells split words: blanks separate
// words, single and double quotes group, backslash escapes. Variables must be expanded first.
func shellSplit(s string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	runes := []rune(s)
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else if r == '\\' && quote == '"' && i+1 < len(runes) {
				i++
				cur.WriteRune(runes[i])
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == '\\' && i+1 < len(runes):
			i++
			cur.WriteRune(runes[i])
			inWord = true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
