// Package knowledge holds what triage knows about particular products, kept
// out of the product-neutral model: which filesystem types and kernel
// modules belong to the encryption agent (Thales/Vormetric CTE, IBM
// Guardium GDE: secfs), where its private mount lives, and how its guard
// points are recognised from the facts of a bundle. Supporting a second
// agent means adding to this package only.
package knowledge

import (
	"sort"
	"strings"

	"github.com/fsagent/triage/model"
)

// AgentFSTypes are the filesystem types the encryption agent mounts over a
// guarded directory.
var AgentFSTypes = []string{"secfs", "secfs2"}

// AgentModules are the names of the encryption agent's kernel module
// (Linux) or kernel extension (AIX).
var AgentModules = []string{"secfs2", "secfs"}

// AgentPrivateMarker is part of the path of the agent's own private mount
// (…/agent/secfs/.sec), which is never a guard point nor a nested mount
// that keeps one busy.
const AgentPrivateMarker = "/agent/secfs/.sec"

// IsAgentFSType reports whether t is one of AgentFSTypes.
func IsAgentFSType(t string) bool {
	for _, a := range AgentFSTypes {
		if t == a {
			return true
		}
	}
	return false
}

// IsAgentPrivate reports whether a path is (inside) the agent's private
// mount.
func IsAgentPrivate(p string) bool { return strings.Contains(p, AgentPrivateMarker) }

// GuardPoint is a directory protected by the encryption agent, and where
// that knowledge came from.
type GuardPoint struct {
	Path string `json:"path"`
	// Origin names the evidence, by authority: "agent-status" (the agent's
	// own table), "agent-mount" (a mount of the agent's filesystem type),
	// "self-mount" (a mount whose source equals its mount point while the
	// agent is present).
	Origin string       `json:"origin"`
	Status string       `json:"status,omitempty"`
	Src    model.Source `json:"src"`
}

// Agent is what a model shows of the encryption agent, computed once by Of
// and not changed afterwards.
type Agent struct {
	// Present: the bundle shows the agent on the host (its private mount, a
	// mount of its filesystem type, its status table, or its module).
	Present bool
	// GuardPoints lists the agent's guard points (see GuardPoints).
	GuardPoints []GuardPoint
}

// Of reads the agent's facts from a model that no longer changes.
func Of(m *model.Model) Agent {
	a := Agent{Present: AgentPresent(m)}
	a.GuardPoints = guardPoints(m, a.Present)
	return a
}

// GuardPoints lists the encryption agent's guard points. When the agent's
// own status table is in the bundle it is authoritative and used alone;
// otherwise guard points are inferred from the mount table and df.
func GuardPoints(m *model.Model) []GuardPoint { return guardPoints(m, AgentPresent(m)) }

func guardPoints(m *model.Model, present bool) []GuardPoint {
	var out []GuardPoint
	seen := map[string]bool{}
	add := func(g GuardPoint) {
		g.Path = model.CleanPath(g.Path)
		if g.Path == "" || seen[g.Path] || IsAgentPrivate(g.Path) {
			return
		}
		seen[g.Path] = true
		out = append(out, g)
	}
	for _, s := range m.AgentStatus {
		add(GuardPoint{Path: s.Path, Origin: "agent-status", Status: s.Status, Src: s.Src})
	}
	if len(out) > 0 {
		return out
	}
	for _, mt := range m.Mounts {
		if IsAgentFSType(mt.FSType) {
			add(GuardPoint{Path: mt.Path, Origin: "agent-mount", Src: mt.Src})
		}
	}
	if !present {
		return out
	}
	for _, mt := range m.Mounts {
		if selfMount(mt.Device, mt.Path) {
			add(GuardPoint{Path: mt.Path, Origin: "self-mount", Src: mt.Src})
		}
	}
	for _, d := range m.DF {
		if selfMount(d.Filesystem, d.MountedOn) {
			add(GuardPoint{Path: d.MountedOn, Origin: "self-mount", Src: d.Src})
		}
	}
	return out
}

// selfMount: the mounted source is the mount point itself, the way the
// agent mounts a guarded directory over itself.
func selfMount(device, at string) bool {
	return strings.HasPrefix(device, "/") && model.CleanPath(device) == model.CleanPath(at)
}

// AgentPresent reports whether the bundle shows the encryption agent on the
// host: its private .sec mount, a mount of its filesystem type, its status
// table, or its kernel module.
func AgentPresent(m *model.Model) bool {
	if len(m.AgentStatus) > 0 {
		return true
	}
	for _, mt := range m.Mounts {
		if IsAgentFSType(mt.FSType) || IsAgentPrivate(mt.Path) {
			return true
		}
	}
	for _, d := range m.DF {
		if IsAgentPrivate(d.MountedOn) {
			return true
		}
	}
	for _, name := range AgentModules {
		if m.ModuleLoaded(name) {
			return true
		}
	}
	return false
}

// NestedMounts lists the mounts strictly inside dir, one per mount point,
// leaving out the agent's private mount: the mounts that keep a guard point
// busy.
func NestedMounts(m *model.Model, dir string) []model.Mount {
	var out []model.Mount
	for _, mt := range m.MountsInside(dir) {
		if !IsAgentPrivate(mt.Path) {
			out = append(out, mt)
		}
	}
	return out
}

// GuardPointCandidates lists, cleaned and sorted, every directory that
// GuardPoints could return once more files are merged into m: the agent's
// status table, mounts of the agent's filesystem type and self-mounts in
// the mount table and df, whether or not the agent is known to be present
// yet. The pipeline uses it to keep only the lsof rows some guard point may
// ask for (see parsers.Input.KeepOpenFilesUnder), so it must never leave a
// guard point out; listing too many only costs memory. It reads m without
// querying it, so m may still grow afterwards.
func GuardPointCandidates(m *model.Model) []string {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if p = model.CleanPath(p); p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, s := range m.AgentStatus {
		add(s.Path)
	}
	for _, mt := range m.Mounts {
		if IsAgentFSType(mt.FSType) || selfMount(mt.Device, mt.Path) {
			add(mt.Path)
		}
	}
	for _, d := range m.DF {
		if selfMount(d.Filesystem, d.MountedOn) {
			add(d.MountedOn)
		}
	}
	sort.Strings(out)
	return out
}
