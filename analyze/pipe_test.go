package analyze

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// countingReader counts what the writer side of a pipe read.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += n
	return n, err
}

func TestChunkPipe(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef\n"), 3*chunkSize/17+5) // several chunks, the last one partial
	boom := errors.New("boom")
	tests := []struct {
		name    string
		src     io.Reader
		stopAt  int // the reader closes after this many bytes; -1 reads to the end
		want    []byte
		wantErr error
	}{
		{name: "whole content in order", src: bytes.NewReader(data), stopAt: -1, want: data},
		{name: "empty", src: bytes.NewReader(nil), stopAt: -1, want: []byte{}},
		{name: "read error handed to the reader after the bytes before it",
			src: io.MultiReader(bytes.NewReader(data[:chunkSize+7]), iotest.ErrReader(boom)), stopAt: -1,
			want: data[:chunkSize+7], wantErr: boom},
		{name: "reader stops early", src: bytes.NewReader(bytes.Repeat(data, 8)), stopAt: 10, want: data[:10]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newChunkPipe()
			src := &countingReader{r: tc.src}
			got := make(chan []byte)
			var rerr error
			go func() {
				defer p.close()
				var out []byte
				if tc.stopAt >= 0 {
					out = make([]byte, tc.stopAt)
					_, rerr = io.ReadFull(p, out)
				} else {
					out, rerr = io.ReadAll(p)
				}
				got <- out
			}()
			filled := make(chan struct{})
			go func() { p.fill(src); close(filled) }()
			out := <-got
			<-filled // fill must return, also when the reader stopped early
			if !bytes.Equal(out, tc.want) {
				t.Errorf("reader got %d bytes, want %d", len(out), len(tc.want))
			}
			if !errors.Is(rerr, tc.wantErr) {
				t.Errorf("reader error %v, want %v", rerr, tc.wantErr)
			}
			if tc.stopAt >= 0 && src.n > (pipeDepth+2)*chunkSize {
				t.Errorf("writer read %d bytes after the reader stopped at %d", src.n, tc.stopAt)
			}
		})
	}
}

// TestChunkPipeLends: after a read that took part of a chunk, NextChunk
// lends the rest of that chunk, then each next one, and reports the end;
// together with the read they hold the content in order.
func TestChunkPipeLends(t *testing.T) {
	content := bytes.Repeat([]byte("0123456789abcdef"), (2*chunkSize+chunkSize/3)/16)
	p := newChunkPipe()
	go p.fill(bytes.NewReader(content))
	got := make([]byte, 1000)
	if _, err := io.ReadFull(p, got); err != nil {
		t.Fatal(err)
	}
	lent := 0
	for {
		b, release, err := p.NextChunk()
		if err == io.EOF {
			break
		}
		if err != nil || len(b) == 0 {
			t.Fatalf("chunk %d: %d bytes, %v", lent, len(b), err)
		}
		got = append(got, b...)
		release()
		lent++
	}
	if !bytes.Equal(got, content) || lent != 3 {
		t.Fatalf("%d bytes in %d chunks after the read, want %d in 3", len(got), lent, len(content))
	}
	p.close()
}
