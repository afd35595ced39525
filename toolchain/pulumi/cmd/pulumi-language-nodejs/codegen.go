package main

// Code generation for `pulumi package gen-sdk --language nodejs` and `pulumi package add`: upstream's
// TypeScript generator (pkg/v3/codegen/nodejs) behind the engine's GeneratePackage and Link RPCs.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/pkg/v3/codegen/cgstrings"
	nodegen "github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"virtstack.local/toolchain/pulumi/langhost"
)

func (h *nodeHost) GeneratePackage(ctx context.Context, req *pulumirpc.GeneratePackageRequest,
) (*pulumirpc.GeneratePackageResponse, error) {
	return langhost.GeneratePackage(ctx, req, func(pkg *schema.Package, loader schema.ReferenceLoader,
		req *pulumirpc.GeneratePackageRequest,
	) (map[string][]byte, error) {
		// Local is set by `pulumi package add`: the SDK is then compiled by its own postinstall script
		// when the program installs it, instead of being published compiled.
		return nodegen.GeneratePackage("pulumi-language-nodejs", pkg, req.GetExtraFiles(),
			req.GetLocalDependencies(), req.GetLocal(), loader)
	})
}

// Link adds each generated SDK to the program's package.json as a `file:` dependency (what
// `pulumi package add` asks for), then the engine runs InstallDependencies. The npm package name is
// read from the SDK's own package.json, which the generator wrote from the schema.
func (h *nodeHost) Link(ctx context.Context, req *pulumirpc.LinkRequest) (*pulumirpc.LinkResponse, error) {
	root, targets, err := langhost.LinkTargets(req)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(root, "package.json")); err != nil {
		return nil, fmt.Errorf("the program in %s has no package.json to add the SDK to: run `npm init` there first", root)
	}
	typescript := fileExists(filepath.Join(root, "tsconfig.json"))
	if v, ok := option(req.GetInfo(), "typescript"); ok && v.GetBoolValue() {
		typescript = true
	}
	var imports strings.Builder
	for _, t := range targets {
		sdk, err := readPackage(filepath.Join(t.Dir, "package.json"))
		if err != nil {
			return nil, fmt.Errorf("the SDK of %s at %s: %w", t.Name, t.Dir, err)
		}
		spec := "file:" + filepath.ToSlash(t.Relative)
		if err := npmPkg(ctx, root, "set", "dependencies."+sdk.Name+"="+spec); err != nil {
			return nil, err
		}
		if err := allowInstallScripts(ctx, root, spec); err != nil {
			return nil, err
		}
		alias := cgstrings.Camel(t.Name)
		if typescript {
			fmt.Fprintf(&imports, "  import * as %s from %q;\n", alias, sdk.Name)
		} else {
			fmt.Fprintf(&imports, "  const %s = require(%q);\n", alias, sdk.Name)
		}
	}
	lang := "JavaScript"
	if typescript {
		lang = "TypeScript"
	}
	return &pulumirpc.LinkResponse{
		ImportInstructions: fmt.Sprintf("You can import the SDK in your %s code with:\n\n%s", lang, imports.String()),
	}, nil
}

// allowInstallScripts lists the SDK in package.json's allowScripts: a local SDK compiles itself in its
// postinstall script, and npm from 11.16 warns about (and npm 12 skips) install scripts not listed there.
func allowInstallScripts(ctx context.Context, root, spec string) error {
	cmd := exec.CommandContext(ctx, "npm", "pkg", "get", "allowScripts")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("npm pkg get allowScripts in %s: %w", root, err)
	}
	allow := map[string]bool{}
	if trimmed := bytes.TrimSpace(out); len(trimmed) > 0 && string(trimmed) != "{}" {
		// npm prints nothing useful (or an empty object) when the field is absent.
		_ = json.Unmarshal(trimmed, &allow)
	}
	allow[spec] = true
	data, err := json.Marshal(allow)
	if err != nil {
		return err
	}
	return npmPkg(ctx, root, "set", "--json", "allowScripts="+string(data))
}

func npmPkg(ctx context.Context, dir string, args ...string) error {
	cmd := exec.CommandContext(ctx, "npm", append([]string{"pkg"}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm pkg %s in %s: %w: %s", strings.Join(args, " "), dir, err, bytes.TrimSpace(out))
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
