package main

import (
	_ "embed"
	"strings"
)

// docSource is this command's doc.go: the manual has one source, shown by go doc and by
// "ixaudit help".
//
//go:embed doc.go
var docSource string

// manualText is the doc comment of doc.go as plain text.
var manualText = func() string {
	var b strings.Builder
	for _, line := range strings.Split(docSource, "\n") {
		if !strings.HasPrefix(line, "//") {
			continue
		}
		line = strings.TrimPrefix(line, "//")
		line = strings.TrimPrefix(line, " ")
		if strings.HasPrefix(line, "\t") {
			line = "  " + line[1:]
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}()

// manual returns the whole manual for topic "", one section for a topic, or "" when there
// is no such topic.
func manual(topic string) string {
	if topic == "" {
		return manualText
	}
	for _, sec := range strings.Split(manualText, "\n# ")[1:] {
		title, _, _ := strings.Cut(sec, "\n")
		if strings.EqualFold(strings.ReplaceAll(title, " ", "-"), topic) {
			return "# " + sec
		}
	}
	return ""
}

// manualTopics lists the sections of the manual.
func manualTopics() []string {
	var ts []string
	for _, sec := range strings.Split(manualText, "\n# ")[1:] {
		title, _, _ := strings.Cut(sec, "\n")
		ts = append(ts, strings.ToLower(strings.ReplaceAll(title, " ", "-")))
	}
	return ts
}
