package parsers

import (
	"strings"

	"github.com/fsagent/triage/model"
)

// AIX keeps its error log (kernel, drivers, kernel extensions) apart from
// syslog and shows it with errpt: the AIX counterpart of the Linux kernel
// log, so its entries are kernel-log events. Two forms are read:
//
//	IDENTIFIER TIMESTAMP  T C RESOURCE_NAME  DESCRIPTION
//	A924A5FC   1105134224 P S SYSPROC        SOFTWARE PROGRAM ABNORMALLY TERMINATED
//
// (TIMESTAMP is MMDDhhmmYY; T the type: P permanent, T temporary, I
// informational, U unknown), and errpt -a's records of "Label: value"
// lines separated by a line of dashes.

func init() {
	Register(&Parser{
		Name: "errpt",
		Kind: KindKernelLog,
		Doc:  "AIX error log (errpt summary and errpt -a records) as kernel-log events",
		Paths: []string{
			"errpt", "errpt.out", "errpt.txt", "errpt*.out", "errpt*.txt", "errpt_*", "errpt-*",
			"general/errpt*",
		},
		Sniff: sniffErrpt,
		Parse: parseErrpt,
	})
}

func errptSummaryHeader(l string) bool {
	f := strings.Fields(l)
	return len(f) >= 5 && f[0] == "IDENTIFIER" && f[1] == "TIMESTAMP" && f[2] == "T" && f[3] == "C"
}

func sniffErrpt(h *Head) bool {
	lines := h.NonBlank(3)
	if len(lines) == 0 {
		return false
	}
	if errptSummaryHeader(lines[0]) {
		return true
	}
	// errpt -a: a line of dashes, then LABEL: and IDENTIFIER:.
	for i, l := range lines {
		if strings.HasPrefix(l, "LABEL:") {
			return i+1 < len(lines) && strings.HasPrefix(lines[i+1], "IDENTIFIER:")
		}
	}
	return false
}

// errptLevels maps errpt's type letter (or -a's word) to a level.
var errptLevels = map[string]string{
	"P": "error", "PERM": "error", "PEND": "error", "PERF": "warning",
	"T": "warning", "TEMP": "warning",
	"I": "info", "INFO": "info", "U": "unknown", "UNKN": "unknown",
}

// errptTime turns MMDDhhmmYY into "20YY-MM-DDThh:mm" (the log does not say
// the time zone); "" when it is not that.
func errptTime(s string) string {
	if len(s) != 10 || !allDigits(s) {
		return ""
	}
	return "20" + s[8:10] + "-" + s[0:2] + "-" + s[2:4] + "T" + s[4:6] + ":" + s[6:8]
}

func parseErrpt(in *Input, out *model.Model) {
	stats := model.LogStats{Kind: string(KindKernelLog), Src: model.Source{Path: in.Path}}
	var rec *model.Event // the errpt -a record being read
	wantDesc := false
	flush := func() {
		if rec != nil && rec.MsgID != "" {
			out.Events = append(out.Events, *rec)
			stats.Kept++
		}
		rec, wantDesc = nil, false
	}
	summary := false
	for in.Next() {
		stats.Lines++
		t := strings.TrimSpace(in.Text())
		switch {
		case t == "":
			continue
		case errptSummaryHeader(t):
			flush()
			summary = true
			continue
		case strings.Trim(t, "-") == "":
			flush()
			summary = false
			continue
		}
		if summary {
			f := strings.Fields(t)
			if len(f) < 5 || len(f[0]) != 8 || !allHex(f[0]) {
				in.Warnf("expected an errpt row \"IDENTIFIER TIMESTAMP T C RESOURCE DESCRIPTION\": %s", quotedExcerpt(t))
				continue
			}
			e := model.Event{Kind: model.EventOther, Log: string(KindKernelLog), MsgID: f[0], Time: errptTime(f[1]),
				Level: errptLevels[f[2]], Component: f[4], Subject: f[4], Src: in.Src()}
			if len(f) > 5 {
				e.Message = strings.Join(f[5:], " ")
			}
			out.Events = append(out.Events, e)
			stats.Kept++
			continue
		}
		key, val, ok := strings.Cut(t, ":")
		if rec == nil {
			if !ok || key != "LABEL" {
				stats.Unkept++
				continue
			}
			rec = &model.Event{Kind: model.EventOther, Log: string(KindKernelLog), Src: in.Src()}
		}
		val = strings.TrimSpace(val)
		switch {
		case wantDesc:
			rec.Message, wantDesc = t, false
		case t == "Description":
			wantDesc = true
		case ok && key == "IDENTIFIER":
			rec.MsgID = val
		case ok && key == "Date/Time":
			rec.Time = val
		case ok && key == "Type":
			rec.Level = errptLevels[val]
		case ok && key == "Resource Name":
			rec.Component, rec.Subject = val, val
		}
		if rec != nil {
			rec.Src.EndLine = in.Line()
		}
	}
	flush()
	out.LogStats = append(out.LogStats, stats)
}
