package bundle

import (
	"errors"
	"os"
)

// regularOnly keeps f only if it is still a regular file once open: the
// walk saw a regular file, but the directory may have changed since.
func regularOnly(f *os.File) (*os.File, error) {
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, errNotRegular
	}
	return f, nil
}

var errNotRegular = errors.New("not a regular file any more")
