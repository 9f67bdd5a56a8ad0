// charts-kindconfig decodes a kind cluster configuration the way kind itself does (go.yaml.in/yaml/v3 with
// KnownFields, into kind's public v1alpha4 types), applies kind's defaults and prints the result as JSON.
// Unknown fields, a wrong apiVersion/kind or wrong types exit non-zero with kind's decoder message.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
)

type typeMeta struct {
	Kind       string `yaml:"kind,omitempty"`
	APIVersion string `yaml:"apiVersion,omitempty"`
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "charts-kindconfig: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: charts-kindconfig <kind-config.yaml>")
	}
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail("%v", err)
	}
	tm := typeMeta{}
	if err := yaml.Unmarshal(raw, &tm); err != nil {
		fail("could not determine kind / apiVersion: %v", err)
	}
	if tm.APIVersion != "kind.x-k8s.io/v1alpha4" || tm.Kind != "Cluster" {
		fail("unknown apiVersion/kind %s/%s", tm.APIVersion, tm.Kind)
	}
	cfg := &v1alpha4.Cluster{}
	decoder := yaml.NewDecoder(bytes.NewReader(raw))
	decoder.KnownFields(true)
	if err := decoder.Decode(cfg); err != nil {
		fail("unable to decode config: %v", err)
	}
	v1alpha4.SetDefaultsCluster(cfg)
	out, err := json.Marshal(cfg)
	if err != nil {
		fail("%v", err)
	}
	fmt.Println(string(out))
}
