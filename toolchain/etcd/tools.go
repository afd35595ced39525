//go:build tools

// The blank import keeps etcd's main package (the server module's root) in go.mod and go.sum.
package tools

import _ "go.etcd.io/etcd/server/v3"
