//go:build unix

package bundle

import (
	"os"
	"syscall"
)

// openNoFollow opens a file of a directory bundle without following a
// symlink and without blocking on a FIFO swapped in after the walk saw a
// regular file; it refuses anything that is not a regular file.
func openNoFollow(p string) (*os.File, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	return regularOnly(f)
}
