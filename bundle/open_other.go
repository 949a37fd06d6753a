//go:build !unix

package bundle

import (
	"errors"
	"os"
)

// openNoFollow opens a file of a directory bundle, refusing anything that is
// not a regular file (checked before and after opening).
func openNoFollow(p string) (*os.File, error) {
	if st, err := os.Lstat(p); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file any more")
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, errors.New("not a regular file any more")
	}
	return f, nil
}
