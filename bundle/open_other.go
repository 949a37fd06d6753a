//go:build !unix

package bundle

import "os"

// openNoFollow opens a file of a directory bundle, refusing anything that is
// not a regular file (checked before and after opening).
func openNoFollow(p string) (*os.File, error) {
	if st, err := os.Lstat(p); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, errNotRegular
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	return regularOnly(f)
}
