// pulumi-resource-kubernetes is upstream's Kubernetes resource provider (pulumi-kubernetes v4.25.0),
// built from its Go module.
//
// Upstream's own main embeds schema-embed.json and terraform-mapping-embed.json, which its generate.go
// writes at build time and which are therefore missing from the module zip. The toolchain copies the
// module's schema.json and terraform-mapping.json here under those names before `go build`
// (toolchain/products.ts, `generated`), and this main serves them. The schema's `version` field is
// empty in the module; the engine and the SDK generators read the version from it, so it is set here
// to the version this binary is built as.
package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
)

// version is set by the toolchain (-X main.version=…) to the npm/PyPI package version it serves.
var version = "0.0.0-dev"

//go:embed schema-embed.json
var moduleSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

// withVersion returns the schema with its top-level `version` set, every other field kept as written.
func withVersion(schema []byte, v string) ([]byte, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(schema, &fields); err != nil {
		return nil, fmt.Errorf("embedded schema.json is not a JSON object: %w", err)
	}
	quoted, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	fields["version"] = quoted
	return json.Marshal(fields)
}

func main() {
	schema, err := withVersion(moduleSchema, version)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-resource-kubernetes:", err)
		os.Exit(1)
	}
	provider.Serve("kubernetes", version, schema, terraformMapping)
}
