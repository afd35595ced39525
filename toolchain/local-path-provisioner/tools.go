//go:build tools

// The blank import keeps the provisioner's main package in go.mod and go.sum.
package tools

import _ "github.com/rancher/local-path-provisioner"
