package main

// Code generation for `pulumi package gen-sdk --language go` and `pulumi package add`: upstream's Go
// generator (pkg/v3/codegen/go) behind the engine's GeneratePackage and Link RPCs.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime/debug"
	"strings"

	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"golang.org/x/mod/modfile"

	"virtstack.local/toolchain/pulumi/langhost"
)

const sdkModule = "github.com/pulumi/pulumi/sdk/v3"

func (h *goHost) GeneratePackage(ctx context.Context, req *pulumirpc.GeneratePackageRequest,
) (*pulumirpc.GeneratePackageResponse, error) {
	if len(req.GetExtraFiles()) > 0 {
		// Upstream's generator has no overlay support for Go either.
		return nil, errors.New("overlays (--overlays) are not supported for Go SDKs")
	}
	return langhost.GeneratePackage(ctx, req, func(pkg *schema.Package, _ schema.ReferenceLoader,
		req *pulumirpc.GeneratePackageRequest,
	) (map[string][]byte, error) {
		files, err := gogen.GeneratePackage("pulumi-language-go", pkg, req.GetLocalDependencies())
		if err != nil {
			return nil, err
		}
		if mod, ok := files["go.mod"]; ok {
			if files["go.mod"], err = pinSDK(mod); err != nil {
				return nil, err
			}
		}
		return files, nil
	})
}

// pinnedSDKVersion is the sdk/v3 version this host was built with: the version the whole toolchain pins.
func pinnedSDKVersion() (string, bool) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "", false
	}
	for _, dep := range info.Deps {
		if dep.Path == sdkModule {
			return dep.Version, true
		}
	}
	return "", false
}

// pinSDK raises the go.mod's requirement on the Go SDK to the toolchain's version. Upstream's generator
// writes a fixed version (the one its template was last updated to); a program built beside this CLI
// must get the SDK that matches it, and the module cache already holds that one.
func pinSDK(data []byte) ([]byte, error) {
	pinned, ok := pinnedSDKVersion()
	if !ok {
		return data, nil
	}
	mod, err := modfile.Parse("go.mod", data, nil)
	if err != nil {
		return nil, fmt.Errorf("the generated go.mod does not parse: %w", err)
	}
	for _, r := range mod.Replace {
		if r.Old.Path == sdkModule {
			// A local SDK was asked for (--local with a pulumi dependency): keep it.
			return data, nil
		}
	}
	if err := mod.AddRequire(sdkModule, pinned); err != nil {
		return nil, err
	}
	return mod.Format()
}

// Link makes a program use each generated SDK from its folder: a require of the SDK's module and a
// replace pointing at the folder (relative, as the engine gives it). InstallDependencies then tidies.
func (h *goHost) Link(_ context.Context, req *pulumirpc.LinkRequest) (*pulumirpc.LinkResponse, error) {
	root, targets, err := langhost.LinkTargets(req)
	if err != nil {
		return nil, err
	}
	goModPath := filepath.Join(root, "go.mod")
	data, err := os.ReadFile(goModPath)
	if err != nil {
		return nil, fmt.Errorf("the Go program in %s has no go.mod to add the SDK to: run `go mod init <module>` there first (%w)", root, err)
	}
	program, err := modfile.Parse(goModPath, data, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", goModPath, err)
	}
	var imports strings.Builder
	for _, t := range targets {
		module, importPath, err := sdkImport(t.Dir)
		if err != nil {
			return nil, fmt.Errorf("the SDK of %s at %s: %w", t.Name, t.Dir, err)
		}
		local := filepath.ToSlash(t.Relative)
		if !filepath.IsAbs(local) && !strings.HasPrefix(local, ".") {
			// go.mod reads a replacement as a folder only when it starts with ./ or ../ (or is absolute).
			local = "./" + local
		}
		// v0.0.0 is never fetched: the replace below supplies the module.
		if err := program.AddRequire(module, "v0.0.0"); err != nil {
			return nil, err
		}
		if err := program.AddReplace(module, "", local, ""); err != nil {
			return nil, err
		}
		// The generator names the package after its folder, the last element of the import path.
		fmt.Fprintf(&imports, "  import %s %q\n", path.Base(importPath), importPath)
	}
	program.Cleanup()
	out, err := program.Format()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(goModPath, out, 0o644); err != nil {
		return nil, fmt.Errorf("writing %s: %w", goModPath, err)
	}
	return &pulumirpc.LinkResponse{
		ImportInstructions: "You can import the SDK in your Go code with:\n\n" + imports.String(),
	}, nil
}

// sdkImport reads a generated SDK's module path from its go.mod and finds its package: the folder holding
// the pulumi-plugin.json the generator writes beside the package's sources.
func sdkImport(dir string) (module, importPath string, err error) {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return "", "", fmt.Errorf("no go.mod (generate it with `meta.supportPack` in the schema, as `pulumi package add` does): %w", err)
	}
	module = modfile.ModulePath(data)
	if module == "" {
		return "", "", errors.New("its go.mod names no module")
	}
	var found string
	walkErr := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || found != "" {
			return err
		}
		if !d.IsDir() && d.Name() == "pulumi-plugin.json" {
			rel, err := filepath.Rel(dir, filepath.Dir(p))
			if err != nil {
				return err
			}
			found = rel
			return filepath.SkipAll
		}
		return nil
	})
	if walkErr != nil {
		return "", "", walkErr
	}
	if found == "" {
		return "", "", errors.New("no pulumi-plugin.json: was it generated by `pulumi package gen-sdk --language go`?")
	}
	return module, path.Join(module, filepath.ToSlash(found)), nil
}
