//go:build tools

// The blank import keeps the host's main package and its dependencies in go.mod and go.sum.
package tools

import _ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
