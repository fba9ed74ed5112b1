package testenv

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// process is one control-plane component running as a child process with
// its stdout and stderr in <dir>/<name>.log.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed once the process has exited and been reaped
	waitErr error         // valid after done
}

func startProcess(name, dir, bin string, args, env []string) (*process, error) {
	logPath := filepath.Join(dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = f, f
	setProcAttr(cmd)
	fmt.Fprintf(f, "+ %s %s\n", bin, strings.Join(args, " "))
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// exitErr reports whether the process has exited, and how.
func (p *process) exitErr() error {
	select {
	case <-p.done:
		if p.waitErr != nil {
			return fmt.Errorf("%s exited: %v", p.name, p.waitErr)
		}
		return fmt.Errorf("%s exited", p.name)
	default:
		return nil
	}
}

// stop sends SIGTERM to the process group, waits up to grace, then sends
// SIGKILL. It returns once the process has been reaped, and finally kills
// whatever is left in its group.
func (p *process) stop(grace time.Duration) error {
	select {
	case <-p.done:
	default:
		terminate(p.cmd)
		select {
		case <-p.done:
		case <-time.After(grace):
			kill(p.cmd)
			select {
			case <-p.done:
			case <-time.After(30 * time.Second):
				return fmt.Errorf("%s (pid %d) did not exit after SIGKILL", p.name, p.pid())
			}
		}
	}
	kill(p.cmd) // anything the process spawned into its group
	return nil
}

// tail returns the last lines of the process's log.
func (p *process) tail(lines int) string {
	f, err := os.Open(p.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer f.Close()
	const maxBytes = 64 << 10
	if fi, err := f.Stat(); err == nil && fi.Size() > maxBytes {
		_, _ = f.Seek(fi.Size()-maxBytes, io.SeekStart)
	}
	data, _ := io.ReadAll(f)
	data = bytes.TrimRight(data, "\n")
	all := strings.Split(string(data), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

func (p *process) logContains(s string) bool {
	data, err := os.ReadFile(p.logPath)
	return err == nil && bytes.Contains(data, []byte(s))
}
