// Command obs-dashboards checks Grafana dashboards with the Grafana Foundation SDK's Go types: every file named
// on the command line is decoded strictly (unknown or mistyped fields fail) with the SDK's panel and query
// plugins registered, then checked with the SDK's Validate(). It prints one JSON line per file:
// {"file": ..., "errors": [...]} and exits 1 when any file has errors.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

type result struct {
	File   string   `json:"file"`
	Errors []string `json:"errors"`
}

// messages flattens the SDK's error list; the SDK returns a non-nil empty list when nothing failed.
func messages(err error) []string {
	out := []string{}
	if err == nil {
		return out
	}
	var build cog.BuildErrors
	if errors.As(err, &build) {
		for _, e := range build {
			out = append(out, e.Error())
		}
		return out
	}
	return append(out, err.Error())
}

func main() {
	plugins.RegisterDefaultPlugins()
	failed := false
	for _, file := range os.Args[1:] {
		res := result{File: file, Errors: []string{}}
		raw, err := os.ReadFile(file)
		if err != nil {
			res.Errors = append(res.Errors, err.Error())
		} else {
			var d dashboard.Dashboard
			if errs := messages(d.UnmarshalJSONStrict(raw)); len(errs) > 0 {
				res.Errors = append(res.Errors, errs...)
			} else {
				res.Errors = append(res.Errors, messages(d.Validate())...)
			}
		}
		if len(res.Errors) > 0 {
			failed = true
		}
		line, _ := json.Marshal(res)
		fmt.Println(string(line))
	}
	if failed {
		os.Exit(1)
	}
}
