package ruleset

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// header opens the canonical form.
const header = `# ixaudit rule set: the Twilio facts ixaudit checks traffic against.
# Save this, edit it, and use it with ` + "`ixaudit audit --rules FILE`" + `. One directive a line;
# '#' starts a comment; values with blanks are double-quoted. Interconnect edges have
# gateways= and names ending in -ix; public edges have signalling= CIDRs. Anything broken,
# unknown or given twice is refused with its line number. Rules without a severity line keep
# their default.

`

// WriteTo writes the rule set in canonical form: the same directives Parse reads, in a fixed
// order, with every rule's severity and comments that explain them. Parse reads it back to an
// equal RuleSet, so a user can save it, edit it and load it with --rules. The output depends
// only on the facts, not on where they were read from.
func (rs *RuleSet) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	b.WriteString(header)
	fmt.Fprintf(&b, "ruleset %s\nfacts-read %s\ndomain %s\n", rs.version, rs.factsRead, rs.domain)

	if len(rs.sources) > 0 {
		b.WriteString("\n# Documents the facts come from.\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 1, ' ', 0)
		for _, s := range rs.sources {
			fmt.Fprintf(tw, "source %s\t%s\n", s.Key, s.URL)
		}
		tw.Flush()
	}

	b.WriteString("\n# Edges: interconnect (gateways), public (signalling CIDRs), media-only (not for trunking).\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 1, ' ', 0)
	for _, e := range rs.edges {
		fmt.Fprintf(tw, "edge %s\tkind=%s", e.Name, e.Kind)
		if e.Legacy != "" {
			fmt.Fprintf(tw, "\tlegacy=%s", e.Legacy)
		} else {
			tw.Write([]byte("\t"))
		}
		if len(e.Aliases) > 0 {
			fmt.Fprintf(tw, " aliases=%s", strings.Join(e.Aliases, ","))
		}
		var addrs []string
		for _, ip := range e.Gateways {
			addrs = append(addrs, ip.String())
		}
		for _, p := range e.Signalling {
			addrs = append(addrs, p.String())
		}
		switch e.Kind {
		case EdgeInterconnect:
			fmt.Fprintf(tw, "\tgateways=%s", strings.Join(addrs, ","))
		case EdgePublic:
			fmt.Fprintf(tw, "\tsignalling=%s", strings.Join(addrs, ","))
		default:
			tw.Write([]byte("\t"))
		}
		if len(e.Sources) > 0 {
			fmt.Fprintf(tw, "\tsources=%s", strings.Join(e.Sources, ","))
		} else {
			tw.Write([]byte("\t"))
		}
		if e.Label != "" {
			fmt.Fprintf(tw, "\tlabel=%s", strconv.Quote(e.Label))
		}
		tw.Write([]byte("\n"))
	}
	tw.Flush()

	b.WriteString("\n# Media, the same for both paths.\n")
	for _, m := range rs.media {
		fmt.Fprintf(&b, "media-range %s\n", m)
	}
	fmt.Fprintf(&b, "media-ports %d-%d\n", rs.mediaLo, rs.mediaHi)

	b.WriteString("\n# Signalling ports allowed with a gateway.\n")
	for _, sp := range rs.sigPorts {
		fmt.Fprintf(&b, "signalling-port %s %d\n", sp.transport, sp.port)
	}

	b.WriteString("\n# SDES crypto suites Twilio offers on calls it sends, and accepts on calls it receives.\n")
	fmt.Fprintf(&b, "srtp-offer %s\n", strings.Join(rs.offered, " "))
	fmt.Fprintf(&b, "srtp-accept %s\n", strings.Join(rs.accepted, " "))

	if len(rs.hosts) > 0 {
		b.WriteString("\n# Host-name patterns, tried in this order.\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 1, ' ', 0)
		for _, h := range rs.hosts {
			fmt.Fprintf(tw, "host %s\t%s\n", h.kind, h.pattern)
		}
		tw.Flush()
	}

	b.WriteString("\n# Severity of every rule: error, warning or info.\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 1, ' ', 0)
	for _, r := range catalogue {
		sev := rs.severities[r.ID]
		note := ""
		if sev != r.Default {
			note = " (default " + r.Default + ")"
		}
		fmt.Fprintf(tw, "severity %s\t%s\t# %s%s\n", r.ID, sev, r.Meaning, note)
	}
	tw.Flush()

	n, err := w.Write(b.Bytes())
	return int64(n), err
}
