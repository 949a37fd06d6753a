package bundle

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsagent/triage/internal/archivetest"
)

// TestCheck7zCountsFollowsReal7z: the count check follows archives written
// by 7-Zip to their end (plain and compressed headers, solid or not, empty
// files and directories), so it checks every count of a real archive and
// refuses none.
func TestCheck7zCountsFollowsReal7z(t *testing.T) {
	cmd := archivetest.SevenZipCommand()
	if cmd == "" {
		t.Skip("SKIP: 7z not installed (apt-get install 7zip): real 7z headers are not checked")
	}
	dir := t.TempDir()
	for i := 0; i < 40; i++ {
		p := filepath.Join(dir, fmt.Sprintf("d%d", i%3), fmt.Sprintf("f%02d.txt", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		body := strings.Repeat(fmt.Sprintf("line %d\n", i), i) // f00 is empty
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "empty-dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, opts := range [][]string{
		{"-mhc=off"},
		{"-mhc=off", "-ms=off"},
		{"-mhc=off", "-m0=Copy"},
		{"-mhc=off", "-m0=BCJ2", "-m1=LZMA", "-m2=LZMA", "-m3=LZMA", "-mb0:1", "-mb0s1:2", "-mb0s2:3"},
		{}, // compressed header
		{"-mhc=on", "-mhe=off", "-m0=LZMA2"},
	} {
		t.Run(strings.Join(opts, " "), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "a.7z")
			args := append([]string{"a", "-bd", "-y"}, opts...)
			c := exec.Command(cmd, append(args, out, ".")...)
			c.Dir = dir
			if b, err := c.CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", cmd, err, b)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if err := check7z(bytes.NewReader(data), int64(len(data)), 100); err != nil {
				t.Fatalf("check7z refused a 7-Zip archive: %v", err)
			}
			off, n := binary.LittleEndian.Uint64(data[12:]), binary.LittleEndian.Uint64(data[20:])
			h := &hdr7z{r: bufio.NewReader(bytes.NewReader(data[32+off : 32+off+n])), ra: bytes.NewReader(data), left: n, packEnd: off, maxEntries: 100}
			if err := h.header(); err != nil {
				t.Fatalf("the check did not follow the header to its end: %v", err)
			}
			if h.left != 0 {
				t.Errorf("the check stopped with %d header bytes unread", h.left)
			}
			// A packed header is unpacked and checked too, so the limit
			// holds whichever way 7-Zip stored the header.
			if err := check7z(bytes.NewReader(data), int64(len(data)), 10); err == nil {
				t.Errorf("44 entries passed a limit of 10")
			}
		})
	}
}
