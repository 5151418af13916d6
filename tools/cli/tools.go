//go:build tools

// Keeps the real CLI's main package in this module's build list: `make cli` builds it from here.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
