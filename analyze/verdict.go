package analyze

import "sort"

// Decide recomputes the severity counts and the verdict of r for failOn ("error",
// "warning" or "never"): r.Summary.Failed is true when a finding at or above failOn is not
// known from a baseline. The exit code follows Failed, whatever the output format.
func Decide(r *Report, failOn Severity) {
	s := &r.Summary
	s.Errors, s.Warnings, s.Infos, s.Known = 0, 0, 0, 0
	s.FailOn = failOn
	s.Failed = false
	for sev, n := range s.FindingsNotListedBySeverity {
		switch sev {
		case SeverityError:
			s.Errors += n
		case SeverityWarning:
			s.Warnings += n
		case SeverityInfo:
			s.Infos += n
		}
		if n > 0 && failOn != "never" && failOn.Rank() > 0 && sev.Rank() >= failOn.Rank() {
			s.Failed = true
		}
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		switch f.Severity {
		case SeverityError:
			s.Errors++
		case SeverityWarning:
			s.Warnings++
		case SeverityInfo:
			s.Infos++
		}
		if f.Known {
			s.Known++
			continue
		}
		if failOn != "never" && failOn.Rank() > 0 && f.Severity.Rank() >= failOn.Rank() {
			s.Failed = true
		}
	}
}

// ApplyBaseline marks as known every finding of r whose baseline key also appears in base.
// Keys hold no Call-ID or packet number, so a known problem is known on every call that
// repeats it, while the same rule with other evidence (another host, peer or parameter) is
// new. Call Decide afterwards.
func ApplyBaseline(r, base *Report) {
	known := make(map[string]bool, len(base.Findings))
	for i := range base.Findings {
		known[baselineKey(&base.Findings[i])] = true
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		f.Known = known[baselineKey(f)]
	}
}

// baselineKey is the finding's Key, or for reports written without keys, its rule and
// evidence.
func baselineKey(f *Finding) string {
	if f.Key != "" {
		return f.Key
	}
	return f.Rule + "|" + f.Evidence
}

// sortFindings orders findings by input, packet number, then rule (the contract), and
// then by the rest so that the order is total.
func sortFindings(fs []Finding, inputOrder map[string]int) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := &fs[i], &fs[j]
		if ia, ib := inputOrder[a.Input], inputOrder[b.Input]; ia != ib {
			return ia < ib
		}
		if a.Packet != b.Packet {
			return a.Packet < b.Packet
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		if a.CallID != b.CallID {
			return a.CallID < b.CallID
		}
		return a.Evidence < b.Evidence
	})
}
