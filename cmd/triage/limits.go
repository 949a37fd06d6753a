package main

import (
	"github.com/spf13/pflag"

	"github.com/fsagent/triage/bundle"
)

// addLimitFlags adds the flags that bound what reading one bundle may cost
// to fs, with bundle.DefaultLimits as their defaults, and returns the
// Limits they fill when the command line is parsed. Every subcommand that
// reads bundles shares them, so a limit message can name one flag that
// raises it everywhere.
func addLimitFlags(fs *pflag.FlagSet) *bundle.Limits {
	d := bundle.DefaultLimits()
	l := &bundle.Limits{}
	fs.Int64Var(&l.MaxTotalBytes, "max-total-bytes", d.MaxTotalBytes,
		"stop reading the bundle after this many decompressed bytes across all archive layers")
	fs.Int64Var(&l.MaxFileBytes, "max-file-bytes", d.MaxFileBytes,
		"read at most this many bytes of any one file in the bundle")
	fs.IntVar(&l.MaxEntries, "max-entries", d.MaxEntries,
		"stop after this many files and directories across all archive layers")
	fs.IntVar(&l.MaxDepth, "max-depth", d.MaxDepth,
		"open archives nested inside archives down to this depth")
	fs.Float64Var(&l.MaxRatio, "max-ratio", d.MaxRatio,
		"stop an archive whose decompressed:compressed ratio exceeds this after its first MiB")
	fs.Int64Var(&l.MaxBufferBytes, "max-buffer-bytes", d.MaxBufferBytes,
		"hold at most this many bytes in memory for a nested zip or 7z (they need random access)")
	fs.DurationVar(&l.Timeout, "timeout", d.Timeout,
		"give up reading one bundle after this long")
	return l
}
