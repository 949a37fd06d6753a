//go:build !aix

package serve

import (
	"errors"
	"io"
	"mime/multipart"
)

func newMultipart(r io.Reader, boundary string) (*multipart.Reader, error) {
	if boundary == "" {
		return nil, errors.New("multipart body without a boundary")
	}
	return multipart.NewReader(r, boundary), nil
}
