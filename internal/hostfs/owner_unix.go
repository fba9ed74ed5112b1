//go:build unix

package hostfs

import (
	"io/fs"
	"syscall"
)

// owner returns a file's numeric user and group.
func owner(st fs.FileInfo) (uid, gid int) {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return int(s.Uid), int(s.Gid)
	}
	return -1, -1
}
