// Package model holds the normalized facts that parsers extract from a bundle
// and that rules query. Every fact carries a Source so that a report can quote
// the exact line it came from.
//
// The JSON shape of Model is a contract: `triage facts` prints it and rule
// authors read it (see rules.d/README.md). Add fields, never rename them.
package model

import "sync"

// Source says where a fact was read: the path inside the bundle, the
// 1-based line number (and the last line when the fact spans several), and
// the raw text of the first line, already cleaned of control characters.
// For a fact read from one section of a collector's file that concatenates
// outputs (supportconfig, AIX snap), Path and Line are those of the whole
// file and Section names the command or file of the section's header.
type Source struct {
	Path    string `json:"path"`
	Section string `json:"section,omitempty"`
	Line    int    `json:"line"`
	EndLine int    `json:"end_line,omitempty"`
	Text    string `json:"text"`
}

// Model is a bundle, normalized: every fact the parsers found, grouped by
// kind. Slices keep the order in which facts were read (file order, then
// line order), which matters for mount order and module load order.
type Model struct {
	Host        Host          `json:"host"`
	Mounts      []Mount       `json:"mounts"`
	DF          []DFEntry     `json:"df"`
	AgentStatus []GuardStatus `json:"agent_status"`
	OpenFiles   OpenFileTable `json:"open_files"` // see OpenFileTable
	// OpenFileTallies counts the lsof rows naming no path that were not
	// kept as OpenFiles (see OpenFileTally).
	OpenFileTallies []OpenFileTally `json:"open_file_tallies,omitempty"`
	Fuser           []FuserHit      `json:"fuser"`
	Modules         []Module        `json:"modules"`
	Syscalls        []Syscall       `json:"syscalls"`
	Slabs           []SlabSample    `json:"slabs"`
	Events          []Event         `json:"events"`
	InitScripts     []InitScript    `json:"init_scripts"`
	LogStats        []LogStats      `json:"log_stats,omitempty"` // what each trace, log or lsof file held beyond the facts kept
	Filesystems     []Filesystem    `json:"filesystems"`
	Processes       []Process       `json:"processes"`
	Packages        []Package       `json:"packages"`
	Services        []Service       `json:"services,omitempty"` // what service managers list
	// Lines holds the lines that rules asked for by name (a rule's `lines:`
	// block: a file glob and a regex), keyed by that name. Other raw lines
	// are not kept, so memory does not grow with the bundle.
	Lines map[string][]LineMatch `json:"lines,omitempty"`

	once    sync.Once
	derived derived // computed once, on first use; see derive.go
}

// Host describes the machine the bundle was collected on, as far as the
// bundle tells.
type Host struct {
	Hostname    string   `json:"hostname,omitempty"`
	OS          string   `json:"os,omitempty"` // "Linux", "AIX", or empty when unknown
	Kernel      string   `json:"kernel,omitempty"`
	Arch        string   `json:"arch,omitempty"`
	OSVersion   string   `json:"os_version,omitempty"`   // AIX oslevel (7.2.0.0, 7200-05-03-2148)
	CollectedAt string   `json:"collected_at,omitempty"` // RFC 3339 when known
	Sources     []Source `json:"sources,omitempty"`
}

// LineMatch is one line that matched a rule's named line pattern, with the
// regex's capture groups.
type LineMatch struct {
	Groups []string `json:"groups,omitempty"`
	Src    Source   `json:"src"`
}
