package model

import "sort"

// GuardPointCandidates lists, cleaned and sorted, every directory that
// GuardPoints could return once more files are merged into m: the agent's
// status table, mounts of the agent's filesystem type and self-mounts in
// the mount table and df, whether or not the agent is known to be present
// yet. The pipeline uses it to keep only the lsof rows some guard point may
// ask for (see parsers.Input.KeepOpenFilesUnder), so it must never leave a
// guard point out; listing too many only costs memory.
func (m *Model) GuardPointCandidates() []string {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if p = cleanPath(p); p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, s := range m.AgentStatus {
		add(s.Path)
	}
	for _, mt := range m.Mounts {
		if agentFSTypes[mt.FSType] || (mt.Device != "" && cleanPath(mt.Device) == cleanPath(mt.Path)) {
			add(mt.Path)
		}
	}
	for _, d := range m.DF {
		if d.Filesystem != "" && cleanPath(d.Filesystem) == cleanPath(d.MountedOn) {
			add(d.MountedOn)
		}
	}
	sort.Strings(out)
	return out
}
